"""The root router: feature routers first, the first-reply commands last."""

from __future__ import annotations

from domain.services import cardstate
from handlers import approvals, commands, deals, questions, quotes, reminders, visits
from handlers.context import HandlerContext
from handlers.events import EventKind
from handlers.router import Router


def build_router() -> Router:
    root = Router("root")
    root.include(commands.router)
    root.include(approvals.router)
    root.include(deals.router)  # the contract card's choice of opportunity
    root.include(reminders.router)  # 已跟进 / 明天再提醒 on reminder cards
    root.include(quotes.router)
    root.include(questions.router)  # before visits: a question is never taken for a visit
    root.include(visits.router)
    root.include(commands.fallback)
    return root


UNSUPPORTED = "暂时还看不懂这种消息（语音、视频、文件等）。请发文字或图片，发送「帮助」查看全部功能。"


def handle(router: Router, ctx: HandlerContext) -> None:
    """Unknown senders get the polite notice; everyone else goes through the routers.

    Events we do not understand (EventKind.OTHER) were logged when stored and get no reply.
    """
    if ctx.event.kind == EventKind.OTHER:
        # A message we cannot read (voice, video, file…) deserves a word; platform events do not.
        if ctx.sender is not None and ctx.event.raw_type and not ctx.event.raw_type.startswith("event:"):
            ctx.say(UNSUPPORTED)
        return
    if ctx.sender is None:
        commands.reply_unknown_sender(ctx)
        return
    if ctx.sender.last_platform != ctx.event.platform:
        ctx.sender.last_platform = ctx.event.platform  # notices follow them to where they write from
    action = ctx.event.card_action
    if action is not None and action.response_code:
        # A tap brings a fresh single-use code for updating the card (WeCom): keep it, so the
        # update this tap causes (or a later one) changes every copy instead of falling back to text.
        cardstate.remember_code(
            ctx.uow.session, action.task_id, ctx.event.sender_id, action.response_code, ctx.uow.clock.now()
        )
    router.dispatch(ctx)
