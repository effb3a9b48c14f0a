"""China's working calendar for business rules: statutory holidays and make-up workdays (调休).

The dates come from the ``chinesecalendar`` package (the State Council's yearly
schedule), never from a weekday rule. ``jobs/workdays.py`` builds the
scheduler's questions on this; approval deadlines counted in working hours use
:func:`add_working_hours`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar

from domain.clock import BUSINESS_TZ, to_local


class CalendarDataMissing(Exception):
    """The installed chinesecalendar has no holiday schedule for this year."""

    def __init__(self, year: int) -> None:
        first, last = coverage()
        self.year = year
        self.message = (
            f"节假日数据缺失：已安装的 chinesecalendar {chinese_calendar.__version__} 只包含 "
            f"{first}–{last} 年的法定节假日和调休安排，没有 {year} 年。"
            f"请升级 chinesecalendar（pip install -U chinesecalendar）后重试；在此之前按工作日运行的提醒不会发送。"
        )
        super().__init__(self.message)


def coverage() -> tuple[int, int]:
    """First and last year the installed package has the official schedule for."""
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return min(years), max(years)


def is_workday(day: date) -> bool:
    """A statutory workday: Monday–Friday that is not a holiday, or a make-up weekend day."""
    first, last = coverage()
    if not first <= day.year <= last:
        raise CalendarDataMissing(day.year)
    return bool(chinese_calendar.is_workday(day))


def add_working_hours(start: datetime, hours: float, day_start: time, day_end: time) -> datetime:
    """``start`` plus ``hours`` of working time (workdays, between ``day_start`` and ``day_end`` in
    Shanghai time): "48 个工作小时" submitted on Friday 17:00 before 国庆 is due well after the holiday.

    Raises CalendarDataMissing for a year the calendar does not know (the caller decides).
    """
    if day_end <= day_start:
        raise ValueError("the working day must end after it starts")
    left = timedelta(hours=hours)
    cursor = to_local(start)
    for _ in range(3660):  # ten years of days: a bound, never reached in practice
        day = cursor.date()
        opens = datetime.combine(day, day_start, BUSINESS_TZ)
        closes = datetime.combine(day, day_end, BUSINESS_TZ)
        if is_workday(day) and cursor < closes:
            begin = max(cursor, opens)
            available = closes - begin
            if left <= available:
                return (begin + left).astimezone(start.tzinfo)
            left -= available
        cursor = datetime.combine(day + timedelta(days=1), time(0), BUSINESS_TZ)
    raise ValueError("working time could not be counted within ten years")
