"""China's working calendar and the catch-up rules, with no database and no waiting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from jobs import schedule
from jobs.followups import SPEC as FOLLOWUPS
from jobs.workdays import (
    CalendarDataMissing,
    coverage,
    day_off_reason,
    days_ago,
    is_workday,
    make_up_workday,
    previous_workday,
)
from tests.scheduling import sh

DAILY_9 = {"hour": 9, "minute": 0}
HOURLY = {"minute": 0}
GRACE = timedelta(hours=6)


# ------------------------------------------------------------------ calendar
def test_2026_is_covered_by_the_installed_holiday_data() -> None:
    first, last = coverage()
    assert first <= 2026 <= last


@pytest.mark.parametrize(
    ("day", "workday", "why"),
    [
        (date(2026, 10, 1), False, "法定节假日（国庆节）"),
        (date(2026, 10, 7), False, "法定节假日（国庆节）"),
        (date(2026, 10, 8), True, None),
        (date(2026, 10, 10), True, None),  # Saturday, 调休上班
        (date(2026, 9, 20), True, None),  # Sunday, 调休上班
        (date(2026, 2, 17), False, "法定节假日（春节）"),
        (date(2026, 2, 14), True, None),  # Saturday before 春节, 调休上班
        (date(2026, 11, 28), False, "周末"),
        (date(2026, 11, 25), True, None),
    ],
)
def test_statutory_holidays_and_make_up_workdays(day: date, workday: bool, why: str | None) -> None:
    assert is_workday(day) is workday
    assert day_off_reason(day) == why


def test_make_up_days_are_weekend_workdays() -> None:
    assert make_up_workday(date(2026, 10, 10)) and not make_up_workday(date(2026, 10, 9))


def test_previous_workday_spans_weekends_and_holidays() -> None:
    assert previous_workday(date(2026, 11, 30)) == date(2026, 11, 27)  # Monday → Friday
    assert previous_workday(date(2026, 10, 8)) == date(2026, 9, 30)  # after 国庆
    assert previous_workday(date(2026, 10, 12)) == date(2026, 10, 10)  # Monday → make-up Saturday


def test_a_year_without_data_raises_when_asked_strictly() -> None:
    first, last = coverage()
    with pytest.raises(CalendarDataMissing) as info:
        is_workday(date(last + 1, 1, 4), strict=True)
    assert f"{last + 1} 年的放假调休安排还没有载入" in info.value.message


def test_days_ago_counts_calendar_days_in_business_time() -> None:
    at = sh(2026, 11, 25, 10).astimezone(UTC)
    assert days_ago(at, 7) == sh(2026, 11, 19, 0)  # touched 11月18日 (any hour) is 7 days old


# ---------------------------------------------------------------- cron times
def test_occurrences_are_business_time_stored_in_utc() -> None:
    got = schedule.occurrences(DAILY_9, sh(2026, 11, 24, 9), sh(2026, 11, 26, 9))
    assert got == [datetime(2026, 11, 25, 1, tzinfo=UTC), datetime(2026, 11, 26, 1, tzinfo=UTC)]


def test_job_times_override_the_hour() -> None:
    cron = schedule.effective_cron(FOLLOWUPS, {"followups": "08:45"})
    assert schedule.latest_occurrence(cron, sh(2026, 11, 25, 9)) == sh(2026, 11, 25, 8, 45)
    with pytest.raises(ValueError):
        schedule.parse_hhmm("9点")


# ------------------------------------------------------------------ catch-up
def test_on_time_fire_runs_that_occurrence() -> None:
    p = schedule.plan(DAILY_9, sh(2026, 11, 24, 9), sh(2026, 11, 25, 9, 0) + timedelta(seconds=0.2), GRACE)
    assert p.run == sh(2026, 11, 25, 9) and p.skip == []


def test_missed_within_grace_runs_once_late() -> None:
    p = schedule.plan(DAILY_9, sh(2026, 11, 24, 9), sh(2026, 11, 25, 14, 59), GRACE)
    assert p.run == sh(2026, 11, 25, 9) and p.skip == []


def test_missed_beyond_grace_is_skipped_with_a_reason() -> None:
    p = schedule.plan(DAILY_9, sh(2026, 11, 23, 9), sh(2026, 11, 25, 15, 1), GRACE)
    assert p.run is None
    assert [o for o, _ in p.skip] == [sh(2026, 11, 24, 9), sh(2026, 11, 25, 9)]
    assert all(d["code"] == "missed" and "超过补跑时限 6 小时" in d["reason"] for _, d in p.skip)


def test_several_missed_within_grace_coalesce_into_the_latest() -> None:
    p = schedule.plan(HOURLY, sh(2026, 11, 25, 6), sh(2026, 11, 25, 9, 30), GRACE)
    assert p.run == sh(2026, 11, 25, 9)
    assert [(o, d["code"]) for o, d in p.skip] == [
        (sh(2026, 11, 25, 7), "superseded"),
        (sh(2026, 11, 25, 8), "superseded"),
    ]


def test_first_start_looks_back_only_the_grace_window() -> None:
    assert schedule.plan(DAILY_9, None, sh(2026, 11, 25, 11), GRACE).run == sh(2026, 11, 25, 9)
    hourly = schedule.plan(HOURLY, None, sh(2026, 11, 25, 11, 30), GRACE)
    assert hourly.run == sh(2026, 11, 25, 11) and hourly.skip == []  # nothing was missed: no noise
    late = schedule.plan(DAILY_9, None, sh(2026, 11, 25, 16), GRACE)
    assert late.run is None and late.skip == []


def test_a_month_down_records_a_bounded_number_of_skips() -> None:
    p = schedule.plan(HOURLY, sh(2026, 10, 1, 0), sh(2026, 11, 1, 0, 30), timedelta(0))
    assert p.run is None
    assert len(p.skip) == schedule.MAX_SKIPS_RECORDED
    first = p.skip[0][1]
    assert first["also_missed"] + schedule.MAX_SKIPS_RECORDED == 31 * 24
