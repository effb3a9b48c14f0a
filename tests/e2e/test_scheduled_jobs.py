"""Scheduled jobs as an admin and a rep meet them: `salesbot jobs …`, `salesbot scheduler`,
and a reminder arriving in (fake) WeCom."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from domain.db import Database
from tests.e2e.wecom_stack import WeComStack, wecom_env, wecom_stack
from tests.factories import load_example_org
from tests.scheduling import History, probe_runs, runs, sh

ROOT = Path(__file__).resolve().parents[2]


def salesbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def plain_env(db_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SALESBOT_DATABASE_URL": db_url, **extra}
    env.pop("SALESBOT_REDIS_URL", None)
    return env


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        yield s


def test_jobs_run_followups_at_nine_reaches_the_rep_in_wecom(stack: WeComStack, db_url: str) -> None:
    h = History(stack.db)
    huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 11, 1))
    h.visit("zhangwei", huawei, sh(2026, 11, 20, 15), date(2026, 11, 25), "发正式报价")
    env = wecom_env(db_url, stack.fake.base_url)

    r = salesbot(env, "jobs", "run", "followups", "--at", "2026-11-25T09:00")
    assert r.returncode == 0, r.stderr
    # one card, written for WeCom and for his DingTalk id too (he never wrote to the bot: #16)
    assert "followups @ 2026-11-25 09:00: 完成 — 新消息 2 条" in r.stdout
    stack.clock.set(datetime.now(UTC) + timedelta(seconds=1))  # the CLI queued it on the real clock
    [message] = stack.wait_until(lambda: stack.cards_of("ZhangWei"), what="the 09:00 follow-up reminder")
    assert message.card is not None and message.card["main_title"]["title"] == "跟进提醒 · 华为技术有限公司"
    assert [b["text"] for b in message.card["button_list"]] == ["已跟进", "明天再提醒"]
    assert stack.cards_of("LiuYang") == [] and stack.cards_of("LiNa") == []

    again = salesbot(env, "jobs", "run", "followups", "--at", "2026-11-25T09:00+08:00")
    assert again.returncode == 0 and "新消息 0 条" in again.stdout
    stack.clock.set(datetime.now(UTC) + timedelta(seconds=1))
    time.sleep(1.0)
    stack.runtime_worker_wake()
    assert len(stack.cards_of("ZhangWei")) == 1 and stack.texts_of("ZhangWei") == []  # the rep sees it once


def test_jobs_list_run_on_a_holiday_and_the_run_log(db_url: str) -> None:
    db = Database(db_url)
    try:
        load_example_org(db)
    finally:
        db.dispose()
    env = plain_env(db_url)
    listed = salesbot(env, "jobs", "list")
    assert listed.returncode == 0, listed.stderr
    for name in ("followups", "stale_opportunities", "dormant_customers", "digest"):
        assert name in listed.stdout
    assert "followups            工作日 09:00" in listed.stdout
    assert "dormant_customers    每天 08:00" in listed.stdout
    assert "节假日数据 / holiday data: 2004–2026" in listed.stdout

    holiday = salesbot(env, "jobs", "run", "followups", "--at", "2026-10-01T09:00")
    assert holiday.returncode == 0, holiday.stderr
    assert "跳过 — 2026-10-01 是法定节假日（国庆节）" in holiday.stdout
    future = salesbot(env, "jobs", "run", "digest", "--at", "2099-01-05T08:30")
    assert future.returncode == 2 and "还没到" in future.stderr  # the scheduler runs it when it comes
    unknown = salesbot(env, "jobs", "run", "nope")
    assert unknown.returncode == 2 and "unknown job 'nope'" in unknown.stderr

    log = salesbot(env, "jobs", "runs").stdout.splitlines()
    assert len(log) == 1  # the refused future run left no trace that could hide the real one
    assert log[0].startswith("2026-10-01T09:00  followups") and "手动#1" in log[0]
    assert "skipped" in log[0] and "国庆节" in log[0]


def _scheduler(db_url: str) -> subprocess.Popen[str]:
    env = plain_env(
        db_url,
        PYTHONPATH=str(ROOT),
        SALESBOT_SCHEDULER_GRACE_S="5",  # the real jobs have no history: nothing of theirs is caught up
        SALESBOT_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.probe_scheduler"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_scheduler_processes_fire_each_occurrence_once(db_url: str) -> None:
    procs = [_scheduler(db_url), _scheduler(db_url)]
    db = Database(db_url)
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and len([r for r in runs(db, "probe") if r.status == "done"]) < 4:
            assert all(p.poll() is None for p in procs), [p.communicate()[1] for p in procs]
            time.sleep(0.5)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        errors = [p.communicate(timeout=30)[1] for p in procs]
    try:
        assert all(p.returncode == 0 for p in procs), errors
        assert all("scheduler running" in e and "scheduler stopped" in e for e in errors), errors
        done = [r for r in runs(db, "probe") if r.status == "done"]
        executed = probe_runs(db)
        assert len(done) >= 4
        # every occurrence ran in exactly one process: one execution per done run, no repeats
        assert sorted(executed) == sorted(r.occurrence.isoformat() for r in done)
        with db.engine.connect() as conn:
            stored = set(conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars())
        assert "probe" in stored and "followups" in stored  # one shared persistent job store
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM apscheduler_jobs"))
        db.dispose()
