"""Chinese date/time expressions, resolved against Wednesday 2026-11-25 15:00 (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.clock import BUSINESS_TZ
from handlers.understand.timeexpr import find_times, resolve, to_decimal, to_int

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)  # a Wednesday


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BUSINESS_TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天", date(2026, 11, 25)),
        ("昨天", date(2026, 11, 24)),
        ("前天", date(2026, 11, 23)),
        ("大前天", date(2026, 11, 22)),
        ("明天", date(2026, 11, 26)),
        ("后天", date(2026, 11, 27)),
        ("大后天", date(2026, 11, 28)),
        ("下周三", date(2026, 12, 2)),
        ("下个星期一", date(2026, 11, 30)),
        ("下礼拜五", date(2026, 12, 4)),
        ("下下周一", date(2026, 12, 7)),
        ("本周五", date(2026, 11, 27)),
        ("这周五", date(2026, 11, 27)),
        ("这周一", date(2026, 11, 23)),  # this week's Monday even though it has passed
        ("上周五", date(2026, 11, 20)),
        ("下周", date(2026, 11, 30)),  # next Monday
        ("周末", date(2026, 11, 28)),
        ("下周末", date(2026, 12, 5)),
        ("下个月初", date(2026, 12, 1)),  # Dec 1st 2026 is a Tuesday: the first workday
        ("下月初", date(2026, 12, 1)),
        ("月底", date(2026, 11, 30)),
        ("下个月底", date(2026, 12, 31)),
        ("下个月", date(2026, 12, 1)),
        ("下个月15号", date(2026, 12, 15)),
        ("12月中旬", date(2026, 12, 15)),
        ("2026-12-01", date(2026, 12, 1)),
        ("2026/12/1", date(2026, 12, 1)),
        ("2026年12月1日", date(2026, 12, 1)),
        ("二〇二六年十二月一日", date(2026, 12, 1)),
        ("两天后", date(2026, 11, 27)),
        ("3天后", date(2026, 11, 28)),
        ("三天以后", date(2026, 11, 28)),
        ("一周后", date(2026, 12, 2)),
        ("两周后", date(2026, 12, 9)),
        ("半个月后", date(2026, 12, 10)),
        ("一个月后", date(2026, 12, 25)),
        ("5个工作日后", date(2026, 12, 2)),
        ("过两天", date(2026, 11, 27)),
        ("过几天", date(2026, 11, 28)),
        ("两天前", date(2026, 11, 23)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert resolve(text, NOW) == expected


def test_first_workday_of_next_month_skips_a_weekend() -> None:
    # From January 2027: Feb 1st 2027 is a Monday; from July 2027: Aug 1st is a Sunday → Aug 2nd.
    assert resolve("下个月初", datetime(2027, 7, 10, 9, tzinfo=BUSINESS_TZ)) == date(2027, 8, 2)
    assert resolve("下个月初", datetime(2027, 1, 10, 9, tzinfo=BUSINESS_TZ)) == date(2027, 2, 1)


@pytest.mark.parametrize(
    ("text", "past", "future"),
    [
        ("周一", date(2026, 11, 23), date(2026, 11, 30)),
        ("周五", date(2026, 11, 20), date(2026, 11, 27)),
        ("星期五", date(2026, 11, 20), date(2026, 11, 27)),
        ("礼拜五", date(2026, 11, 20), date(2026, 11, 27)),
        ("星期天", date(2026, 11, 22), date(2026, 11, 29)),
        ("周三", date(2026, 11, 25), date(2026, 11, 25)),  # today either way
        ("3月5日", date(2026, 3, 5), date(2027, 3, 5)),
        ("3月5号", date(2026, 3, 5), date(2027, 3, 5)),
        ("3.5", date(2026, 3, 5), date(2027, 3, 5)),
        ("11-20", date(2026, 11, 20), date(2027, 11, 20)),
        ("12/3", date(2025, 12, 3), date(2026, 12, 3)),
        ("28号", date(2026, 10, 28), date(2026, 11, 28)),
        ("十二月一号", date(2025, 12, 1), date(2026, 12, 1)),
    ],
)
def test_ambiguous_expressions_carry_both_readings(text: str, past: date, future: date) -> None:
    """'周一拜访了' wants the past reading, '周五再跟进' the future one; the caller picks."""
    assert resolve(text, NOW, prefer="past") == past
    assert resolve(text, NOW, prefer="future") == future


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明天上午10点", at(11, 26, 10)),
        ("明天下午3点", at(11, 26, 15)),
        ("昨天下午三点半", at(11, 24, 15, 30)),
        ("下午三点半", at(11, 25, 15, 30)),
        ("晚上8点", at(11, 25, 20)),
        ("今晚8点", at(11, 25, 20)),
        ("明早九点", at(11, 26, 9)),
        ("中午1点", at(11, 25, 13)),
        ("中午12点", at(11, 25, 12)),
        ("15:30", at(11, 25, 15, 30)),
        ("15：30", at(11, 25, 15, 30)),
        ("3点", at(11, 25, 15)),  # business hours: 1–6 o'clock without 上午 is the afternoon
        ("10点", at(11, 25, 10)),
        ("上午九点一刻", at(11, 25, 9, 15)),
        ("下午两点二十", at(11, 25, 14, 20)),
        ("下周三上午10:30", at(12, 2, 10, 30)),
        ("大后天晚上8点", at(11, 28, 20)),
    ],
)
def test_times_give_aware_datetimes(text: str, expected: datetime) -> None:
    value = resolve(text, NOW)
    assert isinstance(value, datetime)
    assert value.tzinfo is not None
    assert value == expected


def test_a_part_of_day_alone_stays_a_date_with_its_period() -> None:
    (match,) = find_times("周五下午", NOW)
    assert match.future == date(2026, 11, 27)
    assert match.period == "afternoon"
    assert not match.has_time


@pytest.mark.parametrize(
    "text",
    ["便宜一点", "报价3.5万", "三点五万", "提了三点要求", "3.5折", "1.5倍", "这周", "十月份", "聊了一下", "5号楼"],
)
def test_things_that_are_not_dates(text: str) -> None:
    assert find_times(text, NOW) == []


def test_positions_point_into_the_text() -> None:
    text = "今天拜访了华为的张总，聊了报价，下周三再跟进"
    matches = find_times(text, NOW)
    assert [m.text for m in matches] == ["今天", "下周三"]
    assert all(text[m.start : m.end] == m.text for m in matches)


def test_tense() -> None:
    today = NOW.date()
    by_text = {m.text: m.tense(today) for m in find_times("昨天 今天 明天 周五", NOW)}
    assert by_text == {"昨天": "past", "今天": "today", "明天": "future", "周五": "either"}


def test_now_in_another_zone_is_seen_in_business_time() -> None:
    # 2026-11-25 20:00 UTC is already Thursday 04:00 in Shanghai.
    assert resolve("明天", datetime(2026, 11, 25, 20, 0, tzinfo=UTC)) == date(2026, 11, 27)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        find_times("明天", datetime(2026, 11, 25, 15, 0))


def test_full_width_input() -> None:
    assert resolve("２０２６－１２－０１", NOW) == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("token", "value"),
    [("25", 25), ("二十五", 25), ("两", 2), ("十二", 12), ("廿五", 25), ("三千万", 30_000_000), ("3千万", 30_000_000)],
)
def test_number_words(token: str, value: int) -> None:
    assert to_int(token) == value


def test_decimal_number_words() -> None:
    assert to_decimal("38.5万") == 385000
    assert to_decimal("不是数") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("年底", date(2026, 12, 31)),
        ("年底前", date(2026, 12, 31)),  # Thursday, a workday
        ("明年年底", date(2027, 12, 31)),
        ("2028年年底前", date(2028, 12, 29)),  # Dec 30/31 2028 are a weekend: the deadline is the Friday
        ("年末", date(2026, 12, 31)),
    ],
)
def test_year_end(text: str, expected: date) -> None:
    assert resolve(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "本周内" / "下周之内" are deadlines: the week's last workday (2026-12-07 is a Monday).
        ("本周内回复", date(2026, 12, 11)),
        ("这周之内定下来", date(2026, 12, 11)),
        ("下周之内给方案", date(2026, 12, 18)),
    ],
)
def test_within_a_week_is_its_last_workday(text: str, expected: date) -> None:
    assert resolve(text, datetime(2026, 12, 7, 10, 0, tzinfo=BUSINESS_TZ)) == expected


def test_a_span_of_next_week_keeps_the_days_after_it_in_that_week() -> None:
    # 「下周一到周三在外地 周四再约」: 周三 ends the span, 周四 comes after it, both next week
    matches = find_times("下周一到周三在外地 周四再约", NOW)
    assert [m.value("future") for m in matches] == [date(2026, 11, 30), date(2026, 12, 2), date(2026, 12, 3)]
    # no span: a bare weekday after 下周三 is still this week's (「他们下周三开会 我周四跟进」)
    assert find_times("他们下周三开会 我周四跟进", NOW)[1].value("future") == date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("明年3月底投产", date(2027, 3, 31)),
        ("2028年3月底验收", date(2028, 3, 31)),  # not the nearest March
        ("今年3月底上的线", date(2026, 3, 31)),
        ("2027年底", date(2027, 12, 31)),  # 「2027年底」 keeps its year (not this year's end)
        ("26年底", date(2026, 12, 31)),
        ("明年6月初", date(2027, 6, 1)),
    ],
)
def test_a_part_of_a_month_or_year_keeps_the_year_named(text: str, day: date) -> None:
    assert [m.value("future") for m in find_times(text, NOW)] == [day]


def test_a_later_day_after_a_day_of_next_week_is_that_weeks_once_this_weeks_has_gone_by() -> None:
    # 「他们下周一放假 周二上班」: this week's Tuesday (11-24) is gone, so 周二 follows 下周一 (12-01)
    matches = find_times("他们下周一放假 周二上班", NOW)
    assert [m.value("current") for m in matches] == [date(2026, 11, 30), date(2026, 12, 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("这两天给答复", date(2026, 11, 27)),  # as 过两天
        # late November, before 2027's official schedule is out: the next statutory festival (元旦, Fri 01-01)
        ("节后再约", date(2027, 1, 4)),
        ("节前把货发过去", date(2026, 12, 31)),
    ],
)
def test_these_days_and_the_coming_festival(text: str, expected: date) -> None:
    assert resolve(text, NOW) == expected


def test_once_the_holiday_is_over_is_after_it() -> None:
    assert resolve("等过了元旦再说", NOW) == date(2027, 1, 4)
