"""Several customers in one message (issue #15; messages written for these tests)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.clock import BUSINESS_TZ
from handlers.understand.split import split_visits
from handlers.understand.visit_text import CustomerRef, parse_visit

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)  # Wednesday
CUSTOMERS = [
    CustomerRef(1, "徐工集团工程机械股份有限公司", ("徐工",)),
    CustomerRef(2, "潍柴动力股份有限公司", ("潍柴",)),
    CustomerRef(3, "比亚迪股份有限公司", ("比亚迪",)),
    CustomerRef(4, "宁德时代新能源科技股份有限公司", ("宁德时代",)),
]


def customers(text: str) -> list[int | None]:
    return [p.draft.customer_id for p in split_visits(text, NOW, CUSTOMERS)]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("徐工罗总约了潍柴梁总 晚上一起吃了个饭", [1, 2]),  # one person brings another along
        ("比亚迪刘工带着宁德时代陈工来我们公司参观", [3, 4]),
        ("徐工罗总今天来了 叫上了潍柴的梁总一起", [1, 2]),
        ("跟徐工罗总、潍柴梁总吃了个饭 聊了行业形势", [1, 2]),  # one meal with both, named as a list
        ("徐工罗总和潍柴梁总 我们四个一起开了个会", [1, 2]),
    ],
)
def test_people_of_two_customers_met_together(text: str, ids: list[int]) -> None:
    assert customers(text) == ids


@pytest.mark.parametrize("text", ["比亚迪刘工说宁德时代那边也在用我们的电池箱", "徐工罗总和潍柴梁总在比价"])
def test_a_customer_named_in_passing_starts_no_visit(text: str) -> None:
    assert customers(text) == []


def test_bare_weekdays_each_start_a_visit_on_their_day() -> None:
    parts = split_visits("周一徐工 周二潍柴", NOW, CUSTOMERS)
    assert [(p.draft.customer_id, p.draft.visited_at.date(), p.draft.future_visit) for p in parts] == [
        (1, date(2026, 11, 23), False),
        (2, date(2026, 11, 24), False),
    ]


def test_weekdays_still_ahead_are_planned_visits() -> None:
    parts = split_visits("周五徐工 下周一潍柴", NOW, CUSTOMERS)
    assert [(p.draft.customer_id, p.draft.visited_at.date(), p.draft.future_visit) for p in parts] == [
        (1, date(2026, 11, 27), True),
        (2, date(2026, 11, 30), True),
    ]


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("去了徐工 见了罗总 电话里说预算批了", "电话里说预算批了"),  # not 「电话里，说…」
        ("去了徐工 罗总在微信上说图纸改好了", "罗总在微信上说图纸改好了"),
    ],
)
def test_where_something_was_said_stays_with_it_in_the_note(text: str, note: str) -> None:
    summary = parse_visit(text, NOW, CUSTOMERS).summary or ""
    assert note in summary.replace("，", "") and "，说" not in summary


@pytest.mark.parametrize(
    "text",
    ["徐工罗总那边谈完 转场到潍柴", "徐工完事去了趟潍柴", "徐工罗总聊完了去的潍柴"],
)
def test_one_errand_done_then_the_next(text: str) -> None:
    assert customers(text) == [1, 2]


@pytest.mark.parametrize(
    ("text", "ids"),
    [("在徐工碰到了潍柴的梁总", [1, 2]), ("在比亚迪开会的时候遇到了宁德时代陈工", [3, 4]), ("徐工罗总说见到了潍柴的人", [])],
)
def test_meeting_another_customers_person_there_is_a_visit_too(text: str, ids: list[int]) -> None:
    assert customers(text) == ids


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("昨天徐工 今天潍柴", [date(2026, 11, 24), date(2026, 11, 25)]),  # a day of its own opens a visit
        ("11月23日徐工 11月24日潍柴", [date(2026, 11, 23), date(2026, 11, 24)]),
        ("星期一去的徐工 星期二去的潍柴", [date(2026, 11, 23), date(2026, 11, 24)]),  # 去的 tells of the past
    ],
)
def test_each_visit_on_its_own_day(text: str, days: list[date]) -> None:
    parts = split_visits(text, NOW, CUSTOMERS)
    assert [(p.draft.customer_id, p.draft.visited_at.date()) for p in parts] == list(zip([1, 2], days, strict=True))


def test_a_plan_stays_with_its_customer_and_its_day() -> None:
    parts = split_visits("周一徐工罗总报价 周二潍柴梁工送样 周五再去徐工", NOW, CUSTOMERS)
    assert [(p.draft.customer_id, p.draft.next_follow_up) for p in parts] == [(1, date(2026, 11, 27)), (2, None)]


def test_names_written_back_to_back_form_a_list() -> None:
    assert customers("今天徐工潍柴两家跑了一下") == [1, 2]


@pytest.mark.parametrize(
    "text",
    [
        "今天先去了徐工见罗总聊了报价然后下午去潍柴找梁工送了样品",  # dictated: no punctuation at all
        "徐工罗总（报价）、潍柴梁工（送样）",  # people listed with the enumeration comma, notes in brackets
        "徐工罗总、潍柴梁工",
        "徐工罗总介绍我认识了潍柴的梁工",  # someone met through the first customer
    ],
)
def test_more_shapes_of_two_visits(text: str) -> None:
    assert customers(text) == [1, 2]
