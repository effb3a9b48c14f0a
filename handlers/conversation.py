"""Conversation state per person, with a timeout: the small state machine of multi-turn chats.

A state is a small JSON dict such as ``{"step": "ask_customer", "draft": {...}}``; every step is
listed, typed, in ``handlers/states.py``.
It lives in the database by default (written in the handler's transaction) or
in Redis when configured (written only after the transaction commits, so a
rolled-back handler never leaves a question behind). Expired states read as
no state: the person simply starts over.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Protocol

from domain.models import Conversation
from domain.uow import UnitOfWork

DEFAULT_TIMEOUT = timedelta(minutes=10)


class ConversationStore(Protocol):
    def get(self, uow: UnitOfWork, platform: str, user_id: str) -> dict[str, Any] | None: ...

    def set(
        self, uow: UnitOfWork, platform: str, user_id: str, state: dict[str, Any], timeout: timedelta
    ) -> None: ...

    def clear(self, uow: UnitOfWork, platform: str, user_id: str) -> None: ...


class DatabaseConversations:
    """The embedded default: a row per person in the ``conversations`` table."""

    def get(self, uow: UnitOfWork, platform: str, user_id: str) -> dict[str, Any] | None:
        row = uow.session.get(Conversation, (platform, user_id))
        if row is None or row.expires_at <= uow.clock.now():
            return None
        return dict(row.state)

    def set(
        self, uow: UnitOfWork, platform: str, user_id: str, state: dict[str, Any], timeout: timedelta
    ) -> None:
        now = uow.clock.now()
        row = uow.session.get(Conversation, (platform, user_id))
        if row is None:
            row = Conversation(
                platform=platform, user_id=user_id, state=state, expires_at=now + timeout, updated_at=now
            )
            uow.session.add(row)
        else:
            row.state, row.expires_at, row.updated_at = state, now + timeout, now

    def clear(self, uow: UnitOfWork, platform: str, user_id: str) -> None:
        row = uow.session.get(Conversation, (platform, user_id))
        if row is not None:
            uow.session.delete(row)


class RedisConversations:
    """Several workers: the state in Redis with a TTL, written after the handler commits.

    ``client`` is a redis.Redis; its TTL is real time, so tests that move the
    business clock use the database store.
    """

    def __init__(self, client: Any, prefix: str = "salesbot:conv:") -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, platform: str, user_id: str) -> str:
        return f"{self.prefix}{platform}:{user_id}"

    def get(self, uow: UnitOfWork, platform: str, user_id: str) -> dict[str, Any] | None:
        raw = self.client.get(self._key(platform, user_id))
        return json.loads(raw) if raw else None

    def set(
        self, uow: UnitOfWork, platform: str, user_id: str, state: dict[str, Any], timeout: timedelta
    ) -> None:
        key, data, ttl = (
            self._key(platform, user_id),
            json.dumps(state, ensure_ascii=False),
            int(timeout.total_seconds()),
        )
        uow.on_commit(lambda: self.client.set(key, data, ex=ttl))

    def clear(self, uow: UnitOfWork, platform: str, user_id: str) -> None:
        key = self._key(platform, user_id)
        uow.on_commit(lambda: self.client.delete(key))
