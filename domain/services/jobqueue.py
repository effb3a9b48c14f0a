"""A durable job queue in the database: enqueue with the change, lease, run, finish.

The same lease discipline as the inbox (see ``inbox.py``): exactly one
worker holds a job at a time, and a job whose worker died runs again once
its lease ends. Attempts are capped, so a photo that crashes the engine
cannot retry forever.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.models import Job
from domain.services import leases

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 3


def enqueue(
    session: Session, *, kind: str, dedupe_key: str, payload: dict[str, Any], now: datetime, cause: str | None
) -> bool:
    """Queue a job in the caller's transaction; False if the same job was queued before."""
    if session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key)) is not None:
        return False
    session.add(
        Job(
            kind=kind,
            dedupe_key=dedupe_key,
            payload=payload,
            status="pending",
            attempts=0,
            created_at=now,
            cause_event=cause,
        )
    )
    return True


def due_ids(session: Session, now: datetime, limit: int = 10) -> list[int]:
    return leases.free_ids(session, Job, now, limit)


def claim(session: Session, job_id: int, now: datetime, lease: timedelta = LEASE) -> Job | None:
    if leases.take(session, Job, job_id, now, lease) is None:
        return None
    job = session.get(Job, job_id, populate_existing=True)
    if job is not None and job.attempts > MAX_ATTEMPTS:
        job.status, job.error = "failed", (job.error or "") + " | gave up after repeated crashes"
        session.commit()
        return None
    return job


def finish(session: Session, job: Job, now: datetime, status: str = "done", error: str | None = None) -> bool:
    """Mark the job finished in the caller's transaction, only while our lease holds."""
    result = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == "pending", Job.locked_until == job.locked_until)
        .values(status=status, finished_at=now, locked_until=None, error=error)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
