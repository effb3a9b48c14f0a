"""`salesbot webhooks …` as an admin uses it: a real subprocess on a SQLite file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.delivery import Deliverer
from bot.erp import ErpWebhookChannel
from domain.clock import FixedClock
from domain.db import Database
from domain.services import webhooks
from domain.uow import UnitOfWork
from tests.erp_receiver import ErpReceiver

SECRET = "kingdee-shared-secret-0123456789"


def salesbot(db_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESBOT_DATABASE_URL": db_url}
    env.pop("SALESBOT_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_add_list_failures_enable_retry(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "salesbot.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return salesbot(url, tmp_path, *args)

    assert "no webhook endpoints" in cli("webhooks", "list").stdout
    assert "no failed or retrying" in cli("webhooks", "failures").stdout

    with ErpReceiver([410]) as gone, ErpReceiver(then=500) as down:
        r = cli("webhooks", "add", gone.url, "--secret", SECRET)
        assert r.returncode == 0, r.stderr
        assert f"added webhook #1 {gone.url}" in r.stdout and SECRET not in r.stdout
        r = cli("webhooks", "add", down.url)
        assert r.returncode == 0, r.stderr
        generated = re.search(r"secret \(shown once.*\): (\S+)", r.stdout)
        assert generated and len(generated.group(1)) >= 32
        r = cli("webhooks", "add", gone.url, "--secret", SECRET)
        assert r.returncode == 1 and "already exists" in r.stderr
        r = cli("webhooks", "add", "ftp://erp.example.com", "--secret", SECRET)
        assert r.returncode == 1 and "http" in r.stderr

        # The approval side publishes; the worker delivers: one 410, one 500.
        db = Database(url)
        clock = FixedClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
        channel = ErpWebhookChannel(timeout=httpx.Timeout(0.5, connect=0.5))
        try:
            with UnitOfWork(db, clock) as uow:
                webhooks.publish(uow, "contract.approved", {"contract_id": 7}, event_id="contract-approved-7")
                uow.commit()
            Deliverer(db, {"erp": channel}, clock).run_once()
        finally:
            channel.close()
            db.dispose()

        listed = cli("webhooks", "list").stdout.splitlines()
        assert listed[0].startswith(f"#1 {gone.url}  disabled 2026-11-25T10:00:00+08:00 (HTTP 410 Gone)")
        assert listed[0].endswith("pending=0 sent=0 failed=1")
        assert listed[1] == f"#2 {down.url}  active  pending=1 sent=0 failed=0"

        failures = cli("webhooks", "failures").stdout.splitlines()
        assert len(failures) == 2
        assert "retrying next=2026-11-25T10:01:00+08:00 attempts=1" in failures[0]
        event = "event=contract-approved-7 (contract.approved)"
        assert f"{event} → {down.url} errcode=500 HTTP 500" in failures[0]
        assert " failed attempts=1 " in failures[1] and "errcode=410 HTTP 410 Gone" in failures[1]
        assert f"erp:webhook:{gone.url}" in cli("outbox", "list", "--failed").stdout

        r = cli("webhooks", "retry", "1")
        assert r.returncode == 1 and "disabled" in r.stderr
        assert "enabled webhook #1" in cli("webhooks", "enable", "1").stdout
        assert "re-queued 1" in cli("webhooks", "retry", gone.url).stdout
        assert "disabled webhook #2" in cli("webhooks", "disable", "2", "--reason", "ERP 升级").stdout
        listed = cli("webhooks", "list").stdout.splitlines()
        assert listed[0] == f"#1 {gone.url}  active  pending=1 sent=0 failed=0"
        assert "(ERP 升级)" in listed[1]
        r = cli("webhooks", "disable", "99")
        assert r.returncode == 1 and "no such webhook endpoint" in r.stderr
