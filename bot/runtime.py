"""What one process holds: settings, the database, Redis (if configured), the clock, channels.

Built once per process (web worker, scheduler, CLI command) and passed to
whatever needs it, so tests can build one per test with their own database.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.channels import Channel
from bot.chatfirst import ChatFirst, LocalChatFirst, RedisChatFirst
from bot.delivery import Deliverer
from bot.dingtalk.channel import DingTalkChannel, build_dingtalk_client
from bot.dingtalk.client import DingTalkClient
from bot.dingtalk.orgevents import DingTalkOrgEvents
from bot.dingtalk.stream import StreamClient
from bot.erp import ErpWebhookChannel
from bot.jobs_runner import JobRunner
from bot.photos import store_from_settings
from bot.processing import InboxProcessor, PlatformEventHook
from bot.queues import QUEUES
from bot.settings import Settings
from bot.wakeups import RedisWakeups
from bot.wecom.channel import WeComChannel, build_wecom_client
from bot.wecom.client import WeComClient
from bot.wecom.crypto import WeComCrypto
from bot.wecom.orgevents import WeComOrgEvents
from bot.worker import BackgroundWorker
from domain.clock import Clock, SystemClock, set_business_timezone
from domain.db import Database
from domain.links import PageLinks
from domain.uow import UnitOfWork
from handlers.conversation import ConversationStore, DatabaseConversations
from handlers.root import build_router

#: Outbox platforms that talk to outside systems (slow, may hang): delivered in their own thread.
SLOW_PLATFORMS = ("erp",)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    redis: Any | None = None  # redis.Redis when SALESBOT_REDIS_URL is set
    channels: dict[str, Channel] = field(default_factory=dict)
    wecom_client: WeComClient | None = None
    dingtalk_client: DingTalkClient | None = None
    # The one conversation store of this process: handlers, the OCR job and every other writer of
    # a person's pending question get this object (make_worker). It is the database store even
    # with Redis configured: the state commits with the event that set it, so the person's next
    # message -- handled perhaps a millisecond later by a worker on another machine -- always
    # sees it. (RedisConversations writes after the commit, which that next event can overtake.)
    conversations: ConversationStore = field(default_factory=DatabaseConversations)
    # Chat first (bot/chatfirst.py): chat loops mark, OCR engines wait; None when SALESBOT_OCR_CHAT_FIRST=false.
    chat_first: ChatFirst | None = None

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        set_business_timezone(settings.timezone)  # BUSINESS_TZ, wherever it is read, follows the setting
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
        if settings.ocr_chat_first:
            rt.chat_first = (
                RedisChatFirst(redis_client, settings.machine_id) if redis_client is not None else LocalChatFirst()
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
        if settings.dingtalk_enabled:
            assert settings.dingtalk_app_key and settings.dingtalk_app_secret
            rt.dingtalk_client = build_dingtalk_client(
                api_base=settings.dingtalk_api_base,
                oapi_base=settings.dingtalk_oapi_base,
                app_key=settings.dingtalk_app_key,
                app_secret=settings.dingtalk_app_secret,
                robot_code=settings.dingtalk_robot_code,
                agent_id=settings.dingtalk_agent_id,
                clock=rt.clock,
                redis_url=settings.redis_url,
            )
            rt.channels["dingtalk"] = DingTalkChannel(
                rt.dingtalk_client,
                template_id=settings.dingtalk_card_template_id,
                # HTTP mode: taps come back to /callbacks/dingtalk/card; stream mode: over the socket.
                callback_route_key=settings.dingtalk_card_route_key if settings.dingtalk_mode == "http" else None,
            )
        # ERP webhooks: endpoints live in the database (`salesbot webhooks add`); none, nothing queued.
        rt.channels["erp"] = ErpWebhookChannel()
        # Holiday schedules loaded with `salesbot calendar load` reach this process within a minute.
        from domain import workcalendar
        from domain.services.workcalendar_data import reader

        workcalendar.use_source(reader(rt.db))
        return rt

    def wecom_crypto(self) -> WeComCrypto | None:
        s = self.settings
        if not (s.wecom_enabled and s.wecom_token and s.wecom_aes_key and s.wecom_corp_id):
            return None
        return WeComCrypto(s.wecom_token, s.wecom_aes_key, s.wecom_corp_id)

    @property
    def page_links(self) -> PageLinks | None:
        """Signed links to the H5 pages for cards; None (no links) without SALESBOT_H5_SECRET."""
        s = self.settings
        if not s.h5_secret:
            return None
        return PageLinks(s.public_base_url, s.h5_secret.encode(), timedelta(hours=s.h5_link_ttl_hours))

    def make_stream_client(self, on_stored: Callable[[], None]) -> StreamClient | None:
        """The DingTalk Stream connection (``SALESBOT_DINGTALK_MODE=stream``); None in HTTP mode."""
        s = self.settings
        if not (s.dingtalk_enabled and s.dingtalk_mode == "stream"):
            return None
        assert s.dingtalk_app_key and s.dingtalk_app_secret
        return StreamClient(
            db=self.db,
            clock=self.clock,
            api_base=s.dingtalk_api_base,
            app_key=s.dingtalk_app_key,
            app_secret=s.dingtalk_app_secret,
            on_stored=on_stored,
        )

    def make_worker(self, queues: Collection[str] = QUEUES) -> BackgroundWorker:
        """The worker for ``queues`` (chat: inbox events, ocr: jobs, delivery: the outbox).

        Only what a queue needs is built: a worker without "ocr" never loads the engine.
        """
        s = self.settings
        conversations = self.conversations
        links = self.page_links
        processor = None
        if "chat" in queues:
            processor = InboxProcessor(
                self.db,
                build_router(),
                self.clock,
                timedelta(seconds=s.inbox_lease_s),
                conversations,
                links=links,
                platform_events=_first_hook(
                    DingTalkOrgEvents(self.dingtalk_client, s.org_team_level),
                    WeComOrgEvents(self.wecom_client, s.org_team_level),
                ),
                hold=timedelta(seconds=s.inbox_hold_s),
            )
        jobs = None
        if "ocr" in queues:
            jobs = JobRunner(
                self.db,
                self.clock,
                self.channels,
                s.ocr_engine,
                conversations,
                links=links,
                threads=s.ocr_threads,
                lease=timedelta(seconds=s.job_lease_s),
                photos=store_from_settings(s.photo_dir),
                chat_first=self.chat_first,
            )
        chat = slow = None
        if "delivery" in queues:
            lease = timedelta(seconds=s.outbox_lease_s)
            chat = Deliverer(self.db, self.channels, self.clock, exclude=SLOW_PLATFORMS, lease=lease)
            slow = Deliverer(self.db, self.channels, self.clock, only=SLOW_PLATFORMS, lease=lease)
        wakeups = RedisWakeups(self.redis) if self.redis is not None else None
        poll_s = s.worker_poll_s or (2.0 if wakeups is not None else 0.5)
        return BackgroundWorker(
            processor,
            chat,
            jobs,
            poll_s=poll_s,
            slow_deliverer=slow,
            wakeups=wakeups,
            chat_first=self.chat_first,
        )

    def close(self) -> None:
        self.db.dispose()
        if self.redis is not None:
            self.redis.close()
        if self.wecom_client is not None:
            self.wecom_client.close()
        if self.dingtalk_client is not None:
            self.dingtalk_client.close()
        erp = self.channels.get("erp")
        if isinstance(erp, ErpWebhookChannel):
            erp.close()


def _first_hook(*hooks: PlatformEventHook) -> PlatformEventHook:
    """One platform-event hook made of several: the first that takes the event applies it."""

    def hook(uow: UnitOfWork, payload: dict[str, Any]) -> bool:
        return any(h(uow, payload) for h in hooks)

    return hook
