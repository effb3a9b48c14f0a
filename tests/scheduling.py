"""Test helpers for the scheduled jobs: build a sales history at chosen moments, read the outbox."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from cards.model import Card
from cards.serialize import card_from_dict
from domain.clock import BUSINESS_TZ, Clock, FixedClock
from domain.db import Database
from domain.models import AuditEntry, Customer, OutboxMessage, ScheduledRun, Stage, User
from domain.services.customers import create_customer
from domain.services.opportunities import change_stage, create_opportunity, get_opportunity
from domain.services.quotes import confirm, create_draft
from domain.services.visits import log_visit
from domain.uow import UnitOfWork
from jobs.base import JobContext, JobSpec


def sh(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """A moment in business time (Asia/Shanghai)."""
    return datetime(y, m, d, hh, mm, tzinfo=BUSINESS_TZ)


class History:
    """Writes records through the real services, each at the moment given."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.clock = FixedClock(sh(2026, 1, 5))

    def _uow(self, when: datetime) -> UnitOfWork:
        self.clock.set(when)
        return UnitOfWork(self.db, self.clock, actor_label="test")

    def user(self, key: str) -> User:
        with self.db.sessions() as s:
            user = s.scalar(select(User).where(User.key == key))
            assert user is not None, key
            return user

    def customer(self, name: str, owner: str | None, when: datetime) -> int:
        with self._uow(when) as uow:
            owner_user = uow.session.scalar(select(User).where(User.key == owner)) if owner else None
            c = create_customer(uow, name, owner=owner_user)
            uow.commit()
            return c.id

    def opportunity(
        self, customer_id: int, owner: str, when: datetime, stage: Stage = Stage.LEAD, amount: int | None = None
    ) -> int:
        with self._uow(when) as uow:
            user = uow.session.scalar(select(User).where(User.key == owner))
            customer = uow.session.get(Customer, customer_id)
            assert user is not None and customer is not None
            opp = create_opportunity(
                uow, customer, user, amount=Decimal(amount) if amount else None, stage=stage
            )
            uow.commit()
            return opp.id

    def stage(self, opportunity_id: int, target: Stage, when: datetime) -> None:
        with self._uow(when) as uow:
            change_stage(uow, get_opportunity(uow, opportunity_id), target)
            uow.commit()

    def visit(
        self,
        rep: str,
        customer_id: int | None,
        when: datetime,
        follow_up: date | None = None,
        next_step: str | None = None,
    ) -> int:
        with self._uow(when) as uow:
            user = uow.session.scalar(select(User).where(User.key == rep))
            customer = uow.session.get(Customer, customer_id) if customer_id else None
            assert user is not None
            v = log_visit(
                uow, user, customer, visited_at=when, next_follow_up=follow_up, next_step=next_step, summary="拜访"
            )
            uow.commit()
            return v.id

    def quote(self, rep: str, customer_id: int, when: datetime, total: int, confirmed: bool = True) -> int:
        with self._uow(when) as uow:
            user = uow.session.scalar(select(User).where(User.key == rep))
            customer = uow.session.get(Customer, customer_id)
            assert user is not None and customer is not None
            q = create_draft(uow, user, customer, {"total": str(total), "quote_no": f"Q{total}"}, None)
            if confirmed:
                confirm(uow, q)
            uow.commit()
            return q.id


def outbox(db: Database, target: str | None = None) -> list[OutboxMessage]:
    with db.sessions() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if target is not None:
            query = query.where(OutboxMessage.target == target)
        return list(s.scalars(query))


def texts(db: Database, target: str) -> list[str]:
    """The text messages to ``target`` (cards are read with :func:`cards`)."""
    return [str(m.payload.get("content", "")) for m in outbox(db, target) if m.msg_type != "card"]


def cards(db: Database, target: str) -> list[Card]:
    """The cards sent to ``target`` (alone or with others), oldest first."""
    return [
        card_from_dict(m.payload["card"])
        for m in outbox(db)
        if m.msg_type == "card" and target in m.target.split("|")
    ]


def runs(db: Database, job: str) -> list[ScheduledRun]:
    with db.sessions() as s:
        return list(s.scalars(select(ScheduledRun).where(ScheduledRun.job == job).order_by(ScheduledRun.occurrence)))


def probe_runs(db: Database) -> list[str]:
    """Occurrences the probe job actually executed (one audit row per execution)."""
    with db.sessions() as s:
        return list(s.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "probe.run")))


def probe_spec(cron: dict[str, Any], workdays_only: bool = False, pause_s: float = 0.0) -> JobSpec:
    """A job that only records that it ran: executions are counted, not deduplicated."""

    def run(ctx: JobContext) -> dict[str, Any]:
        if pause_s:
            import time

            time.sleep(pause_s)
        ctx.uow.audit("probe.run", "job", ctx.occurrence.isoformat())
        return {"probe": 1}

    return JobSpec(name="probe", run=run, cron=cron, workdays_only=workdays_only)


def run_now(db: Database, clock: Clock, name: str) -> dict[str, Any]:
    """Run the registered job ``name`` the way the scheduler does, as of now; its summary.

    ``rerun`` lets a test run the same moment twice and see what the second run finds.
    """
    from jobs.catalog import all_jobs
    from jobs.runs import execute

    outcome = execute(db, clock, all_jobs()[name], clock.now(), rerun=True)
    assert outcome.status == "done", outcome.detail
    return {k: v for k, v in outcome.detail.items() if k != "messages"}
