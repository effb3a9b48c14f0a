"""Read-only views for the H5 pages: who may see what, a customer at 360°, a team's funnel.

Why a separate module: the pages show more than a chat card (every contact,
every opportunity, a whole team) and must apply one visibility rule the same
way everywhere -- a rep sees their own customers, a manager their team's, a
director everything below them. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from domain.models import (
    STAGE_LABELS,
    ApprovalFlow,
    ApprovalStep,
    AuditEntry,
    Contact,
    Contract,
    Customer,
    Opportunity,
    Quote,
    Role,
    Stage,
    User,
    Visit,
)
from domain.money import parse_upper_amount
from domain.rules import OPEN_STAGES
from domain.uow import UnitOfWork

STALLED_AFTER = timedelta(days=7)
FUNNEL_STAGES = (Stage.LEAD, Stage.EVALUATION, Stage.NEGOTIATION, Stage.WON, Stage.LOST)
MANAGING_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})


# ------------------------------------------------------------------ who sees what
def scope_user_ids(uow: UnitOfWork, viewer: User) -> set[int] | None:
    """Whose records ``viewer`` may see; ``None`` means everyone's (admin).

    rep → themself; manager → themself, their team and everyone reporting to them
    (transitively); director → themself and everyone below them; legal and finance →
    nobody's customers (their pages are contracts and approvals).
    """
    role = Role(viewer.role)
    if role == Role.ADMIN:
        return None
    if role == Role.REP:
        return {viewer.id}
    if role not in (Role.MANAGER, Role.DIRECTOR):
        return set()
    ids = {viewer.id}
    if role == Role.MANAGER and viewer.team_id is not None:
        ids |= set(uow.session.scalars(select(User.id).where(User.team_id == viewer.team_id)))
    frontier = [viewer.id]
    while frontier:
        below = set(uow.session.scalars(select(User.id).where(User.manager_id.in_(frontier)))) - ids
        ids |= below
        frontier = list(below)
    return ids


def may_manage(viewer: User) -> bool:
    """The dashboard is for people who lead others."""
    return Role(viewer.role) in MANAGING_ROLES


def can_see_customer(uow: UnitOfWork, viewer: User, customer: Customer) -> bool:
    scope = scope_user_ids(uow, viewer)
    return scope is None or customer.owner_id in scope


def can_see_quote(uow: UnitOfWork, viewer: User, quote: Quote) -> bool:
    """The rep who sent the photo, and whoever may see that rep's or the customer's records."""
    if quote.rep_id == viewer.id:
        return True
    scope = scope_user_ids(uow, viewer)
    if scope is None or quote.rep_id in scope:
        return True
    return quote.customer is not None and quote.customer.owner_id in scope


def visible_customers(uow: UnitOfWork, viewer: User) -> list[Customer]:
    """Customers in the viewer's scope, most recently active first."""
    scope = scope_user_ids(uow, viewer)
    query = select(Customer)
    if scope is not None:
        query = query.where(Customer.owner_id.in_(scope or {-1}))
    customers = list(uow.session.scalars(query))
    return sorted(customers, key=lambda c: (c.last_interaction_at or c.created_at, c.id), reverse=True)


CUSTOMER_PAGE_SIZE = 50


def visible_customers_page(
    uow: UnitOfWork, viewer: User, page: int = 1, size: int = CUSTOMER_PAGE_SIZE
) -> tuple[list[Customer], int]:
    """One page of ``visible_customers`` (same scope and order) and the total count.

    Sorted and cut in SQL, owners loaded in one more query: a page costs the same
    with 100 customers or 100,000.
    """
    scope = scope_user_ids(uow, viewer)
    where = [] if scope is None else [Customer.owner_id.in_(scope or {-1})]
    total = uow.session.scalar(select(func.count()).select_from(Customer).where(*where)) or 0
    recent = func.coalesce(Customer.last_interaction_at, Customer.created_at)
    query = (
        select(Customer)
        .where(*where)
        .options(selectinload(Customer.owner))
        .order_by(recent.desc(), Customer.id.desc())
        .limit(size)
        .offset(max(page - 1, 0) * size)
    )
    return list(uow.session.scalars(query)), int(total)


