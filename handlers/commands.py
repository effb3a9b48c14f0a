"""First replies: help, unknown senders, images, stale cards.

These prove the whole loop (callback → inbox → handler → outbox → platform)
before the feature handlers (visits, quotes, approvals) take over their
messages; those routers are included ahead of this one.
"""

from __future__ import annotations

import re
from dataclasses import replace

from cards.help import HELP_ACTIONS
from cards.help import help_card as role_help_card
from cards.keys import HelpTap
from cards.model import Card
from cards.reports import customer_card, todo_card, week_card
from cards.serialize import card_from_dict
from domain.clock import local_today
from domain.models import Customer
from domain.services import cardstate, outbox
from domain.services.customers import find_customers
from domain.services.pages import can_see_customer, scope_user_ids
from domain.services.reports import customer_overview, follow_ups, my_week
from handlers.context import HandlerContext
from handlers.events import EventKind
from handlers.router import Router, command, command_body, command_match, kind
from handlers.states import PENDING_VISIT, in_state

router = Router("commands")
fallback = Router("fallback")  # last: what no feature router took

PENDING_DROPPED = "刚才那条拜访没有记录（缺少客户名称）。"


def drop_pending_visit(ctx: HandlerContext, *, notice: bool = False) -> None:
    """The rep moved on: a pending 「拜访的是哪家客户？」 must not swallow the next messages.

    ``notice`` tells the rep the unfinished visit was not recorded (commands say it; answered
    questions already tell enough)."""
    if in_state(ctx, *PENDING_VISIT):
        ctx.clear_state()
        if notice:
            ctx.say(PENDING_DROPPED)


UNKNOWN_SENDER = "你还没有开通销售助手，请联系管理员"
CARD_EXPIRED = "这张卡片已失效"

def help_card(card_id: str, name: str | None, role: str | None = None) -> Card:
    """The role-aware help card (``cards.help``)."""
    return role_help_card(card_id, name, role)


def send_help(ctx: HandlerContext, *, key: str | None = None) -> None:
    card = help_card(card_id_for(ctx, "help"), ctx.sender.name if ctx.sender else None,
                     ctx.sender.role if ctx.sender else None)
    ctx.replies.card(ctx.me, card, purpose="help", key=key)


def reply_unknown_sender(ctx: HandlerContext) -> None:
    """One polite reply per person per day; nothing else is stored for strangers."""
    day = local_today(ctx.uow.clock).isoformat()
    key = f"unknown-sender:{ctx.event.platform}:{ctx.event.sender_id}:{day}"
    ctx.replies.text(ctx.me, UNKNOWN_SENDER, key=key)


def command_text(text: str | None) -> str:
    """What a command looks like without slashes, spaces and case ("/待办 " → "待办")."""
    return command_body(text).lower()


HELP_WORDS = {"帮助", "help", "?", "？", "菜单", "功能", "你好", "您好", "hi", "hello", "在吗"}
TODO_WORDS = {"我的待办", "待办", "我的任务", "任务", "todo", "待办事项", "今天干什么"}
WEEK_WORDS = {"本周业绩", "业绩", "我的业绩", "本周数据", "周报", "本周"}
CUSTOMER_RX = re.compile(r"^(?:查客户|查询客户|查一下|查)\s*[:：]?\s*(?P<name>.+)$")


def card_id_for(ctx: HandlerContext, prefix: str) -> str:
    """A task_id unique per inbound event (WeCom never accepts a task_id twice)."""
    return prefix + "-" + "".join(c if c.isalnum() or c in "-_@" else "-" for c in ctx.event.dedupe_key)[:100]


@router.on(kind(EventKind.ENTER_AGENT))
def on_enter(ctx: HandlerContext) -> None:
    """Entering the chat: the welcome card at most once a day per person (opening the chat is frequent)."""
    day = local_today(ctx.uow.clock).isoformat()
    key = f"welcome:{ctx.event.platform}:{ctx.event.sender_id}:{day}"
    if outbox.already_written(ctx.uow.session, key):
        return
    send_help(ctx, key=key)


@router.on(command(*HELP_WORDS))
def on_help(ctx: HandlerContext) -> None:
    drop_pending_visit(ctx, notice=True)
    send_help(ctx)


@router.on(command(*TODO_WORDS))
def on_todo(ctx: HandlerContext) -> None:
    drop_pending_visit(ctx, notice=True)
    send_todo(ctx)


