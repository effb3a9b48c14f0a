"""Monday 09:00: last ISO week's leaderboard to every team's group chat and to its managers.

Each team gets a markdown message and a chart (PNG) in its group chat(s), and
each active manager of the team gets both in their own chat too. The week is
the one *before* the occurrence's week, so a run caught up late (Tuesday after
an outage) still reports the same week.

Exactly once per reported week and audience: every message's key names the
week, the team / manager, the target and the kind (``jobs.periods.report_key``),
so no run — a re-run, a catch-up, ``jobs run --at 09:05`` — sends a week twice. All charts are
rendered before anything is queued: a missing CJK font fails the run with a
clear error and sends nothing, rather than half a leaderboard or tofu boxes.
A rep's name with a character the font lacks (a rare 生僻字) costs only that
team's picture: the markdown still goes out, and the run's summary says so.
"""

from __future__ import annotations

import logging
from typing import Any

from cards.charts import MissingGlyphs, render_leaderboard
from cards.leaderboard import leaderboard_markdown
from domain.models import Team
from domain.services.leaderboard import IsoWeek, all_teams, team_leaderboards, team_managers
from handlers.replies import team_targets, user_target
from jobs.base import JobContext, JobSpec, register
from jobs.periods import report_key

log = logging.getLogger(__name__)


def previous_week(ctx: JobContext) -> IsoWeek:
    return IsoWeek.containing(ctx.occurrence).previous()


def run(ctx: JobContext) -> dict[str, Any]:
    week = previous_week(ctx)
    teams = all_teams(ctx.uow)
    boards = team_leaderboards(ctx.uow, week, teams)
    prepared: list[tuple[Team, str, bytes | None]] = []
    no_chart: list[str] = []
    for team, board in zip(teams, boards, strict=True):
        if not board.standings:
            continue  # a team without reps (e.g. legal) has no board
        png: bytes | None = None
        try:
            if board.ranked:  # a picture of nothing but empty bars says nothing the text does not
                png = render_leaderboard(board).png
        except MissingGlyphs as exc:  # ChartFontMissing (no font at all) fails the whole run
            log.warning("leaderboard chart skipped for team %s: %s", team.name, exc)
            no_chart.append(team.name)
        prepared.append((team, leaderboard_markdown(board), png))

    def key(*audience: object) -> str:  # once per reported week and audience, whatever the run time
        return report_key("leaderboard", str(week), *audience)

    queued = 0
    for team, markdown, png in prepared:
        filename = f"leaderboard-{week}-team{team.id}.png"
        for target in team_targets(team):
            where = (target.platform, target.kind, target.address)
            queued += ctx.replies.markdown(target, markdown, key=key("team", team.id, *where, "md"))
            if png is not None:
                queued += ctx.replies.image(target, png, filename, key=key("team", team.id, *where, "png"))
        for manager in team_managers(ctx.uow, team):
            user = user_target(manager)
            if user is None:
                continue
            queued += ctx.replies.markdown(user, markdown, key=key("manager", manager.id, team.id, "md"))
            if png is not None:
                queued += ctx.replies.image(user, png, filename, key=key("manager", manager.id, team.id, "png"))
    summary: dict[str, Any] = {"week": str(week), "teams": [t.name for t, _, _ in prepared], "queued": queued}
    if no_chart:
        summary["no_chart"] = no_chart
    return summary


SPEC = register(
    JobSpec(
        name="leaderboard",
        run=run,
        cron={"day_of_week": "mon", "hour": 9, "minute": 0},
        workdays_only=False,
        description="每周一 09:00 发送上周各团队排行榜（文字 + 图表）到团队群和销售经理",
    )
)
