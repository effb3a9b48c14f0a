"""09:00 on workdays: each rep's follow-ups due today and overdue, in ONE message.

A follow-up is a visit's ``next_follow_up`` date ("下周三再跟进"); it stays
open until a later visit to the same customer happens — the same rule as the
「我的待办」 command (``domain.services.reports.follow_ups``), so the morning
message and the command never disagree. Overdue items older than
``followup_overdue_days`` (default 30) stop being repeated every morning;
「我的待办」 still lists them.

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

from domain.clock import to_local
from domain.models import Customer, User, Visit
from handlers.replies import user_target
from jobs.base import JobContext, JobSpec, register
from jobs.text import compose, md

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


def message(name: str, items: RepFollowUps, today: date, morning: bool = True) -> str:
    today_lines = [
        f"{i}. {f.customer_name}" + (f"：{f.next_step}" if f.next_step else "") + f"（{md(f.visited_on)}拜访）"
        for i, f in enumerate(items.due_today, 1)
    ]
    overdue_lines = [
        f"{i}. {f.customer_name}（应于{md(f.due)}跟进，已逾期 {(today - f.due).days} 天）"
        + (f"：{f.next_step}" if f.next_step else "")
        for i, f in enumerate(items.overdue, 1)
    ]
    return compose(
        [
            (f"今天要跟进（{len(today_lines)}）：", today_lines),
            (f"已逾期（{len(overdue_lines)}）：", overdue_lines),
        ],
        head=f"{name}，{'早上好！' if morning else ''}今天的跟进提醒：",
        tail="跟进后记录一次拜访，提醒就会消失；发送「我的待办」查看全部。",
    )


def run(ctx: JobContext) -> dict[str, Any]:
    session = ctx.uow.session
    found = scan(session, ctx.occurrence, ctx.options)
    local = to_local(ctx.occurrence)
    reps = {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(found))))} if found else {}
    sent = unreachable = 0
    for rep_id, items in sorted(found.items()):
        rep = reps[rep_id]
        target = user_target(rep)
        if target is None:
            unreachable += 1
            continue
        ctx.replies.text(target, message(rep.name, items, local.date(), local.hour < 12), key=ctx.key("rep", rep.id))
        sent += 1
    return {
        "reps": sent,
        "due_today": sum(len(r.due_today) for r in found.values()),
        "overdue": sum(len(r.overdue) for r in found.values()),
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
