"""Leaderboard and reminder scans on a big PostgreSQL database: are they fast enough?

Run: ``.venv/bin/python bench/leaderboard.py [--explain] [--keep]``

Seeds a scratch database (``salesbot_bench_lb_<random>``, migrated with
``bot.migrate.upgrade``, dropped at the end unless ``--keep``) with 100 teams,
2,000 reps, 20,000 customers, 200,000 opportunities (with their stage
history) and 1,000,000 visits spread over the last 52 weeks, then times:

* the leaderboard of one team for the last ISO week (goal ≤ 1 s),
* the leaderboards of all teams (goal ≤ 1 s; the Monday job's queries),
* each reminder scan of the scheduled jobs, if present (goal ≤ 2 s each):
  ``jobs.followups.scan``, ``jobs.stale_opportunities.scan``, ``jobs.dormant_customers.scan``;
* the whole Monday job for the 100 teams through ``jobs.runs.execute`` (goal ≤ 10 s, one
  markdown + one chart per team chat), and a second run of it (goal: sends nothing).

Seeding runs in the server (``INSERT … SELECT FROM generate_series`` with a
fixed ``setseed``), not through the ORM: a million rows take seconds, not
minutes. ``--explain`` prints ``EXPLAIN (ANALYZE, BUFFERS)`` of every
statement the timed functions ran. PostgreSQL is reached at
``postgresql://postgres@127.0.0.1:5432/test`` (the scratch database is created
from there); set ``BENCH_PG_URL`` for another server.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 Asia/Shanghai: the job's moment
TEAMS, REPS_PER_TEAM, CUSTOMERS, OPPORTUNITIES, VISITS = 100, 20, 20_000, 200_000, 1_000_000
LEADERBOARD_GOAL, SCAN_GOAL, MONDAY_GOAL = 1.0, 2.0, 10.0

SEED_SQL = """
SELECT setseed(0.42);

INSERT INTO teams (id, name, wecom_chat_id)
SELECT t, format('测试团队%s', lpad(t::text, 3, '0')), format('wrBench%s', t)
FROM generate_series(1, :teams) t;

-- one manager per team (ids 1..teams), then the reps; every 97th rep has left (inactive)
INSERT INTO users (id, key, name, role, team_id, manager_id, active, managed_by_file, wecom_userid)
SELECT t, format('mgr%s', t), format('经理%s', t), 'manager', t, NULL, true, true, format('Mgr%s', t)
FROM generate_series(1, :teams) t;
INSERT INTO users (id, key, name, role, team_id, manager_id, active, managed_by_file, wecom_userid)
SELECT :teams + r, format('rep%s', r), format('销售%s', lpad(r::text, 4, '0')), 'rep',
       1 + (r - 1) % :teams, 1 + (r - 1) % :teams, r % 97 <> 0, true, format('Rep%s', r)
FROM generate_series(1, :reps) r;

INSERT INTO customers (id, name, normalized_name, tags, owner_id, status, created_at, last_interaction_at)
SELECT c, format('客户%s有限公司', c), format('客户%s', c), '[]'::json, :teams + 1 + (c - 1) % :reps,
       CASE WHEN c % 10 = 0 THEN 'dormant' ELSE 'active' END,
       :now - interval '400 days', :now - random() * interval '60 days'
FROM generate_series(1, :customers) c;

CREATE TEMP TABLE opp_plan AS
SELECT g AS id,
       1 + floor(random() * :customers)::int AS customer_id,
       :teams + 1 + floor(random() * :reps)::int AS owner_id,
       :now - random() * interval '364 days' AS created_at,
       random() AS r_eval, random() AS r_neg, random() AS r_close, random() AS r_amount,
       random() AS d1, random() AS d2, random() AS d3
FROM generate_series(1, :opps) g;
ALTER TABLE opp_plan ADD COLUMN e_at timestamptz, ADD COLUMN n_at timestamptz,
    ADD COLUMN c_at timestamptz, ADD COLUMN c_from text, ADD COLUMN c_stage text;
UPDATE opp_plan SET e_at = created_at + (1 + d1 * 10) * interval '1 day' WHERE r_eval < 0.7;
UPDATE opp_plan SET n_at = e_at + (1 + d2 * 10) * interval '1 day' WHERE e_at IS NOT NULL AND r_neg < 0.6;
UPDATE opp_plan SET c_stage = CASE WHEN r_close < 0.45 THEN 'won' ELSE 'lost' END,
                    c_at = coalesce(n_at, e_at, created_at) + (1 + d3 * 14) * interval '1 day',
                    c_from = CASE WHEN n_at IS NOT NULL THEN 'negotiation'
                                  WHEN e_at IS NOT NULL THEN 'evaluation' ELSE 'lead' END
