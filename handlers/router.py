"""Dispatch: routers of (filters → handler), first match wins, like aiogram's.

Feature modules each build a ``Router`` and the root router includes them in
order; a handler is a plain function of ``HandlerContext``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.context import HandlerContext
from handlers.events import EventKind

Handler = Callable[[HandlerContext], None]
Filter = Callable[[HandlerContext], bool]


def kind(*kinds: EventKind) -> Filter:
    return lambda ctx: ctx.event.kind in kinds


def text_matches(pattern: str) -> Filter:
    rx = re.compile(pattern)
    return lambda ctx: ctx.event.kind == EventKind.TEXT and bool(rx.search((ctx.event.text or "").strip()))


def card_action(prefix: str) -> Filter:
    """Taps whose button key starts with ``prefix`` (keys look like ``help:visit``)."""
    return lambda ctx: ctx.event.card_action is not None and ctx.event.card_action.key.startswith(prefix)


def known_sender(ctx: HandlerContext) -> bool:
    return ctx.sender is not None


@dataclass
class Route:
    filters: tuple[Filter, ...]
    handler: Handler


@dataclass
class Router:
    name: str
    routes: list[Route | Router] = field(default_factory=list)

    def on(self, *filters: Filter) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(filters, handler))
            return handler

        return register

    def include(self, router: Router) -> None:
        self.routes.append(router)

    def dispatch(self, ctx: HandlerContext) -> bool:
        """Run the first matching handler; False if nothing matched."""
        for route in self.routes:
            if isinstance(route, Router):
                if route.dispatch(ctx):
                    return True
            elif all(f(ctx) for f in route.filters):
                route.handler(ctx)
                return True
        return False
