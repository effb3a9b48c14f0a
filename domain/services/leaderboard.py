"""The weekly team leaderboard: the numbers behind the Monday message, the chart and ``salesbot report``.

Why one module: the Monday job, the chart and the CLI must show the *same*
numbers, so they all call :func:`team_leaderboards` and only format the result.

What is counted, per rep and ISO week (Monday 00:00 → next Monday 00:00,
Asia/Shanghai — a visit logged Sunday 23:30 in Shanghai is still that week,
although it is Sunday 15:30 UTC):

* **拜访** visits whose ``visited_at`` falls in the week (by the rep who made them);
* **新商机** opportunities the rep owns that were created in the week;
* **成交金额** approved contract amounts, credited to the contract's submitter in
  the week of the final approval; an opportunity won by hand without an
  approved contract counts with its own amount (``domain.services.deals.won_amounts``,
  the one query 本周业绩 and the dashboard use too). 成交 (the count) is the
  opportunities that moved to 成交 in the week; 成交 is final (``domain.rules``),
  so each opportunity is won at most once;
* **赢单率** won ÷ closed, where closed = distinct opportunities that moved to
  成交 or 流失 in the week; ``None`` (shown "—") when nothing closed. An
  opportunity lost, reopened and won in the same week counts once, as won;
* **阶段推进** stage changes of the rep's opportunities that move forward in
  the funnel (``domain.rules.is_advance``; creation and 流失 are not advances).

Opportunity numbers belong to the opportunity's owner, whoever clicked.

Every number is a grouped aggregate in SQL: one query per metric kind
(visits, new opportunities, stage changes), each covering the week and the
week before (for the ↑↓ changes) with conditional sums, and all teams at once
when asked for several. Python only ranks the handful of per-rep result rows.
The indexes that keep these fast are ``ix_visits_rep_visited``,
``ix_opportunities_owner_created`` and ``ix_stage_changes_changed_at`` (migration 0006).

Ranking (documented for the teams): 成交金额 only. Reps with the same amount
share a rank (competition ranking: 1, 1, 3); among equals the one with more
拜访, then more new opportunities, then more stage advances is listed first,
then by name. Reps with no 成交 in the week get no rank: those with other
activity are listed after the ranked ones as 「本周暂无成交」 (their visits
still shown), those with nothing at all kindly at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select

from domain.clock import BUSINESS_TZ
from domain.errors import NotFound, ValidationFailed
from domain.models import Opportunity, Role, Stage, StageChange, Team, User, Visit
from domain.rules import STAGE_ORDER
from domain.services.deals import won_amounts
from domain.uow import UnitOfWork

CENT = Decimal("0.01")
_WEEK_RE = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


# ------------------------------------------------------------------- weeks
@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO week in business time (Asia/Shanghai)."""

    year: int
    week: int

    def __post_init__(self) -> None:
        try:
            date.fromisocalendar(self.year, self.week, 1)
        except ValueError:
            raise ValidationFailed(f"{self.year} 年没有第 {self.week} 周") from None

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``2026-W47`` (also ``2026W47``, ``2026-w47``)."""
        m = _WEEK_RE.match(text)
        if not m:
            raise ValidationFailed(f"周的格式应为 2026-W47，收到「{text}」")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def containing(cls, day: date | datetime) -> IsoWeek:
        """The week of a business day, or of an aware instant seen in Shanghai."""
        if isinstance(day, datetime):
            if day.tzinfo is None:
                raise ValueError("naive datetimes are not allowed")
            day = day.astimezone(BUSINESS_TZ).date()
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """Monday 00:00 Shanghai, as a UTC instant (Sunday 16:00 UTC)."""
        return datetime.combine(self.monday, time.min, tzinfo=BUSINESS_TZ).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 Shanghai (exclusive)."""
        return self.start + timedelta(days=7)

    def previous(self) -> IsoWeek:
        return IsoWeek.containing(self.monday - timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def label(self) -> str:
        """``2026-W47（11月16日—11月22日）`` as people read it."""
        a, b = self.monday, self.sunday
        return f"{self}（{a.month}月{a.day}日—{b.month}月{b.day}日）"


# ----------------------------------------------------------------- results
@dataclass(frozen=True)
class RepWeek:
    """One rep's numbers for one week."""

    visits: int = 0
    new_opportunities: int = 0
    won_amount: Decimal = Decimal("0.00")
    won: int = 0
    closed: int = 0
    stage_advances: int = 0

    @property
    def win_rate(self) -> Decimal | None:
        """Won ÷ closed in the week; ``None`` when nothing closed (shown as "—", not 0 %)."""
        if self.closed == 0:
            return None
        return Decimal(self.won) / Decimal(self.closed)

    @property
    def active(self) -> bool:
        return bool(
            self.visits or self.new_opportunities or self.won or self.closed or self.stage_advances
        )

    def plus(self, other: RepWeek) -> RepWeek:
        return RepWeek(
            self.visits + other.visits,
            self.new_opportunities + other.new_opportunities,
            self.won_amount + other.won_amount,
            self.won + other.won,
            self.closed + other.closed,
            self.stage_advances + other.stage_advances,
        )

    def to_dict(self) -> dict[str, Any]:
        rate = self.win_rate
        return {
            "visits": self.visits,
            "new_opportunities": self.new_opportunities,
            "won_amount": str(self.won_amount),
            "won": self.won,
            "closed": self.closed,
            "win_rate": None if rate is None else float(round(rate, 4)),
            "stage_advances": self.stage_advances,
        }


@dataclass(frozen=True)
class Standing:
    """A rep's line on the board: rank (``None`` when the rep won nothing), this week and the one before."""

    user_id: int
    name: str
    rank: int | None
    this: RepWeek
    previous: RepWeek

    @property
    def top_three(self) -> bool:
        return self.rank is not None and self.rank <= 3

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "rank": self.rank,
            "this_week": self.this.to_dict(),
            "previous_week": self.previous.to_dict(),
        }


