"""China's working calendar as the scheduler asks it: is a day a workday, and why not.

The calendar itself is ``domain/workcalendar.py`` (loaded schedules, then the
``chinesecalendar`` package, then the Monday–Friday fallback for a year nobody
entered yet); approval deadlines count working hours on the same data, so a
deadline and the reminders about it agree. A job that runs on an *assumed* day
records that on its run and admins are told (``jobs/runs.py``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.clock import to_local
from domain.services.reports import day_start
from domain.workcalendar import CalendarDataMissing, coverage, holiday_name, is_workday, year_source

# The calendar itself lives in the domain (approval deadlines count working hours too).
__all__ = [
    "CalendarDataMissing",
    "coverage",
    "days_ago",
    "day_off_reason",
    "is_workday",
    "previous_workday",
    "year_source",
]


def day_off_reason(day: date) -> str | None:
    """Why ``day`` is not a workday, in Chinese (None for a workday)."""
    if is_workday(day):
        return None
    name = holiday_name(day)
    if name:
        return f"法定节假日（{name}）"
    return "周末"


def make_up_workday(day: date) -> bool:
    """A Saturday or Sunday that is a workday by State Council decree (调休上班)."""
    return day.weekday() >= 5 and is_workday(day)


def previous_workday(day: date, limit_days: int = 30) -> date:
    """The last workday strictly before ``day`` (the span a morning digest covers starts there)."""
    probe = day - timedelta(days=1)
    for _ in range(limit_days):
        if is_workday(probe):
            return probe
        probe -= timedelta(days=1)
    return day - timedelta(days=1)


def days_ago(now: datetime, days: int) -> datetime:
    """The instant before which something is at least ``days`` calendar days old (business time).

    People count "7 天没跟进" in dates, not hours: at any time on 11月25日, a touch on
    11月18日 is 7 days old and one on 11月19日 is 6, so a reminder does not depend on
    whether the job runs at 08:00 or 10:00.
    """
    today = to_local(now).date()
    return day_start(today - timedelta(days=days - 1))
