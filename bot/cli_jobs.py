"""``salesbot scheduler`` and ``salesbot jobs …``: scheduled jobs from the command line.

Registered in ``bot.cli`` as ``app.add_typer(jobs_app, name="jobs")`` and
``app.command("scheduler")(scheduler_command)``.

- ``salesbot scheduler`` runs the scheduler in the foreground (the production
  set-up with PostgreSQL; any number of them is safe);
- ``salesbot jobs list`` shows each job, its schedule and next run;
- ``salesbot jobs runs`` shows the run log: done, skipped (why), failed (why);
- ``salesbot jobs run NAME [--at ISO]`` runs one occurrence now, as if at
  that moment (now or past, never future). Running it again sends nothing new
  (outbox dedupe keys; reports are keyed by period and audience), which is also
  how a failed run is retried. A manual run is its own run-log entry.
"""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from typing import Any

import typer

jobs_app = typer.Typer(help="定时任务 / scheduled jobs: list, run log, run one now.", no_args_is_help=True)

WEEKDAYS = {"mon": "周一", "tue": "周二", "wed": "周三", "thu": "周四", "fri": "周五", "sat": "周六", "sun": "周日"}


def _cron_text(cron: dict[str, Any]) -> str:
    def part(key: str, default: str = "*") -> str:
        return str(cron.get(key, default))

    if "hour" in cron:
        hour, minute = part("hour"), part("minute", "0")
        when = f"{int(hour):02d}:{int(minute):02d}" if hour.isdigit() and minute.isdigit() else f"{hour}:{minute}"
    elif "minute" in cron:
        return f"每小时 :{int(cron['minute']):02d}" if str(cron["minute"]).isdigit() else f"每小时 {cron['minute']}"
    else:
        when = " ".join(f"{k}={v}" for k, v in cron.items())
    day = cron.get("day_of_week")
    return f"{WEEKDAYS.get(str(day), str(day))} {when}" if day else f"每天 {when}"


def _when(cron: dict[str, Any], workdays_only: bool) -> str:
    """"工作日 09:00" (China's workdays: holidays skipped, 调休 days included) or the plain schedule."""
    plain = _cron_text(cron)
    return plain.replace("每天", "工作日", 1) if workdays_only else plain


def _parse_at(value: str | None, settings: Any) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO-8601 time: {value!r} (e.g. 2026-11-25T09:00)") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.tz)  # a bare time is business time
    return at.astimezone(UTC)


def _build(clock: Any = None) -> tuple[Any, Any, Any]:
    from bot.scheduler import JobScheduler
    from bot.settings import load_settings
    from domain.db import Database

    settings = load_settings()
    db = Database(settings.database_url)
    return settings, db, JobScheduler.from_settings(db, settings, clock=clock)


def scheduler_command() -> None:
    """Run the scheduler in the foreground until Ctrl+C / SIGTERM (every job, business time)."""
    from bot.logs import setup_logging

    settings, db, sched = _build()
    setup_logging(settings.log_level)
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sched.start()
    typer.echo(f"调度器已启动 / scheduler running ({sched.runner}): {', '.join(sorted(sched.specs))}", err=True)
    try:
        while not stop.wait(1):
            pass
    finally:
        sched.stop()
        db.dispose()
    typer.echo("调度器已停止 / scheduler stopped", err=True)


