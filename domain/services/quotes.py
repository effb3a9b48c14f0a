"""Quotes read from photos: a draft the rep confirms, corrects or voids.

OCR output is never final: the draft keeps what was read (``extracted``) and
only 确认 makes it a confirmed quote, linked to the customer's open
opportunity (whose amount follows the quote when it had none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from domain.errors import InvalidTransition, ValidationFailed
from domain.models import Customer, Quote, QuoteLine, User
from domain.money import money_problem
from domain.services.customers import touch_customer
from domain.services.opportunities import open_opportunity_of, touch_opportunity, update_opportunity
from domain.snapshot import snapshot
from domain.uow import UnitOfWork

QUOTE_FIELDS = ("number", "customer_id", "opportunity_id", "status", "quote_date", "total", "total_uppercase")


@dataclass(frozen=True)
class LineInput:
    name: str
    model: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal | None


def _dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def lines_from_extraction(extracted: dict[str, Any]) -> list[LineInput]:
    return [
        LineInput(
            name=str(line.get("name") or ""),
            model=line.get("model") or None,
            quantity=_dec(line.get("qty")),
            unit_price=_dec(line.get("unit_price")),
            amount=_dec(line.get("amount")),
        )
        for line in extracted.get("lines", [])
    ]


def find_by_photo(uow: UnitOfWork, rep: User, photo_hash: str) -> Quote | None:
    return uow.session.scalar(
        select(Quote).where(Quote.rep_id == rep.id, Quote.photo_hash == photo_hash, Quote.status != "void")
    )


def create_draft(
    uow: UnitOfWork, rep: User, customer: Customer | None, extracted: dict[str, Any], photo_hash: str | None
) -> Quote:
    quote = Quote(
        number=extracted.get("quote_no"),
        customer_id=customer.id if customer else None,
        rep_id=rep.id,
        status="draft",
        quote_date=date.fromisoformat(extracted["date"]) if extracted.get("date") else None,
        total=_dec(extracted.get("total")),
        total_uppercase=extracted.get("total_upper"),
        extracted=extracted,
        photo_hash=photo_hash,
        created_at=uow.clock.now(),
    )
    for i, line in enumerate(lines_from_extraction(extracted), start=1):
        quote.lines.append(
            QuoteLine(
                position=i,
                name=line.name,
                model=line.model,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
            )
        )
    uow.session.add(quote)
    uow.flush()
    uow.audit("quote.draft", "quote", quote.id, None, snapshot(quote, QUOTE_FIELDS))
    return quote


def _editable(quote: Quote) -> None:
    if quote.status != "draft":
        label = {"confirmed": "已确认", "void": "已作废"}.get(quote.status, quote.status)
        raise InvalidTransition(f"这张报价单{label}，不能再修改")


def correct(
    uow: UnitOfWork,
    quote: Quote,
    *,
    total: Decimal | None = None,
    customer: Customer | None = None,
    number: str | None = None,
    quote_date: date | None = None,
) -> Quote:
    """The rep's 修改 ("合计改成 123456", "客户是苏州精工", or the fields of the quote page)."""
    _editable(quote)
    before = snapshot(quote, QUOTE_FIELDS)
    if total is not None:
        problem = money_problem(total)  # also "合计改成 1e30" by chat (issue #19)
        if problem is not None:
            raise ValidationFailed("合计不能为负数" if total < 0 else problem)
        quote.total = total
    if customer is not None:
        quote.customer_id = customer.id
        quote.customer = customer
    if number is not None:
        quote.number = number.strip() or None
    if quote_date is not None:
        quote.quote_date = quote_date
    uow.flush()
    uow.audit("quote.correct", "quote", quote.id, before, snapshot(quote, QUOTE_FIELDS))
    return quote


def confirm(uow: UnitOfWork, quote: Quote) -> Quote:
    """Save the quote for good and link it to the rep's own open opportunity on the customer.

    On a customer another rep owns, a colleague's opportunity is never touched: the
    quote links to the rep's own opportunity when there is one (a contract creates
    it otherwise, ``domain.services.deals``).
    """
    _editable(quote)
    if quote.customer is None:
        raise InvalidTransition("请先告诉我客户是哪家，例如回复：客户是苏州精工")
    before = snapshot(quote, QUOTE_FIELDS)
    quote.status = "confirmed"
    quote.confirmed_at = uow.clock.now()
    rep = uow.session.get(User, quote.rep_id)
    opp = open_opportunity_of(uow, quote.customer, owner=rep)
    if opp is not None:
        quote.opportunity_id = opp.id
        if opp.amount is None and quote.total is not None:
            update_opportunity(uow, opp, amount=quote.total)
        touch_opportunity(uow, opp)
    touch_customer(uow, quote.customer)
    uow.flush()
    uow.audit("quote.confirm", "quote", quote.id, before, snapshot(quote, QUOTE_FIELDS))
    return quote


def void(uow: UnitOfWork, quote: Quote) -> Quote:
    _editable(quote)
    before = snapshot(quote, QUOTE_FIELDS)
    quote.status = "void"
    uow.flush()
    uow.audit("quote.void", "quote", quote.id, before, snapshot(quote, QUOTE_FIELDS))
    return quote
