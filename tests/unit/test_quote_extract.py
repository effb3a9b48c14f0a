"""Extraction rules on hand-built OCR boxes (no engine, no images: fast).

Each test lays out boxes the way the OCR engine returns them for a photographed
quotation, then checks one rule: labels, table geometry, the arithmetic checks
and the repairs they allow (and the ones they must not allow).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from bot.ocr.engines import OcrBox
from bot.ocr.extract import extract_quote, money_candidates, parse_date, qty_candidates

H = 24  # text height in px


def box(text: str, x: float, y: float, w: float | None = None, score: float = 0.98) -> OcrBox:
    width = w if w is not None else 14.0 * max(len(text), 1)
    return OcrBox(text, ((x, y), (x + width, y), (x + width, y + H), (x, y + H)), score)


def rotate(boxes: list[OcrBox], degrees: float, cx: float = 600, cy: float = 800) -> list[OcrBox]:
    a = math.radians(degrees)

    def turn(p: tuple[float, float]) -> tuple[float, float]:
        x, y = p[0] - cx, p[1] - cy
        return (cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a))

    return [OcrBox(b.text, tuple(turn(p) for p in b.box), b.score) for b in boxes]  # type: ignore[misc]


@dataclass
class Row:
    name: str
    model: str
    qty: str
    unit: str
    price: str
    amount: str


ROWS = [
    Row("深沟球轴承", "SKF-6205-2RS", "100", "个", "35.50", "3,550.00"),
    Row("交流接触器", "LC1-D09M7C", "20", "台", "263.10", "5,262.00"),
    Row("变频器", "ACS580-01-012A7-4", "2", "台", "4,110.00", "8,220.00"),
]
TOTAL = "17,032.00"
UPPER = "壹万柒仟零叁拾贰元整"
COLS = [90, 170, 400, 700, 800, 900, 1060]  # left edges: 序号 品名 型号 数量 单位 单价 金额


def classic(
    rows: list[Row] = ROWS,
    total: str | None = TOTAL,
    upper: str | None = UPPER,
    customer_label: str = "客户名称：",
    customer: str = "苏州恒瑞精密机械有限公司",
) -> list[OcrBox]:
    """Boxes of a classic 报价单: header fields, a 7-column table, 合计 row, 大写 line."""
    out = [
        box("上海东昌轴承有限公司", 450, 60),
        box("报价单", 560, 120),
        box(customer_label + customer, 90, 200),
        box("报价单号：BJ20250312-047", 750, 200),
        box("联系人：张伟 电话：13812345678", 90, 240),
        box("报价日期：2025年3月12日", 750, 240),
    ]
    headers = ["序号", "品名", "型号", "数量", "单位", "单价", "金额"]
    widths = [80, 230, 300, 100, 100, 160, 190]
    for x, w, text in zip(COLS, widths, headers, strict=True):
        out.append(box(text, x + w / 2 - 14, 320, 28 * len(text) / 2))
    y = 370
    for i, row in enumerate(rows, 1):
        out += [
            box(str(i), COLS[0] + 30, y),
            box(row.name, COLS[1] + 10, y),
            box(row.model, COLS[2] + 10, y, 12.0 * len(row.model)),
            box(row.qty, COLS[3] + 90 - 12 * len(row.qty), y, 12.0 * len(row.qty)),
            box(row.unit, COLS[4] + 40, y),
            box(row.price, COLS[5] + 150 - 11 * len(row.price), y, 11.0 * len(row.price)),
            box(row.amount, COLS[6] + 180 - 11 * len(row.amount), y, 11.0 * len(row.amount)),
        ]
        y += 50
    if total is not None:
        out += [
            box("合计", COLS[1] + 10, y),
            box(total, COLS[6] + 180 - 11 * len(total), y, 11.0 * len(total)),
        ]
    y += 70
    if upper is not None:
        out.append(box("人民币大写：" + upper, 90, y))
    out += [box("备注：以上价格含13%增值税；", 90, y + 60), box("报价人：张伟", 90, y + 120)]
    return out


def test_reads_every_field_of_a_clean_quote() -> None:
    result = extract_quote(classic())
    assert result.customer == "苏州恒瑞精密机械有限公司"
    assert result.quote_no == "BJ20250312-047"
    assert result.date == date(2025, 3, 12)
    assert result.total == Decimal("17032.00")
    assert result.total_upper == UPPER
    assert result.total_upper_value == Decimal("17032.00")
    assert [line.to_dict() for line in result.lines] == [
        {
            "name": "深沟球轴承",
            "model": "SKF-6205-2RS",
            "qty": "100",
            "unit_price": "35.50",
            "amount": "3550.00",
        },
        {
            "name": "交流接触器",
            "model": "LC1-D09M7C",
            "qty": "20",
            "unit_price": "263.10",
            "amount": "5262.00",
        },
        {
            "name": "变频器",
            "model": "ACS580-01-012A7-4",
            "qty": "2",
            "unit_price": "4110.00",
            "amount": "8220.00",
        },
    ]
    assert [line.unit for line in result.lines] == ["个", "台", "台"]
    assert result.upper_matches_total is True
    assert result.lines_sum_matches_total is True
    assert result.is_quote
    assert result.confidence > 0.9
    assert result.flags == []


def test_json_has_exactly_the_contract_keys_and_two_decimal_money() -> None:
    data = json.loads(extract_quote(classic()).to_json())
    assert set(data) == {
        "customer", "quote_no", "date", "lines", "total", "total_upper", "total_upper_value",
        "checks", "confidence", "field_confidence", "is_quote",
    }  # fmt: skip
    assert set(data["checks"]) == {"upper_matches_total", "lines_sum_matches_total", "qty_x_price_matches"}
    assert data["checks"]["qty_x_price_matches"] == [True, True, True]
    assert set(data["lines"][0]) == {"name", "model", "qty", "unit_price", "amount"}
    assert data["total"] == "17032.00" and data["total_upper_value"] == "17032.00"
    assert data["date"] == "2025-03-12"
    assert set(data["field_confidence"]) == {"customer", "quote_no", "date", "lines", "total", "total_upper"}
    assert all(0.0 <= v <= 1.0 for v in data["field_confidence"].values())
    assert 0.0 <= data["confidence"] <= 1.0


@pytest.mark.parametrize("degrees", [-3.0, 2.5])
def test_a_rotated_photo_reads_the_same(degrees: float) -> None:
    straight = extract_quote(classic()).to_dict()
    turned = extract_quote(rotate(classic(), degrees)).to_dict()
    for key in ("customer", "quote_no", "date", "lines", "total", "checks"):
        assert turned[key] == straight[key], key


def test_box_order_does_not_matter() -> None:
    boxes = classic()
    assert extract_quote(list(reversed(boxes))).to_dict() == extract_quote(boxes).to_dict()


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("购货单位：", "苏州恒瑞精密机械有限公司"),
        ("客户：", "苏州恒瑞精密机械有限公司"),
        ("致:", "苏州恒瑞精密机械有限公司"),
    ],
)
def test_customer_label_variants(label: str, expected: str) -> None:
    assert extract_quote(classic(customer_label=label)).customer == expected


def test_label_and_value_in_separate_boxes() -> None:
    boxes = [b for b in classic() if not b.text.startswith(("客户名称", "报价单号"))]
    boxes += [box("客户名称：", 90, 200), box("苏州恒瑞精密机械有限公司", 240, 201)]
    boxes += [box("编号", 750, 200), box("QT-2025-0318", 820, 200)]
    result = extract_quote(boxes)
    assert result.customer == "苏州恒瑞精密机械有限公司"
    assert result.quote_no == "QT-2025-0318"


def test_a_merged_box_is_cut_at_the_next_label() -> None:
    boxes = [b for b in classic() if not b.text.startswith(("客户名称", "报价单号"))]
    boxes.append(box("客户名称：苏州恒瑞精密机械有限公司报价单号：BJ20250312-047", 90, 200))
    result = extract_quote(boxes)
    assert result.customer == "苏州恒瑞精密机械有限公司"
    assert result.quote_no == "BJ20250312-047"


def test_digit_lookalikes_are_repaired_when_qty_x_price_proves_it() -> None:
    rows = [ROWS[0], Row("交流接触器", "LC1-D09M7C", "2O", "台", "263.1O", "5,262.OO"), ROWS[2]]
    result = extract_quote(classic(rows=rows))
    line = result.lines[1]
    assert (line.qty, line.unit_price, line.amount) == (Decimal(20), Decimal("263.10"), Decimal("5262.00"))
    assert line.qty_x_price_matches is True
    assert result.lines_sum_matches_total is True
    assert any(flag.startswith("line[1].") for flag in result.flags)


def test_a_lost_decimal_point_is_repaired_when_proven() -> None:
    rows = [ROWS[0], ROWS[1], Row("变频器", "ACS580-01-012A7-4", "2", "台", "4,110.00", "8,22000")]
    result = extract_quote(classic(rows=rows))
    assert result.lines[2].amount == Decimal("8220.00")
    assert result.lines[2].qty_x_price_matches is True


def test_an_unprovable_wrong_amount_is_flagged_not_fixed() -> None:
    rows = [ROWS[0], Row("交流接触器", "LC1-D09M7C", "20", "台", "263.10", "5,268.00"), ROWS[2]]
    result = extract_quote(classic(rows=rows, total="17,038.00", upper="壹万柒仟零叁拾捌元整"))
    assert result.lines[1].amount == Decimal("5268.00")  # as printed
    assert result.lines[1].qty_x_price_matches is False
    assert result.lines_sum_matches_total is True
    assert result.to_dict()["checks"]["qty_x_price_matches"] == [True, False, True]
    assert result.field_confidence["lines"] < 0.5
    assert result.confidence <= 0.6


def test_a_mangled_total_is_repaired_from_the_sum_of_lines() -> None:
    result = extract_quote(classic(total="17,03200"))
    assert result.total == Decimal("17032.00")
    assert result.lines_sum_matches_total is True
    assert any(flag.startswith("total:repaired") for flag in result.flags)


def test_a_total_hidden_by_the_seal_comes_from_lines_and_upper_agreeing() -> None:
    result = extract_quote(classic(total="7,03"))
    assert result.total == Decimal("17032.00")
    assert "total:from_lines_and_upper" in result.flags
    assert result.upper_matches_total is True


def test_upper_disagreement_is_flagged_and_never_repaired() -> None:
    result = extract_quote(classic(upper="壹万捌仟零叁拾贰元整"))
    assert result.total == Decimal("17032.00")  # the digits, confirmed by Σ lines
    assert result.total_upper_value == Decimal("18032.00")
    assert result.total_upper == "壹万捌仟零叁拾贰元整"
    assert result.upper_matches_total is False
    assert result.lines_sum_matches_total is True
    assert "total_upper:disagrees_with_total" in result.flags
    assert result.confidence <= 0.5
    assert result.field_confidence["total_upper"] < 0.5


def test_upper_disagreement_is_flagged_even_when_the_total_is_unreadable() -> None:
    result = extract_quote(classic(total="???", upper="壹万捌仟零叁拾贰元整"))
    assert result.total == Decimal("17032.00")
    assert result.upper_matches_total is False


def test_upper_in_its_own_box_and_variant_characters() -> None:
    boxes = [b for b in classic() if "大写" not in b.text]
    boxes += [box("合计人民币（大写）：", 90, 600), box("壹万柒仟零叁拾贰圆正", 350, 600)]
    result = extract_quote(boxes)
    assert result.total_upper_value == Decimal("17032.00")
    assert result.upper_matches_total is True
    assert result.total_upper == "壹万柒仟零叁拾贰元整"  # proven equal, shown in standard form


def test_cells_merged_by_ocr_are_split() -> None:
    boxes = [b for b in classic() if b.text not in ("100", "个")]
    boxes.append(box("100个", COLS[3] + 50, 370, 90))
    result = extract_quote(boxes)
    assert result.lines[0].qty == Decimal(100)
    assert result.lines[0].unit == "个"
    assert result.lines[0].qty_x_price_matches is True


def test_an_undetected_quantity_is_inferred_but_not_claimed_as_checked() -> None:
    boxes = [b for b in classic() if b.text != "2"]
    result = extract_quote(boxes)
    assert result.lines[2].qty == Decimal(2)
    assert result.lines[2].qty_x_price_matches is None
    assert "line[2].qty:inferred" in result.flags


def test_totals_outside_the_table() -> None:
    boxes = [b for b in classic() if b.text not in ("合计", TOTAL)]
    boxes.append(box("总计：¥17,032.00", 640, 560))
    result = extract_quote(boxes)
    assert result.total == Decimal("17032.00")
    assert result.lines_sum_matches_total is True
    assert len(result.lines) == 3


def test_a_photo_of_something_else_is_not_a_quote() -> None:
    assert extract_quote([]).is_quote is False
    assert extract_quote([]).confidence == 0.0
    scenery = [box("欢迎光临", 100, 100), box("黄山风景区", 300, 400), box("2024", 900, 900)]
    result = extract_quote(scenery)
    assert result.is_quote is False
    assert result.confidence <= 0.2


def test_a_receipt_without_quote_structure_is_not_a_quote() -> None:
    receipt = [box("便利店", 100, 50), box("矿泉水", 100, 100), box("2.00", 300, 100), box("找零", 100, 150)]
    assert extract_quote(receipt).is_quote is False


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("¥1,234.50", "1234.50"),
        ("1234.5", "1234.50"),
        ("380,000.00元", "380000.00"),
        ("￥58820.00", "58820.00"),
        ("RMB 12.00", "12.00"),
    ],
)
def test_money_literal_readings(text: str, first: str) -> None:
    cands = money_candidates(text)
    assert cands[0].value == Decimal(first) and cands[0].cost == 0


def test_money_repairs_cost_more_than_literal_readings() -> None:
    values = {c.value: c.cost for c in money_candidates("47,03868")}
    assert values[Decimal("47038.68")] >= 1
    assert values[Decimal("4703868")] >= 1
    lookalike = {c.value: c.cost for c in money_candidates("1,2S0.O0")}
    assert lookalike[Decimal("1250.00")] >= 1
    assert money_candidates("") == [] and money_candidates("型号") == []


def test_quantity_readings() -> None:
    assert qty_candidates("80个")[0].value == Decimal(80)
    assert qty_candidates("2.5")[0].value == Decimal("2.5")
    assert qty_candidates("l0")[0].value == Decimal(10)
    assert qty_candidates("个") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-12", date(2025, 3, 12)),
        ("2025年3月12日", date(2025, 3, 12)),
        ("2025.03.12", date(2025, 3, 12)),
        ("2025/3/2", date(2025, 3, 2)),
        ("2O25-O3-12", date(2025, 3, 12)),
        ("日期：20250312", date(2025, 3, 12)),
        ("2025-13-40", None),
        ("电话：0512-6722", None),
    ],
)
def test_dates(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected
