"""China's working calendar: statutory holidays and make-up workdays (调休).

Workday-only reminders must not go out on 国庆节 and must go out on the
Saturday that the State Council turned into a workday. Those dates are
published once a year, so they come from the ``chinesecalendar`` package
(import ``chinese_calendar``), never from a weekday rule. For a year the
installed package does not know, every question raises
``CalendarDataMissing``: a workday job then fails loudly (its run is recorded
as failed and admins are told) instead of guessing with Monday-to-Friday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar

from domain.clock import to_local
from domain.services.reports import day_start
from domain.workcalendar import CalendarDataMissing, coverage, is_workday

HOLIDAY_LABELS = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


# The calendar itself lives in the domain (approval deadlines count working hours too).
__all__ = ["CalendarDataMissing", "coverage", "days_ago", "day_off_reason", "is_workday", "previous_workday"]


def day_off_reason(day: date) -> str | None:
    """Why ``day`` is not a workday, in Chinese (None for a workday)."""
    if is_workday(day):
        return None
    _, name = chinese_calendar.get_holiday_detail(day)
    if name:
        return f"法定节假日（{HOLIDAY_LABELS.get(name, name)}）"
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
