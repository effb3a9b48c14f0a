"""A week of simulated time through the scheduler and the fake WeCom (#20, done-when):
`salesbot jobs runs` shows one entry per occurrence per job, nothing silently missing, and the
message counts in the run log equal what WeCom actually received — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import select, update

from bot.scheduler import JobScheduler
from domain.models import OutboxMessage, ScheduledRun, Stage, Team, User
from jobs import schedule
from jobs.catalog import all_jobs
from jobs.runs import execute
from tests.e2e.wecom_stack import WeComStack, wecom_stack
from tests.scheduling import History, sh

EAST_CHAT = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
SOUTH_CHAT = "wrOgQhDgAAcwMTB7YmDkbeBsAAAA"
START, END = sh(2026, 12, 7, 0, 0), sh(2026, 12, 14, 10, 0)  # Monday 00:00 to the next Monday 10:00


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        s.fake.add_appchat(EAST_CHAT, ["LiNa", "ZhangWei", "LiuYang"], name="华东销售一部")
        s.fake.add_appchat(SOUTH_CHAT, ["ChenJing", "ZhaoLei"], name="华南销售部")
        with s.db.sessions() as session:  # this test talks to WeCom only
            session.execute(update(Team).values(dingtalk_conversation_id=None, dingtalk_webhook_url=None))
            session.execute(update(User).values(dingtalk_userid=None))  # reminders reach every known platform
            session.commit()
        h = History(s.db)
        jinggong = h.customer("苏州精工机械有限公司", "zhangwei", sh(2026, 11, 2))
        huawei = h.customer("华为技术有限公司", "liuyang", sh(2026, 11, 2))
        h.opportunity(jinggong, "zhangwei", sh(2026, 11, 2))  # untouched since: a stale opportunity
        for won_on in (sh(2026, 12, 2, 11), sh(2026, 12, 9, 11)):  # a 成交 in each board's week: ranks and a chart
            h.stage(h.opportunity(huawei, "liuyang", won_on, Stage.NEGOTIATION, 80_000), Stage.WON, won_on)
        h.visit("zhangwei", jinggong, sh(2026, 12, 4, 15), follow_up=date(2026, 12, 8), next_step="发报价")
        h.visit("liuyang", huawei, sh(2026, 12, 8, 11), follow_up=date(2026, 12, 10))
        h.visit("zhangwei", huawei, sh(2026, 12, 9, 16))
        yield s


def test_a_week_of_runs_one_entry_per_occurrence_and_counts_match_wecom(stack: WeComStack) -> None:
    jobs = all_jobs()
    sched = JobScheduler(stack.db, jobs, clock=stack.clock, runner="test:week")
    moment = START
    while moment <= END:  # the scheduler looks every hour (a cron fire), as `salesbot scheduler` does
        stack.clock.set(moment)
        for outcome in sched.catch_up():
            assert outcome.status in ("done", "skipped"), outcome.describe()
        moment += timedelta(hours=1)
    # someone re-runs the Monday leaderboard by hand: its own entry, nothing sent twice
    again = execute(stack.db, stack.clock, jobs["leaderboard"], sh(2026, 12, 14, 9, 5).astimezone(UTC), rerun=True)
    assert again.detail["messages"] == 0

    with stack.db.sessions() as s:
        rows = list(s.scalars(select(ScheduledRun).order_by(ScheduledRun.occurrence)))
    scheduled = [r for r in rows if r.run_no == 0]
    for name, spec in jobs.items():
        expected = schedule.occurrences(spec.cron, START.astimezone(UTC) - timedelta(seconds=1), END.astimezone(UTC))
        got = [r.occurrence for r in scheduled if r.job == name]
        assert got == expected, name  # every occurrence once, none missing, none twice
    assert all(r.status in ("done", "skipped") for r in scheduled)
    assert all((r.detail or {}).get("reason") for r in scheduled if r.status == "skipped")
    by_job = Counter(r.job for r in scheduled)
    assert by_job["leaderboard"] == 2 and by_job["digest"] == 8  # Mondays 12-07 and 12-14; 8 mornings
    skipped = {r.occurrence.astimezone(START.tzinfo).date() for r in scheduled if r.job == "followups" and r.status == "skipped"}
    assert skipped == {date(2026, 12, 12), date(2026, 12, 13)}  # the weekend, with a reason

    # deliver everything, then compare the run log with what WeCom received
    stack.wait_until(lambda: _all_sent(stack), timeout=60, what="every queued message delivered")
    logged = sum(int((r.detail or {}).get("messages", 0)) for r in rows)
    received = sum(len(stack.fake.inbox_of(u)) for u in _recipients(stack)) + sum(
        len(stack.fake.appchat_messages(c)) for c in (EAST_CHAT, SOUTH_CHAT)
    )
    assert logged == received > 0
    per_job = Counter()
    for r in rows:
        per_job[r.job] += int((r.detail or {}).get("messages", 0))
    with stack.db.sessions() as session:
        caused = Counter(str(c).split(":")[1] for c in session.scalars(select(OutboxMessage.cause_event)))
    assert per_job == caused  # each job's logged count is what it queued, and all of it arrived
    assert len(stack.fake.appchat_messages(EAST_CHAT)) == 4  # two Mondays: markdown + chart each
    assert per_job["followups"] >= 2 and per_job["digest"] >= 1


def _all_sent(stack: WeComStack) -> bool:
    with stack.db.sessions() as s:
        statuses = set(s.scalars(select(OutboxMessage.status)))
    assert "failed" not in statuses
    return statuses <= {"sent"}


def _recipients(stack: WeComStack) -> set[str]:
    with stack.db.sessions() as s:
        return set(s.scalars(select(OutboxMessage.target).where(OutboxMessage.target_kind == "user")))
