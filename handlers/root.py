"""The root router: feature routers first, the first-reply commands last."""

from __future__ import annotations

from handlers import commands, quotes, visits
from handlers.context import HandlerContext
from handlers.events import EventKind
from handlers.router import Router


def build_router() -> Router:
    root = Router("root")
    root.include(commands.router)
    root.include(quotes.router)
    root.include(visits.router)
    root.include(commands.fallback)
    return root


def handle(router: Router, ctx: HandlerContext) -> None:
    """Unknown senders get the polite notice; everyone else goes through the routers.

    Events we do not understand (EventKind.OTHER) were logged when stored and get no reply.
    """
    if ctx.event.kind == EventKind.OTHER:
        return
    if ctx.sender is None:
        commands.reply_unknown_sender(ctx)
        return
    router.dispatch(ctx)
