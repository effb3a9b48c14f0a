"""Quote photos: acknowledge at once, OCR in a job, then a review card to confirm, correct or void.

The handler never runs OCR: it queues a job (``bot/`` runs the engine) and
the job hands the extraction back to ``present_extraction`` here, which
turns it into a draft quote and a card. Nothing is saved as final until the
rep taps 确认.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

from cards.keys import QuoteConfirm, QuoteEdit, QuoteVoid
from cards.quotes import review_card
from domain.links import PageLinks
from domain.models import Customer, Quote, User
from domain.money import find_amount, parse_amount
from domain.services import cardstate, jobqueue
from domain.services import quotes as quote_service
from domain.services.customers import find_customers
from domain.uow import UnitOfWork
from handlers.context import HandlerContext
from handlers.conversation import DEFAULT_TIMEOUT, ConversationStore
from handlers.events import EventKind
from handlers.replies import Replies, Target
from handlers.router import FilterResult, Router, command_body, kind
from handlers.states import QuoteStates, new_state, state_is

router = Router("quotes")

RECEIVED = "收到报价单照片，正在识别…"
NOT_A_QUOTE = "没有识别到报价单内容，请对准报价单重新拍照"
ALREADY = "这张报价单已经识别过了，请在上面的卡片上确认或修改。"
UNREADABLE = {
    "empty": "图片是空的，请重新拍照发送。",
    "not_an_image": "这不是一张图片，请直接拍照发送报价单。",
    "corrupt": "图片损坏了，无法打开，请重新拍照发送。",
    "too_small": "图片太小看不清（可能是缩略图），请发送原图。",
    "too_large": "图片太大了，请压缩后重新发送。",
    "unsupported": "不支持这种图片格式，请直接拍照（JPG / PNG）发送报价单。",
    "download": "图片下载失败（可能已过期），请重新发送。",
}
EDIT_HINT = "请直接回复要修改的内容，例如：\n合计改成 123456\n客户是苏州精工"
# "合计改成10万", "总额是 ¥12,000", "金额 壹拾万元整": the figure after the word is read by
# domain.money.parse_amount (units count: 10万 is ¥100,000.00).
TOTAL_RX = re.compile(r"(?:合计|总计|总额|金额|总金额)\s*(?:改成|改为|是|=|：|:)?\s*(?P<value>[^，,。；;\n]+)")
CUSTOMER_RX = re.compile(r"客户\s*(?:改成|改为|是|：|:)\s*(?P<name>.+)$")


@router.on(kind(EventKind.IMAGE))
def on_photo(ctx: HandlerContext) -> None:
    """Acknowledge now; the OCR runs as a job after the callback has been answered."""
    assert ctx.sender is not None
    ctx.say(RECEIVED)
    jobqueue.enqueue(
        ctx.uow.session,
        kind="quote_ocr",
        dedupe_key=f"ocr:{ctx.event.platform}:{ctx.event.dedupe_key}",
        payload={
            "platform": ctx.event.platform,
            "sender_id": ctx.event.sender_id,
            "media_id": ctx.event.media_id,
            "rep_id": ctx.sender.id,
            "event_key": ctx.event.dedupe_key,
        },
        now=ctx.uow.clock.now(),
        cause=f"{ctx.event.platform}:{ctx.event.dedupe_key}",
    )


def present_extraction(
    uow: UnitOfWork,
    conversations: ConversationStore,
    payload: dict[str, Any],
    *,
    extracted: dict[str, Any] | None,
    photo_hash: str | None,
    problem: str | None,
    links: PageLinks | None = None,
) -> None:
    """Called by the OCR job with what the engine read (or why it could not)."""
    to = Target(payload["platform"], "user", payload["sender_id"])
    replies = Replies(uow.session, uow.clock, f"job:ocr:{payload['event_key']}")
    rep = uow.session.get(User, int(payload["rep_id"]))
    if rep is None:
        return
    if problem is not None:
        replies.text(to, UNREADABLE.get(problem, NOT_A_QUOTE))
        return
    if not extracted or not extracted.get("is_quote"):
        replies.text(to, NOT_A_QUOTE)
        return
    if photo_hash and quote_service.find_by_photo(uow, rep, photo_hash) is not None:
        replies.text(to, ALREADY)
        return
    customer = None
    if extracted.get("customer"):
        matches = [m for m in find_customers(uow, extracted["customer"]) if m.score >= 1.0]
        customer = matches[0].customer if len(matches) == 1 else None
    quote = quote_service.create_draft(uow, rep, customer, extracted, photo_hash)
    digest = hashlib.sha1(payload["event_key"].encode()).hexdigest()[:12]
    card = review_card(f"quote-{quote.id}-{digest}", quote, detail_url=review_link(uow, links, quote))
    replies.card(to, card, purpose="quote", entity=("quote", str(quote.id)))
    conversations.set(
        uow,
        payload["platform"],
        payload["sender_id"],
        new_state(QuoteStates.edit, quote_id=quote.id),
        DEFAULT_TIMEOUT,
    )


def review_link(uow: UnitOfWork, links: PageLinks | None, quote: Quote) -> str | None:
    """The quote page, signed for the rep who sent the photo (the card's only recipient)."""
    rep = uow.session.get(User, quote.rep_id) if links is not None else None
    if links is None or rep is None:
        return None
    return links.quote(rep.key, quote.id, uow.clock.now())


def refresh_after_page_edit(
    uow: UnitOfWork, replies: Replies, quote: Quote, links: PageLinks | None, changed: str
) -> None:
    """The rep corrected the quote on its H5 page: the card in chat shows the new values too."""
    record = cardstate.card_for_entity(uow.session, "quote", str(quote.id))
    if record is None:
        return
    card = review_card(
        record.card_id,
        quote,
        note=f"已在详情页修改：{changed}，请核对后确认",
        detail_url=review_link(uow, links, quote),
    )
    replies.update_card(card, status="open")


def _own_quote(ctx: HandlerContext, quote_id: int) -> Quote | None:
    quote = ctx.uow.session.get(Quote, quote_id)
    if quote is None or ctx.sender is None or quote.rep_id != ctx.sender.id:
        return None
    return quote


def _refresh(
    ctx: HandlerContext, quote: Quote, *, status: str | None = None, note: str | None = None
) -> None:
    record = cardstate.card_for_entity(ctx.uow.session, "quote", str(quote.id))
    if record is None:
        return
    card = review_card(
        record.card_id, quote, status=status, note=note, detail_url=review_link(ctx.uow, ctx.links, quote)
    )
    ctx.replies.update_card(card, status="decided" if status else "open")


def _tapped_quote(ctx: HandlerContext, quote_id: int) -> Quote | None:
    quote = _own_quote(ctx, quote_id)
    if quote is None:
        ctx.say("这张卡片已失效")
    return quote


@router.on(QuoteConfirm.filter())
def on_confirm(ctx: HandlerContext, key: QuoteConfirm) -> None:
    quote = _tapped_quote(ctx, key.quote_id)
    if quote is None:
        return
    quote_service.confirm(ctx.uow, quote)
    record = cardstate.card_for_entity(ctx.uow.session, "quote", str(quote.id))
    if record is not None:  # the card now offers 提交审批 (contract approval) for the confirmed quote
        link = review_link(ctx.uow, ctx.links, quote)
        ctx.replies.update_card(review_card(record.card_id, quote, confirmed=True, detail_url=link), status="open")
    ctx.clear_state()
    ctx.say(f"报价单已保存：{quote.customer.name if quote.customer else ''} ¥{quote.total or 0:,.2f}")


@router.on(QuoteVoid.filter())
def on_void(ctx: HandlerContext, key: QuoteVoid) -> None:
    quote = _tapped_quote(ctx, key.quote_id)
    if quote is None:
        return
    quote_service.void(ctx.uow, quote)
    _refresh(ctx, quote, status="已作废")
    ctx.clear_state()
    ctx.say("已作废这张报价单。")


@router.on(QuoteEdit.filter())
def on_edit_tap(ctx: HandlerContext, key: QuoteEdit) -> None:
    quote = _tapped_quote(ctx, key.quote_id)
    if quote is None:
        return
    ctx.set_state(new_state(QuoteStates.edit, quote_id=quote.id))
    ctx.say(EDIT_HINT)


def _quote_correction(ctx: HandlerContext) -> FilterResult:
    """「合计改成10万」, 「客户是苏州精工」: hands over what each pattern found (None when it found nothing)."""
    text = command_body(ctx.event.text)
    total, customer = TOTAL_RX.search(text), CUSTOMER_RX.search(text)
    return {"total_match": total, "customer_match": customer} if total or customer else None


@router.on(kind(EventKind.TEXT), state_is(QuoteStates.edit), _quote_correction)
def on_correction(
    ctx: HandlerContext,
    state: dict[str, Any],
    total_match: re.Match[str] | None,
    customer_match: re.Match[str] | None,
) -> None:
    quote = _own_quote(ctx, int(state["quote_id"]))
    if quote is None:
        ctx.clear_state()
        return
    total: Decimal | None = None
    customer: Customer | None = None
    if m := total_match:
        value = m.group("value").strip()
        total = parse_amount(value)
        located = find_amount(value) if total is None else None
        if located is not None and located[0] == 0:
            total = located[2]
        if total is None:
            ctx.say("金额看不懂，请这样写：合计改成 123456.00 或 合计改成 10万")
            return
    if m := customer_match:
        found = find_customers(ctx.uow, m.group("name").strip())
        if not found:
            ctx.say(f"没有找到客户「{m.group('name').strip()}」，请换个说法。")
            return
        customer = found[0].customer
    quote_service.correct(ctx.uow, quote, total=total, customer=customer)
    changed = "，".join(
        part
        for part in (
            f"合计 ¥{total:,.2f}" if total is not None else "",
            f"客户 {customer.name}" if customer else "",
        )
        if part
    )
    _refresh(ctx, quote, note=f"已修改：{changed}，请核对后确认")
    ctx.say(f"已修改：{changed}")
