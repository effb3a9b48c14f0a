"""What one process holds: settings, the database, Redis (if configured), the clock.

Built once per process (web worker, scheduler, CLI command) and passed to
whatever needs it, so tests can build one per test with their own database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.settings import Settings
from domain.clock import Clock, SystemClock
from domain.db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    redis: Any | None = None  # redis.Redis when SALESBOT_REDIS_URL is set

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        redis_client = None
        if settings.redis_url:
            import redis

            redis_client = redis.Redis.from_url(
                settings.redis_url, socket_timeout=5, socket_connect_timeout=2
            )
        return cls(
            settings=settings,
            db=Database(settings.database_url),
            clock=clock or SystemClock(),
            redis=redis_client,
        )

    def close(self) -> None:
        self.db.dispose()
        if self.redis is not None:
            self.redis.close()
