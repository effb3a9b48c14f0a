"""Financial capitals (大写) and ¥ formatting: the totals check of every OCR'd quote rests on these."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from domain.money import format_yuan, parse_upper_amount, to_upper_amount

# (amount, the form a bank clerk would write) – 《支付结算办法》 rules.
CANONICAL = [
    ("380000", "叁拾捌万元整"),
    ("0", "零元整"),
    ("0.50", "伍角"),
    ("0.05", "伍分"),
    ("0.55", "伍角伍分"),
    ("1", "壹元整"),
    ("10", "壹拾元整"),
    ("11", "壹拾壹元整"),
    ("110", "壹佰壹拾元整"),
    ("101", "壹佰零壹元整"),
    ("1005.60", "壹仟零伍元陆角"),
    ("1005.67", "壹仟零伍元陆角柒分"),
    ("100.07", "壹佰元零柒分"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("10050", "壹万零伍拾元整"),
    ("100000", "壹拾万元整"),
    ("105000", "壹拾万伍仟元整"),
    ("1000500", "壹佰万零伍佰元整"),
    ("10000001", "壹仟万零壹元整"),
    ("12345678.90", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角"),
    ("100000000", "壹亿元整"),
    ("105000000", "壹亿零伍佰万元整"),
    ("120000000", "壹亿贰仟万元整"),
    ("100010000", "壹亿零壹万元整"),
    ("1000200000000", "壹万零贰亿元整"),
    ("-5", "负伍元整"),
]


@pytest.mark.parametrize(("amount", "upper"), CANONICAL)
def test_to_upper_writes_the_standard_form(amount: str, upper: str) -> None:
    assert to_upper_amount(Decimal(amount)) == upper


@pytest.mark.parametrize(("amount", "upper"), CANONICAL)
def test_parse_reads_the_standard_form(amount: str, upper: str) -> None:
    assert parse_upper_amount(upper) == Decimal(amount).quantize(Decimal("0.01"))


def test_round_trip_on_many_amounts() -> None:
    rng = random.Random(20251123)
    for _ in range(3000):
        digits = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12])
        amount = Decimal(rng.randrange(0, 10**digits)) / 100
        assert parse_upper_amount(to_upper_amount(amount)) == amount, amount


def test_to_upper_rounds_half_up_to_the_fen() -> None:
    assert to_upper_amount(Decimal("0.005")) == "壹分"
    assert to_upper_amount(Decimal("9.999")) == "壹拾元整"
    assert to_upper_amount(12) == "壹拾贰元整"
    assert to_upper_amount("12.3") == "壹拾贰元叁角"


def test_to_upper_refuses_non_amounts() -> None:
    with pytest.raises(ValueError):
        to_upper_amount("abc")
    with pytest.raises(ValueError):
        to_upper_amount(Decimal("NaN"))


@pytest.mark.parametrize(
    ("noisy", "amount"),
    [
        ("人民币叁拾捌万元整", "380000"),
        ("人民币 叁拾捌万元整", "380000"),
        ("人民币大写：叁拾捌万元整", "380000"),
        ("（大写）叁拾捌万元整", "380000"),
        ("合计人民币(大写)：叁拾捌万元整", "380000"),
        ("叁 拾 捌 万 元 整", "380000"),
        ("叁拾捌万圆整", "380000"),
        ("叁拾捌万元正", "380000"),
        ("叁拾捌萬圓整", "380000"),
        ("¥叁拾捌万元整", "380000"),
        ("叁拾捌万", "380000"),
        ("叁拾捌万整", "380000"),
        ("拾万元整", "100000"),
        ("壹拾万元整", "100000"),
        ("三十八万元整", "380000"),
        ("两仟元整", "2000"),
        ("壹佰元伍角整", "100.50"),
        ("壹佰元零伍分", "100.05"),
        ("壹佰元伍分", "100.05"),
        ("壹仟陆佰捌拾元零叁角贰分", "1680.32"),
        ("零元整", "0"),
        ("伍角陆分", "0.56"),
        ("陸仟貳佰元整", "6200"),
    ],
)
def test_parse_tolerates_ocr_noise_and_variants(noisy: str, amount: str) -> None:
    assert parse_upper_amount(noisy) == Decimal(amount).quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        "",
        "人民币",
        "整",
        "壹贰元整",  # two digits without a unit: an OCR dropout, never guess
        "拾佰元整",  # units out of order
        "壹佰佰元",
        "叁拾捌万元整元",  # two 元
        "叁拾捌万万元",
        "叁拾捌万元整伍角",  # 整 must be last
        "叁拾捌万元伍",  # dangling digit after 元
        "叁拾捌万元伍角伍角",
        "叁拾A捌万元整",  # unknown char inside
        "380000",
        "客户名称",
        "伍零元",
    ],
)
def test_parse_refuses_what_it_cannot_read(garbage: str | None) -> None:
    assert parse_upper_amount(garbage) is None


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("380000", "¥380,000.00"),
        ("0", "¥0.00"),
        ("1234.5", "¥1,234.50"),
        ("0.005", "¥0.01"),
        ("-1", "-¥1.00"),
        ("1000000000", "¥1,000,000,000.00"),
    ],
)
def test_format_yuan(amount: str, shown: str) -> None:
    assert format_yuan(Decimal(amount)) == shown


def test_domain_money_is_stdlib_only() -> None:
    import ast
    import sys
    from pathlib import Path

    import domain.money as money

    tree = ast.parse(Path(money.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots <= set(sys.stdlib_module_names), roots - set(sys.stdlib_module_names)
