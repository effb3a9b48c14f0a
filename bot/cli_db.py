"""The database for one CLI command: opened from the settings, disposed when the command ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from domain.db import Database


@contextmanager
def cli_database() -> Iterator[Database]:
    from bot.settings import load_settings

    db = Database(load_settings().database_url)
    try:
        yield db
    finally:
        db.dispose()
