"""The outbox: every message we owe someone, written with the change that caused it.

Rows are written inside the caller's unit of work, so a rolled-back change
never leaves a message behind and a committed one always does. The dedupe
key makes writing the same reply twice (a redelivered event, a re-run job)
a no-op. Delivery (in ``bot/``) claims due rows, sends, and records the
platform's answer here.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from domain.models import OutboxMessage

SEND_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8


def already_written(session: Session, dedupe_key: str) -> bool:
    """Whether a message with this dedupe key was already written (e.g. today's welcome card)."""
    return session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    platform: str,
    target_kind: str,
    target: str,
    msg_type: str,
    payload: dict[str, Any],
    now: datetime,
    card_id: str | None = None,
    cause_event: str | None = None,
) -> OutboxMessage | None:
    """Add a message unless one with the same dedupe key exists; returns the new row or None."""
    existing = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return None
    pending = [o for o in session.new if isinstance(o, OutboxMessage) and o.dedupe_key == dedupe_key]
    if pending:
        return None
    row = OutboxMessage(
        dedupe_key=dedupe_key,
        platform=platform,
        target_kind=target_kind,
        target=target,
        msg_type=msg_type,
        payload=payload,
        card_id=card_id,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        cause_event=cause_event,
    )
    session.add(row)
    return row


def due_ids(
    session: Session,
    now: datetime,
    limit: int = 50,
    *,
    only: Collection[str] | None = None,
    exclude: Collection[str] = (),
) -> list[int]:
    """Rows due now, oldest first; ``only`` / ``exclude`` pick platforms (slow ERP hooks get their own sender)."""
    query = select(OutboxMessage.id).where(
        or_(
            (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
            # a sender that died mid-send: its lease (next_attempt_at) ran out
            (OutboxMessage.status == "sending") & (OutboxMessage.next_attempt_at <= now),
        )
    )
    query = query.where(or_(OutboxMessage.target_kind == "webhook", _first_unsent_to_recipient()))
    if only is not None:
        query = query.where(OutboxMessage.platform.in_(list(only)))
    if exclude:
        query = query.where(OutboxMessage.platform.not_in(list(exclude)))
    return list(session.scalars(query.order_by(OutboxMessage.id).limit(limit)))


def _first_unsent_to_recipient() -> ColumnElement[bool]:
    """One person's messages leave in the order they were written, whichever worker sends them.

    A row is due only when no older row to the same recipient is still unsent (pending,
    postponed or being sent). Once true this stays true (an older row only ever becomes
    sent or failed), so checking it here, before the lease, is enough. ERP webhooks
    (target_kind "webhook") are exempt: each carries its own event id, and one retried for
    a day must not hold back the rest.
    """
    older = aliased(OutboxMessage)
    return ~exists().where(
        older.platform == OutboxMessage.platform,
        older.target == OutboxMessage.target,
        older.status.in_(("pending", "sending")),
        older.id < OutboxMessage.id,
    )


def claim(session: Session, message_id: int, now: datetime) -> OutboxMessage | None:
    """Lease one due row to this sender (status sending until the lease ends)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(status="sending", next_attempt_at=now + SEND_LEASE, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(OutboxMessage, message_id, populate_existing=True)


def mark_sent(session: Session, row: OutboxMessage, now: datetime, platform_msgid: str | None) -> None:
    row.status = "sent"
    row.sent_at = now
    row.platform_msgid = platform_msgid
    row.last_error = None
    session.commit()


def postpone(
    session: Session, row: OutboxMessage, until: datetime, errcode: int | None, error: str | None
) -> None:
    """Try again later (rate limit, platform busy); gives up after MAX_ATTEMPTS."""
    row.last_errcode = errcode
    row.last_error = error
    if errcode is not None and row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
    else:
        row.status = "pending"
        row.next_attempt_at = until
    session.commit()


def release(session: Session, row: OutboxMessage, until: datetime) -> None:
    """Hand a claimed row back untouched (pacing), not counting the attempt."""
    row.status = "pending"
    row.attempts = max(0, row.attempts - 1)
    row.next_attempt_at = until
    session.commit()


def mark_failed(session: Session, row: OutboxMessage, errcode: int | None, error: str) -> None:
    row.status = "failed"
    row.last_errcode = errcode
    row.last_error = error
    session.commit()


def sent_to_since(session: Session, platform: str, target: str, since: datetime) -> int:
    """How many messages went to one recipient since ``since`` (per-member pacing)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.platform == platform,
                OutboxMessage.target == target,
                OutboxMessage.status == "sent",
                OutboxMessage.sent_at >= since,
            )
        )
        or 0
    )


def listing(session: Session, failed_only: bool = False, limit: int = 100) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if failed_only:
        query = query.where(OutboxMessage.status == "failed")
    return list(session.scalars(query))
