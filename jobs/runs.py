"""Running one occurrence of a job exactly once, and the run log (``scheduled_runs``).

The unique (job, occurrence) row is the lock shared by every process on
SQLite or PostgreSQL: a scheduler *inserts* it before running, and the loser
of that insert skips. The job's domain changes, its outbox rows and the row's
``done`` commit in one transaction, so a crash mid-run leaves nothing sent
and the row ``running`` (taken over once it is stale).

Manual runs (``salesbot jobs run``) may re-run any finished occurrence: the
outbox dedupe keys (``ctx.key(...)``) make a re-run send nothing new, which
is how a failed run is retried safely.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from domain.clock import Clock, to_local
from domain.db import Database
from domain.models import Role, ScheduledRun, User
from domain.uow import UnitOfWork
from handlers.replies import Replies, Target, user_target
from jobs.base import JobContext, JobSpec, cause_for
from jobs.options import JobOptions
from jobs.workdays import CalendarDataMissing, day_off_reason

log = logging.getLogger("salesbot.jobs")

# A run still "running" after this long belongs to a process that died; it may be taken over.
RUNNING_STALE_AFTER = timedelta(hours=1)


def runner_id() -> str:
    """host:pid of this process, recorded on the rows it takes."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass
class RunOutcome:
    job: str
    occurrence: datetime
    status: str  # done / skipped / failed / lost (another process has it) / busy (running elsewhere)
    detail: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        when = to_local(self.occurrence).strftime("%Y-%m-%d %H:%M")
        label = {
            "done": "完成",
            "skipped": "跳过",
            "failed": "失败",
            "lost": "已由其他进程运行",
            "busy": "正在由其他进程运行",
        }[self.status]
        extra = self.detail.get("reason") or self.detail.get("error") or ""
        if self.status == "done":
            extra = f"新消息 {self.detail.get('messages', 0)} 条"
        return f"{self.job} @ {when}: {label}" + (f" — {extra}" if extra else "")


class _CountingReplies(Replies):
    """Replies that count the outbox rows actually written (a re-run writes none)."""

    written = 0

    def _queue(self, to: Target, msg_type: str, payload: dict[str, Any], **kwargs: Any) -> bool:
        ok = super()._queue(to, msg_type, payload, **kwargs)
        self.written += int(ok)
        return ok


# ------------------------------------------------------------------ the lock
def claim(
    db: Database,
    clock: Clock,
    job: str,
    occurrence: datetime,
    *,
    runner: str,
    rerun: bool = False,
) -> str:
    """Take (job, occurrence): "claimed", or "lost" (finished / taken elsewhere), or "busy".

    The insert decides between schedulers. ``rerun`` (manual runs) also takes a
    finished row back. Either path takes over a row left ``running`` by a dead process.
    """
    now = clock.now()
    with db.sessions() as session:
        session.add(
            ScheduledRun(job=job, occurrence=occurrence, status="running", runner=runner, started_at=now)
        )
        try:
            session.commit()
            return "claimed"
        except IntegrityError:
            session.rollback()
        stale = and_(ScheduledRun.status == "running", ScheduledRun.started_at < now - RUNNING_STALE_AFTER)
        where = or_(ScheduledRun.status != "running", stale) if rerun else stale
        result = session.execute(
            update(ScheduledRun)
            .where(ScheduledRun.job == job, ScheduledRun.occurrence == occurrence, where)
            .values(status="running", runner=runner, started_at=now, finished_at=None, detail=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return "claimed"
        status = session.scalar(
            select(ScheduledRun.status).where(ScheduledRun.job == job, ScheduledRun.occurrence == occurrence)
        )
        return "busy" if status == "running" else "lost"


def record_skip(
    db: Database, clock: Clock, job: str, occurrence: datetime, detail: dict[str, Any], *, runner: str
) -> bool:
    """Record an occurrence that will not run; False if the occurrence already has a row."""
    now = clock.now()
    with db.sessions() as session:
        session.add(
            ScheduledRun(
                job=job,
                occurrence=occurrence,
                status="skipped",
                runner=runner,
                started_at=now,
                finished_at=now,
                detail=detail,
            )
        )
        try:
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
            return False


def _finish(session: Any, job: str, occurrence: datetime, status: str, now: datetime, detail: dict[str, Any]) -> None:
    session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.job == job, ScheduledRun.occurrence == occurrence)
        .values(status=status, finished_at=now, detail=detail)
        .execution_options(synchronize_session=False)
    )


