"""China's working calendar for business rules: statutory holidays and make-up workdays (调休).

The State Council publishes each year's schedule (国务院办公厅关于 N 年部分节假日安排的通知)
in the autumn before. The product owns that calendar as data, from three sources, first
match wins for a year:

1. **loaded**: a schedule entered as data (``salesbot calendar load FILE``, stored in
   ``work_calendar_days``; see ``examples/workcalendar/``), installed in this process by
   :func:`install` / the :func:`use_source` hook;
2. **package**: the ``chinesecalendar`` package's copy of the notices (1.11.0 knows 2004–2026);
3. **assumed**: a year nobody entered yet: Monday–Friday, minus the holidays whose dates
   the law itself fixes (《全国年节及纪念日放假办法》: 元旦 1月1日, 劳动节 5月1日–2日,
   国庆节 10月1日–3日). This is never silent: :func:`year_source` says "assumed", the
   scheduler records it on every workday job's run and tells admins once a day,
   ``salesbot jobs list`` / ``approvals show`` / ``calendar show`` warn.

Deadlines (``add_working_hours``) and the workday jobs ask the same functions, so they agree.
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import chinese_calendar

from domain.clock import BUSINESS_TZ, to_local

# Fixed-date statutory holidays (《全国年节及纪念日放假办法》, as amended 2024-11-10): the only days
# of an unannounced year that are known to be off. Lunar holidays and 调休 need the yearly notice.
FIXED_HOLIDAYS: dict[tuple[int, int], str] = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}

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


class CalendarDataMissing(Exception):
    """A year without an official schedule, asked for strictly (``is_workday(day, strict=True)``)."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.message = missing_year_warning(year)
        super().__init__(self.message)


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: the days off (with the holiday's name) and the 调休 workdays."""

    year: int
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: frozenset[date] = frozenset()
    source: str = ""


_lock = threading.Lock()
_loaded: dict[int, YearSchedule] = {}
_source: Callable[[], Iterable[YearSchedule]] | None = None
_source_ttl = 60.0
_source_read_at = float("-inf")


def coverage() -> tuple[int, int]:
    """First and last year the installed chinesecalendar package has the official schedule for."""
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return min(years), max(years)


def install(schedules: Iterable[YearSchedule], *, replace: bool = True) -> None:
    """Make these years' loaded schedules the ones this process uses (``replace``: forget the others)."""
    with _lock:
        if replace:
            _loaded.clear()
        for s in schedules:
            _loaded[s.year] = s


def use_source(read: Callable[[], Iterable[YearSchedule]] | None, ttl_s: float = 60.0) -> None:
    """Where loaded schedules come from (the database, set by the runtime): read at most every ``ttl_s``."""
    global _source, _source_ttl, _source_read_at
    with _lock:
        _source, _source_ttl, _source_read_at = read, ttl_s, float("-inf")


def _refresh_if_due() -> None:
    global _source_read_at
    read = _source
    if read is None or _time.monotonic() - _source_read_at < _source_ttl:
        return
    _source_read_at = _time.monotonic()
    try:
        install(list(read()))
    except Exception:  # noqa: BLE001 - the calendar must answer; the last known data stays
        import logging

        logging.getLogger("salesbot.calendar").exception("reading the loaded work calendar failed")


def loaded_years() -> dict[int, YearSchedule]:
    _refresh_if_due()
    with _lock:
        return dict(_loaded)


def year_source(year: int) -> str:
    """"loaded" (entered as data), "package" (chinesecalendar) or "assumed" (Monday–Friday rule)."""
    if year in loaded_years():
        return "loaded"
    first, last = coverage()
    return "package" if first <= year <= last else "assumed"


def missing_year_warning(year: int) -> str:
    """What admins are told while ``year`` has no official schedule."""
    return (
        f"节假日数据缺失：{year} 年的放假调休安排还没有载入（chinesecalendar {chinese_calendar.__version__} "
        f"只到 {coverage()[1]} 年）。在载入之前，{year} 年按周一至周五上班推算，只有法定固定日期（元旦、劳动节、"
        f"国庆节）算放假；春节等农历节日和调休上班日不会被识别，提醒和审批时限可能不准。"
        f"请把国务院办公厅的《关于{year}年部分节假日安排的通知》按 examples/workcalendar/ 的格式写成文件，"
        f"运行 salesbot calendar load 文件 载入。"
    )


def holiday_name(day: date) -> str | None:
    """The holiday ``day`` belongs to (None for a workday, a plain weekend, or an unnamed day off)."""
    schedule = loaded_years().get(day.year)
    if schedule is not None:
        return schedule.holidays.get(day)
    if year_source(day.year) == "package":
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        return HOLIDAY_LABELS.get(name, name) if on_holiday and name else None
    return FIXED_HOLIDAYS.get((day.month, day.day))


def is_workday(day: date, *, strict: bool = False) -> bool:
    """A workday: Monday–Friday that is not a holiday, or a make-up weekend day.

    For a year without an official schedule the fallback rule answers (see the module
    docstring), unless ``strict``, which raises CalendarDataMissing instead.
    """
    schedule = loaded_years().get(day.year)
    if schedule is not None:
        if day in schedule.workdays:
            return True
        return day not in schedule.holidays and day.weekday() < 5
    if year_source(day.year) == "package":
        return bool(chinese_calendar.is_workday(day))
    if strict:
        raise CalendarDataMissing(day.year)
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def add_working_hours(start: datetime, hours: float, day_start: time, day_end: time) -> datetime:
    """``start`` plus ``hours`` of working time (workdays, between ``day_start`` and ``day_end`` in
    Shanghai time): "48 个工作小时" submitted on Friday 17:00 before 国庆 is due well after the holiday.

    A year without an official schedule counts with the fallback rule (the same one the workday
    jobs use, so a deadline and the reminders about it agree).
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
