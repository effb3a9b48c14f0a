"""Dispatch: routers of (filters → handler), first match wins, like aiogram's.

Feature modules each build a ``Router`` and the root router includes them in
order. A filter answers False/None (no match), True (match), or a mapping of
what it parsed (match): the router merges the mappings of a route's filters and
calls the handler with the context plus those values as keyword arguments, so a
message is parsed once, by its filter, and the handler gets the result typed::

    @router.on(kind(EventKind.TEXT), VisitUndo.filter())
    def on_undo(ctx: HandlerContext, key: VisitUndo) -> None: ...

A handler receives only the values its signature names (or all of them with
``**kwargs``), as aiogram does. aiogram itself is not used: it is bound to
Telegram's types and to asyncio, and this is the small part of its dispatcher
we need.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.context import HandlerContext
from handlers.events import EventKind

FilterResult = bool | Mapping[str, Any] | None
Filter = Callable[[HandlerContext], FilterResult]
Handler = Callable[..., None]  # handler(ctx, **values the filters parsed)

SLASHES = "/／"  # a command may start with a slash, half- or full-width


def command_body(text: str | None) -> str:
    """A command as typed, without a leading slash and surrounding spaces ("/提交合同 A 3万 " → "提交合同 A 3万")."""
    return (text or "").strip().lstrip(SLASHES).strip()


def kind(*kinds: EventKind) -> Filter:
    return lambda ctx: ctx.event.kind in kinds


def text_matches(pattern: str) -> Filter:
    """Text whose (stripped) content contains ``pattern``; hands over ``match``."""
    rx = re.compile(pattern)

    def check(ctx: HandlerContext) -> FilterResult:
        if ctx.event.kind != EventKind.TEXT:
            return None
        m = rx.search((ctx.event.text or "").strip())
        return {"match": m} if m else None

    return check


def command(*words: str) -> Filter:
    """A text that is one of ``words`` as a whole, with or without a leading ``/`` or ``／``, case ignored.

    Hands over ``command``: the word as listed here.
    """
    by_folded = {w.casefold(): w for w in words}

    def check(ctx: HandlerContext) -> FilterResult:
        if ctx.event.kind != EventKind.TEXT:
            return None
        word = by_folded.get(command_body(ctx.event.text).casefold())
        return {"command": word} if word is not None else None

    return check


def command_match(rx: re.Pattern[str]) -> Filter:
    """A text that ``rx`` matches from its start, with or without a leading ``/`` or ``／``.

    Hands over ``match`` (the regex match on the text as typed, slash removed).
    """

    def check(ctx: HandlerContext) -> FilterResult:
        if ctx.event.kind != EventKind.TEXT:
            return None
        m = rx.match(command_body(ctx.event.text))
        return {"match": m} if m else None

    return check


def card_action(prefix: str) -> Filter:
    """Taps whose button key starts with ``prefix``; typed keys use ``cards.keys.<Key>.filter()`` instead."""
    return lambda ctx: ctx.event.card_action is not None and ctx.event.card_action.key.startswith(prefix)


def known_sender(ctx: HandlerContext) -> bool:
    return ctx.sender is not None


def _accepted(handler: Handler) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Which of the parsed values ``handler`` takes: the keyword parameters it names, or all of them."""
    try:
        params = list(inspect.signature(handler).parameters.values())[1:]  # the first is the context
    except (TypeError, ValueError):  # a builtin or C callable: give it everything
        return lambda values: values
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return lambda values: values
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return lambda values: {k: v for k, v in values.items() if k in names}


@dataclass
class Route:
    filters: tuple[Filter, ...]
    handler: Handler
    _pick: Callable[[dict[str, Any]], dict[str, Any]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pick = _accepted(self.handler)

    def check(self, ctx: HandlerContext) -> dict[str, Any] | None:
        """The merged values of every filter, or None as soon as one does not match."""
        values: dict[str, Any] = {}
        for f in self.filters:
            result = f(ctx)
            if isinstance(result, Mapping):
                values.update(result)
            elif not result:
                return None
        return values

    def run(self, ctx: HandlerContext, values: dict[str, Any]) -> None:
        self.handler(ctx, **self._pick(values))


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
                continue
            values = route.check(ctx)
            if values is not None:
                route.run(ctx, values)
                return True
        return False
