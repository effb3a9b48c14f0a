"""Three `salesbot worker` processes on PostgreSQL + Redis, one killed midway: each person's order holds.

Fifty reps each send a visit, its correction 50 ms later and a photo 50 ms after that,
to a web process (`salesbot serve --no-worker`) in front of three workers; one worker is
SIGKILLed while the messages are still arriving. Every correction must land on its own
visit (it needs the visit's conversation state, so it must run after the visit), nothing
may be lost or shown twice, and each rep must see the replies in the order of their
messages. The photos are blank pages: the OCR job runs the real engine (detection finds
no text, a fraction of a second) and answers 「没有识别到报价单内容…」 -- what is tested
here is the queueing, not the reading (tests/e2e/test_quotes.py reads real quotes).
"""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.fakes.wecom_driver import WeComDriver
from bot.fakes.wecom_server import AppConfig, FakeWeCom
from bot.fakes.wecom_server import User as FakeUser
from bot.orgfile import parse_org_yaml
from domain.db import Database
from domain.models import InboxEvent, Job, User, Visit
from domain.services.customers import create_customer
from domain.services.org import import_org
from domain.uow import UnitOfWork
from handlers.quotes import NOT_A_QUOTE, RECEIVED
from tests.conftest import _truncate_all
from tests.e2e.test_crash_recovery import _free_port
from tests.e2e.wecom_stack import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, wecom_env

PEOPLE = 50
FIRST, SECOND = "华精远恒盛泰宏鼎瑞信", "达通新安成"
SHORT_NAMES = [a + b for a in FIRST for b in SECOND]  # 50 distinct 字号


def _rep(n: int) -> str:
    return f"Rep{n:02d}"


@pytest.fixture
def pg_url(postgres_database: str) -> str:
    _truncate_all(postgres_database)
    return postgres_database


def _seed(db: Database) -> None:
    lines = [
        "teams:",
        "  - name: 华东销售一部",
        "users:",
        "  - id: boss",
        "    name: 李经理",
        "    role: manager",
        "    team: 华东销售一部",
        "    wecom_userid: Boss",
    ]
    for n in range(PEOPLE):
        lines += [
            f"  - id: rep{n:02d}",
            f"    name: 销售{n:02d}",
            "    role: rep",
            "    team: 华东销售一部",
            "    manager: boss",
            f"    wecom_userid: {_rep(n)}",
        ]
    with UnitOfWork(db, actor_label="org-file") as uow:
        import_org(uow, parse_org_yaml("\n".join(lines) + "\n"))
        uow.commit()
    with UnitOfWork(db) as uow:
        for n in range(PEOPLE):
            rep = uow.session.scalar(select(User).where(User.key == f"rep{n:02d}"))
            create_customer(uow, f"{SHORT_NAMES[n]}机电设备有限公司", owner=rep, aliases=[SHORT_NAMES[n]])
        uow.commit()


def _state(db: Database) -> dict[str, list[tuple[str, int]]]:
    """Row counts by status, for a failure message."""
    from domain.models import OutboxMessage

    with db.sessions() as s:
        return {
            table.__tablename__: [
                (str(status), int(count))
                for status, count in s.execute(select(table.status, func.count()).group_by(table.status))
            ]
            for table in (InboxEvent, Job, OutboxMessage)
        }


