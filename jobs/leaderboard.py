"""Monday 09:00: last ISO week's leaderboard to every team's group chat and to its managers.

Each team gets a markdown message and a chart (a portrait PNG for a phone) in its group
chat(s), and each active manager of the team gets both in their own chat too. The week is
the one *before* the occurrence's week, so a run caught up late (Tuesday after an outage)
still reports the same week.

Two phases, so drawing never holds the database (#17): ``prepare`` reads every team's board,
chats and managers in one short read-only session, closes it, then draws all charts in
parallel processes (``cards.charts.render_many``); ``run`` — inside the run's transaction,
after the occurrence was claimed — only writes the outbox rows and the run log.

Exactly once per reported week and audience: every message's key names the week, the team /
manager, the target and the kind (``jobs.periods.report_key``), so no run — a re-run, a
catch-up, ``jobs run --at 09:05`` — sends a week twice. A missing CJK font fails the run
before anything is queued; a rep's name with a character the font lacks (a rare 生僻字)
costs only that team's picture (the summary says so). A team with reps but no group chat is
reported to the admins once a week (``salesbot org team-chat`` fixes it). A team retired
because its platform department was deleted (``teams.active`` False) gets no board, and its
remaining reps count as in no team.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from cards.charts import render_many
from cards.leaderboard import leaderboard_markdown
from domain.clock import FixedClock
from domain.models import Role, Team, User
from domain.services.leaderboard import IsoWeek, Leaderboard, all_teams, team_leaderboards
from domain.uow import UnitOfWork
from handlers.replies import Target, team_targets, user_target
from jobs.base import JobContext, JobSpec, register
from jobs.periods import report_key

log = logging.getLogger(__name__)


@dataclass
class TeamPost:
    team_id: int
    name: str
    markdown: str
    chats: list[Target]
    managers: list[tuple[int, Target]]
    board: Leaderboard
    png: bytes | None = None


@dataclass
class Prepared:
    week: IsoWeek
    posts: list[TeamPost] = field(default_factory=list)
    admins: list[tuple[int, Target]] = field(default_factory=list)
    no_chart: list[str] = field(default_factory=list)
    reps_without_team: int = 0


def previous_week(ctx: JobContext) -> IsoWeek:
    return IsoWeek.containing(ctx.occurrence).previous()


def _targets(users: list[User]) -> list[tuple[int, Target]]:
    return [(u.id, t) for u in users if (t := user_target(u)) is not None]


def prepare(db: Any, occurrence: datetime, options: Mapping[str, Any]) -> Prepared:
    """Read everything in one short session, then draw the charts with no transaction open."""
    with UnitOfWork(db, FixedClock(occurrence), actor_label="scheduler") as uow:  # read only: rolled back
        prepared = read(uow, IsoWeek.containing(occurrence).previous())
    draw(prepared, options)
    return prepared


def read(uow: UnitOfWork, week: IsoWeek) -> Prepared:
    """Every team's board, chats and managers, and the admins (a fixed number of queries)."""
    out = Prepared(week)
    teams = all_teams(uow)
    boards = team_leaderboards(uow, week, teams)
    managers: dict[int, list[User]] = {}
    for m in uow.session.scalars(
        select(User)
        .where(User.role == Role.MANAGER.value, User.active.is_(True), User.team_id.is_not(None))
        .order_by(User.id)
    ):
        managers.setdefault(m.team_id or 0, []).append(m)
    for team, board in zip(teams, boards, strict=True):
        if not board.standings:
            continue  # a team without reps (e.g. legal) has no board
        out.posts.append(
            TeamPost(
                team.id,
                team.name,
                leaderboard_markdown(board),
                team_targets(team),
                _targets(managers.get(team.id, [])),
                board,
            )
        )
    out.admins = _targets(list(uow.session.scalars(select(User).where(User.role == Role.ADMIN, User.active.is_(True)))))
    out.reps_without_team = len(
        list(
            uow.session.scalars(
                select(User.id)
                .outerjoin(Team, User.team_id == Team.id)
                .where(User.role == Role.REP, User.active.is_(True), or_(User.team_id.is_(None), Team.active.is_(False)))
            )
        )
    )
    return out