@dataclass(frozen=True)
class Leaderboard:
    team_id: int
    team_name: str
    week: IsoWeek
    standings: list[Standing] = field(default_factory=list)  # ranked, then 本周暂无成交, then no record

    @property
    def ranked(self) -> list[Standing]:
        return [s for s in self.standings if s.rank is not None]

    @property
    def no_deal(self) -> list[Standing]:
        """Unranked: active in the week (visits, new opportunities…) but no 成交."""
        return [s for s in self.standings if s.rank is None and s.this.active]

    @property
    def inactive(self) -> list[Standing]:
        """Unranked: nothing at all in the week."""
        return [s for s in self.standings if s.rank is None and not s.this.active]

    @property
    def total(self) -> RepWeek:
        out = RepWeek()
        for s in self.standings:
            out = out.plus(s.this)
        return out

    @property
    def previous_total(self) -> RepWeek:
        out = RepWeek()
        for s in self.standings:
            out = out.plus(s.previous)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "team": self.team_name,
            "week": str(self.week),
            "from": self.week.monday.isoformat(),
            "to": self.week.sunday.isoformat(),
            "previous_week": str(self.week.previous()),
            "ranking": "won_amount desc (ties share a rank: 1, 1, 3); no 成交 = unranked",
            "standings": [s.to_dict() for s in self.standings],
            "total": self.total.to_dict(),
            "previous_total": self.previous_total.to_dict(),
        }


# ------------------------------------------------------------------ queries
def _money(value: object) -> Decimal:
    # SQLite sums NUMERIC as a float; round to cents so both databases answer the same.
    return Decimal(str(value or 0)).quantize(CENT)


def _in(col: Any, lo: datetime, hi: datetime) -> ColumnElement[bool]:
    return and_(col >= lo, col < hi)


