"""08:30 on workdays: each manager's "昨日关键进展" for their team, one message per manager.

The team is the manager's direct reports (``users.manager_id``). "Yesterday"
is the previous workday and everything since: on Monday the digest covers
Friday to Sunday, after 国庆 it covers the whole holiday, so nothing done on
a day off goes unreported. It lists the period's visits (per rep), new
opportunities, stage changes, confirmed quotes and decided approvals, and the
team's open opportunities stuck in their stage for more than
``digest_stalled_days`` (3) days, longest first. Managers with nothing to
report get nothing.

Every figure is one grouped query over all managers at once (indexes on
``visits.visited_at``, ``stage_changes.changed_at`` / ``(opportunity_id,
changed_at)``, ``quotes.confirmed_at``); ``scan`` is what the bench times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from domain.clock import to_local
from domain.models import (
    STAGE_LABELS,
    ApprovalFlow,
    Contract,
    Customer,
    Opportunity,
    Quote,
    Role,
    Stage,
    StageChange,
    User,
    Visit,
)
from domain.rules import OPEN_STAGES
from domain.services.reports import day_start
from handlers.replies import user_target
from jobs.base import JobContext, JobSpec, register
from jobs.periods import report_key
from jobs.text import compose, md, yuan
from jobs.workdays import days_ago, previous_workday

DEFAULT_STALLED_DAYS = 3
LIST_LIMIT = 5  # items listed per section; the counts are always complete


@dataclass
class Digest:
    manager_id: int
    start: date  # first business day covered
    end: date  # last business day covered
    visits: dict[str, int] = field(default_factory=dict)  # rep name → visits
    new_opportunities: list[str] = field(default_factory=list)
    stage_changes: list[str] = field(default_factory=list)
    quotes: int = 0
    quotes_total: Decimal = Decimal(0)
    approvals: dict[str, int] = field(default_factory=dict)  # approved / rejected → count
    approval_lines: list[str] = field(default_factory=list)
    stalled_total: int = 0
    stalled: list[str] = field(default_factory=list)  # longest first, at most LIST_LIMIT

    @property
    def empty(self) -> bool:
        return not (
            self.visits
            or self.new_opportunities
            or self.stage_changes
            or self.quotes
            or self.approvals
            or self.stalled_total
        )


def period(now: datetime) -> tuple[date, date]:
    """(first, last) business day the digest of ``now`` covers: the previous workday up to yesterday."""
    today = to_local(now).date()
    return previous_workday(today), today - timedelta(days=1)


def scan(session: Session, now: datetime, options: Mapping[str, Any] | None = None) -> dict[int, Digest]:
    """Every active manager's digest for the period before ``now`` (see ``period``)."""
    options = options or {}
    first, last = period(now)
    lo, hi = day_start(first), day_start(last + timedelta(days=1))
    managers = select(User.id).where(User.role == Role.MANAGER, User.active.is_(True))
    rep = aliased(User)
    digests: dict[int, Digest] = {
        m: Digest(m, first, last)
        for m in session.scalars(select(User.id).where(User.role == Role.MANAGER, User.active.is_(True)))
    }
    if not digests:
        return {}

    # visits per rep
    for manager_id, name, n in session.execute(
        select(rep.manager_id, rep.name, func.count(Visit.id))
        .join(rep, rep.id == Visit.rep_id)
        .where(rep.manager_id.in_(managers), Visit.visited_at >= lo, Visit.visited_at < hi)
        .group_by(rep.manager_id, rep.id, rep.name)
        .order_by(rep.manager_id, func.count(Visit.id).desc(), rep.name)
    ):
        digests[manager_id].visits[name] = n

    # new opportunities and stage changes
    for manager_id, owner, customer, from_stage, to_stage in session.execute(
        select(rep.manager_id, rep.name, Customer.name, StageChange.from_stage, StageChange.to_stage)
        .join(Opportunity, Opportunity.id == StageChange.opportunity_id)
        .join(rep, rep.id == Opportunity.owner_id)
        .join(Customer, Customer.id == Opportunity.customer_id)
        .where(rep.manager_id.in_(managers), StageChange.changed_at >= lo, StageChange.changed_at < hi)
        .order_by(StageChange.changed_at, StageChange.id)
    ):
        d = digests[manager_id]
        if from_stage is None:
            d.new_opportunities.append(f"{owner} · {customer}（{STAGE_LABELS[Stage(to_stage)]}）")
        else:
            d.stage_changes.append(
                f"{owner} · {customer}：{STAGE_LABELS[Stage(from_stage)]}→{STAGE_LABELS[Stage(to_stage)]}"
            )

    # confirmed quotes
    for manager_id, n, total in session.execute(
        select(rep.manager_id, func.count(Quote.id), func.coalesce(func.sum(Quote.total), 0))
        .join(rep, rep.id == Quote.rep_id)
        .where(
            rep.manager_id.in_(managers),
            Quote.status == "confirmed",
            Quote.confirmed_at >= lo,
            Quote.confirmed_at < hi,
        )
        .group_by(rep.manager_id)
    ):
        digests[manager_id].quotes = n
        digests[manager_id].quotes_total = Decimal(str(total))

    # approvals decided
    for manager_id, status, number, customer, amount in session.execute(
        select(rep.manager_id, ApprovalFlow.status, Contract.number, Customer.name, Contract.amount)
        .join(Contract, Contract.id == ApprovalFlow.contract_id)
        .join(rep, rep.id == Contract.submitter_id)
        .join(Customer, Customer.id == Contract.customer_id)
        .where(
            rep.manager_id.in_(managers),
            ApprovalFlow.status.in_(["approved", "rejected"]),
            ApprovalFlow.decided_at >= lo,
            ApprovalFlow.decided_at < hi,
        )
        .order_by(ApprovalFlow.decided_at, ApprovalFlow.id)
    ):
        d = digests[manager_id]
        d.approvals[status] = d.approvals.get(status, 0) + 1
        verdict = "通过" if status == "approved" else "驳回"
        d.approval_lines.append(f"{customer} {yuan(amount)} {number or ''}".rstrip() + f"：{verdict}")

    # stalled: open opportunities whose current stage began before the cutoff, longest first
    # "超过 3 天": in the current stage since 4 or more calendar days
    cutoff = days_ago(now, int(options.get("digest_stalled_days", DEFAULT_STALLED_DAYS)) + 1)
    stage_since = func.coalesce(
        select(func.max(StageChange.changed_at))
        .where(StageChange.opportunity_id == Opportunity.id)
        .scalar_subquery(),
        Opportunity.created_at,
    )
    base = (
        select(
            Opportunity.id.label("id"),
            Opportunity.stage.label("stage"),
            rep.manager_id.label("manager_id"),
            rep.name.label("owner"),
            Customer.name.label("customer"),
            stage_since.label("since"),
        )
        .join(rep, rep.id == Opportunity.owner_id)
        .join(Customer, Customer.id == Opportunity.customer_id)
        .where(rep.manager_id.in_(managers), Opportunity.stage.in_([s.value for s in OPEN_STAGES]))
        .subquery()
    )
    ranked = (
        select(
            base,
            func.row_number().over(partition_by=base.c.manager_id, order_by=(base.c.since, base.c.id)).label("rn"),
            func.count().over(partition_by=base.c.manager_id).label("total"),
        )
        .where(base.c.since < cutoff)
        .subquery()
    )
    for row in session.execute(
        select(ranked).where(ranked.c.rn <= LIST_LIMIT).order_by(ranked.c.manager_id, ranked.c.rn)
    ):
        d = digests[row.manager_id]
        d.stalled_total = row.total
        days = (to_local(now).date() - to_local(row.since).date()).days  # calendar days, as people count
        d.stalled.append(f"{row.owner} · {row.customer}（{STAGE_LABELS[Stage(row.stage)]}，{days} 天）")
    return digests