def send_todo(ctx: HandlerContext) -> None:
    """The sender's to-do card: follow-ups due today and overdue, approvals waiting, visits to complete."""
    assert ctx.sender is not None
    todo = follow_ups(ctx.uow, ctx.sender, local_today(ctx.uow.clock))
    ctx.replies.card(ctx.me, todo_card(card_id_for(ctx, "todo"), todo, 0), purpose="todo")


@router.on(command(*WEEK_WORDS))
def on_week(ctx: HandlerContext) -> None:
    assert ctx.sender is not None
    drop_pending_visit(ctx, notice=True)
    this, last = my_week(ctx.uow, ctx.sender, local_today(ctx.uow.clock))
    ctx.replies.card(ctx.me, week_card(card_id_for(ctx, "week"), this, last), purpose="week")


def one_customer(
    ctx: HandlerContext, name: str, *, not_found: str, ambiguous: str, visible_only: bool = False
) -> Customer | None:
    """The one customer ``name`` means, or None after saying why (none found / several equally good).

    ``ambiguous`` follows the list of candidates; ``{first}`` in it is the best candidate's name.
    ``visible_only``: only customers the sender may see (the H5 pages' rule, ``scope_user_ids``),
    so neither the card nor the list of candidates shows another rep's customers.
    """
    found = find_customers(ctx.uow, name)
    if visible_only:
        scope = scope_user_ids(ctx.uow, ctx.sender) if ctx.sender is not None else set()
        found = [m for m in found if scope is None or m.customer.owner_id in scope]
    if not found:
        ctx.say(not_found)
        return None
    best = [m for m in found if m.score == found[0].score]
    if len(best) > 1:
        names = "、".join(m.customer.name for m in best[:5])
        ctx.say(f"找到多个客户：{names}。" + ambiguous.format(first=best[0].customer.name))
        return None
    return found[0].customer


@router.on(command_match(CUSTOMER_RX))
def on_customer(ctx: HandlerContext, match: re.Match[str]) -> None:
    drop_pending_visit(ctx, notice=True)
    name = match.group("name").strip()
    customer = one_customer(
        ctx,
        name,
        not_found=f"没有找到客户「{name}」。请检查名称，例如：查客户 华为",
        ambiguous="请说得更具体一些，例如：查客户 {first}",
        visible_only=True,  # owner, amounts and visit notes only for whoever may see them (issue #19)
    )
    if customer is None:
        return
    send_customer_card(ctx, customer)


def send_customer_card(ctx: HandlerContext, customer: Customer) -> None:
    """The customer's card (owner, open deals, latest quote, last visits) with a signed link to its page."""
    view = customer_overview(ctx.uow, customer)
    url = None
    if ctx.links is not None and ctx.sender is not None and can_see_customer(ctx.uow, ctx.sender, view.customer):
        url = ctx.links.customer(ctx.sender.key, view.customer.id, ctx.uow.clock.now())
    ctx.replies.card(ctx.me, customer_card(card_id_for(ctx, "cust"), view, url), purpose="customer")


@router.on(HelpTap.filter())
def on_help_tap(ctx: HandlerContext, key: HelpTap) -> None:
    """A tap on the help card: the card shows the choice for everyone, the hint comes as text."""
    assert ctx.event.card_action is not None
    record = cardstate.get_card(ctx.uow.session, ctx.event.card_action.task_id)
    choice = HELP_ACTIONS.get(key.topic)
    if record is None or choice is None:
        ctx.say(CARD_EXPIRED)
        return
    if record.status == "open":
        card = card_from_dict(record.content)
        ctx.replies.update_card(replace(card, status=f"已选择：{choice[0]}"))
    ctx.say(choice[1])


@fallback.on(kind(EventKind.CARD_ACTION))
def on_unknown_card(ctx: HandlerContext) -> None:
    ctx.say(CARD_EXPIRED)


HINT = (
    "没看懂这条消息。记拜访可以这样说：\n今天拜访华为张总，谈了报价，下周三再跟进\n发送「帮助」查看全部功能。"
)
TOO_LONG = "消息太长了（超过 2000 字），请分几条发送，或只写拜访要点。"


@fallback.on(kind(EventKind.TEXT))
def on_other_text(ctx: HandlerContext) -> None:
    """Empty, emoji-only, too long or nonsense: a short hint with an example; nothing stored."""
    ctx.say(TOO_LONG if len(ctx.event.text or "") > 2000 else HINT)
