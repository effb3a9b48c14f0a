"""The weekly leaderboard's numbers, on SQLite and PostgreSQL, built through the real services.

The constructed fortnight (business time, Asia/Shanghai):

* 2026-W46 (Nov 9–15): 张伟 2 visits, opportunity A (¥50,000) created and won.
* 2026-W47 (Nov 16–22): 张伟 3 visits (one Sunday 23:30 Shanghai = 15:30 UTC),
  B (¥120,000) created and pushed 潜在→评估→谈判→成交, C (¥30,000) created and lost;
  刘洋 5 visits and nothing closed; 王强 5 visits; 钱多 1 visit; 安静 nothing.
* Around the edges: a visit Sunday Nov 15 23:59 (W46), Monday Nov 23 00:10 (W48).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.orgfile import parse_org_yaml
from domain.clock import BUSINESS_TZ, FixedClock
from domain.db import Database
from domain.errors import NotFound, ValidationFailed
from domain.models import Customer, OutboxMessage, Stage, User
from domain.services.customers import create_customer
from domain.services.leaderboard import (
    IsoWeek,
    RepWeek,
    all_teams,
    find_team,
    team_leaderboard,
    team_leaderboards,
)
from domain.services.opportunities import change_stage, create_opportunity, get_opportunity
from domain.services.org import import_org
from domain.services.visits import log_visit
from domain.uow import UnitOfWork
from handlers.replies import Replies
from jobs.base import JobContext, cause_for
from jobs.catalog import all_jobs
from tests.factories import EXAMPLE_ORG, load_example_org

W46, W47 = IsoWeek(2026, 46), IsoWeek(2026, 47)

EXTRA_REPS = """
  - id: wangqiang
    name: 王强
    role: rep
    team: 华东销售一部
    manager: lina
  - id: qianduo
    name: 钱多
    role: rep
    team: 华东销售一部
    manager: lina
  - id: anjing
    name: 安静
    role: rep
    team: 华东销售一部
    manager: lina
  - id: leftco
    name: 离职者
    role: rep
    team: 华东销售一部
    active: false