def draw(prepared: Prepared, options: Mapping[str, Any]) -> None:
    """Every chart, in parallel processes when there are many (``chart_workers`` option caps them)."""
    workers = options.get("chart_workers")
    pictures = render_many([p.board for p in prepared.posts], int(workers) if workers is not None else None)
    for post, picture in zip(prepared.posts, pictures, strict=True):
        if isinstance(picture, str):
            log.warning("leaderboard chart skipped for team %s: %s", post.name, picture)
            prepared.no_chart.append(post.name)
        else:
            post.png = picture


def run(ctx: JobContext) -> dict[str, Any]:
    prepared = ctx.prepared
    if not isinstance(prepared, Prepared):  # called without the run's prepare phase: all in this transaction
        prepared = read(ctx.uow, previous_week(ctx))
        draw(prepared, ctx.options)
    week = prepared.week

    def key(*audience: object) -> str:  # once per reported week and audience, whatever the run time
        return report_key("leaderboard", str(week), *audience)

    queued = 0
    for post in prepared.posts:
        filename = f"leaderboard-{week}-team{post.team_id}.png"
        for target in post.chats:
            where = (target.platform, target.kind, target.address)
            queued += ctx.replies.markdown(target, post.markdown, key=key("team", post.team_id, *where, "md"))
            # DingTalk custom robots (webhooks) take no uploaded picture: the chart would only fail there
            if post.png is not None and not (target.platform == "dingtalk" and target.kind == "webhook"):
                queued += ctx.replies.image(target, post.png, filename, key=key("team", post.team_id, *where, "png"))
        for manager_id, user in post.managers:
            queued += ctx.replies.markdown(user, post.markdown, key=key("manager", manager_id, post.team_id, "md"))
            if post.png is not None:
                queued += ctx.replies.image(
                    user, post.png, filename, key=key("manager", manager_id, post.team_id, "png")
                )
    summary: dict[str, Any] = {"week": str(week), "teams": [p.name for p in prepared.posts], "queued": queued}
    if prepared.no_chart:
        summary["no_chart"] = prepared.no_chart
    queued += _warn_admins(ctx, prepared, key, summary)
    summary["queued"] = queued
    return summary


def _warn_admins(ctx: JobContext, prepared: Prepared, key: Any, summary: dict[str, Any]) -> int:
    """Teams the board could not be posted to, and reps in no team: admins hear it once a week."""
    homeless = [p.name for p in prepared.posts if not p.chats]
    problems: list[str] = []
    if homeless:
        summary["no_chat"] = homeless
        problems.append(
            f"这些团队没有设置群聊，排行榜只发给了团队经理：{'、'.join(homeless)}。"
            f"设置方法：salesbot org team-chat 团队名 群聊ID（或在组织架构文件里写 wecom_chat_id / dingtalk_conversation_id）。"
        )
    if not prepared.posts and prepared.reps_without_team:
        summary["no_team_reps"] = prepared.reps_without_team
        problems.append(
            f"有 {prepared.reps_without_team} 位销售不属于任何团队，本周没有可发的排行榜。"
            f"请运行 salesbot org sync（部门会成为团队，层级见 SALESBOT_ORG_TEAM_LEVEL）或在组织架构文件里设置团队。"
        )
    if not problems:
        return 0
    text = f"【管理员提醒】{prepared.week.label} 周排行榜：" + "".join(problems)
    sent = 0
    for admin_id, target in prepared.admins:
        sent += ctx.replies.text(target, text, key=key("admin", admin_id, "setup"))
    return sent


SPEC = register(
    JobSpec(
        name="leaderboard",
        run=run,
        cron={"day_of_week": "mon", "hour": 9, "minute": 0},
        workdays_only=False,
        description="每周一 09:00 发送上周各团队排行榜（文字 + 图表）到团队群和销售经理",
        prepare=prepare,
    )
)
