"""One process for ``salesbot demo``: the app, a fake WeCom on a free port, demo data, a movable clock.

The app is the real one (``create_app``: callbacks, worker, OCR jobs, scheduler,
H5 pages) configured like a production WeCom install -- corp id, secret, token,
EncodingAESKey, agent id (fresh demo values each start) -- except that the API
base and the OAuth host point at the fake WeCom running in this process. The
fake's member-side API (``bot/fakes/wecom_user_api.py``) posts real encrypted
callbacks to ``/callbacks/wecom``. All of them read one ``OffsetClock``, which the
simulator's clock buttons move.
"""

from __future__ import annotations

import logging
import secrets
import socket
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from bot.app import create_app
from bot.demo import EXAMPLE_ORG, seed_demo
from bot.fakes.dingtalk_driver import DingTalkDriver
from bot.fakes.dingtalk_server import AppConfig as DingAppConfig
from bot.fakes.dingtalk_server import FakeDingTalk
from bot.fakes.dingtalk_user_api import DingTalkMemberSide
from bot.fakes.wecom_driver import WeComDriver
from bot.fakes.wecom_server import AppConfig, Department, FakeWeCom
from bot.fakes.wecom_server import User as FakeUser
from bot.fakes.wecom_user_api import MemberSide
from bot.migrate import upgrade
from bot.runtime import Runtime
from bot.settings import Settings
from bot.simulator.router import SimulatorContext, simulator_router
from bot.simulator.timetravel import TimeMachine
from domain.clock import OffsetClock
from domain.db import Database
from domain.models import ROLE_LABELS, Role, Team, User

log = logging.getLogger("salesbot.demo")

DEMO_DATABASE = "sqlite:///./salesbot-demo.db"
AGENT_ID = 1000002
SIMULATOR_PATH = "/simulator/"


