"""Cards we sent and the single-use codes that let us update them.

WeCom hands out a fresh response_code with every send and every tap, each
good once within 72 hours. We keep the latest per card and user; an update
for everyone (atall) may use any of them, and then it is spent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from domain.models import CardRecord, CardResponseCode

CODE_LIFETIME = timedelta(hours=72)


def record_card(
    session: Session,
    *,
    card_id: str,
    platform: str,
    purpose: str,
    content: dict[str, Any],
    recipients: list[str],
    now: datetime,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> CardRecord:
    card = session.get(CardRecord, card_id)
    if card is None:
        card = CardRecord(
            card_id=card_id,
            platform=platform,
            purpose=purpose,
            entity_type=entity_type,
            entity_id=entity_id,
            recipients=list(recipients),
            content=content,
            status="open",
            created_at=now,
            updated_at=now,
        )
        session.add(card)
    else:
        card.recipients = sorted(set(card.recipients) | set(recipients))
        card.content = content
        card.updated_at = now
    return card


def get_card(session: Session, card_id: str) -> CardRecord | None:
    return session.get(CardRecord, card_id)


def set_content(
    session: Session, card: CardRecord, content: dict[str, Any], now: datetime, status: str
) -> None:
    card.content = content
    card.status = status
    card.updated_at = now


def remember_code(session: Session, card_id: str, user_id: str, code: str, now: datetime) -> None:
    """Keep the freshest code per card and user (one atomic upsert: taps arrive concurrently)."""
    values = {"card_id": card_id, "user_id": user_id, "code": code, "received_at": now, "used": False}
    dialect = session.get_bind().dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert_fn(CardResponseCode).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["card_id", "user_id"],
        set_={"code": code, "received_at": now, "used": False},
    )
    session.execute(stmt)


def take_code(session: Session, card_id: str, now: datetime) -> str | None:
    """The freshest unused, unexpired code for this card; marked used (it is single-use)."""
    row = session.scalar(
        select(CardResponseCode)
        .where(
            CardResponseCode.card_id == card_id,
            CardResponseCode.used.is_(False),
            CardResponseCode.received_at > now - CODE_LIFETIME,
        )
        .order_by(CardResponseCode.received_at.desc(), CardResponseCode.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    row.used = True
    return row.code


def has_code(session: Session, card_id: str, now: datetime) -> bool:
    """Whether an unused, unexpired code is left to update this card in place (WeCom)."""
    return spare_codes(session, card_id, now) > 0


def spare_codes(session: Session, card_id: str, now: datetime) -> int:
    """How many unused, unexpired codes this card has (a send's and each tapper's)."""
    from sqlalchemy import func

    return int(
        session.scalar(
            select(func.count())
            .select_from(CardResponseCode)
            .where(
                CardResponseCode.card_id == card_id,
                CardResponseCode.used.is_(False),
                CardResponseCode.received_at > now - CODE_LIFETIME,
            )
        )
        or 0
    )


def card_for_entity(session: Session, entity_type: str, entity_id: str) -> CardRecord | None:
    """The latest card we sent about a record (to update it when the record changes)."""
    return session.scalar(
        select(CardRecord)
        .where(CardRecord.entity_type == entity_type, CardRecord.entity_id == entity_id)
        .order_by(CardRecord.created_at.desc())
        .limit(1)
    )


def cards_for_entity(session: Session, entity_type: str, entity_id: str) -> list[CardRecord]:
    """Every card we sent about a record (an approval step's card, its re-sends, the escalation copy)."""
    return list(
        session.scalars(
            select(CardRecord)
            .where(CardRecord.entity_type == entity_type, CardRecord.entity_id == entity_id)
            .order_by(CardRecord.created_at, CardRecord.card_id)
        )
    )