# ------------------------------------------------------------------ customer 360°
@dataclass
class Customer360:
    customer: Customer
    contacts: list[Contact]
    opportunities: list[Opportunity]  # open first, then closed, most recent first
    visits: list[Visit]
    quotes: list[Quote]
    contracts: list[Contract]


def customer_360(uow: UnitOfWork, customer: Customer, visits: int = 10, quotes: int = 10) -> Customer360:
    s = uow.session
    opps = list(
        s.scalars(
            select(Opportunity)
            .where(Opportunity.customer_id == customer.id)
            .order_by(Opportunity.last_touched_at.desc(), Opportunity.id.desc())
        )
    )
    open_values = {st.value for st in OPEN_STAGES}
    opps.sort(key=lambda o: o.stage not in open_values)  # stable: open ones first
    return Customer360(
        customer=customer,
        contacts=list(customer.contacts),
        opportunities=opps,
        visits=list(
            s.scalars(
                select(Visit)
                .where(Visit.customer_id == customer.id)
                .order_by(Visit.visited_at.desc(), Visit.id.desc())
                .limit(visits)
            )
        ),
        quotes=list(
            s.scalars(
                select(Quote)
                .where(Quote.customer_id == customer.id, Quote.status != "void")
                .order_by(Quote.created_at.desc(), Quote.id.desc())
                .limit(quotes)
            )
        ),
        contracts=list(
            s.scalars(
                select(Contract).where(Contract.customer_id == customer.id).order_by(Contract.created_at.desc())
            )
        ),
    )


# ------------------------------------------------------------------ quote checks
@dataclass(frozen=True)
class QuoteChecks:
    """The arithmetic on the quote as it stands now (after any correction), not as OCR read it.

    Each check is True (agrees), False (disagrees) or None (cannot tell: a value is missing).
    """

    upper_matches_total: bool | None
    lines_sum_matches_total: bool | None
    lines_sum: Decimal | None
    line_checks: list[bool | None]

    @property
    def upper_text(self) -> str:
        """The words next to the 大写 mark, the same on the chat card and the quote page."""
        return {True: "大写金额与合计一致", False: "大写金额与合计不一致，请核对", None: "无法核对大写金额"}[
            self.upper_matches_total
        ]

    @property
    def lines_text(self) -> str:
        """The words next to the lines-sum mark, the same on the chat card and the quote page."""
        shown = "—" if self.lines_sum is None else f"¥{self.lines_sum:,.2f}"
        return {
            True: f"明细合计 {shown} 与合计一致",
            False: f"明细合计 {shown} 与合计不一致，请核对",
            None: "无法核对明细合计",
        }[self.lines_sum_matches_total]


def quote_checks(quote: Quote) -> QuoteChecks:
    total = quote.total
    upper = parse_upper_amount(quote.total_uppercase) if quote.total_uppercase else None
    upper_ok = None if total is None or upper is None else upper == total
    amounts = [ln.amount for ln in quote.lines]
    lines_sum = sum((a for a in amounts if a is not None), Decimal("0")) if amounts else None
    sum_ok = (
        None
        if total is None or not amounts or any(a is None for a in amounts)
        else lines_sum == total
    )
    line_checks: list[bool | None] = []
    for ln in quote.lines:
        if ln.quantity is None or ln.unit_price is None or ln.amount is None:
            line_checks.append(None)
        else:
            line_checks.append((ln.quantity * ln.unit_price).quantize(Decimal("0.01")) == ln.amount)
    return QuoteChecks(upper_ok, sum_ok, lines_sum, line_checks)


# ------------------------------------------------------------------ manager dashboard
@dataclass(frozen=True)
class FunnelRow:
    stage: Stage
    label: str
    count: int
    amount: Decimal