@jobs_app.command("list")
def jobs_list() -> None:
    """Every job: schedule (business time), workdays only or not, next run, last run."""
    from domain.clock import format_local
    from domain.workcalendar import coverage, loaded_years
    from jobs.runs import list_runs

    settings, db, sched = _build()
    try:
        upcoming = sched.next_runs()
        for name in sorted(sched.specs):
            spec = sched.specs[name]
            last = list_runs(db, name, limit=1)
            last_text = (
                f"上次 {format_local(last[0].occurrence)[:16]} {last[0].status}" if last else "尚未运行"
            )
            typer.echo(
                f"{name:<20} {_when(sched.cron(name), spec.workdays_only)}"
                f"  下次 {format_local(upcoming[name])[:16]}  {last_text}  — {spec.description}"
            )
        warning = sched.check_calendar()  # also reads the loaded years
        first, last_year = coverage()
        loaded = sorted(loaded_years())
        typer.echo(
            f"节假日数据 / holiday data: {first}–{last_year} (chinesecalendar)"
            + (f"; 已载入 / loaded: {', '.join(map(str, loaded))}" if loaded else "")
        )
        if warning:
            typer.echo(f"警告 / warning: {warning}", err=True)
    finally:
        db.dispose()


@jobs_app.command("runs")
def jobs_runs(
    name: str | None = typer.Argument(None, help="Only this job."),
    limit: int = typer.Option(30, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per run."),
) -> None:
    """The run log: each occurrence with its status (done / skipped / failed / running) and why."""
    from domain.clock import format_local
    from jobs.runs import list_runs

    settings, db, _ = _build()
    try:
        runs = list_runs(db, name, limit)
        if not runs:
            typer.echo("还没有运行记录 / no runs yet")
            return
        for r in runs:
            detail = r.detail or {}
            if as_json:
                row = {
                    "job": r.job,
                    "occurrence": format_local(r.occurrence),
                    "status": r.status,
                    "manual_run": r.run_no,
                    "runner": r.runner,
                    "started_at": format_local(r.started_at),
                    "finished_at": format_local(r.finished_at),
                    "detail": {k: v for k, v in detail.items() if k != "traceback"},
                }
                typer.echo(json.dumps(row, ensure_ascii=False))
                continue
            why = detail.get("reason") or detail.get("error") or ""
            if r.status == "done":
                why = ", ".join(f"{k}={v}" for k, v in detail.items())
            manual = f"手动#{r.run_no}" if r.run_no else "计划"
            typer.echo(f"{format_local(r.occurrence)[:16]}  {r.job:<20} {manual:<6} {r.status:<8} {why}".rstrip())
    finally:
        db.dispose()


@jobs_app.command("run")
def jobs_run(
    name: str = typer.Argument(..., help="Job name (see `salesbot jobs list`)."),
    at: str | None = typer.Option(
        None, "--at", help="Run as if at this moment (ISO-8601; business time if no offset). Default: now."
    ),
    ignore_calendar: bool = typer.Option(
        False, "--ignore-calendar", help="Run a workday-only job on a holiday or weekend anyway."
    ),
) -> None:
    """Run one occurrence of a job now (a past moment or now; never a future one).

    Safe to repeat: a second run sends nothing new. Each manual run is its own
    entry in the run log (手动 #n); the scheduler's own run of that moment is untouched.
    """
    from domain.clock import SystemClock, format_local
    from jobs.runs import execute

    settings, db, sched = _build()
    try:
        spec = sched.specs.get(name)
        if spec is None:
            raise typer.BadParameter(f"unknown job {name!r}; known: {', '.join(sorted(sched.specs))}")
        now = SystemClock().now().replace(microsecond=0)
        occurrence = _parse_at(at, settings) or now
        if occurrence > now:
            # A report sent now for a moment still to come would be stale when that moment comes and
            # would stand in for the real one; the scheduler runs it then (its own run-log entry).
            typer.echo(
                f"{format_local(occurrence)[:16]} 还没到：未来的计划时间由调度器按时运行，不能提前手动运行 "
                f"/ that moment is in the future; the scheduler runs it when it comes.",
                err=True,
            )
            raise typer.Exit(2)
        outcome = execute(
            db, SystemClock(), spec, occurrence, sched.options, rerun=True, ignore_calendar=ignore_calendar,
            links=sched.links,
        )
        typer.echo(outcome.describe())
        if outcome.status in ("failed", "busy"):
            raise typer.Exit(1)
    finally:
        db.dispose()
