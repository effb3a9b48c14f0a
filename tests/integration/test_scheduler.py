"""The scheduler on a real database: catch-up after downtime, and one run per occurrence
however many schedulers are running — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta

from sqlalchemy import select, text

from bot.scheduler import JobScheduler, scheduler_wanted
from bot.settings import Settings
from domain.clock import FixedClock
from domain.db import Database
from jobs.runs import list_runs
from tests.scheduling import History, probe_runs, probe_spec, runs, sh

DAILY_9 = {"hour": 9, "minute": 0}


def make(db: Database, clock: FixedClock, name: str = "a", **kwargs: object) -> JobScheduler:
    spec = probe_spec(DAILY_9, pause_s=float(kwargs.pop("pause_s", 0.0)))  # type: ignore[arg-type]
    return JobScheduler(db, {"probe": spec}, clock=clock, runner=f"test:{name}", **kwargs)  # type: ignore[arg-type]


def test_cron_fire_runs_the_occurrence_once(db: Database) -> None:
    clock = FixedClock(sh(2026, 11, 25, 9, 0))
    sched = make(db, clock)
    [outcome] = sched.tick("probe")
    assert outcome.status == "done" and outcome.occurrence == sh(2026, 11, 25, 9)
    assert sched.tick("probe") == []  # a second look at the same moment finds nothing due
    assert probe_runs(db) == [sh(2026, 11, 25, 9).astimezone(UTC).isoformat()]


def test_after_downtime_within_grace_the_missed_run_happens_once(db: Database) -> None:
    clock = FixedClock(sh(2026, 11, 24, 9))
    make(db, clock).tick("probe")  # Tuesday ran
    clock.set(sh(2026, 11, 25, 13, 30))  # everything was down from Tuesday to Wednesday 13:30
    sched = make(db, clock, "restarted")
    [caught] = sched.catch_up()
    assert (caught.status, caught.occurrence) == ("done", sh(2026, 11, 25, 9))
    assert sched.catch_up() == []
    assert len(probe_runs(db)) == 2


def test_after_downtime_beyond_grace_the_runs_are_recorded_as_skipped(db: Database) -> None:
    clock = FixedClock(sh(2026, 11, 23, 9))
    make(db, clock).tick("probe")
    clock.set(sh(2026, 11, 25, 16))  # 7 h after Wednesday 09:00, grace is 6 h
    outcomes = make(db, clock, "restarted").catch_up()
    assert [(o.status, o.occurrence) for o in outcomes] == [
        ("skipped", sh(2026, 11, 24, 9)),
        ("skipped", sh(2026, 11, 25, 9)),
    ]
    assert [r.status for r in runs(db, "probe")] == ["done", "skipped", "skipped"]
    [latest, *_] = list_runs(db, "probe")
    assert latest.detail is not None and "超过补跑时限 6 小时" in latest.detail["reason"]
    assert len(probe_runs(db)) == 1
    # a longer grace window (SALESBOT_SCHEDULER_GRACE_S) would have run it
    clock.set(sh(2026, 11, 26, 16))
    [late] = make(db, clock, "patient", grace=timedelta(hours=8)).catch_up()
    assert (late.status, late.occurrence) == ("done", sh(2026, 11, 26, 9))


def test_workday_jobs_record_holidays_as_skipped_on_catch_up(db: Database) -> None:
    clock = FixedClock(sh(2026, 9, 30, 9))
    spec = probe_spec(DAILY_9, workdays_only=True)
    sched = JobScheduler(db, {"probe": spec}, clock=clock)
    sched.tick("probe")
    for day in range(1, 11):
        clock.set(sh(2026, 10, day, 9, 0))
        sched.tick("probe")
    got = [(r.occurrence.astimezone(sh(2026, 1, 1).tzinfo).day, r.status) for r in runs(db, "probe")]
    assert got == [(30, "done")] + [(d, "skipped") for d in range(1, 8)] + [(8, "done"), (9, "done"), (10, "done")]


def test_two_schedulers_ticking_together_run_each_occurrence_once(db: Database) -> None:
    clock = FixedClock(sh(2026, 11, 2, 9))
    a, b = make(db, clock, "a", pause_s=0.05), make(db, clock, "b", pause_s=0.05)
    for day in range(2, 12):
        clock.set(sh(2026, 11, day, 9, 0, ) + timedelta(milliseconds=5))
        barrier = threading.Barrier(2)
        results: dict[str, list[str]] = {}

        def look(s: JobScheduler, barrier: threading.Barrier = barrier, results: dict[str, list[str]] = results) -> None:
            barrier.wait()
            results[s.runner] = [o.status for o in s.tick("probe")]

        threads = [threading.Thread(target=look, args=(s,)) for s in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(x for r in results.values() for x in r)
        assert statuses in (["done"], ["done", "lost"], ["busy", "done"]), statuses
    executed = probe_runs(db)
    assert len(executed) == len(set(executed)) == 10
    assert {r.runner for r in runs(db, "probe")} <= {"test:a", "test:b"}


def test_two_schedulers_started_together_share_the_job_store_and_catch_up_once(db: Database) -> None:
    clock = FixedClock(sh(2026, 11, 25, 11))  # 09:00 was missed: both catch up at once
    a, b = make(db, clock, "a", pause_s=0.2), make(db, clock, "b", pause_s=0.2)
    barrier = threading.Barrier(2)

    def start(s: JobScheduler) -> None:
        barrier.wait()
        s.start()

    threads = [threading.Thread(target=start, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        for s in (a, b):
            assert s._catch_up_thread is not None
            s._catch_up_thread.join(timeout=30)
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
        assert stored == ["probe"]  # one persistent job, not one per scheduler
        assert probe_runs(db) == [sh(2026, 11, 25, 9).astimezone(UTC).isoformat()]
        assert [r.status for r in runs(db, "probe")] == ["done"]
    finally:
        a.stop()
        b.stop()
        with db.engine.begin() as conn:  # not a model: the per-test truncation does not clear it
            conn.execute(text("DELETE FROM apscheduler_jobs"))


def test_scheduler_setting_auto_means_embedded_only() -> None:
    assert scheduler_wanted(Settings(database_url="sqlite:///x.db"))
    assert not scheduler_wanted(Settings(database_url="postgresql://db/sales"))
    assert scheduler_wanted(Settings(database_url="postgresql://db/sales", scheduler="on"))
    assert not scheduler_wanted(Settings(database_url="sqlite:///x.db", scheduler="off"))


def test_a_run_abandoned_by_a_dead_process_is_taken_over_within_grace(db: Database) -> None:
    from jobs.runs import claim

    occurrence = sh(2026, 11, 25, 9).astimezone(UTC)
    assert claim(db, FixedClock(occurrence), "probe", occurrence, runner="dead:1") == "claimed"  # then killed
    clock = FixedClock(sh(2026, 11, 25, 9, 30))
    sched = make(db, clock)
    assert sched.tick("probe") == []  # 30 minutes: it may still be working
    clock.set(sh(2026, 11, 25, 10, 30))
    [outcome] = sched.tick("probe")
    assert outcome.status == "done" and probe_runs(db) == [occurrence.isoformat()]
    assert [(r.status, r.runner) for r in runs(db, "probe")] == [("done", "test:a")]


def test_next_run_of_a_workday_job_skips_weekends_and_national_day(db: Database) -> None:
    from jobs.catalog import all_jobs

    sched = JobScheduler(db, all_jobs(), clock=FixedClock(sh(2026, 11, 27, 10)))  # Friday
    upcoming = sched.next_runs()
    assert upcoming["followups"] == sh(2026, 11, 30, 9)
    assert upcoming["dormant_customers"] == sh(2026, 11, 28, 8)  # every day
    sched.clock = FixedClock(sh(2026, 9, 30, 10))
    assert sched.next_runs()["followups"] == sh(2026, 10, 8, 9)


def test_two_schedulers_started_on_monday_send_one_leaderboard(db: Database) -> None:
    """The real leaderboard job, two schedulers catching up together: one message per chat."""
    from domain.models import OutboxMessage, Stage
    from jobs.catalog import all_jobs
    from tests.factories import load_example_org

    load_example_org(db)
    history = History(db)
    customer = history.customer("苏州精工机械有限公司", "zhangwei", sh(2026, 11, 16))
    history.visit("zhangwei", customer, sh(2026, 11, 25, 10))  # in last week, W48
    won = history.opportunity(customer, "zhangwei", sh(2026, 11, 24, 10), Stage.NEGOTIATION, 100_000)
    history.stage(won, Stage.WON, sh(2026, 11, 26, 10))  # a 成交 in W48: someone is ranked, so a chart too
    clock = FixedClock(sh(2026, 11, 30, 9, 30))  # Monday; the 09:00 run is due
    spec = all_jobs()["leaderboard"]
    schedulers = [
        JobScheduler(db, {"leaderboard": spec}, clock=clock, runner=f"test:{n}") for n in ("a", "b")
    ]
    barrier = threading.Barrier(2)

    def start(s: JobScheduler) -> None:
        barrier.wait()
        s.start()

    threads = [threading.Thread(target=start, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        for s in schedulers:
            assert s._catch_up_thread is not None
            s._catch_up_thread.join(timeout=60)
        assert [r.status for r in runs(db, "leaderboard")] == ["done"]
        with db.sessions() as session:
            rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.target == "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA")))
        assert sorted(r.msg_type for r in rows) == ["image", "markdown"]  # 华东销售一部's group chat, once
        assert "张伟" in next(r.payload["content"] for r in rows if r.msg_type == "markdown")
    finally:
        for s in schedulers:
            s.stop()
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM apscheduler_jobs"))
