"""A running salesbot wired to the fake DingTalk, as a user would meet it.

Mirrors ``wecom_stack``: the service runs as a real HTTP server; the driver plays DingTalk
(signed robot callbacks, encrypted event pushes, card taps, retries); the fake DingTalk
records what each person would see.  One frozen-but-movable clock is shared by all three.
The helpers (``seen_by``, ``texts_of``, ``cards_of``, ``wait_until``) have the same names
and meaning as WeComStack's, so scenario tests can run over both platforms.
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
from bot.fakes.dingtalk_driver import DingTalkDriver
from bot.fakes.dingtalk_server import AppConfig, FakeDingTalk, InboxMessage
from bot.fakes.wecom_server import BackgroundServer
from bot.runtime import Runtime
from bot.settings import Settings
from domain.clock import FixedClock
from domain.db import Database
from tests.factories import load_example_org

APP_KEY = "dingfakeappkey0001"
APP_SECRET = "fake-app-secret-0001-0123456789abcdef"
ROBOT_CODE = APP_KEY
TOKEN = "mryue"
AES_KEY = "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7"
TEMPLATE_ID = "a1b2c3d4-salesbot-card.schema"
ROUTE_KEY = "salesbot"
ZHANG = "0155667788"  # 张伟 in examples/org.yaml
WANG = "0122334455"  # 王芳
STRANGER = "0199999999"
MEMBERS = [ZHANG, WANG, STRANGER]


def dingtalk_env(db_url: str, api_base: str, **extra: str) -> dict[str, str]:
    """Environment for a `salesbot` subprocess talking to the fake DingTalk at ``api_base``."""
    env = {
        **os.environ,
        "SALESBOT_DATABASE_URL": db_url,
        "SALESBOT_DINGTALK_APP_KEY": APP_KEY,
        "SALESBOT_DINGTALK_APP_SECRET": APP_SECRET,
        "SALESBOT_DINGTALK_ROBOT_CODE": ROBOT_CODE,
        "SALESBOT_DINGTALK_TOKEN": TOKEN,
        "SALESBOT_DINGTALK_AES_KEY": AES_KEY,
        "SALESBOT_DINGTALK_API_BASE": api_base,
        "SALESBOT_DINGTALK_OAPI_BASE": api_base,
        "SALESBOT_DINGTALK_CARD_TEMPLATE_ID": TEMPLATE_ID,
        **extra,
    }
    env.pop("SALESBOT_REDIS_URL", None)
    return env


@dataclass
class DingTalkStack:
    fake: FakeDingTalk
    driver: DingTalkDriver
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
        """Cards in their current state (``m.card`` is the cardParamMap the user sees)."""
        return [m for m in self.fake.inbox_of(user) if m.msgtype == "card"]

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


def assert_cards_fill_the_template(fake: FakeDingTalk) -> int:
    """Every card sent to the fake fills exactly the variables the template export declares (#18 pt 2):
    a new card all of them (public map; private ones in privateData), an update only declared ones.
    Returns how many card requests were checked."""
    from bot.dingtalk.templates import declared_variables

    declared = declared_variables()
    private = {name for name, is_private in declared.items() if is_private}
    checked = 0
    for request in fake.requests:
        body = request.json if isinstance(request.json, dict) else {}
        if request.path == "/v1.0/card/instances/createAndDeliver":
            public = set(body["cardData"]["cardParamMap"])
            assert public == set(declared), f"undeclared {sorted(public - set(declared))}, unfilled {sorted(set(declared) - public)}"
            for data in (body.get("privateData") or {}).values():
                assert set(data["cardParamMap"]) == private
            checked += 1
        elif request.path == "/v1.0/card/instances" and request.method == "PUT":
            sent = set((body.get("cardData") or {}).get("cardParamMap") or {})
            by_key = (body.get("cardUpdateOptions") or {}).get("updateCardDataByKey", False)
            assert sent <= set(declared) if by_key else sent == set(declared), sorted(sent ^ set(declared))
            checked += 1
    return checked


@contextmanager
def dingtalk_stack(
    db_url: str, *, with_org: bool = True, worker: bool = True, **setting_overrides: Any
) -> Iterator[DingTalkStack]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))

    def now() -> float:
        return clock.now().timestamp()

    app_config = AppConfig(app_key=APP_KEY, app_secret=APP_SECRET, robot_code=ROBOT_CODE)
    fake = FakeDingTalk([app_config], users=MEMBERS, clock=now)
    fake.publish_template(TEMPLATE_ID)  # the admin imported and published bot/dingtalk/templates/
    fake.start()
    values: dict[str, Any] = {
        "database_url": db_url,
        "photo_dir": tempfile.mkdtemp(prefix="salesbot-photos-"),  # never the working directory
        "dingtalk_app_key": APP_KEY,
        "dingtalk_app_secret": APP_SECRET,
        "dingtalk_robot_code": ROBOT_CODE,
        "dingtalk_token": TOKEN,
        "dingtalk_aes_key": AES_KEY,
        "dingtalk_api_base": fake.base_url,
        "dingtalk_oapi_base": fake.base_url,
        "dingtalk_card_template_id": TEMPLATE_ID,
        "dingtalk_card_route_key": ROUTE_KEY,
        "public_base_url": "http://127.0.0.1:8000",
    }
    settings = Settings(**{**values, **setting_overrides})
    runtime = Runtime.build(settings, clock=clock)
    if with_org:
        load_example_org(runtime.db, clock)
    app = create_app(runtime)
    server = BackgroundServer(app)
    base_url = server.start()
    # The admin's one-time step: card taps for route key "salesbot" go to our card endpoint,
    # authenticated with apiSecret = AppSecret (README "Connecting DingTalk").
    assert runtime.dingtalk_client is not None
    runtime.dingtalk_client.register_card_callback(f"{base_url}/callbacks/dingtalk/card", APP_SECRET, ROUTE_KEY)
    background = app.state.worker
    if worker:
        background.start()
    stream = app.state.stream  # dingtalk_mode="stream": the socket client (no lifespan in tests)
    if stream is not None:
        stream.start()
    driver = DingTalkDriver(
        base_url,
        app_key=APP_KEY,
        app_secret=APP_SECRET,
        robot_code=ROBOT_CODE,
        token=TOKEN,
        aes_key=AES_KEY,
        clock=now,
        fake=fake,
    )
    stack = DingTalkStack(fake=fake, driver=driver, runtime=runtime, clock=clock, base_url=base_url)
    stack._worker = background  # type: ignore[attr-defined]
    try:
        yield stack
        assert_cards_fill_the_template(fake)  # every card this test sent (visits, quotes, approvals, …)
    finally:
        if stream is not None:
            stream.stop()
        background.stop()
        server.begin_stop()  # both servers stop together
        fake.begin_stop()
        server.stop()
        driver.close()
        fake.stop()
        runtime.close()
