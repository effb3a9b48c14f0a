"""The durable inbox: store first, acknowledge second, process exactly once.

``store`` is one atomic INSERT against a unique (platform, dedupe_key): the
platform's retries and a second worker both lose that race harmlessly.
``claim`` leases a row to one worker for a while; ``finish`` marks it done
*in the handler's own transaction* and only if the lease is still ours, so
the domain change, its replies and "done" commit together or not at all.
A worker that dies leaves its lease to expire; the row is claimed again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.models import InboxEvent
from domain.services import leases

DEFAULT_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5


def store(
    session: Session,
    *,
    platform: str,
    dedupe_key: str,
    kind: str,
    sender_id: str,
    payload: dict[str, Any],
    now: datetime,
) -> int | None:
    """Insert and commit an inbound event; None if it was already there (a platform retry).

    A core INSERT, not the ORM: this is the callback's hot path and nothing needs the object.
    """
    try:
        result = session.execute(
            insert(InboxEvent).values(
                platform=platform,
                dedupe_key=dedupe_key,
                kind=kind,
                sender_id=sender_id,
                payload=payload,
                received_at=now,
                status="pending",
                attempts=0,
            )
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    key = result.inserted_primary_key  # type: ignore[attr-defined]
    return int(key[0]) if key else None


def due_ids(session: Session, now: datetime, limit: int = 50) -> list[int]:
    """Pending rows nobody holds (never claimed, or the lease ran out), oldest first."""
    return leases.free_ids(session, InboxEvent, now, limit)


def claim(
    session: Session, event_id: int, now: datetime, lease: timedelta = DEFAULT_LEASE
) -> datetime | None:
    """Lease one row to the caller; returns the lease's end, or None if someone else holds it."""
    return leases.take(session, InboxEvent, event_id, now, lease)


def finish(
    session: Session, event_id: int, lease_until: datetime, now: datetime, status: str = "done"
) -> bool:
    """Mark the row done inside the caller's transaction, only while our lease holds."""
    result = session.execute(
        update(InboxEvent)
        .where(
            InboxEvent.id == event_id, InboxEvent.status == "pending", InboxEvent.locked_until == lease_until
        )
        .values(status=status, processed_at=now, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def fail(
    session: Session, event_id: int, lease_until: datetime, error: str, retry_at: datetime | None
) -> None:
    """Record a failed attempt: retry after ``retry_at`` or give up (status failed)."""
    row = session.get(InboxEvent, event_id)
    if row is None or row.locked_until != lease_until:
        return
    row.error = error[:4000]
    if retry_at is None or row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        row.locked_until = None
    else:
        row.locked_until = retry_at
    session.commit()


def load(session: Session, event_id: int) -> InboxEvent | None:
    return session.get(InboxEvent, event_id)
