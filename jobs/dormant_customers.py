"""Every day at 08:00: customers with no visit or interaction for 14 days become 休眠.

An interaction is what ``touch_customer`` records (a visit, a confirmed
quote) in ``customers.last_interaction_at``; a customer never interacted
with counts from its creation. Visits are checked too, so visits loaded in
bulk without touching the customer still count. The customer gets
``status = dormant`` and ``dormant_since``, each change is audited, and each
owner gets one card per newly dormant customer (已跟进 wakes it, 明天再提醒
brings the card back on the next workday's run, 打开客户 opens its page; beyond a
few cards the rest come as one list). The next visit wakes the customer
(``domain.services.customers.touch_customer``).

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

from cards.model import Card
from cards.reminders import dormant_card
from domain.clock import to_local
from domain.models import Customer, CustomerStatus, ReminderMark, User, Visit
from domain.services import reminders
from domain.services.customers import mark_dormant_many
from jobs import reminding
from jobs.base import JobContext, JobSpec, register
from jobs.text import md
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


def _item(ctx: JobContext, owner: User, c: DormantCandidate, days: int) -> reminding.Item:
    url = ctx.links.customer(owner.key, c.customer_id, ctx.occurrence) if ctx.links is not None else None
    last = to_local(c.last_contact).date() if c.last_contact else None

    def card(cid: str) -> Card:
        return dormant_card(cid, customer_id=c.customer_id, customer_name=c.name, days=days, last_contact=last, url=url)

    return reminding.Item(reminders.CUSTOMER, c.customer_id, card, f"{c.name}（上次联系：{md(last) if last else '从未'}）")


def _snooze_ended(ctx: JobContext) -> list[DormantCandidate]:
    """Dormant customers whose owner asked 明天再提醒 and whose day has come (told again, once)."""
    session = ctx.uow.session
    last_visit = select(func.max(Visit.visited_at)).where(Visit.customer_id == Customer.id).scalar_subquery()
    rows = session.execute(
        select(ReminderMark, Customer.name, Customer.last_interaction_at, last_visit)
        .join(Customer, Customer.id == ReminderMark.entity_id)
        .where(
            ReminderMark.kind == reminders.CUSTOMER,
            ReminderMark.snoozed_until < reminders.snoozed_on(ctx.occurrence),
            ReminderMark.user_id == Customer.owner_id,
            Customer.status == CustomerStatus.DORMANT,
        )
        .order_by(Customer.id)
    )
    out = []
    for mark, name, interaction, visit in rows:
        mark.snoozed_until = None  # back once; a new 明天再提醒 sets it again
        known = [t for t in (interaction, visit) if t is not None]
        out.append(DormantCandidate(mark.entity_id, name, mark.user_id, max(known) if known else None))
    return out


def run(ctx: JobContext) -> dict[str, Any]:
    session = ctx.uow.session
    days = int(ctx.options.get("dormant_days", DEFAULT_DORMANT_DAYS))
    candidates = scan(session, ctx.occurrence, ctx.options)
    returning = _snooze_ended(ctx)
    marked = set(
        mark_dormant_many(
            ctx.uow, [c.customer_id for c in candidates], ctx.occurrence, cutoff_for(ctx.occurrence, ctx.options)
        )
    )
    snoozed = reminders.snoozed_items(session, reminders.CUSTOMER, ctx.occurrence)
    by_owner: dict[int, list[DormantCandidate]] = defaultdict(list)
    held = 0
    for c in candidates:
        if c.customer_id in marked and c.owner_id is not None:
            if (c.customer_id, c.owner_id) in snoozed:
                held += 1
                continue
            by_owner[c.owner_id].append(c)
    for c in returning:
        assert c.owner_id is not None
        if c.customer_id not in {x.customer_id for x in by_owner[c.owner_id]}:
            by_owner[c.owner_id].append(c)
    by_owner = defaultdict(list, {k: v for k, v in by_owner.items() if v})
    owners = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(by_owner))))} if by_owner else {}
    )
    told = 0
    for owner_id, items in sorted(by_owner.items()):
        owner = owners[owner_id]
        if not owner.active:
            continue
        if reminding.send(
            ctx, owner, [_item(ctx, owner, c, days) for c in items],
            rest_head=f"{owner.name}，另有 {{n}} 个客户已 {days} 天没有拜访或联系，已标记为「休眠」：",
        ):
            told += 1
    orphans = sum(1 for c in candidates if c.customer_id in marked and c.owner_id is None)
    return {
        "dormant": len(marked), "owners": told, "without_owner": orphans, "snoozed": held,
        "reminded_again": len(returning),
    }


SPEC = register(
    JobSpec(
        name="dormant_customers",
        run=run,
        cron={"hour": 8, "minute": 0},
        workdays_only=False,
        description="每天 08:00：14 天没有拜访或联系的客户标记为休眠，并告知负责人",
    )
)
