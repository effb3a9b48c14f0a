"""What one process holds: settings, the database, Redis (if configured), the clock, channels.

Built once per process (web worker, scheduler, CLI command) and passed to
whatever needs it, so tests can build one per test with their own database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.channels import Channel
from bot.delivery import Deliverer
from bot.jobs_runner import JobRunner
from bot.processing import InboxProcessor
from bot.settings import Settings
from bot.wecom.channel import WeComChannel, build_wecom_client
from bot.wecom.client import WeComClient
from bot.wecom.crypto import WeComCrypto
from bot.worker import BackgroundWorker
from domain.clock import Clock, SystemClock
from domain.db import Database
from handlers.conversation import DatabaseConversations, RedisConversations
from handlers.root import build_router


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    redis: Any | None = None  # redis.Redis when SALESBOT_REDIS_URL is set
    channels: dict[str, Channel] = field(default_factory=dict)
    wecom_client: WeComClient | None = None

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        redis_client = None
        if settings.redis_url:
            import redis

            redis_client = redis.Redis.from_url(
                settings.redis_url, socket_timeout=5, socket_connect_timeout=2
            )
        rt = cls(
            settings=settings,
            db=Database(settings.database_url),
            clock=clock or SystemClock(),
            redis=redis_client,
        )
        if settings.wecom_enabled:
            assert settings.wecom_corp_id and settings.wecom_secret
            rt.wecom_client = build_wecom_client(
                api_base=settings.wecom_api_base,
                corp_id=settings.wecom_corp_id,
                secret=settings.wecom_secret,
                agent_id=settings.wecom_agent_id or 0,
                clock=rt.clock,
                redis_url=settings.redis_url,
            )
            rt.channels["wecom"] = WeComChannel(rt.wecom_client, default_url=settings.public_base_url)
        return rt

    def wecom_crypto(self) -> WeComCrypto | None:
        s = self.settings
        if not (s.wecom_enabled and s.wecom_token and s.wecom_aes_key and s.wecom_corp_id):
            return None
        return WeComCrypto(s.wecom_token, s.wecom_aes_key, s.wecom_corp_id)

    def make_worker(self) -> BackgroundWorker:
        lease = timedelta(seconds=self.settings.inbox_lease_s)
        conversations = RedisConversations(self.redis) if self.redis is not None else DatabaseConversations()
        processor = InboxProcessor(self.db, build_router(), self.clock, lease, conversations)
        jobs = JobRunner(self.db, self.clock, self.channels, self.settings.ocr_engine, conversations)
        return BackgroundWorker(processor, Deliverer(self.db, self.channels, self.clock), jobs)

    def close(self) -> None:
        self.db.dispose()
        if self.redis is not None:
            self.redis.close()
        if self.wecom_client is not None:
            self.wecom_client.close()
