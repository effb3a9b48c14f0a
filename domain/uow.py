"""Unit of work: one transaction, one actor, one cause.

Every use case runs inside ``with UnitOfWork(db, ...) as uow:`` and ends with
``uow.commit()``. The unit of work knows *who* acts (a user, the org file,
the scheduler) and *which inbound event* caused the change, so the audit log
and the outbox rows written in the same transaction carry both.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from domain.clock import Clock, SystemClock
from domain.db import Database
from domain.errors import Conflict
from domain.models import AuditEntry, User


class UnitOfWork:
    session: Session

    def __init__(
        self,
        db: Database,
        clock: Clock | None = None,
        actor: User | None = None,
        actor_label: str | None = None,
        cause: str | None = None,
    ) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.actor_id = actor.id if actor is not None else None
        self.actor_label = actor_label or (actor.name if actor is not None else "system")
        self.cause = cause
        self._committed = False
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self.db.sessions()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.session.rollback()
        self.session.close()

    def act_as(self, actor: User | None, label: str | None = None) -> None:
        """Set the acting user once it is known (e.g. after resolving a sender)."""
        self.actor_id = actor.id if actor is not None else None
        self.actor_label = label or (actor.name if actor is not None else self.actor_label)

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise Conflict("该记录刚被其他人修改过，请刷新后重试") from exc

    def commit(self) -> None:
        try:
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            raise Conflict("该记录刚被其他人修改过，请刷新后重试") from exc
        self._committed = True
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this transaction has committed (for side stores such as Redis)."""
        self._after_commit.append(callback)

    def rollback(self) -> None:
        self.session.rollback()
        self._after_commit.clear()

    def audit(
        self,
        action: str,
        entity_type: str,
        entity_id: object,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Record a change in the audit log inside this transaction."""
        entry = AuditEntry(
            at=self.clock.now(),
            actor_id=self.actor_id,
            actor_label=self.actor_label,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            before=before,
            after=after,
            cause_event=self.cause,
        )
        self.session.add(entry)
        return entry
