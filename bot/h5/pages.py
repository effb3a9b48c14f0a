"""The H5 pages: quote review, customers and their 360° view, the manager's dashboard.

Every page checks visibility with ``domain/services/pages.py``: a rep sees only
their own customers and quotes, a manager their team's, anything else is 403.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from bot.h5.site import Page, PageView, page
from bot.photos import store_from_settings
from domain.clock import local_today
from domain.errors import DomainError
from domain.links import customer_path, quote_path
from domain.models import Customer, Quote, Team, User
from domain.money import money_problem, parse_amount
from domain.services import pages as views
from domain.services import quotes as quote_service
from handlers.quotes import refresh_after_page_edit

log = logging.getLogger("salesbot.h5")

QUOTE_STATUS = {"draft": "待确认", "confirmed": "已确认", "void": "已作废"}
QUOTE_NUMBER_MAX = 64  # quotes.number is String(64)


# ------------------------------------------------------------------ quotes
def _quote_for(view: PageView, quote_id: int) -> Quote:
    quote = view.uow.session.get(Quote, quote_id)
    if quote is None:
        view.not_found("报价单")
    if not views.can_see_quote(view.uow, view.viewer, quote):
        view.deny("这张报价单不属于你或你的团队。")
    return quote


def _quote_page(view: PageView, quote: Quote, *, error: str | None = None, status: int = 200) -> Page:
    ex: dict[str, Any] = quote.extracted or {}
    editable = quote.status == "draft" and quote.rep_id == view.viewer.id
    customers = views.visible_customers(view.uow, view.viewer) if editable else []
    if quote.customer is not None and quote.customer not in customers:
        customers.insert(0, quote.customer)
    customer_link = None
    if quote.customer is not None and views.can_see_customer(view.uow, view.viewer, quote.customer):
        customer_link = customer_path(quote.customer.id)
    rep = view.uow.session.get(User, quote.rep_id)
    photo = ex.get("photo") or None
    return Page(
        "quote.html",
        "报价单详情",
        {
            "quote": quote,
            "rep": rep,
            "ex": ex,
            "overlay": ex.get("ocr") if photo else None,
            "photo_url": f"{quote_path(quote.id)}/photo" if photo else None,
            "checks": views.quote_checks(quote),
            "ocr_checks": ex.get("checks") or {},
            "editable": editable,
            "customers": customers,
            "customer_link": customer_link,
            "status_label": QUOTE_STATUS.get(quote.status, quote.status),
            "saved": view.query.get("saved") == "1",
            "error": error,
            "form": view.form,
        },
        status,
    )


@page("/h5/quotes/{quote_id:int}")
def quote_review(view: PageView, quote_id: int) -> Page:
    return _quote_page(view, _quote_for(view, quote_id))


@page("/h5/quotes/{quote_id:int}", methods=("POST",))
def quote_save(view: PageView, quote_id: int) -> Page | Response:
    """Save corrected fields through ``quotes.correct`` and update the card in chat to match."""
    quote = _quote_for(view, quote_id)
    if quote.rep_id != view.viewer.id:
        view.deny("只有上传这张报价单的销售可以修改。")
    form = view.form
    changes: dict[str, Any] = {}
    described: list[str] = []
    try:
        total_text = form.get("total", "").strip()
        if total_text:
            # A plain number is taken as typed (so 1e30, -5 or 12.345 are refused, not rounded);
            # anything else is read as in chat (domain.money.parse_amount): "10万" is ¥100,000.00 here too.
            try:
                total = Decimal(total_text.replace(",", "").replace("，", "").replace("¥", ""))
            except InvalidOperation:
                parsed = parse_amount(total_text)
                if parsed is None:
                    raise
                total = parsed
            problem = money_problem(total)  # 1e30 or 1,000 digits: a clear 400, never a 500 or a stored value
            if problem is not None:
                return _quote_page(view, quote, error=problem, status=400)
            if total != quote.total:
                changes["total"] = total
                described.append(f"合计 ¥{total:,.2f}")
    except InvalidOperation:
        return _quote_page(view, quote, error="合计请填写数字，例如 123456.00", status=400)
    number = form.get("number", "").strip()
    if len(number) > QUOTE_NUMBER_MAX:
        return _quote_page(view, quote, error=f"单号最多 {QUOTE_NUMBER_MAX} 个字符", status=400)
    if number and number != (quote.number or ""):
        changes["number"] = number
        described.append(f"单号 {number}")
    date_text = form.get("quote_date", "").strip()
    if date_text:
        try:
            quote_date = date.fromisoformat(date_text)
        except ValueError:
            return _quote_page(view, quote, error="日期格式应为 2026-11-25", status=400)
        if quote_date != quote.quote_date:
            changes["quote_date"] = quote_date
            described.append(f"日期 {quote_date.isoformat()}")
    customer_id = form.get("customer_id", "").strip()
    if customer_id and customer_id.isdigit() and int(customer_id) != quote.customer_id:
        customer = view.uow.session.get(Customer, int(customer_id))
        if customer is None or not views.can_see_customer(view.uow, view.viewer, customer):
            return _quote_page(view, quote, error="请选择你自己的客户", status=400)
        changes["customer"] = customer
        described.append(f"客户 {customer.name}")
    if not changes:
        return view.back_here(saved="1")
    try:
        quote_service.correct(view.uow, quote, **changes)
        refresh_after_page_edit(view.uow, view.replies(f"quote:{quote.id}"), quote, view.links, "，".join(described))
        view.uow.commit()
    except DomainError as exc:
        view.uow.rollback()
        return _quote_page(view, view.uow.session.get(Quote, quote_id) or quote, error=exc.message, status=409)
    view.wake()
    return view.back_here(saved="1")


@page("/h5/quotes/{quote_id:int}/photo")
def quote_photo(view: PageView, quote_id: int) -> Response:
    """The photo the rep sent: from our photo store, or (quotes read before it) the platform's media."""
    quote = _quote_for(view, quote_id)
    photo = (quote.extracted or {}).get("photo") or {}
    stored = photo.get("stored")
    data = store_from_settings(view.runtime.settings.photo_dir).get(str(stored)) if stored else None
    if data is None:
        channel = view.runtime.channels.get(str(photo.get("platform")))
        if channel is None or not photo.get("media_id"):
            return Response(status_code=404)
        try:
            data = channel.download(str(photo["media_id"]))
        except Exception:  # noqa: BLE001 - expired or unknown media: the page says the photo is gone
            log.info("quote photo unavailable", extra={"quote_id": quote.id}, exc_info=True)
            return Response(status_code=404)
    kind = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    return Response(data, media_type=kind, headers={"Cache-Control": "private, max-age=600"})