def funnel(uow: UnitOfWork, owner_ids: set[int] | None) -> list[FunnelRow]:
    """Opportunities by their current stage: how many and how much, in funnel order."""
    query = select(Opportunity.stage, func.count(), func.coalesce(func.sum(Opportunity.amount), 0)).group_by(
        Opportunity.stage
    )
    if owner_ids is not None:
        query = query.where(Opportunity.owner_id.in_(owner_ids or {-1}))
    found = {stage: (int(n), Decimal(str(total or 0))) for stage, n, total in uow.session.execute(query)}
    rows = []
    for stage in FUNNEL_STAGES:
        n, total = found.get(stage.value, (0, Decimal("0")))
        rows.append(FunnelRow(stage, STAGE_LABELS[stage], n, total.quantize(Decimal("0.01"))))
    return rows


@dataclass(frozen=True)
class Stalled:
    opportunity: Opportunity
    idle_days: int


def stalled_opportunities(
    uow: UnitOfWork, owner_ids: set[int] | None, now: datetime, after: timedelta = STALLED_AFTER
) -> list[Stalled]:
    """Open opportunities nobody touched for ``after`` (7 days by default), longest idle first."""
    query = select(Opportunity).where(
        Opportunity.stage.in_([s.value for s in OPEN_STAGES]), Opportunity.last_touched_at < now - after
    )
    if owner_ids is not None:
        query = query.where(Opportunity.owner_id.in_(owner_ids or {-1}))
    opps = uow.session.scalars(query.order_by(Opportunity.last_touched_at, Opportunity.id))
    return [Stalled(o, (now - o.last_touched_at).days) for o in opps]


def overdue_approvals(uow: UnitOfWork, user_ids: set[int] | None, now: datetime) -> list[ApprovalStep]:
    """Pending approval steps past their due time that concern the scope (as submitter or approver)."""
    query = (
        select(ApprovalStep)
        .join(ApprovalFlow, ApprovalStep.flow_id == ApprovalFlow.id)
        .join(Contract, ApprovalFlow.contract_id == Contract.id)
        .where(ApprovalStep.status == "pending", ApprovalStep.due_at.is_not(None), ApprovalStep.due_at < now)
    )
    if user_ids is not None:
        ids = user_ids or {-1}
        query = query.where(or_(Contract.submitter_id.in_(ids), ApprovalStep.assignee_id.in_(ids)))
    return list(uow.session.scalars(query.order_by(ApprovalStep.due_at)))


# ------------------------------------------------------------------ contracts
def can_see_contract(uow: UnitOfWork, viewer: User, contract: Contract) -> bool:
    """The submitter, everyone in its approval chain (and their delegates), and the submitter's managers."""
    from domain.services.approvals import delegators_of, flow_of

    if contract.submitter_id == viewer.id:
        return True
    flow = flow_of(uow.session, contract)
    involved = {contract.submitter_id}
    for step in flow.steps:
        involved |= {i for i in (step.assignee_id, step.escalated_to_id, step.decided_by_id) if i is not None}
    if viewer.id in involved:
        return True
    if set(delegators_of(uow.session, viewer, uow.clock.now().date())) & involved:
        return True
    scope = scope_user_ids(uow, viewer)
    return scope is None or contract.submitter_id in scope


def contract_history(uow: UnitOfWork, contract: Contract) -> list[AuditEntry]:
    """What happened to the contract and its approval, oldest first (from the audit log)."""
    from domain.services.approvals import rounds_of

    keys = [("contract", str(contract.id))]
    for flow in rounds_of(uow.session, contract):  # every round: a resubmission keeps the old reasons
        keys.append(("approval_flow", str(flow.id)))
        keys += [("approval_step", str(step.id)) for step in flow.steps]
    clauses = [(AuditEntry.entity_type == t) & (AuditEntry.entity_id == i) for t, i in keys]
    return list(uow.session.scalars(select(AuditEntry).where(or_(*clauses)).order_by(AuditEntry.at, AuditEntry.id)))