"""


def sh(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BUSINESS_TZ)


class Org:
    """Acts on the database as a given user at a given business time, through the real services."""

    def __init__(self, db: Database, clock: FixedClock) -> None:
        self.db, self.clock = db, clock

    def user(self, uow: UnitOfWork, key: str) -> User:
        user = uow.session.scalar(select(User).where(User.key == key))
        assert user is not None
        return user

    def customer(self, uow: UnitOfWork, name: str) -> Customer:
        found = uow.session.scalar(select(Customer).where(Customer.name == name))
        return found if found is not None else create_customer(uow, name)

    def visit(self, key: str, at: datetime, customer: str = "苏州精工机械有限公司") -> None:
        self.clock.set(at)
        with UnitOfWork(self.db, self.clock) as uow:
            rep = self.user(uow, key)
            uow.act_as(rep)
            log_visit(uow, rep, self.customer(uow, customer), visited_at=at)
            uow.commit()

    def opportunity(self, key: str, at: datetime, customer: str, amount: int) -> int:
        self.clock.set(at)
        with UnitOfWork(self.db, self.clock) as uow:
            rep = self.user(uow, key)
            uow.act_as(rep)
            opp = create_opportunity(uow, self.customer(uow, customer), rep, amount=Decimal(amount))
            uow.commit()
            return opp.id

    def stage(self, opp_id: int, at: datetime, target: Stage, by: str = "lina") -> None:
        self.clock.set(at)
        with UnitOfWork(self.db, self.clock) as uow:
            uow.act_as(self.user(uow, by))  # the manager clicks: still the owner's numbers
            change_stage(uow, get_opportunity(uow, opp_id), target)
            uow.commit()


@pytest.fixture
def org(db: Database, clock: FixedClock) -> Org:
    text = EXAMPLE_ORG.read_text(encoding="utf-8")
    head, tail = text.split("  - id: sunli", 1)
    with UnitOfWork(db, clock, actor_label="org-file") as uow:
        import_org(uow, parse_org_yaml(head + EXTRA_REPS.lstrip("\n") + "  - id: sunli" + tail))
        uow.commit()
    return Org(db, clock)


@pytest.fixture
def fortnight(org: Org) -> Org:
    # 2026-W46
    org.visit("zhangwei", sh(10))
    org.visit("zhangwei", sh(12))
    a = org.opportunity("zhangwei", sh(10, 11), "华为技术有限公司", 50_000)
    org.stage(a, sh(12, 15), Stage.WON)
    org.visit("liuyang", sh(15, 23, 59))  # Sunday 23:59 Shanghai: still W46
    # 2026-W47
    org.visit("zhangwei", sh(16, 0, 0))  # Monday 00:00 exactly: W47
    org.visit("zhangwei", sh(18))
    org.visit("zhangwei", sh(22, 23, 30))  # Sunday 23:30 Shanghai = Sunday 15:30 UTC: W47
    b = org.opportunity("zhangwei", sh(16, 9), "上海电气集团", 120_000)
    org.stage(b, sh(17), Stage.EVALUATION)
    org.stage(b, sh(18), Stage.NEGOTIATION)
    org.stage(b, sh(19), Stage.WON)
    c = org.opportunity("zhangwei", sh(17, 14), "杭州海康威视", 30_000)
    org.stage(c, sh(20), Stage.LOST)
    for day in (16, 17, 18, 19, 20):
        org.visit("liuyang", sh(day, 15))
        org.visit("wangqiang", sh(day, 16))
    org.visit("qianduo", sh(21))
    org.visit("lina", sh(18))  # the manager's own visit: not on the reps' board
    # 2026-W48
    org.visit("zhangwei", sh(23, 0, 10))  # Monday 00:10 Shanghai = Sunday 16:10 UTC: W48
    return org


def board_of(org: Org, team: str, week: IsoWeek):  # type: ignore[no-untyped-def]
    with UnitOfWork(org.db, org.clock) as uow:
        return team_leaderboard(uow, find_team(uow, team), week)


def test_week_numbers_and_changes_against_the_week_before(fortnight: Org) -> None:
    board = board_of(fortnight, "华东销售一部", W47)
    by_name = {s.name: s for s in board.standings}
    zhang = by_name["张伟"]
    assert zhang.this == RepWeek(
        visits=3, new_opportunities=2, won_amount=Decimal("120000.00"), won=1, closed=2, stage_advances=3
    )
    assert zhang.this.win_rate == Decimal("0.5")
    assert zhang.previous == RepWeek(
        visits=2, new_opportunities=1, won_amount=Decimal("50000.00"), won=1, closed=1, stage_advances=1
    )
    liu = by_name["刘洋"]
    assert (liu.this.visits, liu.previous.visits) == (5, 1)
    assert liu.this.win_rate is None  # nothing closed: "—", not 0 %
    assert board.total.visits == 3 + 5 + 5 + 1
    assert board.total.won_amount == Decimal("120000.00")
    assert board.previous_total.won_amount == Decimal("50000.00")


def test_iso_week_boundaries_are_shanghai_midnights(fortnight: Org) -> None:
    assert W47.start.isoformat() == "2026-11-15T16:00:00+00:00"
    assert W47.end.isoformat() == "2026-11-22T16:00:00+00:00"
    assert W47.label == "2026-W47（11月16日—11月22日）"
    w48 = board_of(fortnight, "华东销售一部", IsoWeek(2026, 48))
    assert {s.name: s.this.visits for s in w48.standings}["张伟"] == 1  # the Monday 00:10 visit
    assert {s.name: s.previous.visits for s in w48.standings}["张伟"] == 3


def test_ranking_by_won_amount_and_no_rank_without_a_deal(fortnight: Org) -> None:
    board = board_of(fortnight, "华东销售一部", W47)
    assert [(s.rank, s.name) for s in board.standings] == [
        (1, "张伟"),  # ¥120,000
        (None, "刘洋"),  # ¥0, 5 visits: 本周暂无成交, never 「2.」
        (None, "王强"),  # ¥0, 5 visits
        (None, "钱多"),  # ¥0, 1 visit
        (None, "安静"),  # nothing at all: listed, not ranked
    ]
    assert [s.name for s in board.ranked if s.top_three] == ["张伟"]
    assert [s.name for s in board.no_deal] == ["刘洋", "王强", "钱多"]  # most visits first
    assert [s.name for s in board.inactive] == ["安静"]
    names = {s.name for s in board.standings}
    assert "离职者" not in names and "李娜" not in names  # inactive users and managers are not on the board


def test_equal_amounts_share_a_rank_and_the_next_rank_is_skipped(fortnight: Org) -> None:
    """Competition ranking on 成交金额: 1, 1, 3 — visits only order the names within a tie."""
    for key, amount in (("liuyang", 120_000), ("wangqiang", 80_000)):
        opp = fortnight.opportunity(key, sh(18, 9), "上海电气集团", amount)
        fortnight.stage(opp, sh(20), Stage.WON)
    board = board_of(fortnight, "华东销售一部", W47)
    assert [(s.rank, s.name, s.this.won_amount) for s in board.ranked] == [
        (1, "刘洋", Decimal("120000.00")),  # 5 visits: listed first among equals
        (1, "张伟", Decimal("120000.00")),  # 3 visits: the same rank
        (3, "王强", Decimal("80000.00")),
    ]
    assert [(s.rank, s.name) for s in board.standings[3:]] == [(None, "钱多"), (None, "安静")]


def test_a_week_with_nothing_closed_and_an_empty_team(org: Org) -> None:
    org.visit("zhaolei", sh(17))
    board = board_of(org, "华南销售部", W47)
    [zhao] = board.standings
    assert zhao.rank is None and zhao.this.visits == 1 and zhao.this.win_rate is None  # no 成交: no rank
    assert board.no_deal == [zhao] and board.inactive == []
    assert zhao.previous == RepWeek()
    empty = board_of(org, "华南销售部", IsoWeek(2026, 30))
    assert [(s.name, s.rank) for s in empty.standings] == [("赵磊", None)]
    assert empty.total.win_rate is None


def test_all_teams_at_once_give_the_same_numbers_as_one_team(fortnight: Org) -> None:
    fortnight.visit("zhaolei", sh(19))
    with UnitOfWork(fortnight.db, fortnight.clock) as uow:
        boards = team_leaderboards(uow, W47, all_teams(uow))
    assert [b.team_name for b in boards] == ["华东销售一部", "华南销售部"]
    assert boards[0] == board_of(fortnight, "华东销售一部", W47)
    assert boards[1] == board_of(fortnight, "华南销售部", W47)


def test_week_and_team_input_errors_are_in_chinese(org: Org) -> None:
    assert IsoWeek.parse("2026-W47") == W47 == IsoWeek.parse("2026w47")
    with pytest.raises(ValidationFailed, match="2026-W47"):
        IsoWeek.parse("47")
    assert IsoWeek.parse("2026-W53").sunday.isoformat() == "2027-01-03"  # 2026 has 53 ISO weeks
    with pytest.raises(ValidationFailed, match="2027 年没有第 53 周"):
        IsoWeek.parse("2027-W53")
    assert IsoWeek.parse("2026-W01").monday.isoformat() == "2025-12-29"
    with UnitOfWork(org.db, org.clock) as uow, pytest.raises(NotFound, match="华东销售一部"):
        find_team(uow, "不存在的团队")


def run_leaderboard(db: Database, clock: FixedClock, occurrence: datetime) -> dict[str, object]:
    spec = all_jobs()["leaderboard"]
    cause = cause_for("leaderboard", occurrence)
    with UnitOfWork(db, clock, actor_label="scheduler", cause=cause) as uow:
        result = spec.run(JobContext(uow, Replies(uow.session, clock, cause), occurrence))
        uow.commit()
    return result


def test_monday_job_queues_text_and_chart_for_chats_and_managers_once(fortnight: Org) -> None:
    spec = all_jobs()["leaderboard"]
    assert spec.cron == {"day_of_week": "mon", "hour": 9, "minute": 0}
    monday = sh(23, 9)
    fortnight.clock.set(monday)
    result = run_leaderboard(fortnight.db, fortnight.clock, monday)
    assert result["week"] == "2026-W47" and result["teams"] == ["华东销售一部", "华南销售部"]
    with fortnight.db.sessions() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    got = sorted((r.platform, r.target_kind, r.target, r.msg_type) for r in rows)
    expected = []
    for where in [
        ("wecom", "chat", "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"),  # 华东 group chat
        ("dingtalk", "chat", "cidQp1cRnC7hbR0uRHK0eIdQQ=="),  # 华东 also has a DingTalk group
        ("wecom", "user", "LiNa"),  # 华东 manager
    ]:
        expected += [(*where, "image"), (*where, "markdown")]
    # 华南's only rep did nothing last week: the kind text, but no chart of empty bars
    expected += [("wecom", "chat", "wrOgQhDgAAcwMTB7YmDkbeBsAAAA", "markdown"), ("wecom", "user", "ChenJing", "markdown")]
    assert got == sorted(expected)
    east = next(r for r in rows if r.target == "LiNa" and r.msg_type == "markdown")
    assert "张伟" in east.payload["content"] and "¥120,000 ↑¥70,000" in east.payload["content"]
    assert "安静：这一周暂无记录，新的一周加油！💪" in east.payload["content"]
    # Re-running the same occurrence (a second scheduler, a retry) queues nothing new.
    again = run_leaderboard(fortnight.db, fortnight.clock, monday)
    assert again["queued"] == 0
    with fortnight.db.sessions() as s:
        assert len(s.scalars(select(OutboxMessage)).all()) == len(rows)


def test_the_job_reports_last_week_even_when_caught_up_late(db: Database, clock: FixedClock) -> None:
    load_example_org(db, clock)
    tuesday = sh(24, 11)
    clock.set(tuesday)
    result = run_leaderboard(db, clock, sh(23, 9))
    assert result["week"] == "2026-W47"
