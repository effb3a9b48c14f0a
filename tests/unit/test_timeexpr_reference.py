"""Dates as reps write them, scored on JioNLP's own single-day test cases (tests/data/jionlp_time_cases.yaml)
and on the expressions the visit-logging issue found missing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from domain.clock import BUSINESS_TZ
from handlers.understand import parse_visit
from handlers.understand.timeexpr import find_times

CASES = yaml.safe_load((Path(__file__).parents[1] / "data" / "jionlp_time_cases.yaml").read_text("utf-8"))["cases"]


def _day(text: str, now: datetime, reading: str = "current") -> date | None:
    matches = find_times(text, now)
    if not matches:
        return None
    value = matches[0].value(reading)  # type: ignore[arg-type]
    return value.date() if isinstance(value, datetime) else value


def test_jionlp_single_day_cases_a_sales_chat_can_contain_are_95_percent_right() -> None:
    sales = [c for c in CASES if "not_sales" not in c]
    right = [
        c
        for c in sales
        if (d := _day(c["text"], datetime.fromisoformat(c["now"]).replace(tzinfo=BUSINESS_TZ), c["reading"]))
        is not None
        and d.isoformat() == c["day"]
    ]
    assert len(sales) >= 100
    assert len(right) / len(sales) >= 0.95, [c["text"] for c in sales if c not in right]


NOW = datetime(2026, 9, 14, 10, 0, tzinfo=BUSINESS_TZ)  # a Monday


@pytest.mark.parametrize(
    ("text", "reading", "expected"),
    [
        ("15年3月2日", "current", date(2015, 3, 2)),
        ("本月9日", "current", date(2026, 9, 9)),
        ("上个月15号", "current", date(2026, 8, 15)),
        ("下周周六", "current", date(2026, 9, 26)),
        ("大大后天", "current", date(2026, 9, 18)),
        ("9日上午", "past", date(2026, 9, 9)),
        # 国庆 2026: holiday 10/1–10/7 (official schedule), so the first workday after it is 10/8.
        ("国庆后", "future", date(2026, 10, 8)),
        ("节后", "future", date(2026, 9, 28)),  # 中秋 2026 falls on 9/25 (Fri); back on Mon 9/28
        ("中秋", "future", date(2026, 9, 25)),
        ("元旦后", "past", date(2026, 1, 4)),  # 2026-01-01..03 off; Sunday 01-04 is a make-up workday
        ("春节前", "past", date(2026, 2, 14)),  # 2/14 is the make-up Saturday before the 2/15–2/23 break
        ("农历八月十五", "current", date(2026, 9, 25)),
        ("腊月初十", "current", date(2027, 1, 17)),
        ("月底前", "future", date(2026, 9, 30)),
        ("下个月底前", "future", date(2026, 10, 30)),  # 10/31 is a Saturday: the last workday is Friday
    ],
)
def test_expressions_reps_write(text: str, reading: str, expected: date) -> None:
    assert _day(text, NOW, reading) == expected


def test_customers_meeting_is_not_the_reps_follow_up() -> None:
    draft = parse_visit("今天拜访苏州精工，他们下周三要开会定供应商我下周四再打电话问结果", NOW, [])
    assert draft.next_follow_up == date(2026, 9, 24)


def test_month_end_deadline_wins_over_the_customers_tender() -> None:
    draft = parse_visit("今天去了苏州精工，他们下个月招标，让准备资质文件，月底前把标书发他", NOW, [])
    assert draft.next_follow_up == date(2026, 9, 30)
    assert draft.summary is not None and "招标" in draft.summary and "资质文件" in draft.summary


def test_customers_date_is_the_follow_up_when_the_rep_names_none() -> None:
    draft = parse_visit("今天拜访中联王总聊了泵车配套件他们下个月五号来我们厂考察", NOW, [])
    assert draft.next_follow_up == date(2026, 10, 5)
