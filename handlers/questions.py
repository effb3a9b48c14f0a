"""Questions about one's own data, answered from it, and a short help for any other question.

「上个月我拜访了几次？」, 「苏州精工的商机到哪一步了」, 「本月成交」: each is one bounded query on the
rep's own rows. A question is never taken for a visit (which would ask 「拜访的是哪家客户？」), and a
pending visit question is dropped as soon as the rep asks something else.

Included ahead of the visits router (see handlers/root.py).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from domain.clock import BUSINESS_TZ, local_today
from domain.models import STAGE_LABELS, Customer, Opportunity, Stage, Visit
from domain.services.opportunities import open_opportunity_of
from domain.services.pages import can_see_customer
from handlers.commands import command_text, drop_pending_visit, one_customer, send_customer_card, send_todo
from handlers.context import HandlerContext
from handlers.events import EventKind
from handlers.router import Filter, FilterResult, Router
from handlers.understand.intent import (
    DEAL_STAGE_RX,
    TODO_QUESTION_RX,
    VISIT_COUNT_RX,
    WON_RX,
    asks_a_question,
    asks_the_bot,
    is_question,
    period_of,
)
from handlers.visits import visit_draft

router = Router("questions")

QUESTION_HELP = (
    "我可以回答这些问题：\n"
    "上个月我拜访了几次？\n"
    "苏州精工的商机到哪一步了？\n"
    "本月成交\n"
    "记拜访直接说：今天拜访华为张总，谈了报价，下周三再跟进\n"
    "发送「帮助」查看全部功能。"
)


def _text(ctx: HandlerContext) -> str:
    return command_text(ctx.event.text) if ctx.event.kind == EventKind.TEXT else ""


def _asks(rx: re.Pattern[str], *, whole: bool = False) -> Filter:
    """A question ``rx`` finds (from the start with ``whole``); hands over ``text`` (lower case, no slash) and ``match``."""

    def check(ctx: HandlerContext) -> FilterResult:
        text = _text(ctx)
        m = rx.match(text) if whole else rx.search(text)
        return {"text": text, "match": m} if m else None

    return check


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in business time, for a range of local days."""
    return (
        datetime.combine(start, time(0), BUSINESS_TZ),
        datetime.combine(end + timedelta(days=1), time(0), BUSINESS_TZ),
    )


@router.on(_asks(VISIT_COUNT_RX))
def on_visit_count(ctx: HandlerContext, text: str) -> None:
    assert ctx.sender is not None
    drop_pending_visit(ctx)
    label, start, end = period_of(text, local_today(ctx.uow.clock))
    lo, hi = _bounds(start, end)
    visits, customers = ctx.uow.session.execute(
        select(func.count(Visit.id), func.count(func.distinct(Visit.customer_id))).where(
            Visit.rep_id == ctx.sender.id, Visit.visited_at >= lo, Visit.visited_at < hi
        )
    ).one()
    span = f"{start.month}月{start.day}日" + (f"–{end.month}月{end.day}日" if end != start else "")
    if not visits:
        ctx.say(f"{label}（{span}）你还没有记录拜访。")
        return
    ctx.say(f"{label}（{span}）你记录了 {visits} 次拜访，涉及 {customers} 家客户。")


@router.on(_asks(DEAL_STAGE_RX, whole=True))
def on_deal_stage(ctx: HandlerContext, match: re.Match[str]) -> None:
    drop_pending_visit(ctx)
    name = match.group("c").strip()
    customer = one_customer(
        ctx,
        name,
        not_found=f"没有找到客户「{name}」。可以这样问：苏州精工的商机到哪一步了？",
        ambiguous="请说得更具体一些，例如：{first}的商机到哪一步了？",
    )
    if customer is None:
        return
    opp = open_opportunity_of(ctx.uow, customer) or ctx.uow.session.scalar(
        select(Opportunity)
        .where(Opportunity.customer_id == customer.id)
        .order_by(Opportunity.last_touched_at.desc(), Opportunity.id.desc())
        .limit(1)
    )
    if opp is None:
        ctx.say(f"{customer.name}还没有商机。记一次拜访并写上预算（例如：预算50万），就会建立商机。")
        return
    amount = f"，金额 ¥{opp.amount:,.0f}" if opp.amount is not None else ""
    touched = opp.last_touched_at.astimezone(BUSINESS_TZ)
    ctx.say(
        f"{customer.name}的商机「{opp.name}」：阶段「{STAGE_LABELS[Stage(opp.stage)]}」{amount}，"
        f"最近更新 {touched.month}月{touched.day}日。"
    )


@router.on(_asks(TODO_QUESTION_RX))
def on_todo_question(ctx: HandlerContext) -> None:
    """「这周有什么要跟进的」 is 我的待办 asked in words."""
    drop_pending_visit(ctx)
    send_todo(ctx)


@router.on(_asks(WON_RX))
def on_won(ctx: HandlerContext, text: str) -> None:
    assert ctx.sender is not None
    drop_pending_visit(ctx)
    label, start, end = period_of(text, local_today(ctx.uow.clock), default="month")
    lo, hi = _bounds(start, end)
    rows = ctx.uow.session.execute(
        select(Opportunity.name, Opportunity.amount)
        .where(
            Opportunity.owner_id == ctx.sender.id,
            Opportunity.stage == Stage.WON.value,
            Opportunity.closed_at >= lo,
            Opportunity.closed_at < hi,
        )
        .order_by(Opportunity.closed_at)
        .limit(20)
    ).all()
    if not rows:
        ctx.say(f"{label}还没有成交的商机。")
        return
    total = sum((amount for _, amount in rows if amount is not None), start=0)
    lines = "\n".join(f"· {name}" + (f" ¥{amount:,.0f}" if amount is not None else "") for name, amount in rows)
    ctx.say(f"{label}成交 {len(rows)} 单，合计 ¥{total:,.0f}：\n{lines}")


# Requests to change or create something are not answered with a card (they get the help below).
_CHANGE_REQUEST = re.compile(r"改成|改为|换成|删|新建|添加|新增|提醒我|导出")


def _asks_about_a_customer(ctx: HandlerContext) -> FilterResult:
    """A question naming one customer the sender may see: 「西门子最近有没有人去过」, 「美的那个项目现在谁在跟」.

    The customer is the one the visit parser found in the text (the same index, no extra query); a customer
    outside the sender's scope gets the general help, so the question tells nothing about it (issue #19).
    """
    text = _text(ctx)
    if not text or _CHANGE_REQUEST.search(text) or not (asks_the_bot(text) or is_question(text)):
        return None
    draft = visit_draft(ctx)
    if draft is None or draft.is_visit or draft.customer_id is None or ctx.sender is None:
        return None
    customer = ctx.uow.session.get(Customer, draft.customer_id)
    if customer is None or not can_see_customer(ctx.uow, ctx.sender, customer):
        return None
    return {"customer": customer}


@router.on(_asks_about_a_customer)
def on_customer_question(ctx: HandlerContext, customer: Customer) -> None:
    """Who looks after it, its open deals and the last visits (who, when) answer most questions about a customer."""
    drop_pending_visit(ctx)
    send_customer_card(ctx, customer)


@router.on(lambda ctx: is_question(_text(ctx)) or asks_a_question(_text(ctx)))
def on_other_question(ctx: HandlerContext) -> None:
    """A question we cannot answer (or about a customer the sender may not see): say what we can, instead of
    asking which customer was visited or answering 「没看懂」."""
    drop_pending_visit(ctx)
    ctx.say(QUESTION_HELP)