def message(name: str, team: str | None, d: Digest, stalled_days: int = DEFAULT_STALLED_DAYS) -> str:
    when = f"昨日关键进展（{md(d.end)}）" if d.start == d.end else f"关键进展（{md(d.start)}–{md(d.end)}）"
    head = f"{name}，早上好！{team + ' ' if team else ''}{when}："
    visits_total = sum(d.visits.values())
    summary = []
    if visits_total:
        per_rep = "、".join(f"{n} {c}" for n, c in d.visits.items())
        summary.append(f"· 拜访 {visits_total} 次：{per_rep}")
    if d.quotes:
        summary.append(f"· 确认报价 {d.quotes} 份，合计 {yuan(d.quotes_total)}")
    if d.approvals:
        summary.append(
            f"· 审批完成 {sum(d.approvals.values())} 个：通过 {d.approvals.get('approved', 0)}、"
            f"驳回 {d.approvals.get('rejected', 0)}"
        )
    sections = [
        ("", summary),
        (f"· 新商机 {len(d.new_opportunities)} 个：", [f"  {x}" for x in d.new_opportunities[:LIST_LIMIT]]),
        (f"· 阶段变化 {len(d.stage_changes)} 个：", [f"  {x}" for x in d.stage_changes[:LIST_LIMIT]]),
        ("· 审批明细：", [f"  {x}" for x in d.approval_lines[:LIST_LIMIT]]),
        (
            f"· 停滞超过 {stalled_days} 天的商机 {d.stalled_total} 个，最久的：",
            [f"  {x}" for x in d.stalled],
        ),
    ]
    if not visits_total:
        sections.insert(0, ("", ["· 没有新的拜访记录"]))
    return compose(sections, head=head)


def run(ctx: JobContext) -> dict[str, Any]:
    session = ctx.uow.session
    digests = scan(session, ctx.occurrence, ctx.options)
    stalled_days = int(ctx.options.get("digest_stalled_days", DEFAULT_STALLED_DAYS))
    managers = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(digests))))} if digests else {}
    )
    told = quiet = 0
    day = to_local(ctx.occurrence).date().isoformat()
    for manager_id, d in sorted(digests.items()):
        if d.empty:
            quiet += 1
            continue
        manager = managers[manager_id]
        target = user_target(manager)
        if target is None:
            continue
        text = message(manager.name, manager.team.name if manager.team and manager.team.active else None, d, stalled_days)
        # one digest per business day and manager, however often or late the job runs that day
        ctx.replies.text(target, text, key=report_key("digest", day, "manager", manager_id))
        told += 1
    first, last = period(ctx.occurrence)
    return {"managers": told, "quiet": quiet, "from": first.isoformat(), "to": last.isoformat()}


SPEC = register(
    JobSpec(
        name="digest",
        run=run,
        cron={"hour": 8, "minute": 30},
        workdays_only=True,
        description="08:30 工作日：经理收到团队昨日关键进展（拜访、新商机、阶段变化、报价、审批、停滞商机）",
    )
)
