"""Every amount a person types is read one way (domain.money.parse_amount / find_amount)."""

from decimal import Decimal

import pytest

from domain.money import find_amount, parse_amount


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("10万", "100000.00"),
        ("1.2万", "12000.00"),
        ("12,000", "12000.00"),
        ("12，000", "12000.00"),
        ("¥12,000.50", "12000.50"),
        ("12000元", "12000.00"),
        ("38w", "380000.00"),
        ("3千", "3000.00"),
        ("壹拾万元整", "100000.00"),
        ("人民币叁拾捌万元整", "380000.00"),
        ("十万", "100000.00"),
        ("三十八万", "380000.00"),
        ("三万八", "38000.00"),
        ("1万5", "15000.00"),
        ("123456", "123456.00"),
        # said, not written: a digit right after 百 / 千 is the next place down; 零 keeps it a unit
        ("三百五", "350.00"),
        ("三百零五", "305.00"),
        ("一千二", "1200.00"),
        ("三百五万", "3500000.00"),
    ],
)
def test_typed_amounts(typed: str, value: str) -> None:
    assert parse_amount(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["", "abc", "大约十来万", "10万左右吧", "HT-20261206-001"])
def test_what_is_not_one_amount_is_refused(typed: str) -> None:
    assert parse_amount(typed) is None


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("提交合同 宝钢 36.8万", "368000.00"),
        ("合计改成10万", "100000.00"),
        ("重新提交 HT-20261206-001 35万 付款改为30天", "350000.00"),
        ("提交合同 苏州精工 壹拾万元整", "100000.00"),
        ("提交合同 苏州精工 12,000", "12000.00"),
    ],
)
def test_an_amount_is_found_in_a_sentence(sentence: str, value: str) -> None:
    found = find_amount(sentence)
    assert found is not None and found[2] == Decimal(value)


@pytest.mark.parametrize("sentence", ["重新提交 HT-20261206-001", "2026-12-06 之前", "买了20台", "折扣 15%"])
def test_numbers_that_are_not_money_are_left_alone(sentence: str) -> None:
    assert find_amount(sentence) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("今天拜访苏州精工，预算10万", "100000"),
        ("今天拜访苏州精工，预算1.2万", "12000"),
        ("今天拜访苏州精工，报价12,000元", "12000"),
        ("今天拜访苏州精工，预算12,000", "12000"),
        ("今天拜访苏州精工，报价壹拾万元整", "100000"),
        ("今天拜访苏州精工，预算三万八", "38000"),
    ],
)
def test_visits_read_amounts_the_same_way(text: str, value: str) -> None:
    from datetime import datetime

    from domain.clock import BUSINESS_TZ
    from handlers.understand.visit_text import parse_visit

    parsed = parse_visit(text, datetime(2026, 11, 24, 10, tzinfo=BUSINESS_TZ), ())
    assert parsed.amount == Decimal(value) == parse_amount(text.rsplit("算", 1)[-1].rsplit("价", 1)[-1])