def _alnum(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass(frozen=True)
class DemoCredentials:
    """A WeCom self-built app's settings, made up for this run (the fake accepts exactly these)."""

    corp_id: str
    secret: str
    token: str
    aes_key: str
    agent_id: int = AGENT_ID

    @classmethod
    def generate(cls) -> DemoCredentials:
        return cls("ww" + secrets.token_hex(8), secrets.token_urlsafe(32), _alnum(16), _alnum(43))


@dataclass(frozen=True)
class DingTalkCredentials:
    """A DingTalk internal app (robot, event subscription, card template), made up for this run."""

    app_key: str
    app_secret: str
    token: str
    aes_key: str
    template_id: str = "salesbot-demo-card.schema"
    route_key: str = "salesbot"

    @classmethod
    def generate(cls) -> DingTalkCredentials:
        return cls("ding" + secrets.token_hex(8), _alnum(48), _alnum(12), _alnum(43))


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket first, so the app knows its own URL (port 0 = any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def reset_sqlite(database_url: str) -> None:
    """A fresh demo each start: the fake WeCom's chats live in memory, so old cards could not be tapped."""
    if not database_url.startswith("sqlite:///") or database_url.endswith(":memory:"):
        return
    path = Path(database_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass
class DingTalkSide:
    """The fake DingTalk of the demo, the driver playing its callbacks, and its member API."""

    fake: FakeDingTalk
    driver: DingTalkDriver
    member: DingTalkMemberSide
    credentials: DingTalkCredentials

    def close(self) -> None:
        self.member.stop()
        self.driver.close()
        self.fake.stop()


@dataclass
class DemoStack:
    app: FastAPI
    runtime: Runtime
    fake: FakeWeCom
    member: MemberSide
    driver: WeComDriver
    clock: OffsetClock
    time_machine: TimeMachine
    credentials: DemoCredentials
    base_url: str
    sock: socket.socket
    dingtalk: DingTalkSide

    @property
    def simulator_url(self) -> str:
        return self.base_url + SIMULATOR_PATH

    def uvicorn_server(self, log_level: str = "warning") -> uvicorn.Server:
        # lifespan on: the app starts its worker (inbox, outbox, OCR jobs) and the scheduler.
        config = uvicorn.Config(
            self.app, log_level=log_level, log_config=None, access_log=False, lifespan="on", http="h11"
        )
        return uvicorn.Server(config)

    def close(self) -> None:
        self.time_machine.stop()
        self.driver.close()
        self.fake.stop()
        self.dingtalk.close()
        self.sock.close()


def build_demo(
    *,
    database_url: str = DEMO_DATABASE,
    host: str = "127.0.0.1",
    port: int = 8000,
    fresh: bool = True,
    org_file: Path = EXAMPLE_ORG,
    log_level: str = "WARNING",
) -> DemoStack:
    """Seed, start the fake WeCom and build the app; the caller serves ``stack.sock``."""
    sock = bind(host, port)
    try:
        return _build(sock, database_url, host, fresh, org_file, log_level)
    except BaseException:
        sock.close()
        raise


def _build(
    sock: socket.socket, database_url: str, host: str, fresh: bool, org_file: Path, log_level: str
) -> DemoStack:
    port = sock.getsockname()[1]
    base_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
    clock = OffsetClock()
    if fresh:
        reset_sqlite(database_url)
    upgrade(database_url)
    db = Database(database_url)
    try:
        seed_demo(db, org_file, clock=clock)
        with db.sessions() as session:
            teams = list(session.scalars(select(Team).order_by(Team.id)))
            users = list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)))
            org = [
                Member(u.id, u.wecom_userid, u.name, u.role, u.team_id, u.manager_id, u.dingtalk_userid)
                for u in users
                if u.wecom_userid
            ]
            team_rows = [(t.id, t.name, t.wecom_chat_id) for t in teams]
            ding_groups = [(t.id, t.name, t.dingtalk_conversation_id) for t in teams]
    finally:
        db.dispose()

    creds = DemoCredentials.generate()

    def fake_now() -> float:
        return clock.now().timestamp()

    fake = FakeWeCom(
        [AppConfig(corp_id=creds.corp_id, corpsecret=creds.secret, agent_id=creds.agent_id, name="销售助手")],
        clock=fake_now,
        corp_name="演示科技有限公司",
    )
    fake.start()
    ding = _start_dingtalk(fake_now, base_url)
    dc = ding.credentials
    settings = Settings(
        database_url=database_url,
        redis_url=None,
        public_base_url=base_url,
        log_level=log_level,
        wecom_corp_id=creds.corp_id,
        wecom_agent_id=creds.agent_id,
        wecom_secret=creds.secret,
        wecom_token=creds.token,
        wecom_aes_key=creds.aes_key,
        wecom_api_base=fake.base_url,
        wecom_oauth_base=fake.base_url,
        h5_secret=secrets.token_urlsafe(32),
        scheduler="off",  # the demo's TimeMachine runs the jobs by the demo clock instead
        dingtalk_app_key=dc.app_key,
        dingtalk_app_secret=dc.app_secret,
        dingtalk_robot_code=dc.app_key,
        dingtalk_token=dc.token,
        dingtalk_aes_key=dc.aes_key,
        dingtalk_api_base=ding.fake.base_url,
        dingtalk_oapi_base=ding.fake.base_url,
        dingtalk_card_template_id=dc.template_id,
        dingtalk_card_route_key=dc.route_key,
    )
    runtime = Runtime.build(settings, clock=clock)
    app = create_app(runtime)
    time_machine = TimeMachine(runtime, clock, app.state.worker.wake)
    # The DingTalk admin's one-time step: card taps for our route key come to our card endpoint.
    assert runtime.dingtalk_client is not None
    runtime.dingtalk_client.register_card_callback(f"{base_url}/callbacks/dingtalk/card", dc.app_secret, dc.route_key)
    _populate_dingtalk(ding.member, org, ding_groups)
    ding.member.start()
    app.include_router(
        simulator_router(SimulatorContext(runtime, clock, fake.base_url, time_machine, ding.member.base_url))
    )
    driver = WeComDriver(
        f"{base_url}/callbacks/wecom",
        creds.token,
        creds.aes_key,
        creds.corp_id,
        creds.agent_id,
        clock=fake_now,
        fake=fake,
    )
    member = MemberSide(fake, driver)
    _populate(member, fake, org, team_rows)
    member.attach()
    return DemoStack(app, runtime, fake, member, driver, clock, time_machine, creds, base_url, sock, ding)


