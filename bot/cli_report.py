"""``salesbot report …``: the numbers behind the scheduled messages, on demand.

``salesbot report leaderboard --team 华东销售一部 --week 2026-W47`` prints the
leaderboard the Monday job sends for that week — the same function, so a
manager who doubts a number can check it. ``--json`` for scripts,
``--markdown`` for the exact message text, ``--chart FILE`` for the picture.
Registered in ``bot.cli`` as ``app.add_typer(report_app, name="report")``.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

report_app = typer.Typer(help="报表 / reports (same numbers as the scheduled messages).", no_args_is_help=True)


@report_app.callback()
def _group() -> None:
    """Keep ``leaderboard`` a sub-command even while it is the only one."""


@report_app.command("leaderboard")
def leaderboard(
    team: str = typer.Option(..., "--team", help="团队名称 / team name, e.g. 华东销售一部"),
    week: str | None = typer.Option(
        None, "--week", help="ISO 周，如 2026-W47；默认上一周 / ISO week, default: last week"
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the chat message exactly as sent."),
    chart: Path | None = typer.Option(None, "--chart", help="Also write the chart PNG to this file."),
) -> None:
    """Weekly team leaderboard: visits, new opportunities, won amount, win rate, stage advances."""
    from bot.settings import load_settings
    from cards.leaderboard import leaderboard_markdown, leaderboard_text
    from domain.clock import SystemClock
    from domain.db import Database
    from domain.errors import DomainError
    from domain.services.leaderboard import IsoWeek, find_team, team_leaderboard
    from domain.uow import UnitOfWork

    settings = load_settings()
    db = Database(settings.database_url)
    try:
        with UnitOfWork(db) as uow:
            try:
                iso = IsoWeek.parse(week) if week else IsoWeek.containing(SystemClock().now()).previous()
                board = team_leaderboard(uow, find_team(uow, team), iso)
            except DomainError as exc:
                typer.echo(exc.message, err=True)
                raise typer.Exit(2) from None
    finally:
        db.dispose()

    if chart is not None:
        from cards.charts import ChartFontMissing, render_leaderboard

        try:
            chart.write_bytes(render_leaderboard(board).png)
        except ChartFontMissing as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        typer.echo(f"图表已写入 / chart written to {chart}", err=True)
    if as_json:
        typer.echo(json.dumps(board.to_dict(), ensure_ascii=False, indent=2))
    elif markdown:
        typer.echo(leaderboard_markdown(board))
    else:
        typer.echo(leaderboard_text(board))
