"""09:00 on workdays: each rep's follow-ups due today and overdue, one card each.

A follow-up is a visit's ``next_follow_up`` date ("下周三再跟进"); it stays
open until a later visit to the same customer happens — the same rule as the
「我的待办」 command (``domain.services.reports.follow_ups``), so the morning
message and the command never disagree. Overdue items older than
``followup_overdue_days`` (default 30) stop being repeated every morning;
「我的待办」 still lists them.

Each card carries 已跟进 (closes the follow-up: ``domain.services.reminders``),
明天再提醒 (left out until the next workday) and 打开商机 (the customer's page);
beyond a few cards the rest come as one list (``jobs/reminding.py``).

``scan`` selects every rep's items in one SQL query (the visits indexes on
``next_follow_up`` and ``(customer_id, visited_at)``), for the bench and the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from cards.model import Card
from cards.reminders import followup_card
from domain.clock import to_local
from domain.models import Customer, User, Visit
from domain.services import reminders
from jobs import reminding
from jobs.base import JobContext, JobSpec, register
from jobs.text import md

DEFAULT_OVERDUE_DAYS = 30


@dataclass(frozen=True)
class FollowUpItem:
    visit_id: int
    customer_id: int | None
    customer_name: str
    due: date
    visited_on: date
    next_step: str | None


@dataclass
class RepFollowUps:
    rep_id: int
    due_today: list[FollowUpItem] = field(default_factory=list)
    overdue: list[FollowUpItem] = field(default_factory=list)


def scan(session: Session, now: datetime, options: Mapping[str, Any] | None = None) -> dict[int, RepFollowUps]:
    """Open follow-ups due on or before today (business date of ``now``), by active rep."""
    options = options or {}
    today = to_local(now).date()
    oldest = today - timedelta(days=int(options.get("followup_overdue_days", DEFAULT_OVERDUE_DAYS)))
    later = aliased(Visit)
    rows = session.execute(
        select(
            Visit.id,
            Visit.rep_id,
            Visit.customer_id,
            Customer.name,
            Visit.next_follow_up,
            Visit.visited_at,
            Visit.next_step,
        )
        .join(User, User.id == Visit.rep_id)
        .outerjoin(Customer, Customer.id == Visit.customer_id)
        .where(
            User.active.is_(True),
            Visit.next_follow_up.is_not(None),
            Visit.next_follow_up <= today,
            Visit.next_follow_up >= oldest,
            ~exists().where(later.customer_id == Visit.customer_id, later.visited_at > Visit.visited_at),
            ~reminders.followup_done(Visit.id),
        )
        .order_by(Visit.rep_id, Visit.next_follow_up, Visit.id)
    )
    out: dict[int, RepFollowUps] = {}
    seen: set[tuple[int, int]] = set()
    for visit_id, rep_id, customer_id, customer_name, due, visited_at, next_step in rows:
        if customer_id is not None:
            if (rep_id, customer_id) in seen:  # one line per customer: the earliest due
                continue
            seen.add((rep_id, customer_id))
        item = FollowUpItem(
            visit_id=visit_id,
            customer_id=customer_id,
            customer_name=customer_name or "（未指定客户）",
            due=due,
            visited_on=to_local(visited_at).date(),
            next_step=next_step,
        )
        rep = out.setdefault(rep_id, RepFollowUps(rep_id))
        (rep.due_today if due == today else rep.overdue).append(item)
    return out


def _items(ctx: JobContext, rep: User, items: RepFollowUps, today: date) -> list[reminding.Item]:
    out = []
    for f in [*items.due_today, *items.overdue]:
        url = (
            ctx.links.customer(rep.key, f.customer_id, ctx.occurrence)
            if ctx.links is not None and f.customer_id is not None
            else None
        )
        late = (today - f.due).days
        line = f"{f.customer_name}" + (f"：{f.next_step}" if f.next_step else "")
        line += f"（应于{md(f.due)}跟进，已逾期 {late} 天）" if late > 0 else "（今天）"

        def card(cid: str, f: FollowUpItem = f, url: str | None = url) -> Card:
            return followup_card(
                cid, visit_id=f.visit_id, customer_name=f.customer_name, due=f.due, today=today,
                visited_on=f.visited_on, next_step=f.next_step, url=url,
            )

        out.append(reminding.Item(reminders.FOLLOWUP, f.visit_id, card, line))
    return out


def run(ctx: JobContext) -> dict[str, Any]:
    session = ctx.uow.session
    found = scan(session, ctx.occurrence, ctx.options)
    snoozed = reminders.snoozed_items(session, reminders.FOLLOWUP, ctx.occurrence)
    held = 0
    for rep_id, items in found.items():
        before = len(items.due_today) + len(items.overdue)
        items.due_today = [f for f in items.due_today if (f.visit_id, rep_id) not in snoozed]
        items.overdue = [f for f in items.overdue if (f.visit_id, rep_id) not in snoozed]
        held += before - len(items.due_today) - len(items.overdue)
    found = {k: v for k, v in found.items() if v.due_today or v.overdue}
    local = to_local(ctx.occurrence)
    reps = {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(found))))} if found else {}
    sent = unreachable = 0
    for rep_id, items in sorted(found.items()):
        rep = reps[rep_id]
        told = reminding.send(
            ctx, rep, _items(ctx, rep, items, local.date()), rest_head=f"{rep.name}，另有 {{n}} 个跟进提醒："
        )
        if not told:
            unreachable += 1
            continue
        sent += 1
    return {
        "reps": sent,
        "due_today": sum(len(r.due_today) for r in found.values()),
        "overdue": sum(len(r.overdue) for r in found.values()),
        "snoozed": held,
        "unreachable": unreachable,
    }


SPEC = register(
    JobSpec(
        name="followups",
        run=run,
        cron={"hour": 9, "minute": 0},
        workdays_only=True,
        description="09:00 工作日：每位销售今天到期和逾期的跟进，一人一条消息",
    )
)
