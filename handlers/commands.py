"""First replies: help, unknown senders, images, stale cards.

These prove the whole loop (callback → inbox → handler → outbox → platform)
before the feature handlers (visits, quotes, approvals) take over their
messages; those routers are included ahead of this one.
"""

from __future__ import annotations

from dataclasses import replace

from cards.model import Button, Card, Field
from cards.serialize import card_from_dict
from domain.clock import local_today
from domain.services import cardstate
from handlers.context import HandlerContext
from handlers.events import EventKind
from handlers.router import Router, card_action, kind

router = Router("commands")

UNKNOWN_SENDER = "你还没有开通销售助手，请联系管理员"
CARD_EXPIRED = "这张卡片已失效"
IMAGE_RECEIVED = "收到图片"

HELP_ACTIONS = {
    "help:visit": (
        "记拜访",
        "直接发一句话就能记拜访，例如：\n今天拜访华为张总，谈了报价，下周三再跟进\n也可以发送位置签到。",
    ),
    "help:quote": ("拍报价单", "对准纸质报价单拍照发给我，我会识别客户、明细和合计，请你确认后保存。"),
    "help:todo": ("我的待办", "发送「我的待办」查看今天要跟进的客户和待审批事项。"),
}


def help_card(card_id: str, name: str | None) -> Card:
    return Card(
        title="销售助手可以帮你",
        card_id=card_id,
        subtitle=f"{name}，你好！" if name else "你好！",
        fields=[
            Field("记拜访", "发一句话：今天拜访华为张总…"),
            Field("报价单", "拍照发送，自动识别金额"),
            Field("合同审批", "卡片上一键同意 / 驳回"),
            Field("提醒", "跟进到期、商机停滞、审批超时"),
        ],
        buttons=[
            Button(text, key, "primary" if i == 0 else "default")
            for i, (key, (text, _)) in enumerate(HELP_ACTIONS.items())
        ],
    )


def send_help(ctx: HandlerContext) -> None:
    card_id = "help-" + "".join(c if c.isalnum() or c in "-_@" else "-" for c in ctx.event.dedupe_key)[:100]
    ctx.replies.card(ctx.me, help_card(card_id, ctx.sender.name if ctx.sender else None), purpose="help")


def reply_unknown_sender(ctx: HandlerContext) -> None:
    """One polite reply per person per day; nothing else is stored for strangers."""
    day = local_today(ctx.uow.clock).isoformat()
    key = f"unknown-sender:{ctx.event.platform}:{ctx.event.sender_id}:{day}"
    ctx.replies.text(ctx.me, UNKNOWN_SENDER, key=key)


@router.on(kind(EventKind.TEXT, EventKind.ENTER_AGENT))
def on_text(ctx: HandlerContext) -> None:
    send_help(ctx)


@router.on(kind(EventKind.IMAGE))
def on_image(ctx: HandlerContext) -> None:
    ctx.say(IMAGE_RECEIVED)


@router.on(card_action("help:"))
def on_help_tap(ctx: HandlerContext) -> None:
    """A tap on the help card: the card shows the choice for everyone, the hint comes as text."""
    assert ctx.event.card_action is not None
    record = cardstate.get_card(ctx.uow.session, ctx.event.card_action.task_id)
    choice = HELP_ACTIONS.get(ctx.event.card_action.key)
    if record is None or choice is None:
        ctx.say(CARD_EXPIRED)
        return
    if record.status == "open":
        card = card_from_dict(record.content)
        ctx.replies.update_card(replace(card, status=f"已选择：{choice[0]}"))
    ctx.say(choice[1])


@router.on(kind(EventKind.CARD_ACTION))
def on_unknown_card(ctx: HandlerContext) -> None:
    ctx.say(CARD_EXPIRED)
