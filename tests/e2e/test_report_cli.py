"""``salesbot report leaderboard`` as an admin runs it: the Monday message's numbers, on a SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.migrate import upgrade
from cards.leaderboard import leaderboard_markdown
from domain.clock import BUSINESS_TZ, FixedClock
from domain.db import Database
from domain.models import Stage, User
from domain.services.customers import create_customer
from domain.services.leaderboard import IsoWeek, find_team, team_leaderboard
from domain.services.opportunities import change_stage, create_opportunity, get_opportunity
from domain.services.visits import log_visit
from domain.uow import UnitOfWork
from tests.factories import load_example_org

ROOT = Path(__file__).resolve().parents[2]


def salesbot(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESBOT_DATABASE_URL": db_url}
    env.pop("SALESBOT_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def sh(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=BUSINESS_TZ)


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'salesbot.db'}"
    upgrade(url)
    db = Database(url)
    clock = FixedClock(sh(9))
    try:
        load_example_org(db, clock)

        def act(at: datetime, work) -> None:  # type: ignore[no-untyped-def]
            clock.set(at)
            with UnitOfWork(db, clock) as uow:
                zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
                liu = uow.session.scalar(select(User).where(User.key == "liuyang"))
                assert zhang is not None and liu is not None
                uow.act_as(zhang)
                work(uow, zhang, liu)
                uow.commit()

        ids: dict[str, int] = {}

        def week46(uow: UnitOfWork, zhang: User, liu: User) -> None:
            c = create_customer(uow, "华为技术有限公司", owner=zhang)
            ids["a"] = create_opportunity(uow, c, zhang, amount=Decimal(50_000)).id
            log_visit(uow, liu, c, visited_at=sh(11))

        def week47(uow: UnitOfWork, zhang: User, liu: User) -> None:
            c = create_customer(uow, "上海电气集团", owner=zhang)
            ids["b"] = create_opportunity(uow, c, zhang, amount=Decimal(88_000)).id
            log_visit(uow, zhang, c, visited_at=sh(17))
            log_visit(uow, zhang, c, visited_at=sh(22, 23))  # Sunday 23:00 Shanghai: still W47

        def stage(opp: str, target: Stage):  # type: ignore[no-untyped-def]
            return lambda uow, *_: change_stage(uow, get_opportunity(uow, ids[opp]), target)

        act(sh(10), week46)
        act(sh(12), stage("a", Stage.WON))
        act(sh(17), week47)
        act(sh(18), stage("b", Stage.NEGOTIATION))
        act(sh(19), stage("b", Stage.LOST))
    finally:
        db.dispose()
    return url


def test_json_is_exactly_what_the_monday_job_computes(db_file: str) -> None:
    r = salesbot(db_file, "report", "leaderboard", "--team", "华东销售一部", "--week", "2026-W47", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    db = Database(db_file)
    try:
        with UnitOfWork(db) as uow:
            board = team_leaderboard(uow, find_team(uow, "华东销售一部"), IsoWeek(2026, 47))
    finally:
        db.dispose()
    assert data == json.loads(json.dumps(board.to_dict(), ensure_ascii=False))
    zhang = data["standings"][0]
    assert zhang["name"] == "张伟" and zhang["rank"] is None  # visits but no 成交: unranked (#16)
    assert zhang["this_week"] == {
        "visits": 2,
        "new_opportunities": 1,
        "won_amount": "0.00",
        "won": 0,
        "closed": 1,
        "win_rate": 0.0,
        "stage_advances": 1,
    }
    assert zhang["previous_week"]["won_amount"] == "50000.00"
    liu = data["standings"][1]
    assert liu["name"] == "刘洋" and liu["rank"] is None  # visited in W46 only
    assert liu["this_week"]["win_rate"] is None and liu["previous_week"]["visits"] == 1
    assert data["week"] == "2026-W47" and data["from"] == "2026-11-16" and data["to"] == "2026-11-22"


def test_table_markdown_and_chart(db_file: str, tmp_path: Path) -> None:
    r = salesbot(db_file, "report", "leaderboard", "--team", "华东销售一部", "--week", "2026-W47")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "华东销售一部  2026-W47（11月16日—11月22日）"
    zhang = next(line for line in lines if "张伟" in line)
    assert zhang.split()[:6] == ["—", "张伟", "¥0", "↓¥50,000", "2", "↑2"] and zhang.endswith("本周暂无成交")
    assert "这一周暂无记录" in next(line for line in lines if "刘洋" in line)

    chart = tmp_path / "board.png"
    md = salesbot(
        db_file, "report", "leaderboard", "--team", "华东销售一部", "--week", "2026-W47",
        "--markdown", "--chart", str(chart),
    )
    assert md.returncode == 0, md.stderr
    db = Database(db_file)
    try:
        with UnitOfWork(db) as uow:
            board = team_leaderboard(uow, find_team(uow, "华东销售一部"), IsoWeek(2026, 47))
    finally:
        db.dispose()
    assert md.stdout == leaderboard_markdown(board) + "\n"
    assert chart.read_bytes().startswith(b"\x89PNG") and "图表已写入" in md.stderr


def test_unknown_team_and_bad_week_are_explained(db_file: str) -> None:
    r = salesbot(db_file, "report", "leaderboard", "--team", "西北部", "--week", "2026-W47")
    assert r.returncode == 2
    assert "找不到团队「西北部」" in r.stderr and "华东销售一部" in r.stderr
    r = salesbot(db_file, "report", "leaderboard", "--team", "华东销售一部", "--week", "11月第三周")
    assert r.returncode == 2 and "2026-W47" in r.stderr
