"""The run log can be trusted (#20 pt 1 and 2), on SQLite and PostgreSQL:

- every scheduled occurrence ends done / skipped / failed, even after someone ran the
  same moment by hand beforehand (a manual run never hides the scheduler's run);
- report jobs go out once per reported period and audience, whatever the run time;
- each run keeps what it sent: a re-run never overwrites an earlier run's message count.
"""

from __future__ import annotations

from datetime import UTC

import pytest

from bot.scheduler import JobScheduler
from domain.clock import FixedClock
from domain.db import Database
from domain.models import Stage
from jobs.catalog import all_jobs
from jobs.runs import execute, list_runs
from tests.factories import load_example_org
from tests.scheduling import History, outbox, runs, sh

EAST_CHAT = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"  # 华东销售一部's WeCom group chat in examples/org.yaml


@pytest.fixture
def history(db: Database) -> History:
    load_example_org(db)
    h = History(db)
    customer = h.customer("苏州精工机械有限公司", "zhangwei", sh(2026, 11, 30))
    h.visit("zhangwei", customer, sh(2026, 12, 7, 15), follow_up=sh(2026, 12, 8).date())  # Monday
    h.visit("zhangwei", customer, sh(2026, 12, 9, 10), follow_up=sh(2026, 12, 10).date())  # in week 50
    won = h.opportunity(customer, "zhangwei", sh(2026, 12, 7, 16), Stage.NEGOTIATION, 100_000)
    h.stage(won, Stage.WON, sh(2026, 12, 8, 11))  # a 成交 in week 50: the board has a ranked rep and a chart
    return h


def scheduler_at(db: Database, clock: FixedClock, *names: str) -> JobScheduler:
    jobs = all_jobs()
    return JobScheduler(db, {n: jobs[n] for n in names}, clock=clock, runner="test:scheduler")


@pytest.mark.parametrize("job", ["digest", "followups"])
def test_a_manual_run_of_a_future_moment_does_not_hide_the_scheduled_run(
    history: History, db: Database, job: str
) -> None:
    at = sh(2026, 12, 8, 8, 30) if job == "digest" else sh(2026, 12, 8, 9, 0)
    # Monday 12-07: somebody runs Tuesday's occurrence by hand (as `jobs run … --at` did)
    manual = execute(db, FixedClock(sh(2026, 12, 7, 18)), all_jobs()[job], at.astimezone(UTC), rerun=True)
    assert manual.status == "done" and manual.run_no == 1

    clock = FixedClock(at)  # Tuesday, the scheduler's cron fires
    [scheduled] = scheduler_at(db, clock, job).tick(job)
    assert (scheduled.status, scheduled.run_no, scheduled.occurrence) == ("done", 0, at.astimezone(UTC))
    recorded = [(r.run_no, r.status) for r in runs(db, job)]
    assert sorted(recorded) == [(0, "done"), (1, "done")]


def test_a_report_is_sent_once_per_week_and_chat_whatever_the_run_time(history: History, db: Database) -> None:
    monday = sh(2026, 12, 14, 9, 0)
    clock = FixedClock(monday)
    [first] = scheduler_at(db, clock, "leaderboard").tick("leaderboard")
    assert first.status == "done" and first.detail["week"] == "2026-W50"
    sent = first.detail["messages"]
    assert sent > 0
    assert sorted(m.msg_type for m in outbox(db, EAST_CHAT)) == ["image", "markdown"]

    spec = all_jobs()["leaderboard"]
    clock.set(sh(2026, 12, 14, 10, 0))
    late = execute(db, clock, spec, sh(2026, 12, 14, 9, 5).astimezone(UTC), rerun=True)  # jobs run --at 09:05
    now = execute(db, clock, spec, clock.now().astimezone(UTC), rerun=True)  # plain `jobs run leaderboard`
    for outcome in (late, now):
        assert outcome.status == "done" and outcome.detail["week"] == "2026-W50"
        assert outcome.detail["messages"] == 0 and outcome.detail["already_sent"] == sent
    assert sorted(m.msg_type for m in outbox(db, EAST_CHAT)) == ["image", "markdown"]

    # the run log keeps what each run sent: the 09:00 run still says it sent them
    log = {(r.occurrence, r.run_no): (r.detail or {}).get("messages") for r in list_runs(db, "leaderboard")}
    assert log[(monday.astimezone(UTC), 0)] == sent
    assert sorted(log.values()) == [0, 0, sent]


def test_a_rerun_of_the_same_occurrence_keeps_the_first_runs_count(history: History, db: Database) -> None:
    at = sh(2026, 12, 10, 9, 0)
    clock = FixedClock(at)
    [first] = scheduler_at(db, clock, "followups").tick("followups")
    assert first.detail["messages"] == 2  # one card, on WeCom and DingTalk (he never wrote to the bot)
    again = execute(db, clock, all_jobs()["followups"], at.astimezone(UTC), rerun=True)
    assert again.detail["messages"] == 0 and again.detail["already_sent"] == 2
    assert sorted((r.run_no, (r.detail or {})["messages"]) for r in runs(db, "followups")) == [(0, 2), (1, 0)]


def test_the_digest_goes_to_a_manager_once_a_day_whatever_the_run_time(history: History, db: Database) -> None:
    clock = FixedClock(sh(2026, 12, 8, 8, 30))
    [first] = scheduler_at(db, clock, "digest").tick("digest")
    assert first.detail["messages"] == 1
    clock.set(sh(2026, 12, 8, 15, 0))
    again = execute(db, clock, all_jobs()["digest"], clock.now().astimezone(UTC), rerun=True)
    assert again.detail["messages"] == 0
    assert len(outbox(db, "LiNa")) == 1


def test_a_dingtalk_robot_webhook_gets_the_text_but_no_picture_it_cannot_take(history: History, db: Database) -> None:
    from sqlalchemy import update

    from domain.models import Team

    hook = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    with db.sessions() as s:
        s.execute(update(Team).where(Team.name == "华东销售一部").values(dingtalk_conversation_id=None, dingtalk_webhook_url=hook))
        s.commit()
    clock = FixedClock(sh(2026, 12, 14, 9, 0))
    [run] = scheduler_at(db, clock, "leaderboard").tick("leaderboard")
    assert run.status == "done"
    assert [m.msg_type for m in outbox(db, hook)] == ["markdown"]  # custom robots take no uploaded image
    assert sorted(m.msg_type for m in outbox(db, EAST_CHAT)) == ["image", "markdown"]
