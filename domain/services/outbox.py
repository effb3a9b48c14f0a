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

from sqlalchemy import ColumnElement, case, exists, func, or_, select, update
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
    """Rows due now, replies before scheduled jobs' rows, oldest first; ``only`` / ``exclude`` pick
    platforms (slow ERP hooks get their own sender)."""
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
    # Replies to someone who just wrote or tapped go before the scheduled jobs' bulk (a Monday's charts,
    # a morning's reminder cards): a reply written during a burst must not wait for the burst to drain.
    # Each person's own messages still leave in the order written (the filter above).
    bulk = case((OutboxMessage.cause_event.like("job:%"), 1), else_=0)
    return list(session.scalars(query.order_by(bulk, OutboxMessage.id).limit(limit)))


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


def revise_unsent_card(session: Session, card_id: str, card: dict[str, Any]) -> bool:
    """Put ``card`` into the not yet sent first send(s) of a card; False if none is left unsent.

    Conditional on the row still being pending, so it never races a sender: once a sender has
    leased the row (status sending) this changes nothing and the caller updates the card instead.
    """
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.payload).where(
            OutboxMessage.card_id == card_id, OutboxMessage.msg_type == "card", OutboxMessage.status == "pending"
        )
    ).all()
    revised = 0
    for row_id, payload in rows:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status == "pending")
            .values(payload={**payload, "card": card})
            .execution_options(synchronize_session=False)
        )
        revised += result.rowcount  # type: ignore[attr-defined]
    return revised > 0


def card_send_unfinished(session: Session, card_id: str) -> bool:
    """Whether a first send of this card is still to be sent or being sent (no answer recorded yet)."""
    return (
        session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.card_id == card_id,
                OutboxMessage.msg_type == "card",
                OutboxMessage.status.in_(("pending", "sending")),
            )
        )
        is not None
    )


def claim(
    session: Session, message_id: int, now: datetime, lease: timedelta = SEND_LEASE
) -> OutboxMessage | None:
    """Lease one due row to this sender (status sending until the lease ends; then another may resend it)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(status="sending", next_attempt_at=now + lease, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(OutboxMessage, message_id, populate_existing=True)


#: Kept on a row sent again after its first sender stopped mid-send (killed, lease ran out): the
#: first send may have reached the platform. ``salesbot outbox list`` shows it.
TAKEN_OVER = "resent after its sender stopped mid-send: the first send may also have arrived"


def status_of(session: Session, message_id: int) -> str | None:
    return session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id))


def mark_sent(
    session: Session, row: OutboxMessage, now: datetime, platform_msgid: str | None, note: str | None = None
) -> None:
    row.status = "sent"
    row.sent_at = now
    row.platform_msgid = platform_msgid
    row.last_error = note
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


#: How a row names several people: cards to approver and submitter go out as one send to
#: ``a|b`` (WeCom never accepts a task_id twice); card-update fallbacks list ``a,b``.
RECIPIENT_SEPARATORS = ("|", ",")


def recipients(row: OutboxMessage) -> list[str]:
    """Every person a row may reach (one, or each of ``a|b`` / ``a,b``); none for chats and webhooks."""
    if row.target_kind not in ("user", "card"):
        return []
    people = [row.target]
    for sep in RECIPIENT_SEPARATORS:
        people = [p for part in people for p in part.split(sep)]
    return list(dict.fromkeys(p for p in people if p))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def sent_to_since(session: Session, platform: str, target: str, since: datetime) -> int:
    """How many messages reached one person since ``since`` (per-member pacing), whatever the addressing.

    WeCom's 30-a-minute rule counts what each member receives, so a row for
    ``LiNa|ZhangWei`` counts for both, and a card update counts when it fell
    back to a text (its row then carries the text's msgid; an in-place update
    carries none). Separators in the LIKE patterns are matched literally and
    the person's id is escaped (user ids may contain ``_``).
    """
    who = _escape_like(target)
    patterns = [f"{who}{s}%" for s in RECIPIENT_SEPARATORS] + [f"%{s}{who}" for s in RECIPIENT_SEPARATORS]
    patterns += [f"%{a}{who}{b}%" for a in RECIPIENT_SEPARATORS for b in RECIPIENT_SEPARATORS]
    addressed = or_(OutboxMessage.target == target, *(OutboxMessage.target.like(p, escape="\\") for p in patterns))
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.platform == platform,
                OutboxMessage.status == "sent",
                OutboxMessage.sent_at >= since,
                OutboxMessage.target_kind.in_(("user", "card")),
                addressed,
                or_(OutboxMessage.msg_type != "card_update", OutboxMessage.platform_msgid.is_not(None)),
            )
        )
        or 0
    )


#: How long a person the platform throttled waits before their copy is sent again.
THROTTLED_RETRY = timedelta(seconds=60)


def retry_for(session: Session, row: OutboxMessage, people: Collection[str], now: datetime) -> OutboxMessage | None:
    """A copy of ``row`` for the ``people`` the platform reported it did not deliver to (throttled).

    The row itself is marked sent for everyone else; the copy, due a minute later, carries
    the same payload to just these people, so a drop the platform reports is retried, never
    lost behind a ``sent`` (issue #19). Its dedupe key names the attempt: a resend of the
    row after a crash does not add a second copy.
    """
    copy = enqueue(
        session,
        dedupe_key=f"{row.dedupe_key}~throttled{row.attempts}",
        platform=row.platform,
        target_kind=row.target_kind,
        target="|".join(people),
        msg_type=row.msg_type,
        payload=row.payload,
        now=now,
        card_id=row.card_id,
        cause_event=row.cause_event,
    )
    if copy is not None:
        copy.next_attempt_at = now + THROTTLED_RETRY
    return copy


def listing(session: Session, failed_only: bool = False, limit: int = 100) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if failed_only:
        query = query.where(OutboxMessage.status == "failed")
    return list(session.scalars(query))
