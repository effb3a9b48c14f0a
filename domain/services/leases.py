"""Leasing rows of a work table (inbox, jobs) to one worker at a time.

A row is *free* when it is pending and nobody holds it (never leased, or the
lease ran out because its worker died). Taking the lease is one conditional
UPDATE, so two workers can never both win it, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session


def free_ids(session: Session, model: Any, now: datetime, limit: int) -> list[int]:
    """Free rows, oldest first."""
    query = (
        select(model.id)
        .where(model.status == "pending", or_(model.locked_until.is_(None), model.locked_until < now))
        .order_by(model.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def take(session: Session, model: Any, row_id: int, now: datetime, lease: timedelta) -> datetime | None:
    """Lease one row (and count the attempt); returns the lease's end, or None if it is held."""
    until = now + lease
    result = session.execute(
        update(model)
        .where(
            model.id == row_id,
            model.status == "pending",
            or_(model.locked_until.is_(None), model.locked_until < now),
        )
        .values(locked_until=until, attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return until if result.rowcount == 1 else None  # type: ignore[attr-defined]
