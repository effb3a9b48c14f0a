"""10:00 on workdays: open opportunities nobody has touched for a week or two.

"Touched" is a visit, a quote, a stage change or an edit. Stage changes and
edits set ``opportunities.last_touched_at``; a visit or a confirmed quote
bumps only the customer's most recently touched open opportunity, and bulk
imports bump nothing, so the scan takes the latest of ``last_touched_at``,
the customer's latest visit and the customer's latest (not void) quote — in
SQL, with the ``(customer_id, visited_at)`` / ``(customer_id, created_at)``
indexes.

- untouched ``stale_remind_days`` (7) → the owner, one card per opportunity (已跟进 touches it,
  明天再提醒 leaves it out until the next workday, 打开商机 opens the customer's page);
- untouched ``stale_escalate_days`` (14) → also the owner's manager, one
  message per manager for the whole team.
The reminder repeats each workday while the opportunity stays untouched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from cards.model import Card
from cards.reminders import stale_card
from domain.clock import to_local
from domain.models import STAGE_LABELS, Customer, Opportunity, Quote, Stage, User, Visit
from domain.rules import OPEN_STAGES
from domain.services import reminders
from handlers.replies import user_target
from jobs import reminding
from jobs.base import JobContext, JobSpec, register
from jobs.text import compose, yuan
from jobs.workdays import days_ago

DEFAULT_REMIND_DAYS = 7
DEFAULT_ESCALATE_DAYS = 14


@dataclass(frozen=True)
class StaleOpportunity:
    opportunity_id: int
    name: str
    customer_name: str
    stage: str
    amount: Decimal | None
    owner_id: int
    manager_id: int | None
    touched_at: datetime
    days: int
    escalate: bool  # untouched for the escalation threshold: the manager hears of it too
    customer_id: int = 0


def scan(session: Session, now: datetime, options: Mapping[str, Any] | None = None) -> list[StaleOpportunity]:
    """Open opportunities of active owners untouched for the reminder threshold, stalest first."""
    options = options or {}
    remind = int(options.get("stale_remind_days", DEFAULT_REMIND_DAYS))
    escalate = int(options.get("stale_escalate_days", DEFAULT_ESCALATE_DAYS))
    cutoff = days_ago(now, remind)
    last_visit = (
        select(func.max(Visit.visited_at)).where(Visit.customer_id == Opportunity.customer_id).scalar_subquery()
    )
    last_quote = (
        select(func.max(Quote.created_at))
        .where(Quote.customer_id == Opportunity.customer_id, Quote.status != "void")
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Opportunity.id,
            Opportunity.name,
            Customer.name,
            Opportunity.stage,
            Opportunity.amount,
            Opportunity.owner_id,
            User.manager_id,
            Opportunity.last_touched_at,
            last_visit,
            last_quote,
            Opportunity.customer_id,
        )
        .join(User, User.id == Opportunity.owner_id)
        .join(Customer, Customer.id == Opportunity.customer_id)
        .where(
            Opportunity.stage.in_([s.value for s in OPEN_STAGES]),
            Opportunity.last_touched_at < cutoff,
            User.active.is_(True),
            ~exists().where(Visit.customer_id == Opportunity.customer_id, Visit.visited_at >= cutoff),
            ~exists().where(
                Quote.customer_id == Opportunity.customer_id, Quote.status != "void", Quote.created_at >= cutoff
            ),
        )
    )
    out: list[StaleOpportunity] = []
    for opp_id, name, customer, stage, amount, owner_id, manager_id, touched, visit_at, quote_at, cid in rows:
        touched_at = max(t for t in (touched, visit_at, quote_at) if t is not None)
        days = (to_local(now).date() - to_local(touched_at).date()).days  # calendar days, as people count
        out.append(
            StaleOpportunity(
                opp_id, name, customer, stage, amount, owner_id, manager_id, touched_at, days, days >= escalate, cid
            )
        )
    out.sort(key=lambda s: (s.touched_at, s.opportunity_id))
    return out


def _line(i: int, s: StaleOpportunity, owner_name: str | None = None) -> str:
    who = f"{owner_name} · " if owner_name else ""
    money = f"，{yuan(s.amount)}" if s.amount is not None else ""
    # the default name is "<customer> 商机": say the customer once
    what = s.name if s.name.startswith(s.customer_name) else f"{s.customer_name} · {s.name}"
    return f"{i}. {who}{what}（{STAGE_LABELS[Stage(s.stage)]}{money}）— {s.days} 天未跟进"


def _item(ctx: JobContext, owner: User, s: StaleOpportunity, manager_told: str | None) -> reminding.Item:
    url = None
    if ctx.links is not None:
        url = ctx.links.customer(owner.key, s.customer_id, ctx.occurrence)

    def card(cid: str) -> Card:
        return stale_card(
            cid, opportunity_id=s.opportunity_id, name=s.name, customer_name=s.customer_name,
            stage=STAGE_LABELS[Stage(s.stage)], amount=s.amount, touched=to_local(s.touched_at).date(),
            days=s.days, manager_told=manager_told, url=url,
        )

    return reminding.Item(reminders.OPPORTUNITY, s.opportunity_id, card, _line(0, s)[3:])


def run(ctx: JobContext) -> dict[str, Any]:
    session = ctx.uow.session
    stale = scan(session, ctx.occurrence, ctx.options)
    remind = int(ctx.options.get("stale_remind_days", DEFAULT_REMIND_DAYS))
    escalate = int(ctx.options.get("stale_escalate_days", DEFAULT_ESCALATE_DAYS))
    by_owner: dict[int, list[StaleOpportunity]] = defaultdict(list)
    by_manager: dict[int, list[StaleOpportunity]] = defaultdict(list)
    for s in stale:
        by_owner[s.owner_id].append(s)
        if s.escalate and s.manager_id is not None:
            by_manager[s.manager_id].append(s)
    ids = set(by_owner) | set(by_manager)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    owners_told = managers_told = 0
    snoozed = reminders.snoozed_items(session, reminders.OPPORTUNITY, ctx.occurrence)
    held = 0
    for owner_id, items in sorted(by_owner.items()):
        owner = users[owner_id]
        manager = users.get(owner.manager_id) if owner.manager_id else None
        told_manager = manager.name if manager is not None and manager.active else None
        shown = [s for s in items if (s.opportunity_id, owner_id) not in snoozed]
        held += len(items) - len(shown)
        if not shown:
            continue
        cards = [_item(ctx, owner, s, told_manager if s.escalate else None) for s in shown]
        if reminding.send(ctx, owner, cards, rest_head=f"{owner.name}，另有 {{n}} 个商机已超过 {remind} 天没有跟进："):
            owners_told += 1
    for manager_id, items in sorted(by_manager.items()):
        manager = users[manager_id]
        target = user_target(manager)
        if target is None or not manager.active:
            continue
        lines = [_line(i, s, users[s.owner_id].name) for i, s in enumerate(items, 1)]
        text = compose(
            [("", lines)],
            head=f"{manager.name}，你的团队有 {len(items)} 个商机超过 {escalate} 天没有跟进：",
            tail="可以提醒负责人尽快跟进，或在商机已无希望时标记为流失。",
        )
        ctx.replies.text(target, text, key=ctx.key("manager", manager_id))
        managers_told += 1
    return {
        "stale": len(stale),
        "escalated": sum(1 for s in stale if s.escalate),
        "owners": owners_told,
        "managers": managers_told,
        "snoozed": held,
    }


SPEC = register(
    JobSpec(
        name="stale_opportunities",
        run=run,
        cron={"hour": 10, "minute": 0},
        workdays_only=True,
        description="10:00 工作日：7 天未跟进的商机提醒负责人，14 天的同时提醒其经理",
    )
)