def _count_if(cond: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _stage_rank(col: Any) -> Any:
    """The funnel position of a stage (``domain.rules.STAGE_ORDER``) as an SQL expression."""
    return case({s.value: n for s, n in STAGE_ORDER.items()}, value=col, else_=-1)


def _reps_query(team_ids: Sequence[int]) -> Select[tuple[User]]:
    return (
        select(User)
        .where(User.team_id.in_(team_ids), User.role == Role.REP.value, User.active.is_(True))
        .order_by(User.team_id, User.name, User.id)
    )


def _metrics(uow: UnitOfWork, rep_ids: Any, week: IsoWeek) -> dict[int, tuple[RepWeek, RepWeek]]:
    """Per rep: (this week, the week before), from three grouped queries.

    ``rep_ids`` is an SQL subquery of user ids, so the database joins it with the
    indexes instead of us shipping thousands of ids back and forth.
    """
    s = uow.session
    prev = week.previous()
    lo, mid, hi = prev.start, week.start, week.end

    visits = s.execute(
        select(
            Visit.rep_id,
            _count_if(Visit.visited_at >= mid),
            _count_if(Visit.visited_at < mid),
        )
        .where(Visit.rep_id.in_(rep_ids), _in(Visit.visited_at, lo, hi))
        .group_by(Visit.rep_id)
    ).all()

    new_opps = s.execute(
        select(
            Opportunity.owner_id,
            _count_if(Opportunity.created_at >= mid),
            _count_if(Opportunity.created_at < mid),
        )
        .where(Opportunity.owner_id.in_(rep_ids), _in(Opportunity.created_at, lo, hi))
        .group_by(Opportunity.owner_id)
    ).all()

    won = StageChange.to_stage == Stage.WON.value
    closed = StageChange.to_stage.in_([Stage.WON.value, Stage.LOST.value])
    advance = and_(
        StageChange.from_stage.is_not(None),
        StageChange.to_stage != Stage.LOST.value,
        _stage_rank(StageChange.to_stage) > _stage_rank(StageChange.from_stage),
    )
    amount = func.coalesce(Opportunity.amount, 0)
    cols: list[Any] = [Opportunity.owner_id]
    for in_week in (StageChange.changed_at >= mid, StageChange.changed_at < mid):
        cols += [
            func.coalesce(func.sum(case((and_(in_week, won), amount), else_=0)), 0),
            func.count(func.distinct(case((and_(in_week, won), Opportunity.id)))),
            func.count(func.distinct(case((and_(in_week, closed), Opportunity.id)))),
            _count_if(and_(in_week, advance)),
        ]
    changes = s.execute(
        select(*cols)
        .select_from(StageChange)
        .join(Opportunity, Opportunity.id == StageChange.opportunity_id)
        .where(Opportunity.owner_id.in_(rep_ids), _in(StageChange.changed_at, lo, hi))
        .group_by(Opportunity.owner_id)
    ).all()

    won_money = won_amounts(s, rep_ids, [(mid, hi), (lo, mid)])

    v = {row[0]: (int(row[1]), int(row[2])) for row in visits}
    n = {row[0]: (int(row[1]), int(row[2])) for row in new_opps}
    c = {row[0]: (tuple(row[1:5]), tuple(row[5:9])) for row in changes}
    zero = ((0, 0, 0, 0), (0, 0, 0, 0))
    out: dict[int, tuple[RepWeek, RepWeek]] = {}
    no_money = [Decimal("0.00"), Decimal("0.00")]
    for user_id in v.keys() | n.keys() | c.keys() | won_money.keys():
        vv, nn, cc = v.get(user_id, (0, 0)), n.get(user_id, (0, 0)), c.get(user_id, zero)
        money = won_money.get(user_id, no_money)
        this, before = (
            RepWeek(
                visits=vv[i],
                new_opportunities=nn[i],
                won_amount=money[i],
                won=int(cc[i][1]),
                closed=int(cc[i][2]),
                stage_advances=int(cc[i][3]),
            )
            for i in (0, 1)
        )
        out[user_id] = (this, before)
    return out


def rank_key(week: RepWeek) -> Decimal:
    """What decides the rank: 成交金额 alone (equal amounts share a rank)."""
    return week.won_amount


def _standings(reps: Iterable[User], numbers: dict[int, tuple[RepWeek, RepWeek]]) -> list[Standing]:
    rows = [(rep, *numbers.get(rep.id, (RepWeek(), RepWeek()))) for rep in reps]

    def order(r: tuple[User, RepWeek, RepWeek]) -> tuple[Any, ...]:
        w = r[1]
        return (-w.won_amount, -w.visits, -w.new_opportunities, -w.stage_advances, r[0].name, r[0].id)

    winners = sorted((r for r in rows if r[1].won_amount > 0), key=order)
    no_deal = sorted((r for r in rows if r[1].won_amount <= 0 and r[1].active), key=order)
    idle = sorted((r for r in rows if r[1].won_amount <= 0 and not r[1].active), key=lambda r: (r[0].name, r[0].id))
    out: list[Standing] = []
    rank = 0
    for i, (rep, this, before) in enumerate(winners):
        if i == 0 or rank_key(this) != rank_key(winners[i - 1][1]):
            rank = i + 1  # competition ranking: 1, 1, 3
        out.append(Standing(rep.id, rep.name, rank, this, before))
    out += [Standing(rep.id, rep.name, None, this, before) for rep, this, before in [*no_deal, *idle]]
    return out


def team_leaderboards(uow: UnitOfWork, week: IsoWeek, teams: Sequence[Team]) -> list[Leaderboard]:
    """The leaderboards of several teams for ``week``, in four queries whatever the number of teams."""
    if not teams:
        return []
    team_ids = [t.id for t in teams]
    reps = list(uow.session.scalars(_reps_query(team_ids)))
    rep_ids = (
        select(User.id)
        .where(User.team_id.in_(team_ids), User.role == Role.REP.value, User.active.is_(True))
        .scalar_subquery()
    )
    numbers = _metrics(uow, rep_ids, week) if reps else {}
    by_team: dict[int, list[User]] = {}
    for rep in reps:
        assert rep.team_id is not None
        by_team.setdefault(rep.team_id, []).append(rep)
    return [Leaderboard(t.id, t.name, week, _standings(by_team.get(t.id, []), numbers)) for t in teams]


def team_leaderboard(uow: UnitOfWork, team: Team, week: IsoWeek) -> Leaderboard:
    return team_leaderboards(uow, week, [team])[0]


def find_team(uow: UnitOfWork, name: str) -> Team:
    """A live team by name; a team retired with its deleted department is not one any more."""
    team = uow.session.scalar(select(Team).where(Team.name == name.strip()))
    if team is None or not team.active:
        known = (
            "、".join(uow.session.scalars(select(Team.name).where(Team.active.is_(True)).order_by(Team.name)))
            or "（还没有团队）"
        )
        gone = "（它的部门已在平台上删除，团队已停用）" if team is not None else ""
        raise NotFound(f"找不到团队「{name}」{gone}。现有团队：{known}")
    return team


def all_teams(uow: UnitOfWork) -> list[Team]:
    """The live teams (not those retired with a deleted platform department)."""
    return list(uow.session.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.id)))


def team_managers(uow: UnitOfWork, team: Team) -> list[User]:
    """The people who get the board in their own chat as well: active managers of the team."""
    return list(
        uow.session.scalars(
            select(User)
            .where(User.team_id == team.id, User.role == Role.MANAGER.value, User.active.is_(True))
            .order_by(User.id)
        )
    )
