"""The durable inbox: store first, acknowledge second, process exactly once.

``store`` is one atomic INSERT against a unique (platform, dedupe_key): the
platform's retries and a second worker both lose that race harmlessly.
``claim`` leases a row to one worker for a while; ``finish`` marks it done
*in the handler's own transaction* and only if the lease is still ours, so
the domain change, its replies and "done" commit together or not at all.
A worker that dies leaves its lease to expire; the row is claimed again.
"""

from __future__ import annotations

import hashlib
import logging
import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.models import InboxEvent
from domain.services import leases

DEFAULT_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
#: Longest dedupe key kept as it is: the column holds 300, and replies, jobs and cards derive
#: their own keys from it with a prefix and suffix (``wecom:<key>#1``). Longer ones are hashed.
DEDUPE_KEY_MAX = 200
#: Column size of ``inbox_events.sender_id``; WeCom and DingTalk user ids are at most 64 bytes.
SENDER_ID_MAX = 128

log = logging.getLogger("salesbot.inbox")


class _Unstorable(ValueError):
    """The event holds something no row can keep faithfully (a NaN coordinate)."""


def _clean(value: Any) -> Any:
    """``value`` with NUL characters removed from every string (PostgreSQL text cannot hold U+0000).

    Why here: an event is acknowledged once stored; a NUL that reaches a
    visit's notes later fails on PostgreSQL on every attempt, so the event
    would be acked and then lost. Cleaning it once, before the ack, keeps the
    rest of the message. NaN / infinity have no JSON form: refused.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise _Unstorable(f"non-finite number {value!r}")
    return value


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
    """Insert and commit an inbound event; None if it was already there (a platform retry) or refused.

    A core INSERT, not the ORM: this is the callback's hot path and nothing needs the object.
    What the database cannot hold is dealt with *before* the caller acknowledges (issue #19):
    NUL characters are removed, a dedupe key longer than its column is replaced by its SHA-256
    (so the platform's retries still collide), and an event from a sender id no platform issues
    (longer than the column) or with a NaN/infinite number is refused: logged, not stored,
    acknowledged, so the platform stops resending something that would never be stored.
    """
    try:
        payload = _clean(payload)
    except _Unstorable as exc:
        log.warning("inbox refused an event", extra={"platform": platform, "reason": str(exc)})
        return None
    sender_id = _clean(sender_id)
    dedupe_key = _clean(dedupe_key)
    if len(sender_id) > SENDER_ID_MAX:
        log.warning("inbox refused an event", extra={"platform": platform, "reason": "sender id too long"})
        return None
    if len(dedupe_key) > DEDUPE_KEY_MAX:
        dedupe_key = "sha256:" + hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()
        if "dedupe_key" in payload:
            payload["dedupe_key"] = dedupe_key  # the handler derives its reply keys from this one
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
