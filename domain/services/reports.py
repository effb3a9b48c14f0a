"""Read models for the chat commands: my to-dos, a customer at a glance, my week."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, selectinload

from domain.clock import BUSINESS_TZ
from domain.models import ApprovalStep, Contact, Customer, Opportunity, Quote, User, Visit
from domain.rules import OPEN_STAGES
from domain.services.deals import won_amounts
from domain.services.reminders import followup_done
from domain.uow import UnitOfWork


def day_start(day: date) -> datetime:
    """Midnight of a business day, as an aware instant."""
    return datetime.combine(day, time.min, tzinfo=BUSINESS_TZ)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class FollowUp:
    visit: Visit
    customer_name: str
    due: date


@dataclass
class Todo:
    due_today: list[FollowUp] = field(default_factory=list)
    overdue: list[FollowUp] = field(default_factory=list)
    approvals: list[ApprovalStep] = field(default_factory=list)


def follow_ups(uow: UnitOfWork, rep: User, today: date) -> Todo:
    """A visit's follow-up date is open until a later visit to the same customer happens."""
    s = uow.session
    todo = Todo()
    later = aliased(Visit)
    newer_visit = (
        select(later.id)
        .where(later.customer_id == Visit.customer_id, later.visited_at > Visit.visited_at, later.id != Visit.id)
        .exists()
    )
    # One query (the "is there a later visit?" check inside it) plus one for the customers' names:
    # the card costs the same however many visits and customers there are.
    visits = s.scalars(
        select(Visit)
        .where(
            Visit.rep_id == rep.id,
            Visit.next_follow_up.is_not(None),
            Visit.next_follow_up <= today,
            ~newer_visit,
            ~followup_done(Visit.id),  # 已跟进 on a reminder card
        )
        .options(selectinload(Visit.customer))
        .order_by(Visit.next_follow_up, Visit.id)
    )
    seen: set[int | None] = set()
    for v in visits:
        if v.customer_id in seen:
            continue
        assert v.next_follow_up is not None
        item = FollowUp(v, v.customer.name if v.customer else "（未指定客户）", v.next_follow_up)
        (todo.due_today if v.next_follow_up == today else todo.overdue).append(item)
        seen.add(v.customer_id)
    todo.approvals = list(
        s.scalars(
            select(ApprovalStep)
            .where(ApprovalStep.assignee_id == rep.id, ApprovalStep.status == "pending")
            .order_by(ApprovalStep.due_at)
        )
    )
    return todo


@dataclass
class CustomerOverview:
    customer: Customer
    visits: list[Visit]
    opportunities: list[Opportunity]
    latest_quote: Quote | None
    contacts: list[Contact] = field(default_factory=list)  # the newest few: whom to call


def customer_overview(uow: UnitOfWork, customer: Customer) -> CustomerOverview:
    s = uow.session
    visits = list(
        s.scalars(
            select(Visit).where(Visit.customer_id == customer.id).order_by(Visit.visited_at.desc()).limit(3)
        )
    )
    opps = list(
        s.scalars(
            select(Opportunity)
            .where(
                Opportunity.customer_id == customer.id,
                Opportunity.stage.in_([st.value for st in OPEN_STAGES]),
            )
            .order_by(Opportunity.last_touched_at.desc())
        )
    )
    quote = s.scalar(
        select(Quote)
        .where(Quote.customer_id == customer.id, Quote.status == "confirmed")
        .order_by(Quote.created_at.desc())
        .limit(1)
    )
    contacts = list(
        s.scalars(
            select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.created_at.desc()).limit(2)
        )
    )
    return CustomerOverview(customer, visits, opps, quote, contacts)


@dataclass(frozen=True)
class WeekNumbers:
    visits: int
    new_opportunities: int
    won_amount: Decimal


def week_numbers(uow: UnitOfWork, rep: User, start: date, end: date) -> WeekNumbers:
    """Counts for [start, end) in business days."""
    s = uow.session
    lo, hi = day_start(start), day_start(end)
    visits = s.scalar(
        select(func.count())
        .select_from(Visit)
        .where(Visit.rep_id == rep.id, Visit.visited_at >= lo, Visit.visited_at < hi)
    )
    new_opps = s.scalar(
        select(func.count())
        .select_from(Opportunity)
        .where(Opportunity.owner_id == rep.id, Opportunity.created_at >= lo, Opportunity.created_at < hi)
    )
    # 成交金额 = approved contract amounts (domain.services.deals), as on the leaderboard.
    won = won_amounts(s, [rep.id], [(lo, hi)]).get(rep.id, [Decimal("0.00")])[0]
    return WeekNumbers(int(visits or 0), int(new_opps or 0), won)


def my_week(uow: UnitOfWork, rep: User, today: date) -> tuple[WeekNumbers, WeekNumbers]:
    """This week so far (Monday to today) and the whole of last week."""
    monday = week_start(today)
    this = week_numbers(uow, rep, monday, today + timedelta(days=1))
    last = week_numbers(uow, rep, monday - timedelta(days=7), monday)
    return this, last
