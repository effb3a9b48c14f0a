"""Every day at 08:00: customers with no visit or interaction for 14 days become 休眠.

An interaction is what ``touch_customer`` records (a visit, a confirmed
quote) in ``customers.last_interaction_at``; a customer never interacted
with counts from its creation. Visits are checked too, so visits loaded in
bulk without touching the customer still count. The customer gets
``status = dormant`` and ``dormant_since``, each change is audited, and each
owner gets ONE message listing their newly dormant customers. The next visit
wakes the customer (``domain.services.customers.touch_customer``).

Runs every day, not only on workdays: dormancy is a fact about the calendar,
and the owner hears about it the same morning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from domain.clock import to_local
from domain.models import Customer, CustomerStatus, User, Visit
from domain.services.customers import mark_dormant_many
from handlers.replies import user_target
from jobs.base import JobContext, JobSpec, register
from jobs.text import compose, md
from jobs.workdays import days_ago

DEFAULT_DORMANT_DAYS = 14


@dataclass(frozen=True)
class DormantCandidate:
    customer_id: int
    name: str
    owner_id: int | None
    last_contact: datetime | None  # latest interaction or visit; None = never since creation


def cutoff_for(now: datetime, options: Mapping[str, Any] | None = None) -> datetime:
    return days_ago(now, int((options or {}).get("dormant_days", DEFAULT_DORMANT_DAYS)))


def scan(session: Session, now: datetime, options: Mapping[str, Any] | None = None) -> list[DormantCandidate]:
    """Active customers without an interaction or a visit since the cutoff."""
    cutoff = cutoff_for(now, options)
    last_visit = select(func.max(Visit.visited_at)).where(Visit.customer_id == Customer.id).scalar_subquery()
    rows = session.execute(
        select(Customer.id, Customer.name, Customer.owner_id, Customer.last_interaction_at, last_visit)
        .where(
            Customer.status == CustomerStatus.ACTIVE,
            or_(
                Customer.last_interaction_at < cutoff,
                and_(Customer.last_interaction_at.is_(None), Customer.created_at < cutoff),
            ),
            ~exists().where(Visit.customer_id == Customer.id, Visit.visited_at >= cutoff),
        )
        .order_by(Customer.id)
    )
    out = []
    for customer_id, name, owner_id, interaction, visit in rows:
        known = [t for t in (interaction, visit) if t is not None]
        out.append(DormantCandidate(customer_id, name, owner_id, max(known) if known else None))
    return out


def run(ctx: JobContext) -> dict[str, Any]:
    session = ctx.uow.session
    days = int(ctx.options.get("dormant_days", DEFAULT_DORMANT_DAYS))
    candidates = scan(session, ctx.occurrence, ctx.options)
    marked = set(
        mark_dormant_many(
            ctx.uow, [c.customer_id for c in candidates], ctx.occurrence, cutoff_for(ctx.occurrence, ctx.options)
        )
    )
    by_owner: dict[int, list[DormantCandidate]] = defaultdict(list)
    for c in candidates:
        if c.customer_id in marked and c.owner_id is not None:
            by_owner[c.owner_id].append(c)
    owners = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(by_owner))))} if by_owner else {}
    )
    told = 0
    for owner_id, items in sorted(by_owner.items()):
        owner = owners[owner_id]
        target = user_target(owner)
        if target is None or not owner.active:
            continue
        lines = [
            f"{i}. {c.name}（上次联系：{md(to_local(c.last_contact).date()) if c.last_contact else '从未'}）"
            for i, c in enumerate(items, 1)
        ]
        text = compose(
            [("", lines)],
            head=f"{owner.name}，以下 {len(items)} 个客户已 {days} 天没有拜访或联系，已标记为「休眠」：",
            tail="拜访一次即可恢复为活跃客户。",
        )
        ctx.replies.text(target, text, key=ctx.key("owner", owner_id))
        told += 1
    orphans = sum(1 for c in candidates if c.customer_id in marked and c.owner_id is None)
    return {"dormant": len(marked), "owners": told, "without_owner": orphans}


SPEC = register(
    JobSpec(
        name="dormant_customers",
        run=run,
        cron={"hour": 8, "minute": 0},
        workdays_only=False,
        description="每天 08:00：14 天没有拜访或联系的客户标记为休眠，并告知负责人",
    )
)