# --------------------------------------------------------------- one run
def execute(
    db: Database,
    clock: Clock,
    spec: JobSpec,
    occurrence: datetime,
    options: Mapping[str, Any] | None = None,
    *,
    runner: str | None = None,
    rerun: bool = False,
    ignore_calendar: bool = False,
) -> RunOutcome:
    """Run ``spec`` for ``occurrence`` once: claim, check the calendar, run, record.

    Never raises for a failing job: the failure is recorded (``salesbot jobs runs``)
    and logged, and the outcome says ``failed``.
    """
    runner = runner or runner_id()
    taken = claim(db, clock, spec.name, occurrence, runner=runner, rerun=rerun)
    if taken != "claimed":
        return RunOutcome(spec.name, occurrence, taken)
    cause = cause_for(spec.name, occurrence)
    day = to_local(occurrence).date()
    if spec.workdays_only and not ignore_calendar:
        try:
            reason = day_off_reason(day)
        except CalendarDataMissing as exc:
            return _calendar_missing(db, clock, spec, occurrence, exc)
        if reason is not None:
            detail: dict[str, Any] = {"reason": f"{day.isoformat()} 是{reason}，按工作日运行的任务不发送", "code": "day_off"}
            with db.sessions() as session:
                _finish(session, spec.name, occurrence, "skipped", clock.now(), detail)
                session.commit()
            return RunOutcome(spec.name, occurrence, "skipped", detail)
    try:
        with UnitOfWork(db, clock, actor_label="scheduler", cause=cause) as uow:
            replies = _CountingReplies(uow.session, clock, cause)
            ctx = JobContext(uow, replies, occurrence, JobOptions.coerce(options))
            summary = spec.run(ctx) or {}
            # the run log is JSON: a Decimal or a date in a summary must not fail the run after its work
            detail = json.loads(json.dumps({**summary, "messages": replies.written}, default=str))
            uow.flush()
            _finish(uow.session, spec.name, occurrence, "done", clock.now(), detail)
            uow.commit()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded; the scheduler keeps going
        log.exception("scheduled job %s @ %s failed", spec.name, occurrence.isoformat())
        detail = {
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": traceback.format_exc()[-2000:],
        }
        with db.sessions() as session:
            _finish(session, spec.name, occurrence, "failed", clock.now(), detail)
            session.commit()
        return RunOutcome(spec.name, occurrence, "failed", detail)
    log.info("scheduled job %s @ %s done: %s", spec.name, occurrence.isoformat(), detail)
    return RunOutcome(spec.name, occurrence, "done", detail)


def _calendar_missing(
    db: Database, clock: Clock, spec: JobSpec, occurrence: datetime, exc: CalendarDataMissing
) -> RunOutcome:
    """Fail loudly: record the run as failed, log an error, and tell the admins once a day."""
    log.error("scheduled job %s @ %s: %s", spec.name, occurrence.isoformat(), exc.message)
    detail: dict[str, Any] = {"error": exc.message, "code": "calendar_missing", "year": exc.year}
    day = to_local(occurrence).date()
    with UnitOfWork(db, clock, actor_label="scheduler", cause=f"calendar-missing:{exc.year}") as uow:
        replies = Replies(uow.session, clock, uow.cause or "calendar-missing")
        admins = uow.session.scalars(select(User).where(User.role == Role.ADMIN, User.active.is_(True)))
        for admin in admins:
            target = user_target(admin)
            if target is not None:
                replies.text(
                    target,
                    f"【管理员提醒】{exc.message}",
                    key=f"calendar-missing:{exc.year}:{day.isoformat()}:{admin.id}",
                )
        _finish(uow.session, spec.name, occurrence, "failed", clock.now(), detail)
        uow.commit()
    return RunOutcome(spec.name, occurrence, "failed", detail)


# -------------------------------------------------------------- the log
def last_occurrence(db: Database, job: str) -> datetime | None:
    with db.sessions() as session:
        value: datetime | None = session.scalar(
            select(func.max(ScheduledRun.occurrence)).where(ScheduledRun.job == job)
        )
        return value


def abandoned_runs(db: Database, job: str, now: datetime, since: datetime) -> list[datetime]:
    """Occurrences since ``since`` still "running" long after they started: their process died."""
    with db.sessions() as session:
        return list(
            session.scalars(
                select(ScheduledRun.occurrence).where(
                    ScheduledRun.job == job,
                    ScheduledRun.status == "running",
                    ScheduledRun.started_at < now - RUNNING_STALE_AFTER,
                    ScheduledRun.occurrence >= since,
                )
            )
        )


def list_runs(db: Database, job: str | None = None, limit: int = 50) -> list[ScheduledRun]:
    """Newest occurrences first."""
    with db.sessions() as session:
        query = select(ScheduledRun).order_by(ScheduledRun.occurrence.desc(), ScheduledRun.id.desc())
        if job:
            query = query.where(ScheduledRun.job == job)
        return list(session.scalars(query.limit(limit)))
