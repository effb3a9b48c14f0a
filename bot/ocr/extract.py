"""OCR text boxes → a structured quotation the rep only has to confirm.

The document checks itself: every line says quantity × unit price = amount,
the amounts add up to the total, and the total is printed twice (digits and
financial capitals, 大写). We use that arithmetic three ways:

* to **score** each field (a figure that agrees with an independent one is
  almost certainly read right; OCR confidence alone overstates accuracy),
* to **repair** typical OCR slips (O/0, l/1, S/5, B/8, a lost or swapped
  decimal point) – but only when the repaired value makes a check pass that
  the literal reading failed, never on a hunch,
* to **flag** what stays inconsistent (a 大写 that disagrees with the digits
  is a red flag on a quotation, so it is always reported, never "fixed").

Geometry: photos are slightly rotated and warped, so boxes are first
de-skewed by the median text-line angle, then grouped into rows; the table is
found by its header row and cells are assigned to the header's columns by
horizontal overlap.

Pure Python (no numpy): this runs in the chat worker and in fast unit tests.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bot.ocr.engines import OcrBox
from domain.money import parse_upper_amount, to_upper_amount

CENT = Decimal("0.01")

# ----------------------------------------------------------------- vocabulary
# Longest first: "客户名称" must win over "客户", "报价单号" over "单号".
CUSTOMER_LABELS = [
    "客户名称",
    "客户单位",
    "购货单位",
    "购买单位",
    "采购单位",
    "需方名称",
    "需方",
    "买方",
    "客户",
    "致",
]
QUOTE_NO_LABELS = [
    "报价单编号",
    "报价单号",
    "报价编号",
    "单据编号",
    "单号",
    "编号",
    "NO.",
    "No.",
    "NO:",
    "No:",
]
DATE_LABELS = ["报价日期", "开单日期", "制单日期", "日期"]
TOTAL_LABELS = ["合计金额", "金额合计", "价税合计", "总金额", "总价", "总计", "合计"]
UPPER_MARKERS = ["大写", "大寫"]

HEADER_FIELDS: dict[str, list[str]] = {
    "index": ["序号", "编号", "行号"],
    "name": ["产品名称", "货物名称", "商品名称", "物料名称", "货品名称", "品名", "名称", "产品"],
    "model": ["规格型号", "型号规格", "规格/型号", "型号", "规格"],
    "qty": ["数量"],
    "unit": ["单位"],
    "unit_price": ["含税单价", "单价"],
    "amount": ["金额", "总价", "小计"],
}
STOP_RE = re.compile(r"合计|总计|大写|备注|总金额|说明|小写|^金额[:：]|^总价[:：]")
COMPANY_HINTS = ("公司", "厂", "集团", "研究所", "研究院", "中心", "商行", "经营部", "门市", "大学", "医院")

# Characters OCR confuses with digits in printed numbers.
DIGIT_CONFUSIONS = str.maketrans("OoDQlIi|!Ss$BZzGbgq", "0000111115558226699")
_DATE_LOOKALIKES = str.maketrans("OolI", "0011")
_MONEY_STRICT = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
_QTY_STRICT = re.compile(r"^\d+(\.\d+)?$")
_DATE_PATTERNS = [
    re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
    re.compile(r"(20\d{2})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})"),
    re.compile(r"(20\d{2})(\d{2})(\d{2})"),
]


def _norm(text: str) -> str:
    """NFKC (full-width → ASCII, ￥ → ¥, ： → :) and no spaces: what matching works on."""
    out = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", out).replace("¥", "¥")


def _money_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _qty_str(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


# ----------------------------------------------------------------- numbers
@dataclass(frozen=True)
class _Cand:
    """One way to read a number; ``cost`` counts the OCR repairs it assumes."""

    value: Decimal
    cost: int
    how: str


def money_candidates(text: str | None) -> list[_Cand]:
    """Readings of a printed amount, cheapest first (cost 0 = read as printed).

    Repairs considered: digit look-alikes (O→0, l→1, S→5, B→8…), a dropped
    decimal point on a 2-decimal amount ("47,03868" → 47038.68), a comma used
    as the decimal point ("1 234,50"), a point used as thousands separator.
    The caller accepts a repaired value only if a document check proves it.
    """
    if not text:
        return []
    raw = _norm(text)
    raw = re.sub(r"^(RMB|CNY|¥|￥)+", "", raw)
    raw = raw.replace("¥", "").replace("￥", "").replace("元", "").replace("RMB", "")
    raw = raw.rstrip(".,")
    if not raw:
        return []
    out: dict[Decimal, _Cand] = {}

    def add(value: Decimal, cost: int, how: str) -> None:
        value = value.quantize(CENT, rounding=ROUND_HALF_UP)
        if value not in out or out[value].cost > cost:
            out[value] = _Cand(value, cost, how)

    for variant, base_cost in ((raw, 0), (raw.translate(DIGIT_CONFUSIONS), 1)):
        if base_cost and variant == raw:
            continue
        if not re.fullmatch(r"[\d,.\-]+", variant) or not re.search(r"\d", variant):
            continue
        if _MONEY_STRICT.match(variant):
            with contextlib.suppress(InvalidOperation):
                add(Decimal(variant.replace(",", "")), base_cost, "literal" if not base_cost else "chars")
        digits = re.sub(r"\D", "", variant)
        if not digits:
            continue
        if len(digits) > 14:
            continue
        # Decimal point lost or mangled: a 2-decimal amount printed as "47,03868".
        if len(digits) >= 3:
            add(Decimal(digits) / 100, base_cost + 1, "cents")
        # Separators that were really thousands separators (or noise): integer yuan.
        add(Decimal(digits), base_cost + 1, "integer")
        # Comma as decimal point: "1234,50" / "1.234,50".
        match = re.fullmatch(r"([\d.,]*?)[,.](\d{1,2})", variant)
        if match:
            head = re.sub(r"\D", "", match.group(1))
            if head:
                add(Decimal(f"{head}.{match.group(2)}"), base_cost + 1, "separator")
    return sorted(out.values(), key=lambda c: (c.cost, c.value))


def qty_candidates(text: str | None) -> list[_Cand]:
    """Readings of a quantity cell; tolerates a unit glued on ("80个") and look-alikes."""
    if not text:
        return []
    raw = _norm(text)
    match = re.match(r"^([0-9OolISBZ.,]+)", raw)
    if not match:
        return []
    token = match.group(1).rstrip(".,")
    out: dict[Decimal, _Cand] = {}
    for variant, cost in ((token, 0), (token.translate(DIGIT_CONFUSIONS), 1)):
        variant = variant.replace(",", "")
        if _QTY_STRICT.match(variant):
            value = Decimal(variant)
            if value not in out or out[value].cost > cost:
                out[value] = _Cand(value, cost, "literal" if cost == 0 else "chars")
    return sorted(out.values(), key=lambda c: (c.cost, c.value))


def parse_date(text: str | None) -> date | None:
    """2024-03-12, 2024年3月12日, 2024.03.12, 2024/3/12 (with O/l look-alikes)."""
    if not text:
        return None
    raw = _norm(text).translate(_DATE_LOOKALIKES)
    for pattern in _DATE_PATTERNS:
        match = pattern.search(raw)
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                continue
    return None


# ---------------------------------------------------------------- geometry
@dataclass
class _Tok:
    """A box in de-skewed page coordinates with its normalised text."""

    text: str
    raw: str
    score: float
    x0: float
    x1: float
    y0: float
    y1: float
    used: bool = False

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def h(self) -> float:
        return max(self.y1 - self.y0, 1.0)


def _skew_angle(boxes: Sequence[OcrBox]) -> float:
    """Median angle of the top edges of wide boxes (a page is rotated as a whole)."""
    angles = []
    for b in boxes:
        (x0, y0), (x1, y1) = b.box[0], b.box[1]
        width = math.hypot(x1 - x0, y1 - y0)
        if width > 3 * max(b.height, 1.0) * 0.5 and width > 20:
            angles.append(math.atan2(y1 - y0, x1 - x0))
    if not angles:
        return 0.0
    angles.sort()
    angle = angles[len(angles) // 2]
    return angle if abs(angle) < math.radians(20) else 0.0


def _tokens(boxes: Sequence[OcrBox]) -> list[_Tok]:
    angle = _skew_angle(boxes)
    cos, sin = math.cos(-angle), math.sin(-angle)
    toks = []
    for b in boxes:
        xs, ys = [], []
        for x, y in b.box:
            xs.append(x * cos - y * sin)
            ys.append(x * sin + y * cos)
        text = _norm(b.text)
        if text:
            toks.append(_Tok(text, b.text, float(b.score), min(xs), max(xs), min(ys), max(ys)))
    return toks


def _rows(toks: Iterable[_Tok]) -> list[list[_Tok]]:
    """Group tokens into text rows: centres within ~half a line height."""
    rows: list[list[_Tok]] = []
    for tok in sorted(toks, key=lambda t: t.cy):
        if rows:
            row = rows[-1]
            row_cy = sum(t.cy for t in row) / len(row)
            row_h = sorted(t.h for t in row)[len(row) // 2]
            if abs(tok.cy - row_cy) <= 0.55 * min(row_h, tok.h):
                row.append(tok)
                continue
        rows.append([tok])
    for row in rows:
        row.sort(key=lambda t: t.x0)
    return rows


# --------------------------------------------------------------- the result
@dataclass
class ExtractedLine:
    """One table row; ``unit`` is kept for the card but not part of the JSON contract."""

    name: str | None
    model: str | None
    qty: Decimal | None
    unit_price: Decimal | None
    amount: Decimal | None
    unit: str | None = None
    qty_x_price_matches: bool | None = None
    confidence: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model,
            "qty": _qty_str(self.qty),
            "unit_price": _money_str(self.unit_price),
            "amount": _money_str(self.amount),
        }


@dataclass
class QuoteExtraction:
    """What we read from one photo. Money is Decimal here and 2-decimal strings in JSON.

    ``flags`` lists what the rep must look at (failed checks, repaired or
    inferred values); it complements ``field_confidence`` and is not part of
    the JSON contract.
    """

    customer: str | None = None
    quote_no: str | None = None
    date: date | None = None
    lines: list[ExtractedLine] = field(default_factory=list)
    total: Decimal | None = None
    total_upper: str | None = None
    total_upper_value: Decimal | None = None
    upper_matches_total: bool | None = None
    lines_sum_matches_total: bool | None = None
    confidence: float = 0.0
    field_confidence: dict[str, float] = field(default_factory=dict)
    is_quote: bool = False
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer": self.customer,
            "quote_no": self.quote_no,
            "date": self.date.isoformat() if self.date else None,
            "lines": [line.to_dict() for line in self.lines],
            "total": _money_str(self.total),
            "total_upper": self.total_upper,
            "total_upper_value": _money_str(self.total_upper_value),
            "checks": {
                "upper_matches_total": self.upper_matches_total,
                "lines_sum_matches_total": self.lines_sum_matches_total,
                "qty_x_price_matches": [line.qty_x_price_matches for line in self.lines],
            },
            "confidence": round(self.confidence, 3),
            "field_confidence": {k: round(v, 3) for k, v in self.field_confidence.items()},
            "is_quote": self.is_quote,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


# ------------------------------------------------------------- label/values
def _strip_label(text: str, labels: Sequence[str]) -> tuple[str, str] | None:
    """If ``text`` starts with one of ``labels`` → (label, rest without separators)."""
    for label in labels:
        norm_label = _norm(label)
        if text.startswith(norm_label):
            rest = text[len(norm_label) :]
            rest = re.sub(r"^[\s:：.、()（）\[\]]*", "", rest)
            return label, rest
    return None


def _right_neighbour(tok: _Tok, rows: list[list[_Tok]], accept: Any = None) -> _Tok | None:
    for row in rows:
        if tok in row:
            for other in row:
                if other.x0 >= tok.x1 - 2 and other is not tok and (accept is None or accept(other)):
                    return other
    return None


def _cut_at_next_label(value: str) -> str:
    """'成都XX有限公司报价单号:BJ…' (two fields merged into one box) → '成都XX有限公司'."""
    labels = QUOTE_NO_LABELS[:6] + DATE_LABELS + ["联系人", "电话", "地址", "传真"] + CUSTOMER_LABELS[:7]
    cut = len(value)
    for label in labels:
        pos = value.find(label, 1)
        if pos > 0:
            cut = min(cut, pos)
    return value[:cut]


def _value_or_neighbour(tok: _Tok, rest: str, rows: list[list[_Tok]]) -> tuple[str, float, _Tok | None] | None:
    """A label's value: the text after it in the same box, else the box to its right.

    Returns (value, score, the neighbour used or None); None when there is no value.
    """
    if rest:
        return rest, tok.score, None
    neighbour = _right_neighbour(tok, rows)
    if neighbour is None:
        return None
    return neighbour.text, min(tok.score, neighbour.score), neighbour


def _find_customer(toks: list[_Tok], rows: list[list[_Tok]]) -> tuple[str | None, float]:
    for tok in toks:
        hit = _strip_label(tok.text, CUSTOMER_LABELS)
        if not hit:
            continue
        label, rest = hit
        found = _value_or_neighbour(tok, rest, rows)
        if found is None:
            continue
        rest, score, _ = found
        value = _cut_at_next_label(rest).strip(":：,，。.;；")
        if not value or len(value) < 2:
            continue
        looks_like_company = any(h in value for h in COMPANY_HINTS)
        if label == "致" and not looks_like_company:
            continue  # "致谢…" is not an addressee
        return value, score * (1.0 if looks_like_company else 0.7)
    return None, 0.0


def _strip_label_anywhere(text: str, labels: Sequence[str]) -> tuple[str, str] | None:
    """Like ``_strip_label`` but also finds a label after other text (two fields in one box)."""
    hit = _strip_label(text, labels)
    if hit:
        return hit
    for label in labels:
        pos = text.find(_norm(label), 1)
        if pos > 0 and len(label) >= 2:
            return _strip_label(text[pos:], [label])
    return None


def _find_quote_no(toks: list[_Tok], rows: list[list[_Tok]]) -> tuple[str | None, float]:
    for tok in toks:
        hit = _strip_label_anywhere(tok.text, QUOTE_NO_LABELS)
        if not hit:
            continue
        found = _value_or_neighbour(tok, hit[1], rows)
        if found is None:
            continue
        rest, score, _ = found
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9\-_/]{2,40}", rest)
        if match and re.search(r"\d", match.group(0)):
            return match.group(0).rstrip("-_/"), score
    return None, 0.0


def _find_date(toks: list[_Tok], rows: list[list[_Tok]]) -> tuple[date | None, float]:
    for tok in toks:
        hit = _strip_label_anywhere(tok.text, DATE_LABELS)
        if not hit:
            continue
        _, rest = hit
        parsed = parse_date(rest)
        if parsed is None:
            neighbour = _right_neighbour(tok, rows, accept=lambda t: parse_date(t.text) is not None)
            if neighbour is not None:
                return parse_date(neighbour.text), min(tok.score, neighbour.score)
            continue
        return parsed, tok.score
    # No label: a single unambiguous date anywhere on the page.
    found = {(parse_date(t.text), t.score) for t in toks if parse_date(t.text)}
    dates = {d for d, _ in found}
    if len(dates) == 1:
        return next(iter(dates)), 0.6 * max(s for _, s in found)
    return None, 0.0


def _upper_candidates(toks: list[_Tok], rows: list[list[_Tok]]) -> list[tuple[str, Decimal | None, float]]:
    """(text, value, score) for every 大写 amount on the page, labelled ones first."""
    out: list[tuple[str, Decimal | None, float]] = []
    for tok in toks:
        marker = next((m for m in UPPER_MARKERS if m in tok.text), None)
        if marker is None:
            continue
        rest = tok.text.split(marker, 1)[1]
        rest = re.sub(r"^[\s:：.、()（）\]\[]*", "", rest)
        found = _value_or_neighbour(tok, rest, rows)
        if found is None:
            continue
        rest, score, neighbour = found
        if neighbour is not None:
            neighbour.used = True
        tok.used = True
        out.append((rest, parse_upper_amount(rest), score))
    for tok in toks:
        if tok.used:
            continue
        looks_upper = len(tok.text) >= 3 and tok.text[-1] in "整正分角元圆"
        if (
            looks_upper
            and re.search(r"[壹贰叁肆伍陆柒捌玖拾佰仟]", tok.text)
            and parse_upper_amount(tok.text)
        ):
            out.append((tok.text, parse_upper_amount(tok.text), tok.score * 0.9))
    return out


def _total_candidates(toks: list[_Tok], rows: list[list[_Tok]]) -> list[tuple[str, float]]:
    """(text, score) of printed totals: '合计：¥…', '总计 …', the 合计 row of the table."""
    out: list[tuple[str, float]] = []
    for tok in toks:
        if any(m in tok.text for m in UPPER_MARKERS):
            continue
        hit = _strip_label(tok.text, TOTAL_LABELS)
        if not hit:
            continue
        _, rest = hit
        rest = re.sub(r"^(\(小写\)|小写|人民币|RMB)[:：]?", "", rest)
        if rest and money_candidates(rest):
            out.append((rest, tok.score))
            continue
        neighbour = _right_neighbour(tok, rows, accept=lambda t: bool(money_candidates(t.text)))
        if neighbour is not None:
            out.append((neighbour.text, min(tok.score, neighbour.score)))
    return out


# ------------------------------------------------------------------- table
@dataclass
class _Column:
    field: str
    x0: float
    x1: float


def _header_fields(text: str) -> list[tuple[str, int]]:
    """Fields named in a header cell and where (char position) – a cell may hold two."""
    found: list[tuple[str, int]] = []
    taken: list[tuple[int, int]] = []
    for fld, words in HEADER_FIELDS.items():
        for word in words:
            pos = text.find(word)
            if pos < 0:
                continue
            span = (pos, pos + len(word))
            if any(not (span[1] <= a or span[0] >= b) for a, b in taken):
                continue
            found.append((fld, pos))
            taken.append(span)
            break
    found.sort(key=lambda f: f[1])
    return found


def _find_header(rows: list[list[_Tok]]) -> tuple[int, list[_Column]] | None:
    best: tuple[int, list[_Column]] | None = None
    best_count = 0
    for index, row in enumerate(rows):
        columns: list[_Column] = []
        for tok in row:
            if len(tok.text) > 12:
                continue
            fields = _header_fields(tok.text)
            if not fields:
                continue
            width = tok.x1 - tok.x0
            for k, (fld, pos) in enumerate(fields):
                start = tok.x0 + width * pos / max(len(tok.text), 1)
                end = tok.x0 + width * (fields[k + 1][1] if k + 1 < len(fields) else len(tok.text)) / max(
                    len(tok.text), 1
                )
                columns.append(_Column(fld, start, end))
        names = {c.field for c in columns}
        if len(names) >= 3 and names & {"qty", "unit_price", "amount"} and len(names) > best_count:
            # Keep the first occurrence of each field (a stray duplicate must not split a column).
            seen: set[str] = set()
            unique = []
            for col in sorted(columns, key=lambda c: c.x0):
                if col.field not in seen:
                    seen.add(col.field)
                    unique.append(col)
            best, best_count = (index, unique), len(names)
    return best


def _column_bounds(columns: list[_Column]) -> list[tuple[str, float, float]]:
    centres = [(c.x0 + c.x1) / 2 for c in columns]
    bounds = []
    for i, col in enumerate(columns):
        left = -math.inf if i == 0 else (centres[i - 1] + centres[i]) / 2
        right = math.inf if i == len(columns) - 1 else (centres[i] + centres[i + 1]) / 2
        bounds.append((col.field, left, right))
    return bounds


_UNIT_CHARS = "个台套只件支条根块米箱批把组卷桶片盒包对副瓶吨张本辆座项"


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _split_token(tok: _Tok) -> tuple[_Tok, _Tok] | None:
    """Split a box that swallowed two neighbouring cells ("80个", "0XB1块", "个80").

    Only when the text has exactly one change between CJK and non-CJK
    characters: that change is the cell border.
    """
    text = tok.text
    cuts = [i for i in range(1, len(text)) if _is_cjk(text[i]) != _is_cjk(text[i - 1])]
    if len(cuts) != 1:
        return None
    cut = cuts[0]
    left, right = text[:cut], text[cut:]
    cjk_part = right if _is_cjk(right[0]) else left
    if not all(ch in _UNIT_CHARS for ch in cjk_part):
        return None
    xm = tok.x0 + (tok.x1 - tok.x0) * cut / len(text)
    return (
        _Tok(left, left, tok.score, tok.x0, xm, tok.y0, tok.y1),
        _Tok(right, right, tok.score, xm, tok.x1, tok.y0, tok.y1),
    )


_FITS = {
    "index": re.compile(r"^\d{1,3}$"),
    "qty": re.compile(r"^[\dOolIS.,]+[^\d]{0,2}$"),
    "unit_price": re.compile(r"^[¥$]?[\dOolISB.,]+元?$"),
    "amount": re.compile(r"^[¥$]?[\dOolISB.,]+元?$"),
    "unit": re.compile(r"^[^\d]{1,3}$"),
}


def _fits(fld: str, text: str) -> bool:
    """Can ``text`` be the content of column ``fld``? (Names hold CJK; numbers hold digits.)"""
    pattern = _FITS.get(fld)
    if pattern is not None:
        return bool(pattern.match(text))
    if fld == "name":
        return any(_is_cjk(ch) for ch in text) or len(text) > 3
    return True


def _assign(row: list[_Tok], bounds: list[tuple[str, float, float]]) -> dict[str, list[_Tok]]:
    """Put each box in the column it overlaps most, among columns whose content it fits.

    Perspective and skew shift cells across the midpoint between header
    centres; content type (an index is a small integer, a name has CJK…)
    settles those cases. Boxes that swallowed two cells ("80个") are split.
    """
    cells: dict[str, list[_Tok]] = {}

    def ranked(tok: _Tok) -> list[tuple[float, str]]:
        width = max(tok.x1 - tok.x0, 1.0)
        out = []
        for fld, left, right in bounds:
            overlap = min(tok.x1, right) - max(tok.x0, left)
            if overlap > -0.5 * width:
                out.append((overlap, fld))
        out.sort(reverse=True)
        return out

    def place(tok: _Tok) -> None:
        options = ranked(tok)
        if not options:
            return
        fitting = [o for o in options if _fits(o[1], tok.text)]
        best = fitting[0] if fitting and fitting[0][0] > 0 else options[0]
        if best[0] > 0:
            cells.setdefault(best[1], []).append(tok)

    for tok in row:
        options = ranked(tok)
        width = max(tok.x1 - tok.x0, 1.0)
        positive = [o for o in options if o[0] > 0.2 * width]
        if len(positive) > 1:
            parts = _split_token(tok)
            if parts is not None:
                for part in parts:
                    place(part)
                continue
        place(tok)
    return cells


def _solve_line(
    qty_text: str | None, price_text: str | None, amount_text: str | None
) -> tuple[Decimal | None, Decimal | None, Decimal | None, bool | None, int, list[str]]:
    """Pick readings so that qty × price = amount, preferring the fewest repairs.

    Returns qty, price, amount, check (None when a value is missing), repair
    cost and notes. Without a consistent combination the literal readings are
    kept and the check is False.
    """
    qs, ps, amounts = qty_candidates(qty_text), money_candidates(price_text), money_candidates(amount_text)
    best: tuple[int, _Cand, _Cand, _Cand] | None = None
    for q in qs[:4]:
        for p in ps[:6]:
            product = (q.value * p.value).quantize(CENT, rounding=ROUND_HALF_UP)
            for a in amounts[:6]:
                if product == a.value:
                    cost = q.cost + p.cost + a.cost
                    if best is None or cost < best[0]:
                        best = (cost, q, p, a)
    if best is not None:
        cost, q, p, a = best
        notes = [f"{name}:{c.how}" for name, c in (("qty", q), ("unit_price", p), ("amount", a)) if c.cost]
        return q.value, p.value, a.value, True, cost, notes
    q0 = qs[0].value if qs and qs[0].cost == 0 else None
    p0 = ps[0].value if ps and ps[0].cost == 0 else None
    a0 = amounts[0].value if amounts and amounts[0].cost == 0 else None
    if q0 is not None and p0 is not None and a0 is not None:
        return q0, p0, a0, False, 0, ["qty_x_price_mismatch"]
    # Something unreadable: infer it from the other two when that is exact.
    if q0 is not None and p0 is not None and a0 is None:
        return q0, p0, (q0 * p0).quantize(CENT, rounding=ROUND_HALF_UP), None, 2, ["amount:inferred"]
    if q0 is None and p0 is not None and a0 is not None and p0 != 0:
        qty = a0 / p0
        if qty == qty.to_integral_value() and qty > 0:
            return qty.quantize(Decimal(1)), p0, a0, None, 2, ["qty:inferred"]
    if q0 is not None and a0 is not None and p0 is None and q0 != 0:
        price = (a0 / q0).quantize(CENT, rounding=ROUND_HALF_UP)
        if (price * q0).quantize(CENT) == a0:
            return q0, price, a0, None, 2, ["unit_price:inferred"]
    return q0, p0, a0, None, 0, []


def _extract_table(rows: list[list[_Tok]]) -> tuple[list[ExtractedLine], list[str], list[tuple[str, float]]]:
    """Line items below the header row; also returns the table's own 合计 cell if any."""
    header = _find_header(rows)
    if header is None:
        return [], [], []
    start, columns = header
    bounds = _column_bounds(columns)
    lines: list[ExtractedLine] = []
    notes: list[str] = []
    totals: list[tuple[str, float]] = []
    heights = [t.h for t in rows[start]]
    line_h = sorted(heights)[len(heights) // 2]
    last_y = sum(t.cy for t in rows[start]) / len(rows[start])
    for row in rows[start + 1 :]:
        row_y = sum(t.cy for t in row) / len(row)
        if row_y - last_y > 5 * line_h:
            break  # the table has ended (big vertical gap)
        joined = "".join(t.text for t in row)
        if any(STOP_RE.search(t.text) for t in row):
            cells = _assign(row, bounds)
            if any(w in joined for w in ("合计", "总计")) and "amount" in cells and "大写" not in joined:
                amount_tok = cells["amount"]
                totals.append(("".join(t.text for t in amount_tok), min(t.score for t in amount_tok)))
            break
        last_y = row_y
        cells = _assign(row, bounds)

        def text_of(fld: str, cells: dict[str, list[_Tok]] = cells) -> str | None:
            toks = cells.get(fld)
            return "".join(t.text for t in toks) if toks else None

        numeric_fields = [f for f in ("qty", "unit_price", "amount") if text_of(f)]
        if not numeric_fields:
            wrapped = text_of("name") or ""
            if lines and wrapped and not text_of("model") and not re.search(r"[\d:]", wrapped):
                # A product name wrapped onto a second row.
                lines[-1].name = (lines[-1].name or "") + wrapped
            continue
        qty_text = text_of("qty")
        unit = text_of("unit")
        if qty_text and not unit:
            glued = re.match(r"^[\d.,]+([^\d.,]+)$", qty_text)
            if glued:
                unit = glued.group(1)
        if len(lines) >= 2 and not qty_text and not text_of("model") and len(numeric_fields) == 1:
            # A lone figure under the table equal to Σ of the lines above is the
            # total row whose "合计" label the OCR lost (seal, glare).
            lone = text_of(numeric_fields[0]) or ""
            running = sum((ln.amount for ln in lines if ln.amount is not None), Decimal(0))
            if any(c.value == running for c in money_candidates(lone)):
                totals.append((lone, min(t.score for toks in cells.values() for t in toks)))
                break
        qty, price, amount, check, cost, line_notes = _solve_line(
            qty_text, text_of("unit_price"), text_of("amount")
        )
        if qty is None and price is None and amount is None:
            continue
        scores = [t.score for toks in cells.values() for t in toks]
        base = min(scores) if scores else 0.0
        confidence = base * (1.0 if check else 0.75 if check is None else 0.35) * (0.97**cost)
        index = len(lines)
        notes += [f"line[{index}].{n}" for n in line_notes]
        lines.append(
            ExtractedLine(
                name=text_of("name"),
                model=text_of("model"),
                qty=qty,
                unit_price=price,
                amount=amount,
                unit=unit,
                qty_x_price_matches=check,
                confidence=confidence,
            )
        )
    return lines, notes, totals


# -------------------------------------------------------------- totals logic
def _resolve_total(
    result: QuoteExtraction, total_texts: list[tuple[str, float]], upper_value: Decimal | None
) -> float:
    """Choose the total using Σ lines and the 大写 as independent witnesses. Returns its confidence."""
    amounts = [line.amount for line in result.lines]
    known = [a for a in amounts if a is not None]
    lines_sum = sum(known, Decimal(0)) if amounts and len(known) == len(amounts) else None
    witnesses = [w for w in (lines_sum, upper_value) if w is not None]
    literals = [(money_candidates(t), s) for t, s in total_texts]

    # 1. A total read as printed that a witness confirms.
    for cands, score in literals:
        if cands and cands[0].cost == 0 and cands[0].value in witnesses:
            result.total = cands[0].value
            return score
    # 2. A repaired reading that a witness confirms (e.g. "189,48426" → 189484.26).
    for cands, score in literals:
        for cand in cands:
            if cand.cost and cand.value in witnesses:
                result.total = cand.value
                result.flags.append(f"total:repaired:{cand.how}")
                return score * 0.95
    # 3. Printed total unreadable (seal, glare) but Σ lines and 大写 agree.
    if lines_sum is not None and upper_value is not None and lines_sum == upper_value:
        result.total = lines_sum
        result.flags.append("total:from_lines_and_upper")
        return 0.9
    # 4. A line whose amount failed its check, recomputed as qty × price, may reconcile Σ.
    for cands, score in literals:
        if cands and cands[0].cost == 0 and _reconcile_lines(result, cands[0].value, upper_value):
            result.total = cands[0].value
            return score
    if lines_sum is None and upper_value is not None and _reconcile_lines(result, upper_value, None):
        result.total = upper_value
        result.flags.append("total:from_upper")
        return 0.8
    # 5. Nothing agrees. A cleanly read total with at least as many digits as
    #    Σ lines is kept (the document or a line may be wrong: the rep decides);
    #    a shorter one is most likely part-hidden by the seal, so when every
    #    line proved itself (qty × price = amount) Σ lines is the better guess.
    checked = [line.qty_x_price_matches for line in result.lines]
    lines_verified = lines_sum is not None and False not in checked and True in checked
    for cands, score in literals:
        if cands and cands[0].cost == 0:
            printed = cands[0].value
            hidden = lines_sum is not None and _digits(printed) < _digits(lines_sum)
            if not (lines_verified and (hidden or score < 0.9)):
                result.total = printed
                result.flags.append("total:unverified")
                return score * 0.5
    if lines_verified:
        result.total = lines_sum
        result.flags.append("total:from_lines")
        return 0.7
    if upper_value is not None:
        result.total = upper_value
        result.flags.append("total:from_upper_only")
        return 0.5
    if lines_sum is not None:
        result.total = lines_sum
        result.flags.append("total:from_lines_only")
        return 0.4
    return 0.0


def _digits(value: Decimal) -> int:
    return len(str(value.quantize(CENT)).replace(".", "").lstrip("-0"))


def _reconcile_lines(result: QuoteExtraction, target: Decimal, other: Decimal | None) -> bool:
    """Replace failing lines' amounts by qty × price if that makes Σ equal ``target``."""
    fixed: list[Decimal | None] = []
    for line in result.lines:
        amount = line.amount
        if line.qty_x_price_matches is not True and line.qty is not None and line.unit_price is not None:
            amount = (line.qty * line.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        fixed.append(amount)
    known = [a for a in fixed if a is not None]
    if len(known) != len(fixed) or sum(known, Decimal(0)) != target:
        return False
    if other is not None and other != target:
        return False
    for index, (line, amount) in enumerate(zip(result.lines, fixed, strict=True)):
        if amount != line.amount:
            line.amount = amount
            line.qty_x_price_matches = True
            line.confidence = max(line.confidence, 0.8)
            result.flags.append(f"line[{index}].amount:repaired_from_total")
    return True


# ---------------------------------------------------------------- entry point
def extract_quote(boxes: Sequence[OcrBox]) -> QuoteExtraction:
    """Read customer, number, date, line items, total and 大写 from OCR boxes, then cross-check."""
    result = QuoteExtraction()
    toks = _tokens(boxes)
    if not toks:
        result.field_confidence = dict.fromkeys(
            ("customer", "quote_no", "date", "lines", "total", "total_upper"), 0.0
        )
        return result
    rows = _rows(toks)

    customer, customer_conf = _find_customer(toks, rows)
    quote_no, quote_no_conf = _find_quote_no(toks, rows)
    quote_date, date_conf = _find_date(toks, rows)
    result.customer, result.quote_no, result.date = customer, quote_no, quote_date

    uppers = _upper_candidates(toks, rows)
    upper_conf = 0.0
    if uppers:
        parsed = [u for u in uppers if u[1] is not None]
        text, value, upper_conf = parsed[0] if parsed else uppers[0]
        result.total_upper, result.total_upper_value = text, value
        if value is None:
            result.flags.append("total_upper:unreadable")
            upper_conf *= 0.3

    lines, notes, table_totals = _extract_table(rows)
    result.lines = lines
    result.flags += notes
    total_texts = _total_candidates(toks, rows) + table_totals
    total_conf = _resolve_total(result, total_texts, result.total_upper_value)
    # An amount misread beyond repair ("282555" for 28,255.50): if qty × price
    # for the failing lines makes Σ equal the confirmed total, that proves it.
    failing = any(line.qty_x_price_matches is False for line in lines)
    if result.total is not None and failing and _reconcile_lines(result, result.total, None):
        result.flags = [f for f in result.flags if not f.endswith("qty_x_price_mismatch")]

    if result.total is not None:
        if result.total_upper_value is not None:
            result.upper_matches_total = result.total_upper_value == result.total
            if not result.upper_matches_total:
                result.flags.append("total_upper:disagrees_with_total")
                upper_conf *= 0.3
                total_conf *= 0.6
        if result.lines and all(line.amount is not None for line in result.lines):
            lines_sum = sum((line.amount for line in result.lines if line.amount is not None), Decimal(0))
            result.lines_sum_matches_total = lines_sum == result.total
            if not result.lines_sum_matches_total:
                result.flags.append("lines:sum_disagrees_with_total")
    if result.upper_matches_total and result.lines_sum_matches_total:
        total_conf = max(total_conf, 0.98)
    elif result.upper_matches_total or result.lines_sum_matches_total:
        total_conf = max(total_conf, 0.9)
    if result.upper_matches_total and result.total is not None:
        upper_conf = max(upper_conf, 0.95)
        canonical = to_upper_amount(result.total)
        if result.total_upper != canonical:
            # Same value, different characters (方 for 万, 圆/正 variants): show the clean form.
            result.flags.append(f"total_upper:normalized_from:{result.total_upper}")
            result.total_upper = canonical

    lines_conf = min((line.confidence for line in lines), default=0.0)
    if (
        lines
        and result.lines_sum_matches_total
        and all(line.qty_x_price_matches is not False for line in lines)
    ):
        lines_conf = max(lines_conf, min(0.95, min(line.confidence for line in lines) + 0.2))
    result.field_confidence = {
        "customer": customer_conf,
        "quote_no": quote_no_conf,
        "date": date_conf,
        "lines": lines_conf,
        "total": total_conf,
        "total_upper": upper_conf,
    }
    result.is_quote = _looks_like_quote(toks, result)
    weights = {"customer": 2, "quote_no": 1, "date": 1, "lines": 3, "total": 3, "total_upper": 1}
    overall = sum(result.field_confidence[k] * w for k, w in weights.items()) / sum(weights.values())
    if result.upper_matches_total is False or result.lines_sum_matches_total is False:
        overall = min(overall, 0.5)
    if any(line.qty_x_price_matches is False for line in lines):
        overall = min(overall, 0.6)
    result.confidence = overall if result.is_quote else min(overall, 0.2)
    return result


def _looks_like_quote(toks: list[_Tok], result: QuoteExtraction) -> bool:
    """A quotation has a title, or enough of a quotation's parts (labels, a priced table)."""
    points = 0
    if any("报价" in t.text for t in toks):
        points += 2
    if result.lines:
        points += 2
    if result.customer:
        points += 1
    if result.total is not None:
        points += 1
    if result.total_upper_value is not None:
        points += 1
    return points >= 3
