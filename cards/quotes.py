"""The quote review card: what OCR read, whether the arithmetic agrees, and 确认 / 修改 / 作废."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cards.keys import QuoteConfirm, QuoteEdit, QuoteSubmit, QuoteVoid
from cards.model import Button, Card, Field, Link
from domain.models import Quote
from domain.services.pages import quote_checks

SHOWN_LINES = 3


def _yuan(value: Decimal | None) -> str:
    return "—" if value is None else f"¥{value:,.2f}"


def _check(ok: bool | None) -> str:
    # The same marks and words as the quote page (bot/h5/templates/quote.html via QuoteChecks).
    return {True: "✓ 一致", False: "✗ 不一致，请核对", None: "? 无法核对"}[ok]


def review_card(
    card_id: str,
    quote: Quote,
    *,
    status: str | None = None,
    note: str | None = None,
    confirmed: bool = False,
    detail_url: str | None = None,
) -> Card:
    """The review card; once ``confirmed`` it offers 提交审批 instead of 确认 / 修改 / 作废.

    ``detail_url`` is the signed quote page (the photo with the OCR boxes, editable fields)
    when H5 pages are on; it shows as a 查看详情 line.
    """
    ex: dict[str, Any] = quote.extracted or {}
    # Recomputed from the quote as it stands (after any edit in chat or on the page),
    # never the OCR-time result: the card and the page must say the same thing.
    checks = quote_checks(quote)
    lines = quote.lines
    fields = [
        Field("客户", quote.customer.name if quote.customer else f"{ex.get('customer') or '未识别'}（请确认）"),
        Field("单号 / 日期", f"{quote.number or '—'} / {quote.quote_date.isoformat() if quote.quote_date else '—'}"),
        Field("合计", _yuan(quote.total)),
        Field("大写", f"{quote.total_uppercase or '—'}  {_check(checks.upper_matches_total)}"),
        Field("明细合计", f"{len(lines)} 行  {_check(checks.lines_sum_matches_total)}"),
        Field("可信度", f"{round(float(ex.get('confidence') or 0) * 100)}%"),
    ]
    owner = quote.customer.owner if quote.customer is not None else None
    if owner is not None and quote.customer is not None and quote.customer.owner_id != quote.rep_id:
        fields.insert(1, Field("客户归属", f"{owner.name} 的客户（报价记在你名下）"))
    shown = [
        f"{ln.name} {ln.model or ''} × {format(ln.quantity.normalize(), 'f') if ln.quantity is not None else '?'} = {_yuan(ln.amount)}"
        for ln in lines[:SHOWN_LINES]
    ]
    if len(lines) > SHOWN_LINES:
        shown.append(f"……另有 {len(lines) - SHOWN_LINES} 行")
    return Card(
        title="报价单识别结果",
        card_id=card_id,
        subtitle=note
        or ("已确认保存 · 签约后点「提交审批」发起合同审批" if confirmed else "请核对后点「确认」保存；有误请点「修改」"),
        fields=fields,
        quote_text="\n".join(shown) or None,
        buttons=[Button("提交审批", QuoteSubmit(quote.id).pack(), "primary")]
        if confirmed
        else [
            Button("确认", QuoteConfirm(quote.id).pack(), "primary"),
            Button("修改", QuoteEdit(quote.id).pack()),
            Button("作废", QuoteVoid(quote.id).pack(), "danger"),
        ],
        status=status,
        link=Link("查看详情", detail_url) if detail_url else None,
    )
