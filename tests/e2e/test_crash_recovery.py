"""SIGKILL between ack and processing loses nothing: on restart the event is processed once."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.fakes.wecom_driver import WeComDriver
from bot.fakes.wecom_server import AppConfig, FakeWeCom
from bot.fakes.wecom_server import User as FakeUser
from domain.db import Database
from domain.models import InboxEvent
from tests.e2e.wecom_stack import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, wecom_env
from tests.factories import load_example_org


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(db_url: str, api_base: str, port: int, worker: bool, cwd: Path) -> subprocess.Popen[bytes]:
    env = wecom_env(db_url, api_base, SALESBOT_WORKER="true" if worker else "false")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("salesbot serve did not become ready")


def test_sigkill_after_ack_loses_nothing_and_processes_once(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    load_example_org(db)
    with FakeWeCom(
        [AppConfig(corp_id=CORP_ID, corpsecret=SECRET, agent_id=AGENT_ID)],
        users=[FakeUser("ZhangWei", "张伟")],
    ) as fake:
        port = _free_port()
        first = _serve(db_url, fake.base_url, port, worker=False, cwd=tmp_path)
        driver = WeComDriver(
            f"http://127.0.0.1:{port}/callbacks/wecom", TOKEN, AES_KEY, CORP_ID, AGENT_ID, fake=fake
        )
        assert driver.send_text("ZhangWei", "你好", msg_id="90001").status_code == 200  # acked = stored
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        with db.sessions() as s:
            row = s.scalar(select(InboxEvent))
            assert row is not None and row.status == "pending"
        assert fake.inbox_of("ZhangWei") == []

        second = _serve(db_url, fake.base_url, port, worker=True, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not fake.inbox_of("ZhangWei"):
                time.sleep(0.1)
            time.sleep(1.0)  # anything processed twice would show up by now
            seen = fake.inbox_of("ZhangWei")
            assert len(seen) == 1 and seen[0].msgtype == "template_card"
            with db.sessions() as s:
                row = s.scalar(select(InboxEvent))
                assert row is not None and row.status == "done" and row.attempts == 1
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(10)
    db.dispose()