class Procs:
    """The salesbot processes of one test, each with its own log file."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.cwd / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            env=self.env,
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.running[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.cwd / f"{name}.log").read_text(errors="replace")

    def wait_for_log(self, name: str, text: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log(name):
                return
            assert self.running[name].poll() is None, self.log(name)
            time.sleep(0.1)
        raise AssertionError(f"{name} did not log {text!r}:\n{self.log(name)}")

    def stop_all(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def procs(pg_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[Procs, FakeWeCom, Database]]:
    db = Database(pg_url)
    _seed(db)
    fake = FakeWeCom(
        [AppConfig(corp_id=CORP_ID, corpsecret=SECRET, agent_id=AGENT_ID)],
        users=[FakeUser(_rep(n), _rep(n)) for n in range(PEOPLE)] + [FakeUser("Boss", "Boss")],
    )
    fake.start()
    env = wecom_env(
        pg_url,
        fake.base_url,
        SALESBOT_INBOX_LEASE_S="10",
        SALESBOT_JOB_LEASE_S="10",
        SALESBOT_OCR_THREADS="1",
        SALESBOT_SCHEDULER="off",
        SALESBOT_LOG_LEVEL="WARNING",
    )
    env["SALESBOT_REDIS_URL"] = redis_url  # wecom_env leaves Redis out by default
    p = Procs(env, tmp_path)
    try:
        yield p, fake, db
    finally:
        p.stop_all()
        fake.stop()
        db.dispose()


@pytest.mark.timeout(240)  # ~30 s on a quiet 2-core machine; a guard against hangs
def test_three_workers_one_killed_keep_each_persons_order(procs: tuple[Procs, FakeWeCom, Database]) -> None:
    p, fake, db = procs
    port = _free_port()
    p.start("web", "serve", "--port", str(port), "--no-worker")
    p.start("w1", "worker")  # every queue: chat, ocr, delivery
    p.start("w2", "worker", "--queues", "chat,ocr")
    victim = p.start("w3", "worker", "--queues", "chat,ocr")  # killed midway (holds no send in flight)
    t0 = time.monotonic()
    for name in ("w1", "w2", "w3"):
        p.wait_for_log(name, "worker running")
    print(f"workers up in {time.monotonic() - t0:.1f} s")
    deadline = time.monotonic() + 40
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, p.log("web")
        time.sleep(0.1)

    buf = io.BytesIO()
    Image.new("RGB", (480, 360), "white").save(buf, "JPEG")
    blank = fake.add_media(buf.getvalue(), "image/jpeg")
    sent, lock, killed = [0], threading.Lock(), threading.Event()

    def person(n: int) -> None:
        user = _rep(n)
        with WeComDriver(
            f"http://127.0.0.1:{port}/callbacks/wecom", TOKEN, AES_KEY, CORP_ID, AGENT_ID, fake=fake
        ) as driver:
            assert (
                driver.send_text(
                    user, f"今天拜访{SHORT_NAMES[n]}王总，谈了报价，下周三再跟进", msg_id=f"{n}001"
                ).status_code
                == 200
            )
            time.sleep(0.05)
            assert driver.send_text(user, "改成下周四跟进", msg_id=f"{n}002").status_code == 200
            time.sleep(0.05)
            assert driver.send_image(user, blank, msg_id=f"{n}003").status_code == 200
        with lock:
            sent[0] += 1
            if sent[0] == PEOPLE // 2:
                victim.send_signal(signal.SIGKILL)  # midway: half the people have sent everything
                killed.set()

    started = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(person, range(PEOPLE)))
    assert killed.is_set() and victim.wait(10) == -signal.SIGKILL

    def replies(user: str) -> list[str]:
        return [
            m.content if m.msgtype == "text" else (m.card or m.body)["main_title"]["title"]
            for m in fake.inbox_of(user)
        ]

    expected_tail = [RECEIVED, NOT_A_QUOTE]
    sending = time.monotonic() - started
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not all(len(replies(_rep(n))) >= 4 for n in range(PEOPLE)):
        time.sleep(0.2)
    time.sleep(1.0)  # anything handled or sent twice would show up by now
    elapsed = time.monotonic() - started

    for n in range(PEOPLE):
        seen = replies(_rep(n))
        # A correction handled before the visit's card was sent changes that card (or updates it right
        # after its send): one card, corrected (tests/e2e/test_correction_before_card.py).
        assert len(seen) == 4, (n, seen, _state(db), p.log("w1")[-3000:])  # nothing lost, nothing twice
        card = next(m.card for m in fake.inbox_of(_rep(n)) if m.msgtype == "template_card")
        assert card is not None and "（周四）" in str(card["horizontal_content_list"]), (n, card)
        assert seen[0] == "已记录拜访", (n, seen)  # the visit's card first ...
        assert seen[1] is not None and seen[1].startswith("已修改：下次跟进改为"), (
            n,
            seen,
        )  # ... then its correction
        assert seen[2:] == expected_tail, (n, seen)  # ... then the photo's two replies, in order
    with db.sessions() as s:
        visits = list(s.scalars(select(Visit)))
        assert len(visits) == PEOPLE and len({v.rep_id for v in visits}) == PEOPLE
        assert all(v.next_follow_up is not None and v.next_follow_up.weekday() == 3 for v in visits)  # 周四
        assert s.scalar(select(func.count()).select_from(InboxEvent)) == 3 * PEOPLE
        assert set(s.scalars(select(InboxEvent.status))) == {"done"}
        assert list(s.scalars(select(Job.status).distinct())) == ["done"]
        assert s.scalar(select(func.count()).select_from(Job)) == PEOPLE
        from domain.models import OutboxMessage

        cards = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.msg_type == "card"))
        assert cards == PEOPLE  # one visit card each, never a second one for the correction

    # The survivors stop cleanly on SIGTERM, holding nothing.
    for name in ("w1", "w2", "web"):
        p.running[name].send_signal(signal.SIGTERM)
    for name in ("w1", "w2"):
        assert p.running[name].wait(30) == 0, (name, p.log(name))
    assert p.running["web"].wait(30) == 0, p.log("web")  # requests in flight finished, then exit 0
    assert "worker stopped" in p.log("w1") and "still in hand" not in p.log("w1")
    print(f"{PEOPLE} people, 3 workers (one killed): sent in {sending:.1f} s, all replies in {elapsed:.1f} s")