# ------------------------------------------------------------------ customers
@page("/h5/customers")
def customer_list(view: PageView) -> Page:
    if views.scope_user_ids(view.uow, view.viewer) == set():
        view.deny("你的角色没有客户列表。合同和审批请从聊天中的卡片进入。")
    page = int(view.query.get("page") or 1) if str(view.query.get("page") or "1").isdigit() else 1
    customers, total = views.visible_customers_page(view.uow, view.viewer, max(page, 1))
    pages = max(1, -(-total // views.CUSTOMER_PAGE_SIZE))
    return Page(
        "customers.html",
        "我的客户",
        {"customers": customers, "total": total, "page": max(page, 1), "pages": pages},
    )


@page("/h5/customers/{customer_id:int}")
def customer_detail(view: PageView, customer_id: int) -> Page:
    customer = view.uow.session.get(Customer, customer_id)
    if customer is None:
        view.not_found("客户")
    if not views.can_see_customer(view.uow, view.viewer, customer):
        view.deny("这个客户不是你（或你的团队）负责的。")
    data = views.customer_360(view.uow, customer)
    visible_quotes = {q.id for q in data.quotes if views.can_see_quote(view.uow, view.viewer, q)}
    # who changed what about this customer and its visits, deals, quotes, contracts (the page's own scope)
    from domain.services.audit_trail import customer_entities, trail

    history = trail(view.uow.session, entities=customer_entities(view.uow.session, customer.id), limit=30)
    return Page(
        "customer.html",
        customer.name,
        {"c": data, "customer": customer, "quote_links": visible_quotes, "now": view.now, "history": history[::-1]},
    )


# ------------------------------------------------------------------ dashboard
def _teams_of(view: PageView, scope: set[int] | None) -> list[Team]:
    s = view.uow.session
    live = Team.active.is_(True)  # a team retired with its deleted department has no board
    if scope is None:
        return list(s.scalars(select(Team).where(live).order_by(Team.id)))
    team_ids = set(s.scalars(select(User.team_id).where(User.id.in_(scope), User.team_id.is_not(None))))
    return list(s.scalars(select(Team).where(Team.id.in_(team_ids), live).order_by(Team.id))) if team_ids else []


def _leaderboards(view: PageView, teams: list[Team]) -> tuple[Any, list[Any]]:
    """Last week's boards (``domain/services/leaderboard.py``), the same numbers as the Monday message."""
    from domain.services.leaderboard import IsoWeek, team_leaderboards

    week = IsoWeek.containing(local_today(view.uow.clock)).previous()
    return week, team_leaderboards(view.uow, week, teams)


@page("/h5/dashboard")
def dashboard(view: PageView) -> Page:
    if not views.may_manage(view.viewer):
        view.deny("团队看板只对销售经理和区域总监开放。")
    scope = views.scope_user_ids(view.uow, view.viewer)
    funnel = views.funnel(view.uow, scope)
    top = max((row.amount for row in funnel), default=Decimal(0)) or Decimal(1)
    week, boards = _leaderboards(view, _teams_of(view, scope))
    return Page(
        "dashboard.html",
        "团队看板",
        {
            "funnel": funnel,
            "funnel_top": top,
            "funnel_total": sum((r.count for r in funnel), 0),
            "stalled": views.stalled_opportunities(view.uow, scope, view.now),
            "overdue": views.overdue_approvals(view.uow, scope, view.now),
            "week": week,
            "boards": boards,
        },
    )