@dataclass(frozen=True)
class Member:
    id: int
    userid: str
    name: str
    role: str
    team_id: int | None
    manager_id: int | None
    dingtalk_userid: str | None = None


def _start_dingtalk(clock: Callable[[], float], base_url: str) -> DingTalkSide:
    creds = DingTalkCredentials.generate()
    app = DingAppConfig(app_key=creds.app_key, app_secret=creds.app_secret, robot_code=creds.app_key)
    fake = FakeDingTalk([app], clock=clock)
    fake.publish_template(creds.template_id)  # the admin imported and published bot/dingtalk/templates/
    fake.start()
    driver = DingTalkDriver(
        base_url,
        app_key=creds.app_key,
        app_secret=creds.app_secret,
        robot_code=creds.app_key,
        token=creds.token,
        aes_key=creds.aes_key,
        clock=clock,
        fake=fake,
    )
    return DingTalkSide(fake, driver, DingTalkMemberSide(fake, driver), creds)


def _populate_dingtalk(
    member: DingTalkMemberSide, org: list[Member], teams: list[tuple[int, str, str | None]]
) -> None:
    """Everyone in DingTalk too; each team's group holds its members and everyone above them."""
    by_id = {m.id: m for m in org}
    for m in org:
        if m.dingtalk_userid:
            member.add_member(m.dingtalk_userid, m.name)
    for team_id, name, conversation_id in teams:
        if not conversation_id:
            continue
        people: list[str] = []
        for m in org:
            if m.team_id != team_id or not m.dingtalk_userid:
                continue
            people.append(m.dingtalk_userid)
            boss = by_id.get(m.manager_id) if m.manager_id is not None else None
            while boss is not None and boss.dingtalk_userid and boss.dingtalk_userid not in people:
                people.append(boss.dingtalk_userid)
                boss = by_id.get(boss.manager_id) if boss.manager_id is not None else None
        if people:
            member.add_group(conversation_id, people, name)


def _populate(
    member: MemberSide, fake: FakeWeCom, org: list[Member], teams: list[tuple[int, str, str | None]]
) -> None:
    """The org as WeCom knows it: one department per team, every member, one app group chat per team.

    A team's group holds its members and everyone above them (the manager, the 区域总监).
    """
    dept_of = {team_id: 2 + i for i, (team_id, _, _) in enumerate(teams)}
    for team_id, name, _ in teams:
        fake.add_department(Department(dept_of[team_id], name, parentid=1))
    by_id = {m.id: m for m in org}
    for m in org:
        department = dept_of.get(m.team_id, 1) if m.team_id is not None else 1
        member.add_member(FakeUser(m.userid, m.name, department=[department], position=ROLE_LABELS[Role(m.role)]))
    for team_id, name, chat_id in teams:
        if not chat_id:
            continue
        people: list[str] = []
        for m in org:
            if m.team_id != team_id:
                continue
            people.append(m.userid)
            boss = by_id.get(m.manager_id) if m.manager_id is not None else None
            while boss is not None and boss.userid not in people:
                people.append(boss.userid)
                boss = by_id.get(boss.manager_id) if boss.manager_id is not None else None
        if people:
            member.add_group(chat_id, people, name=name, owner=people[0])


class BackgroundDemo:
    """The demo served from a thread (tests): ``start()`` returns the simulator URL."""

    def __init__(self, stack: DemoStack) -> None:
        self.stack = stack
        self.server = stack.uvicorn_server()
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 30.0) -> str:
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.stack.sock]}, daemon=True, name="salesbot-demo"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the demo server did not start")
            time.sleep(0.05)
        self.stack.time_machine.start()
        return self.stack.simulator_url

    def stop(self) -> None:
        self.stack.member.end_waits()  # the pages' long polls answer now, so the server need not wait for them
        self.stack.dingtalk.member.end_waits()
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=20)
        self.stack.close()


def serve(stack: DemoStack) -> None:
    """Serve in the foreground until Ctrl+C (``salesbot demo``)."""
    stack.time_machine.start()  # the jobs due now run as soon as the worker is up to deliver them
    try:
        stack.uvicorn_server().run(sockets=[stack.sock])
    finally:
        stack.close()
