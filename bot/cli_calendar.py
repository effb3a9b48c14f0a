"""``salesbot calendar …``: the work calendar (holidays, 调休) as data the product owns.

Registered in ``bot.cli`` as ``app.add_typer(calendar_app, name="calendar")``.

- ``salesbot calendar load FILE``: a year's official schedule, written from the State
  Council's notice in the format of ``examples/workcalendar/2026.yaml``; replaces that year;
- ``salesbot calendar show [YEAR]``: where each year's data comes from, the year's days off
  and 调休 workdays, and a warning for a year still on the Monday–Friday fallback.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import typer
import yaml

from bot.cli_db import cli_database

calendar_app = typer.Typer(help="工作日历 / Work calendar: holidays and make-up workdays.", no_args_is_help=True)

SOURCES = {"loaded": "已载入的数据", "package": "chinesecalendar 软件包", "assumed": "未载入：按周一至周五推算"}


@calendar_app.command("load")
def load(file: Path = typer.Argument(..., help="A year's schedule (YAML), see examples/workcalendar/.")) -> None:
    """Check a year's schedule and make it the calendar for that year (loading it again replaces it)."""
    from domain.errors import DomainError
    from domain.services.workcalendar_data import parse, store
    from domain.uow import UnitOfWork

    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        typer.echo(f"读不了日历文件 / cannot read the file: {exc}", err=True)
        raise typer.Exit(1) from exc
    try:
        schedule = parse(data, source=file.name)
    except DomainError as exc:
        typer.echo(f"日历文件有误 / invalid calendar: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    with cli_database() as db, UnitOfWork(db, actor_label="admin", cause="cli:calendar-load") as uow:
        store(uow, schedule)
        uow.commit()
    typer.echo(
        f"已载入 {schedule.year} 年：放假 {len(schedule.holidays)} 天，调休上班 {len(schedule.workdays)} 天"
        f"（{schedule.source}）"
    )


@calendar_app.command("show")
def show(year: int | None = typer.Argument(None, help="A year to list day by day (default: none).")) -> None:
    """Where each year's calendar comes from; with YEAR, that year's days off and 调休 workdays."""
    from domain.clock import SystemClock, local_today
    from domain.services.workcalendar_data import refresh
    from domain.workcalendar import coverage, holiday_name, is_workday, missing_year_warning, year_source

    with cli_database() as db, db.sessions() as session:
        refresh(session)
    this_year = local_today(SystemClock()).year
    first, _ = coverage()
    for y in sorted({first, this_year, this_year + 1, *([year] if year else [])}):
        label = f"{first}–{coverage()[1]}" if y == first else str(y)
        typer.echo(f"{label}: {SOURCES[year_source(y)]}")
    for y in (this_year, this_year + 1):
        if year_source(y) == "assumed":
            typer.echo(f"警告 / warning: {missing_year_warning(y)}", err=True)
    if year:
        day = date(year, 1, 1)
        while day.year == year:
            workday = is_workday(day)
            if day.weekday() >= 5 and workday:
                typer.echo(f"{day} 调休上班")
            elif day.weekday() < 5 and not workday:
                typer.echo(f"{day} 放假（{holiday_name(day) or '节假日'}）")
            day += timedelta(days=1)
