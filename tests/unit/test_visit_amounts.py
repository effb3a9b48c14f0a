"""The deal's amount in a visit message, by structure (issue #15; messages written for these tests).

A money figure counts with a unit (万, k, M, million) or a currency (元, RMB, ¥); the talk's last figure beats the
first, the total beats its parts; unit prices with a count, discounts, the company's size, ranges and other
currencies are not the deal's amount.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from domain.clock import BUSINESS_TZ
from domain.money import parse_amount
from handlers.understand.visit_text import CustomerRef, parse_visit

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)
CUSTOMERS = [CustomerRef(1, "苏州精工机械有限公司", ("精工", "苏州精工")), CustomerRef(2, "比亚迪股份有限公司", ("比亚迪", "BYD"))]


def amount(text: str) -> Decimal | None:
    return parse_visit(text, NOW, CUSTOMERS).amount


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # English units: k, M and million (never a date: 「2.5m」 is not February 5th)
        ("精工王总 合同总额 RMB 2.35M", 2_350_000),
        ("精工王总 合同 2.5m", 2_500_000),
        ("精工王总 预算 60k 左右", 60_000),
        ("比亚迪刘工 budget 大概 1.5 million", 1_500_000),
        ("精工王总 报价 CNY 86,000", 86_000),
        # the lower section spelled out after 万
        ("精工王总 合同额十二万八千", 128_000),
        ("精工王总 报价一百零八万五千", 1_085_000),
        # the figure the talk ended on
        ("精工王总 报价从60万让到55万", 550_000),
        ("精工王总 降了5万 现在是45万", 450_000),
        # the total over its parts
        ("精工王总 追加5台 每台6万 总共30万", 300_000),
        ("精工王总 首付20万 尾款等验收 合计八十万", 800_000),
        # the company's size is not the deal
        ("精工王总 年产值5个亿 这次采购大概200万", 2_000_000),
        ("精工王总 注册资本1000万 预算80万", 800_000),
    ],
)
def test_the_deal_amount(text: str, value: int) -> None:
    assert amount(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "精工王总 2台 每台45万",  # a unit price where the machines are counted
        "精工王总 预算在80到100万之间",  # a range
        "精工王总 报价50万-60万",
        "精工王总 报价 USD 20k",  # not in yuan
        "精工王总 报价 $15,000",
        "精工王总 几十万的单子",  # no figure
    ],
)
def test_no_deal_amount(text: str) -> None:
    assert amount(text) is None


def test_the_shared_reader_knows_million_and_not_millimetres() -> None:
    assert parse_amount("1.08M") == Decimal("1080000.00")
    assert parse_amount("5mm") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("精工王总 PO amount: 1,200,000", 1_200_000),  # an English money word before a bare figure
        ("精工王总 不含税45万 含税50.85万", 508_500),  # the deal's amount is with tax
        ("精工王总 订单号 4500012345", None),  # a number naming a document
        ("精工王总 PO# 88001", None),
    ],
)
def test_money_words_tax_and_document_numbers(text: str, value: int | None) -> None:
    assert amount(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("精工王总 给了5万的优惠", None),  # a discount, named before what it is
        ("精工王总 比竞品贵2万", None),  # a difference
        ("精工王总 能帮他们省30万", None),  # a saving
        ("精工王总 返点3万", None),  # money back
        ("精工王总 再降1万就签", None),
        ("精工王总 价格降了2万 到48万", 480_000),  # the price after the cut
        ("精工王总 降到46万", 460_000),
    ],
)
def test_differences_savings_and_money_back_are_not_the_deal(text: str, value: int | None) -> None:
    assert amount(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("BYD PO received, 350,000 yuan", 350_000), ("Called BYD, price 12k per unit, 50 units", None)],
)
def test_english_amounts(text: str, value: int | None) -> None:
    assert amount(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("精工王总 去年的合同金额是200万 今年报价250万", 2_500_000),
        ("精工王总 竞品报价80万 我们报了85万", 850_000),
        ("精工王总 上个项目做了300万 这次预算150万", 1_500_000),
        ("精工王总 听说友商报了80万", None),
    ],
)
def test_figures_of_another_deal_or_a_competitor_are_not_this_one(text: str, value: int | None) -> None:
    assert amount(text) == value


@pytest.mark.parametrize(("text", "value"), [("精工王总 签了 1,080,000", 1_080_000), ("精工王总 数量1,200件", None)])
def test_a_thousands_separator_marks_money_unless_things_are_counted(text: str, value: int | None) -> None:
    assert amount(text) == value
