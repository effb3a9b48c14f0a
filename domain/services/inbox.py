"""The durable inbox: store first, acknowledge second, process exactly once.

``store`` is one atomic INSERT against a unique (platform, dedupe_key): the
platform's retries and a second worker both lose that race harmlessly.
``claim`` leases a row to one worker for a while; ``finish`` marks it done
*in the handler's own transaction* and only if the lease is still ours, so
the domain change, its replies and "done" commit together or not at all.
A worker that dies leaves its lease to expire; the row is claimed again.

**One sender, one line.** Every row carries an ``order_key``: the sender's
platform identity, or the group chat for group events (``order_key_for``).
Only the *head* of a line may be leased: the oldest pending row of its key,
and only while no other row of that key is leased. So one person's events
are handled one at a time in arrival order, by whichever worker on whichever
machine, while different people are handled in parallel (event isolation
per chat, as aiogram's ``SimpleEventIsolation`` does in one process; here the
database is the lock, so it holds across processes). A failed row waiting
for its retry is still pending, so it holds its line; ``set_aside`` moves it
to a line of its own once the hold has lasted long enough (the processor
decides when and tells the person).
"""

from __future__ import annotations

import hashlib
import logging
import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from domain.models import InboxEvent

DEFAULT_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
ASIDE = "#aside:"  # marks an order key a failed event was moved to (its own line)


def order_key_for(platform: str, sender_id: str, conversation_id: str | None = None) -> str:
    """The line an event waits in: the group chat for group events, else the sender."""
    if conversation_id:
        return f"{platform}:chat:{conversation_id}"
    return f"{platform}:user:{sender_id}"


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
                order_key=order_key_for(platform, sender_id, payload.get("conversation_id")),
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


def _free(now: datetime) -> ColumnElement[bool]:
    return and_(
        InboxEvent.status == "pending",
        or_(InboxEvent.locked_until.is_(None), InboxEvent.locked_until < now),
    )


def _line_is_clear(now: datetime) -> ColumnElement[bool]:
    """No other row of the same line is older and unfinished, or leased right now."""
    other = aliased(InboxEvent)
    return ~exists().where(
        other.order_key == InboxEvent.order_key,
        other.status == "pending",
        other.id != InboxEvent.id,
        or_(other.id < InboxEvent.id, other.locked_until >= now),
    )


def due_ids(session: Session, now: datetime, limit: int = 50) -> list[int]:
    """Rows that may be leased now: the free head of each line, oldest first."""
    query = select(InboxEvent.id).where(_free(now), _line_is_clear(now)).order_by(InboxEvent.id).limit(limit)
    return list(session.scalars(query))


def claim(
    session: Session, event_id: int, now: datetime, lease: timedelta = DEFAULT_LEASE
) -> datetime | None:
    """Lease one row if it is the free head of its line; its lease's end, or None."""
    if session.get_bind().dialect.name == "postgresql":
        key = session.scalar(select(InboxEvent.order_key).where(InboxEvent.id == event_id))
        if key is None:
            session.rollback()
            return None
        _lock_line(session, key)
    until = now + lease
    result = session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event_id, _free(now), _line_is_clear(now))
        .values(locked_until=until, attempts=InboxEvent.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return until if result.rowcount == 1 else None  # type: ignore[attr-defined]


def _lock_line(session: Session, key: str) -> None:
    """PostgreSQL: serialise claims within one line for the rest of this transaction.

    Two workers could otherwise each lease a different row of the same line at
    the same instant, each not yet seeing the other's uncommitted lease (possible
    only when two rows of one person commit out of id order). The advisory lock
    makes the second claim's UPDATE start after the first commits, so it sees it.
    SQLite needs none: its writers are serialised by the database lock.
    """
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def claim_next(
    session: Session, now: datetime, lease: timedelta = DEFAULT_LEASE, tries: int = 3
) -> tuple[int, datetime] | None:
    """Lease the oldest free head of any line: (row id, lease end), or None when none is free.

    PostgreSQL picks the candidate with ``FOR UPDATE SKIP LOCKED``, so workers asking at
    the same moment spread over different people instead of queueing on one row.
    A bounded number of statements whatever the backlog (index ``ix_inbox_order``).
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    for _ in range(tries):
        query = (
            select(InboxEvent.id, InboxEvent.order_key)
            .where(_free(now), _line_is_clear(now))
            .order_by(InboxEvent.id)
            .limit(1)
        )
        if postgres:
            query = query.with_for_update(skip_locked=True, of=InboxEvent)
        head = session.execute(query).first()
        if head is None:
            session.rollback()
            return None
        if postgres:
            _lock_line(session, head.order_key)
        until = now + lease
        result = session.execute(
            update(InboxEvent)
            .where(InboxEvent.id == head.id, _free(now), _line_is_clear(now))
            .values(locked_until=until, attempts=InboxEvent.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return int(head.id), until
    return None


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
    session: Session,
    event_id: int,
    lease_until: datetime,
    error: str,
    retry_at: datetime | None,
    set_aside: bool = False,
) -> None:
    """Record a failed attempt: retry after ``retry_at`` or give up (status failed).

    While it waits for its retry the row still holds its line (the sender's later
    events wait). ``set_aside`` moves it to a line of its own, so they go ahead.
    """
    row = session.get(InboxEvent, event_id)
    if row is None or row.locked_until != lease_until:
        return
    row.error = error[:4000]
    if retry_at is None or row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        row.locked_until = None
    else:
        row.locked_until = retry_at
        if set_aside and not is_set_aside(row):
            row.order_key = f"{row.order_key}{ASIDE}{row.id}"
    session.commit()


def is_set_aside(row: InboxEvent) -> bool:
    return ASIDE in row.order_key


def load(session: Session, event_id: int) -> InboxEvent | None:
    return session.get(InboxEvent, event_id)
