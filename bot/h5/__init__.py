"""H5 pages that cards link to: quote review, customer 360°, the manager's dashboard.

Server-rendered (Jinja2, ``bot/h5/templates``), mobile-first, Chinese. Pages are
registered with ``bot.h5.site.page``; importing a page module registers it, so a
new page module is one import line in :func:`h5_router`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter

if TYPE_CHECKING:
    from bot.runtime import Runtime


def h5_router(runtime: Runtime, wake: Callable[[], None]) -> APIRouter:
    """All H5 routes for one app; ``wake`` nudges the worker after a page queued a card update."""
    from bot.h5 import approvals, pages  # noqa: F401  - registers the pages
    from bot.h5.site import H5Site

    return H5Site(runtime, wake).router()