WHERE r_close < 0.75;
-- nothing happens after "now"
UPDATE opp_plan SET e_at = NULL WHERE e_at > :now;
UPDATE opp_plan SET n_at = NULL WHERE n_at > :now OR e_at IS NULL;
UPDATE opp_plan SET c_at = NULL, c_stage = NULL WHERE c_at > :now
    OR (c_from = 'negotiation' AND n_at IS NULL) OR (c_from = 'evaluation' AND e_at IS NULL);

INSERT INTO opportunities (id, customer_id, name, stage, amount, owner_id, created_at, updated_at,
                           last_touched_at, closed_at, version)
SELECT id, customer_id, format('商机%s', id),
       coalesce(c_stage, CASE WHEN n_at IS NOT NULL THEN 'negotiation'
                              WHEN e_at IS NOT NULL THEN 'evaluation' ELSE 'lead' END),
       round((10000 + r_amount * 990000)::numeric, -2), owner_id, created_at,
       greatest(created_at, e_at, n_at, c_at), greatest(created_at, e_at, n_at, c_at), c_at, 1
FROM opp_plan;

INSERT INTO stage_changes (opportunity_id, from_stage, to_stage, changed_at, changed_by_id)
SELECT id, NULL, 'lead', created_at, owner_id FROM opp_plan
UNION ALL SELECT id, 'lead', 'evaluation', e_at, owner_id FROM opp_plan WHERE e_at IS NOT NULL
UNION ALL SELECT id, 'evaluation', 'negotiation', n_at, owner_id FROM opp_plan WHERE n_at IS NOT NULL
UNION ALL SELECT id, c_from, c_stage, c_at, owner_id FROM opp_plan WHERE c_at IS NOT NULL;

INSERT INTO visits (rep_id, customer_id, visited_at, next_follow_up, summary, created_at)
SELECT rep, cust, at,
       CASE WHEN random() < 0.3
            THEN ((at AT TIME ZONE 'Asia/Shanghai')::date + 1 + floor(random() * 14)::int) END,
       '拜访', at
FROM (
    SELECT :teams + 1 + floor(random() * :reps)::int AS rep,
           1 + floor(random() * :customers)::int AS cust,
           :now - random() * interval '364 days' AS at
    FROM generate_series(1, :visits)
) v;

