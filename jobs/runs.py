"""Running one occurrence of a job exactly once, and the run log (``scheduled_runs``).

The unique (job, occurrence) row is the lock shared by every process on
SQLite or PostgreSQL: a scheduler *inserts* it before running, and the loser
of that insert skips. The job's domain changes, its outbox rows and the row's
``done`` commit in one transaction, so a crash mid-run leaves nothing sent
and the row ``running`` (taken over once it is stale).

Manual runs (``salesbot jobs run``) are rows of their own (``run_no`` 1, 2, …
for the same moment): they never take the scheduled occurrence's row (run_no 0),
so a manual run of a future moment can neither block nor hide the scheduler's
run, and a re-run never overwrites what an earlier run recorded. The outbox
dedupe keys (``ctx.key(...)``, or a report's period × audience key) make a
re-run send nothing new, which is how a failed run is retried safely. Each
row's ``messages`` counts the outbox rows *that* run wrote; ``already_sent``
counts those it found written by an earlier run.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError

from domain.clock import Clock, to_local
from domain.db import Database
from domain.links import PageLinks
from domain.models import Role, ScheduledRun, User
from domain.services.workcalendar_data import refresh as refresh_calendar
from domain.uow import UnitOfWork
from domain.workcalendar import missing_year_warning
from handlers.replies import Replies, Target, user_target
from jobs.base import JobContext, JobSpec, cause_for
from jobs.options import JobOptions
from jobs.workdays import day_off_reason, year_source

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
    run_no: int = 0  # 0 = the scheduled occurrence, 1, 2, … manual runs of that moment

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
            if self.detail.get("already_sent"):
                extra += f"（{self.detail['already_sent']} 条此前已发送，未重复发送）"
        manual = f"（手动运行 #{self.run_no}）" if self.run_no else ""
        return f"{self.job} @ {when}: {label}" + (f" — {extra}" if extra else "") + manual


class _CountingReplies(Replies):
    """Replies that count the outbox rows actually written (a re-run writes none) and those
    whose key an earlier run had already written."""

    written = 0
    duplicates = 0

    def _queue(self, to: Target, msg_type: str, payload: dict[str, Any], **kwargs: Any) -> bool:
        ok = super()._queue(to, msg_type, payload, **kwargs)
        self.written += int(ok)
        self.duplicates += int(not ok)
        return ok


# ------------------------------------------------------------------ the lock
def claim_manual(db: Database, clock: Clock, job: str, occurrence: datetime, *, runner: str) -> int:
    """A new row for a manual run of (job, occurrence); its run_no (1, 2, …).

    The scheduled row (run_no 0) is never touched: the scheduler still runs and
    records its occurrence when it comes.
    """
    for _ in range(20):  # two people running the same moment at once: one retries with the next number
        now = clock.now()
        with db.sessions() as session:
            highest = session.scalar(
                select(func.max(ScheduledRun.run_no)).where(
                    ScheduledRun.job == job, ScheduledRun.occurrence == occurrence
                )
            )
            run_no = max(int(highest or 0), 0) + 1
            session.add(
                ScheduledRun(
                    job=job, occurrence=occurrence, run_no=run_no, status="running", runner=runner, started_at=now
                )
            )
            try:
                session.commit()
                return run_no
            except IntegrityError:
                session.rollback()
    raise RuntimeError(f"could not record a manual run of {job} @ {occurrence.isoformat()}")


def claim(
    db: Database,
    clock: Clock,
    job: str,
    occurrence: datetime,
    *,
    runner: str,
    rerun: bool = False,
) -> str:
    """Take the scheduled (job, occurrence): "claimed", or "lost" (finished / taken elsewhere), or "busy".

    The insert decides between schedulers; a row left ``running`` by a dead
    process is taken over. (``rerun`` is kept for callers of the old API and
    means nothing here: manual runs use :func:`claim_manual`.)
    """
    del rerun
    now = clock.now()
    with db.sessions() as session:
        session.add(
            ScheduledRun(job=job, occurrence=occurrence, run_no=0, status="running", runner=runner, started_at=now)
        )
        try:
            session.commit()
            return "claimed"
        except IntegrityError:
            session.rollback()
        stale = and_(ScheduledRun.status == "running", ScheduledRun.started_at < now - RUNNING_STALE_AFTER)
        result = session.execute(
            update(ScheduledRun)
            .where(ScheduledRun.job == job, ScheduledRun.occurrence == occurrence, ScheduledRun.run_no == 0, stale)
            .values(status="running", runner=runner, started_at=now, finished_at=None, detail=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return "claimed"
        status = session.scalar(
            select(ScheduledRun.status).where(
                ScheduledRun.job == job, ScheduledRun.occurrence == occurrence, ScheduledRun.run_no == 0
            )
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


def _finish(
    session: Any, job: str, occurrence: datetime, status: str, now: datetime, detail: dict[str, Any], run_no: int = 0
) -> None:
    session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.job == job, ScheduledRun.occurrence == occurrence, ScheduledRun.run_no == run_no)
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
    links: PageLinks | None = None,
) -> RunOutcome:
    """Run ``spec`` for ``occurrence`` once: claim, check the calendar, run, record.

    Never raises for a failing job: the failure is recorded (``salesbot jobs runs``)
    and logged, and the outcome says ``failed``.
    """
    runner = runner or runner_id()
    if rerun:
        run_no = claim_manual(db, clock, spec.name, occurrence, runner=runner)
    else:
        taken = claim(db, clock, spec.name, occurrence, runner=runner)
        if taken != "claimed":
            return RunOutcome(spec.name, occurrence, taken)
        run_no = 0
    cause = cause_for(spec.name, occurrence)
    day = to_local(occurrence).date()
    with db.sessions() as session:  # holiday schedules loaded with `salesbot calendar load` (one query)
        refresh_calendar(session)
    assumed = spec.workdays_only and year_source(day.year) == "assumed"
    if spec.workdays_only and not ignore_calendar:
        reason = day_off_reason(day)
        if assumed:
            _warn_admins_calendar(db, clock, day)
        if reason is not None:
            detail: dict[str, Any] = {"reason": f"{day.isoformat()} 是{reason}，按工作日运行的任务不发送", "code": "day_off"}
            if assumed:
                detail["calendar"] = f"{day.year} 年放假安排未载入，按周一至周五推算"
            with db.sessions() as session:
                _finish(session, spec.name, occurrence, "skipped", clock.now(), detail, run_no)
                session.commit()
            return RunOutcome(spec.name, occurrence, "skipped", detail, run_no)
    try:
        job_options = JobOptions.coerce(options)
        prepared = spec.prepare(db, occurrence, job_options) if spec.prepare is not None else None
        with UnitOfWork(db, clock, actor_label="scheduler", cause=cause) as uow:
            replies = _CountingReplies(uow.session, clock, cause)
            ctx = JobContext(uow, replies, occurrence, job_options, prepared, links)
            summary = spec.run(ctx) or {}
            counts: dict[str, Any] = {"messages": replies.written}
            if replies.duplicates:
                counts["already_sent"] = replies.duplicates
            if assumed:
                counts["calendar"] = f"{day.year} 年放假安排未载入，按周一至周五推算"
            # the run log is JSON: a Decimal or a date in a summary must not fail the run after its work
            detail = json.loads(json.dumps({**summary, **counts}, default=str))
            uow.flush()
            _finish(uow.session, spec.name, occurrence, "done", clock.now(), detail, run_no)
            uow.commit()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded; the scheduler keeps going
        log.exception("scheduled job %s @ %s failed", spec.name, occurrence.isoformat())
        detail = {
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": traceback.format_exc()[-2000:],
        }
        with db.sessions() as session:
            _finish(session, spec.name, occurrence, "failed", clock.now(), detail, run_no)
            session.commit()
        return RunOutcome(spec.name, occurrence, "failed", detail, run_no)
    log.info("scheduled job %s @ %s done: %s", spec.name, occurrence.isoformat(), detail)
    return RunOutcome(spec.name, occurrence, "done", detail, run_no)


def _warn_admins_calendar(db: Database, clock: Clock, day: date) -> None:
    """A workday job runs on the Monday–Friday fallback: tell every admin, once a day per year.

    Logged as an error too. The job itself still runs: reminders on an approximate calendar are
    better than none, and the warning says exactly what is approximate and how to fix it.
    """
    message = missing_year_warning(day.year)
    log.error("work calendar: %s", message)
    with UnitOfWork(db, clock, actor_label="scheduler", cause=f"calendar-assumed:{day.year}") as uow:
        replies = Replies(uow.session, clock, uow.cause or "calendar-assumed")
        admins = uow.session.scalars(select(User).where(User.role == Role.ADMIN, User.active.is_(True)))
        for admin in admins:
            target = user_target(admin)
            if target is not None:
                replies.text(
                    target,
                    f"【管理员提醒】{message}",
                    key=f"calendar-assumed:{day.year}:{day.isoformat()}:{admin.id}",
                )
        uow.commit()


# -------------------------------------------------------------- the log
def last_occurrence(db: Database, job: str) -> datetime | None:
    """The newest *scheduled* occurrence recorded (manual runs do not move the schedule)."""
    with db.sessions() as session:
        value: datetime | None = session.scalar(
            select(func.max(ScheduledRun.occurrence)).where(ScheduledRun.job == job, ScheduledRun.run_no == 0)
        )
        return value


def abandoned_runs(db: Database, job: str, now: datetime, since: datetime) -> list[datetime]:
    """Occurrences since ``since`` still "running" long after they started: their process died."""
    with db.sessions() as session:
        return list(
            session.scalars(
                select(ScheduledRun.occurrence).where(
                    ScheduledRun.job == job,
                    ScheduledRun.run_no == 0,
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
