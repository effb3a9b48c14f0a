"""The work calendar as data the product owns: a year's official schedule, checked and stored.

``salesbot calendar load FILE`` (``bot/cli_calendar.py``) reads a YAML file
written from the State Council's notice (format: ``examples/workcalendar/``),
:func:`parse` checks it and :func:`store` replaces that year's rows in
``work_calendar_days``; :func:`read_all` is the source ``domain.workcalendar``
reads (through ``use_source``), so every process sees a loaded year within a minute.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from domain.errors import ValidationFailed
from domain.models import WorkCalendarDay
from domain.uow import UnitOfWork
from domain.workcalendar import YearSchedule, install


def _day(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(f"{where}：「{value}」不是日期（应写成 2027-01-01）") from None


def parse(data: Any, source: str = "") -> YearSchedule:
    """A checked schedule from the file's mapping: ``year``, ``holidays`` (name, from, to), ``workdays``."""
    if not isinstance(data, dict):
        raise ValidationFailed("日历文件应包含 year、holidays、workdays 三项")
    year = data.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationFailed(f"year 应是年份（如 2027），不是「{year}」")
    holidays: dict[date, str] = {}
    entries = data.get("holidays") or []
    if not isinstance(entries, list) or not entries:
        raise ValidationFailed("holidays 至少要有一项（名称、起止日期）")
    for n, entry in enumerate(entries, 1):
        where = f"holidays 第 {n} 项"
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            raise ValidationFailed(f"{where}：要写 name（如 春节）、from、to")
        name = str(entry["name"]).strip()[:32]
        first = _day(entry.get("from"), where)
        last = _day(entry.get("to", entry.get("from")), where)
        if last < first or (last - first).days > 15:
            raise ValidationFailed(f"{where}（{name}）：起止日期不对（{first} 至 {last}）")
        day = first
        while day <= last:
            if day.year != year:
                raise ValidationFailed(f"{where}（{name}）：{day} 不在 {year} 年")
            if day in holidays:
                raise ValidationFailed(f"{where}（{name}）：{day} 已经是「{holidays[day]}」的假期")
            holidays[day] = name
            day += timedelta(days=1)
    workdays: set[date] = set()
    for n, value in enumerate(data.get("workdays") or [], 1):
        day = _day(value, f"workdays 第 {n} 项")
        if day.year != year:
            raise ValidationFailed(f"workdays 第 {n} 项：{day} 不在 {year} 年")
        if day.weekday() < 5:
            raise ValidationFailed(f"workdays 第 {n} 项：{day} 不是周末，调休上班日应是周六或周日")
        if day in holidays:
            raise ValidationFailed(f"workdays 第 {n} 项：{day} 同时写在了「{holidays[day]}」的假期里")
        workdays.add(day)
    title = str(data.get("source") or source or f"{year} 年放假安排").strip()[:200]
    return YearSchedule(year=year, holidays=holidays, workdays=frozenset(workdays), source=title)


def store(uow: UnitOfWork, schedule: YearSchedule) -> int:
    """Replace the year's rows with ``schedule`` (audited); the days written. Installs it in this process."""
    session = uow.session
    before = len(
        list(
            session.scalars(
                select(WorkCalendarDay.day).where(
                    WorkCalendarDay.day >= date(schedule.year, 1, 1), WorkCalendarDay.day <= date(schedule.year, 12, 31)
                )
            )
        )
    )
    session.execute(
        delete(WorkCalendarDay).where(
            WorkCalendarDay.day >= date(schedule.year, 1, 1), WorkCalendarDay.day <= date(schedule.year, 12, 31)
        )
    )
    now = uow.clock.now()
    for day, name in sorted(schedule.holidays.items()):
        session.add(WorkCalendarDay(day=day, workday=False, name=name, source=schedule.source, loaded_at=now))
    for day in sorted(schedule.workdays):
        session.add(WorkCalendarDay(day=day, workday=True, name=None, source=schedule.source, loaded_at=now))
    written = len(schedule.holidays) + len(schedule.workdays)
    uow.audit(
        "calendar.load",
        "work_calendar",
        schedule.year,
        before={"days": before} if before else None,
        after={"days": written, "source": schedule.source},
    )
    uow.flush()
    install([*read_all(session)])
    return written


def read_all(session: Session) -> list[YearSchedule]:
    """Every loaded year, as the calendar uses them (one query)."""
    years: dict[int, tuple[dict[date, str], set[date], str]] = {}
    for row in session.scalars(select(WorkCalendarDay).order_by(WorkCalendarDay.day)):
        holidays, workdays, _ = years.setdefault(row.day.year, ({}, set(), row.source))
        if row.workday:
            workdays.add(row.day)
        else:
            holidays[row.day] = row.name or "节假日"
    return [
        YearSchedule(year=y, holidays=h, workdays=frozenset(w), source=src) for y, (h, w, src) in sorted(years.items())
    ]


def refresh(session: Session) -> None:
    """Install the database's loaded years in this process now (a job run, a CLI command)."""
    install(read_all(session))


def reader(db: Any) -> Any:
    """A source for ``domain.workcalendar.use_source``: the loaded years of ``db`` (a ``Database``)."""

    def read() -> list[YearSchedule]:
        with db.sessions() as session:
            return read_all(session)

    return read