SELECT setval(pg_get_serial_sequence('teams', 'id'), (SELECT max(id) FROM teams));
SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users));
SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT max(id) FROM customers));
SELECT setval(pg_get_serial_sequence('opportunities', 'id'), (SELECT max(id) FROM opportunities));
"""


def seed(url: str) -> dict[str, int]:
    params = {
        "teams": TEAMS,
        "reps": TEAMS * REPS_PER_TEAM,
        "customers": CUSTOMERS,
        "opps": OPPORTUNITIES,
        "visits": VISITS,
        "now": NOW,
    }
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in (s.strip() for s in SEED_SQL.split(";\n")):
                if statement:
                    used = {k: v for k, v in params.items() if f":{k}" in statement}
                    conn.execute(text(statement), used)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            counts = {
                t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in ("users", "customers", "opportunities", "stage_changes", "visits")
            }
    finally:
        engine.dispose()
    return counts


class Recorder:
    """The SQL statements a timed function sent, for EXPLAIN ANALYZE afterwards."""

    def __init__(self, engine: Any) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if self.on:
            self.statements.append((statement, parameters))


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    fn()  # warm-up: plans, caches
    runs = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), result


def line(label: str, seconds: float, goal: float, note: str = "") -> None:
    ratio = seconds / goal
    verdict = "ok" if seconds <= goal else "TOO SLOW"
    print(f"  {label:<34} {seconds * 1000:8.1f} ms   {ratio:5.2f}× of the {goal:g} s goal   {verdict}  {note}")


def run(url: str, explain: bool) -> bool:
    from domain.clock import FixedClock
    from domain.db import Database
    from domain.services.leaderboard import IsoWeek, all_teams, team_leaderboard, team_leaderboards
    from domain.uow import UnitOfWork

    db = Database(url)
    recorder = Recorder(db.engine)
    clock = FixedClock(NOW)
    week = IsoWeek.containing(NOW).previous()
    results: list[tuple[str, Callable[[], Any], float]] = []

    def one_team() -> Any:
        with UnitOfWork(db, clock) as uow:
            team = all_teams(uow)[41]
            return team_leaderboard(uow, team, week)

    def every_team() -> Any:
        with UnitOfWork(db, clock) as uow:
            return team_leaderboards(uow, week, all_teams(uow))

    results.append((f"leaderboard, one team ({week})", one_team, LEADERBOARD_GOAL))
    results.append((f"leaderboard, all {TEAMS} teams", every_team, LEADERBOARD_GOAL))
    for module in ("jobs.followups", "jobs.stale_opportunities", "jobs.dormant_customers"):
        try:
            scan = importlib.import_module(module).scan
        except (ImportError, AttributeError):
            print(f"  ({module}.scan not found: skipped)")
            continue

        def do_scan(scan: Any = scan) -> Any:
            with db.sessions() as session:
                return scan(session, NOW)

        results.append((f"scan {module.split('.')[1]}", do_scan, SCAN_GOAL))

    ok = True
    try:
        for label, fn, goal in results:
            seconds, result = timed(fn, repeat=5)
            size = len(result) if hasattr(result, "__len__") else len(getattr(result, "standings", []))
            what = "reps" if label.startswith("leaderboard, one") else ("teams" if "all" in label else "rows")
            line(label, seconds, goal, f"({size} {what})")
            ok = ok and seconds <= goal
            if explain:
                recorder.statements.clear()
                recorder.on = True
                fn()
                recorder.on = False
                with db.engine.connect() as conn:
                    for statement, params in recorder.statements:
                        if not statement.lstrip().upper().startswith("SELECT"):
                            continue
                        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                        print("\n    " + "\n    ".join(r[0] for r in plan))
                print()
        board = one_team()
        t0 = time.perf_counter()
        from cards.charts import render_leaderboard
        from cards.leaderboard import leaderboard_markdown

        render_leaderboard(board)  # font loading
        t0 = time.perf_counter()
        png = render_leaderboard(board).png
        md = leaderboard_markdown(board)
        print(
            f"  (one team's chart + markdown: {(time.perf_counter() - t0) * 1000:.0f} ms, "
            f"PNG {len(png) / 1024:.0f} KB, markdown {len(md.encode())} bytes — not part of the goal)"
        )
        ok = monday_job(db) and ok
    finally:
        db.dispose()
    return ok


def monday_job(db: Any) -> bool:
    """The whole Monday job as the scheduler runs it (claim, read, draw in parallel, write, record)."""
    from sqlalchemy import func, select

    from domain.clock import FixedClock
    from domain.models import OutboxMessage
    from jobs.leaderboard import SPEC
    from jobs.runs import execute

    t0 = time.perf_counter()
    outcome = execute(db, FixedClock(NOW), SPEC, NOW)
    seconds = time.perf_counter() - t0
    with db.sessions() as session:
        per_chat = dict(
            session.execute(
                select(OutboxMessage.target, func.count())
                .where(OutboxMessage.target_kind == "chat")
                .group_by(OutboxMessage.target)
            ).all()
        )
    teams = len(outcome.detail.get("teams", []))
    once = bool(per_chat) and set(per_chat.values()) == {2}  # one markdown + one chart per team chat
    line(f"Monday job, {teams} teams (charts outside the transaction, in parallel)", seconds, MONDAY_GOAL,
         f"({outcome.status}; {len(per_chat)} team chats, each sent {'once' if once else 'NOT once'})")
    from cards.charts import render_many
    from domain.services.leaderboard import IsoWeek
    from domain.uow import UnitOfWork
    from jobs.leaderboard import read

    with UnitOfWork(db, FixedClock(NOW)) as uow:
        boards = [p.board for p in read(uow, IsoWeek.containing(NOW).previous()).posts]
    t1 = time.perf_counter()
    render_many(boards, workers=1)
    serial = time.perf_counter() - t1
    t1 = time.perf_counter()
    render_many(boards)
    parallel = time.perf_counter() - t1
    print(
        f"  (drawing the {len(boards)} charts: one process {serial:.1f} s, worker processes {parallel:.1f} s"
        f" = {serial / parallel:.2f}× faster, same run)"
    )
    again = execute(db, FixedClock(NOW), SPEC, NOW, rerun=True)
    print(f"  (a second run of the same Monday sends {again.detail.get('messages')} messages)")
    return outcome.status == "done" and seconds <= MONDAY_GOAL and once and again.detail.get("messages") == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE every timed statement")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (prints its URL)")
    args = parser.parse_args()

    from bot.migrate import upgrade
    from domain.db import normalize_url

    admin_url = normalize_url(PG_URL)
    name = f"salesbot_bench_lb_{uuid.uuid4().hex[:8]}"
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    ok = False
    try:
        upgrade(url)
        t0 = time.perf_counter()
        counts = seed(url)
        print(
            f"seeded {name} in {time.perf_counter() - t0:.1f} s: "
            + ", ".join(f"{n:,} {t}" for t, n in counts.items())
        )
        print(f"now = {NOW.isoformat()} (Monday 09:00 Asia/Shanghai); median of 5 runs after a warm-up\n")
        ok = run(url, args.explain)
    finally:
        if args.keep:
            print(f"kept: {url}")
        else:
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    print("\nall within the goals" if ok else "\nSOME ARE OVER THE GOAL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
