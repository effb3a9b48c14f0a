"""A running salesbot wired to the fake WeCom, as a user would meet it.

The service runs as a real HTTP server; the driver plays WeCom (real crypto,
retries); the fake WeCom records what each person would see in their app.
One frozen-but-movable clock is shared by all three, so tests can move time.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.app import create_app
from bot.fakes.wecom_driver import WeComDriver
from bot.fakes.wecom_server import AppConfig, BackgroundServer, FakeWeCom, InboxMessage
from bot.fakes.wecom_server import User as FakeUser
from bot.runtime import Runtime
from bot.settings import Settings
from domain.clock import FixedClock
from domain.db import Database
from handlers.conversation import ConversationStore
from tests.factories import load_example_org

TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP_ID = "ww0fake0corp00001"
SECRET = "fake-corp-secret-0001"
AGENT_ID = 1000002
MEMBERS = ["WangFang", "LiNa", "ZhangWei", "LiuYang", "ChenJing", "ZhaoLei", "SunLi", "ZhouQiang", "Stranger"]


def wecom_env(db_url: str, api_base: str, **extra: str) -> dict[str, str]:
    """Environment for a `salesbot` subprocess talking to the fake WeCom at ``api_base``."""
    env = {
        **os.environ,
        "SALESBOT_DATABASE_URL": db_url,
        "SALESBOT_WECOM_CORP_ID": CORP_ID,
        "SALESBOT_WECOM_AGENT_ID": str(AGENT_ID),
        "SALESBOT_WECOM_SECRET": SECRET,
        "SALESBOT_WECOM_TOKEN": TOKEN,
        "SALESBOT_WECOM_AES_KEY": AES_KEY,
        "SALESBOT_WECOM_API_BASE": api_base,
        **extra,
    }
    env.pop("SALESBOT_REDIS_URL", None)
    return env


@dataclass
class WeComStack:
    fake: FakeWeCom
    driver: WeComDriver
    runtime: Runtime
    clock: FixedClock
    base_url: str

    @property
    def db(self) -> Database:
        return self.runtime.db

    def seen_by(self, user: str) -> list[InboxMessage]:
        return self.fake.inbox_of(user)

    def texts_of(self, user: str) -> list[str]:
        return [m.content or "" for m in self.fake.inbox_of(user) if m.msgtype == "text"]

    def cards_of(self, user: str) -> list[InboxMessage]:
        return [m for m in self.fake.inbox_of(user) if m.msgtype == "template_card"]

    def wait_until(self, condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            self.runtime_worker_wake()
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def runtime_worker_wake(self) -> None:
        worker = getattr(self, "_worker", None)
        if worker is not None:
            worker.wake()


@contextmanager
def wecom_stack(
    db_url: str,
    *,
    with_org: bool = True,
    worker: bool = True,
    h5_secret: str | None = None,
    redis_url: str | None = None,
    conversations: ConversationStore | None = None,
) -> Iterator[WeComStack]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))

    def now() -> float:
        return clock.now().timestamp()

    fake = FakeWeCom(
        [AppConfig(corp_id=CORP_ID, corpsecret=SECRET, agent_id=AGENT_ID)],
        users=[FakeUser(u, u) for u in MEMBERS],
        clock=now,
    )
    fake.start()
    settings = Settings(
        database_url=db_url,
        photo_dir=tempfile.mkdtemp(prefix="salesbot-photos-"),  # never the working directory
        wecom_corp_id=CORP_ID,
        wecom_agent_id=AGENT_ID,
        wecom_secret=SECRET,
        wecom_token=TOKEN,
        wecom_aes_key=AES_KEY,
        wecom_api_base=fake.base_url,
        public_base_url="http://127.0.0.1:8000",
        h5_secret=h5_secret,
        redis_url=redis_url,
    )
    runtime = Runtime.build(settings, clock=clock)
    if conversations is not None:
        runtime.conversations = conversations
    if with_org:
        load_example_org(runtime.db, clock)
    app = create_app(runtime)
    server = BackgroundServer(app)
    base_url = server.start()
    background = app.state.worker
    if worker:
        background.start()
    driver = WeComDriver(
        f"{base_url}/callbacks/wecom", TOKEN, AES_KEY, CORP_ID, AGENT_ID, clock=now, fake=fake
    )
    stack = WeComStack(fake=fake, driver=driver, runtime=runtime, clock=clock, base_url=base_url)
    stack._worker = background  # type: ignore[attr-defined]
    try:
        yield stack
    finally:
        background.stop()
        server.begin_stop()  # both servers stop together
        fake.begin_stop()
        server.stop()
        fake.stop()
        runtime.close()
