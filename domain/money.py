"""Renminbi amounts: the financial upper-case form (大写) and display formatting.

Chinese quotations, contracts and invoices print every total twice: in digits
and in financial capitals (叁拾捌万元整). The capitals exist precisely so that a
figure cannot be altered or misread; comparing the two is the strongest check
we have on an OCR'd total, so the parser must be tolerant of OCR noise
("人民币", spaces, variant characters) yet refuse anything it cannot read
unambiguously (``None`` rather than a guess).

Rules follow the People's Bank of China 《支付结算办法》 (附一 正确填写票据和结算凭证的基本规定):
一 "整"/"正" after 元, none after 分, optional after 角; a single 零 for a run of
zeros inside the number; 壹拾 written out in full.

Standard library only (domain code imports nothing else).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "MONEY_MAX",
    "find_amount",
    "format_yuan",
    "money_problem",
    "parse_amount",
    "parse_upper_amount",
    "to_upper_amount",
]

#: The largest amount an amount column holds (``Numeric(14, 2)`` in domain/models.py).
MONEY_MAX = Decimal("999999999999.99")


def money_problem(amount: Decimal) -> str | None:
    """Why ``amount`` cannot be stored as a money value (a message for the user), or None.

    ``1e30`` or a 1,000-digit number parse as Decimals but overflow the column
    (PostgreSQL refuses them, SQLite stores them silently): refused up front.
    """
    if not amount.is_finite():
        return "金额请填写数字，例如 123456.00"
    if amount < 0:
        return "金额不能为负数"
    if amount > MONEY_MAX:
        return "金额太大了（最多 999,999,999,999.99 元），请检查是否多写了数字"
    if amount != amount.quantize(_CENT, rounding=ROUND_HALF_UP):
        return "金额最多保留两位小数（到分）"
    return None

_CENT = Decimal("0.01")

_DIGITS_OUT = "零壹贰叁肆伍陆柒捌玖"
_DIGITS_IN: dict[str, int] = {
    **{ch: i for i, ch in enumerate(_DIGITS_OUT)},
    # Traditional / everyday / OCR-confusable forms seen on scanned documents.
    "〇": 0, "○": 0, "O": 0, "o": 0, "洞": 0,
    "一": 1, "弌": 1, "壱": 1,
    "二": 2, "两": 2, "貳": 2, "贰": 2, "弍": 2, "貮": 2,
    "三": 3, "参": 3, "參": 3, "叄": 3, "弎": 3, "仨": 3,
    "四": 4,
    "五": 5,
    "六": 6, "陸": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}  # fmt: skip
_SMALL_UNITS: dict[str, int] = {
    "拾": 10,
    "十": 10,
    "什": 10,
    "佰": 100,
    "百": 100,
    "陌": 100,
    "仟": 1000,
    "千": 1000,
    "阡": 1000,
}
_WAN = {"万", "萬", "方"}  # 方: a frequent OCR misread of 万 in Song typefaces
_YI = {"亿", "億"}
_YUAN = {"元", "圆", "圓", "园"}
_JIAO = {"角"}
_FEN = {"分"}
_ZHENG = {"整", "正"}
# Decoration the parser skips anywhere: labels, currency words, punctuation, spaces.
_NOISE_WORDS = (
    "人民币",
    "人民幣",
    "RMB",
    "rmb",
    "大写",
    "大寫",
    "金额",
    "合计",
    "总计",
    "(",
    ")",
    "（",
    "）",
)
_NOISE_CHARS = set(" \t\r\n\u3000:：,，.。、;；¥￥*＊×xX#-—_|[]【】「」")


def parse_upper_amount(text: str | None) -> Decimal | None:
    """Read a financial upper-case amount; ``None`` if it is not one or is ambiguous.

    >>> parse_upper_amount("人民币 叁拾捌万元整")
    Decimal('380000.00')
    >>> parse_upper_amount("壹仟零伍元陆角柒分")
    Decimal('1005.67')

    Tolerated: leading labels ("人民币大写："), spaces, 圆/正/萬/兩 and simple
    numerals (一二三, 十百千). Refused: two digits without a unit between them
    ("壹贰"), units out of order ("拾佰"), unknown characters in the middle –
    those are OCR errors, and a wrong amount is worse than none.
    """
    if not text:
        return None
    cleaned = text
    for word in _NOISE_WORDS:
        cleaned = cleaned.replace(word, "")
    cleaned = "".join(ch for ch in cleaned if ch not in _NOISE_CHARS)
    negative = cleaned.startswith("负")
    cleaned = cleaned.lstrip("负")
    if not cleaned:
        return None
    # Split integer part / fraction at the 元 sign (there must be at most one).
    yuan_positions = [i for i, ch in enumerate(cleaned) if ch in _YUAN]
    if len(yuan_positions) > 1:
        return None
    if yuan_positions:
        integer_text = cleaned[: yuan_positions[0]]
        fraction_text = cleaned[yuan_positions[0] + 1 :]
    elif any(ch in _JIAO or ch in _FEN for ch in cleaned):
        # "伍角陆分" (no 元): below one yuan, or the 元 was lost by OCR – only
        # accept when nothing that looks like an integer part precedes.
        cut = min(i for i, ch in enumerate(cleaned) if ch in _JIAO or ch in _FEN)
        head = cleaned[:cut].lstrip("零〇")
        if len(head) > 1:
            return None
        integer_text, fraction_text = "", cleaned
    else:
        integer_text, fraction_text = cleaned, ""
        if integer_text and integer_text[-1] in _ZHENG:
            integer_text = integer_text[:-1]
    integer = _parse_integer(integer_text) if integer_text.strip("零〇") else 0
    if integer is None:
        return None
    fraction = _parse_fraction(fraction_text)
    if fraction is None:
        return None
    if not integer_text and not fraction_text:
        return None
    value = (Decimal(integer) + fraction).quantize(_CENT)
    return -value if negative else value


def _parse_integer(text: str) -> int | None:
    """Digits with 拾佰仟 inside 万/亿 sections; validates unit order."""
    total = 0  # completed 亿 sections
    wan_part = 0  # completed 万 section below the current 亿
    section = 0  # value below 万
    pending: int | None = None  # a digit waiting for its unit
    last_small = 10_000  # units within a section must strictly decrease
    seen_wan = False
    zero = False  # a 零 since the last unit: 「三百零五」 is 305, 「三百五」 (spoken, no 零) is 350

    def tail(digit: int | None) -> int:
        """The digit left at the end of a section: one place below the last unit when nothing (零) stands
        between them (「三百五」 350, 「一千二」 1200 — how figures are said), else itself."""
        if digit is None:
            return 0
        return digit * last_small // 10 if last_small in (100, 1000) and not zero else digit

    for ch in text:
        if ch in _DIGITS_IN:
            value = _DIGITS_IN[ch]
            if value == 0:
                if pending:
                    return None  # "伍零" – digit then zero without a unit
                pending = None
                zero = True
                continue
            if pending is not None:
                return None  # "壹贰": two digits in a row
            pending = value
        elif ch in _SMALL_UNITS:
            unit = _SMALL_UNITS[ch]
            if unit >= last_small:
                return None
            if pending is None:
                # A bare 拾 at the start of a section means 壹拾 (拾万 = 100000).
                if unit != 10:
                    return None
                pending = 1
            section += pending * unit
            pending = None
            last_small = unit
            zero = False
        elif ch in _WAN:
            if seen_wan:
                return None
            section += tail(pending)
            if section == 0:
                return None
            wan_part = section * 10_000
            section, pending, last_small, seen_wan, zero = 0, None, 10_000, True, False
        elif ch in _YI:
            section += tail(pending)
            value = wan_part + section
            if value == 0:
                return None
            total = (total + value) * 100_000_000
            wan_part, section, pending, last_small, seen_wan, zero = 0, 0, None, 10_000, False, False
        else:
            return None
    section += tail(pending)
    return total + wan_part + section


def _parse_fraction(text: str) -> Decimal | None:
    """角/分 after 元: "整", "伍角", "伍角陆分", "零陆分", "伍角整"."""
    jiao = fen = 0
    pending: int | None = None
    seen_jiao = seen_fen = False
    for i, ch in enumerate(text):
        if ch in _ZHENG:
            if i != len(text) - 1 or pending is not None or seen_fen:
                return None
        elif ch in _DIGITS_IN:
            value = _DIGITS_IN[ch]
            if value == 0:
                if pending is not None or seen_jiao:
                    return None
                continue
            if pending is not None:
                return None
            pending = value
        elif ch in _JIAO:
            if pending is None or seen_jiao or seen_fen:
                return None
            jiao, pending, seen_jiao = pending, None, True
        elif ch in _FEN:
            if pending is None or seen_fen:
                return None
            fen, pending, seen_fen = pending, None, True
        else:
            return None
    if pending is not None:
        return None
    return Decimal(jiao) / 10 + Decimal(fen) / 100


def _group_upper(group: int) -> str:
    """0 < group < 10000 → "壹仟零伍" (zeros inside collapse to one 零, trailing zeros vanish)."""
    out: list[str] = []
    zero = False
    for unit_value, unit_name in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = group // unit_value % 10
        if digit == 0:
            if out:
                zero = True
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS_OUT[digit] + unit_name)
    return "".join(out)


def _integer_upper(number: int) -> str:
    """Integer yuan → capitals, recursing on 亿 so 壹万零贰亿 and 壹亿零伍佰万 come out right."""
    if number >= 100_000_000:
        high, low = divmod(number, 100_000_000)
        text = _integer_upper(high) + "亿"
        if low:
            text += ("零" if low < 10_000_000 else "") + _integer_upper(low)
        return text
    high, low = divmod(number, 10_000)
    text = _group_upper(high) + "万" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + _group_upper(low)
    return text


def to_upper_amount(amount: Decimal | int | str) -> str:
    """Write an amount in financial capitals, rounded half-up to the fen.

    >>> to_upper_amount(Decimal("380000"))
    '叁拾捌万元整'
    >>> to_upper_amount(Decimal("1005.60"))
    '壹仟零伍元陆角'
    >>> to_upper_amount(Decimal("100.07"))
    '壹佰元零柒分'
    """
    try:
        value = Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {amount!r}")
    sign = "负" if value < 0 else ""
    value = abs(value)
    integer = int(value)
    cents = int((value - integer) * 100)
    jiao, fen = divmod(cents, 10)
    if integer == 0 and cents == 0:
        return "零元整"

    text = _integer_upper(integer) if integer else ""

    if integer:
        text += "元"
    if cents == 0:
        return sign + text + "整"
    if jiao:
        text += _DIGITS_OUT[jiao] + "角"
    elif integer:
        text += "零"  # 壹佰元零柒分
    if fen:
        text += _DIGITS_OUT[fen] + "分"
    return sign + text


def format_yuan(amount: Decimal | int | str) -> str:
    """Digits as shown on a card: "¥380,000.00" (half-up to the fen, minus before ¥)."""
    value = Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


# ------------------------------------------------------------ typed amounts
# What people type for money, read one way everywhere (quotes, contracts, visits):
# "10万", "1.2万", "12,000", "¥12,000.50", "38w", "3千", "80k", "1.08M", "壹拾万元整", "十万".
TYPED_UNITS: dict[str, Decimal] = {
    "亿": Decimal(100_000_000),
    "千万": Decimal(10_000_000),
    "百万": Decimal(1_000_000),
    "m": Decimal(1_000_000),  # the English million of 「RMB 1.08M」 (never 5mm: a letter may not follow)
    "万": Decimal(10_000),
    "w": Decimal(10_000),
    "千": Decimal(1_000),
    "k": Decimal(1_000),
}
_ARABIC_RX = re.compile(
    r"(?P<cur>[¥￥]\s*)?(?P<num>\d(?:[\d,，]*\d)?(?:\.\d+)?)\s*"
    r"(?P<unit>亿|千万|百万|万|[wWkKmM](?![a-zA-Z])|千)?\s*(?P<yuan>元整|元|块钱|块)?"
)
_SPOKEN_RX = re.compile(r"(?P<head>[\d.]+|[一二两三四五六七八九十]+)(?P<unit>[万萬千])(?P<tail>[1-9一二两三四五六七八九])")
_CHINESE_CHARS = "零〇壹贰叁肆伍陆柒捌玖一二两三四五六七八九拾十佰百仟千万萬亿億元圆整正角分"
_CHINESE_RX = re.compile(f"(?:人民币)?[{_CHINESE_CHARS}]{{2,}}")


def _arabic_value(m: re.Match[str]) -> Decimal | None:
    try:
        number = Decimal(m.group("num").replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None
    unit = (m.group("unit") or "").lower()
    return (number * TYPED_UNITS.get(unit, Decimal(1))).quantize(_CENT)


def parse_amount(text: str | None) -> Decimal | None:
    """A typed amount in yuan, or ``None`` when the text is not exactly one amount.

    >>> parse_amount("10万"), parse_amount("1.2万"), parse_amount("12,000"), parse_amount("壹拾万元整")
    (Decimal('100000.00'), Decimal('12000.00'), Decimal('12000.00'), Decimal('100000.00'))

    "合计改成10万" means ¥100,000.00, never ¥10.00: the unit always counts.
    """
    if not text:
        return None
    cleaned = text.strip().replace("人民币", "").replace("RMB", "").replace("rmb", "").strip()
    if not cleaned:
        return None
    m = _ARABIC_RX.fullmatch(cleaned)
    if m is not None:
        return _arabic_value(m)
    spoken = _SPOKEN_RX.fullmatch(cleaned)
    if spoken is not None:  # "1万5", "三万八", "3千5": the trailing digit is the next place down
        head = parse_amount(spoken.group("head"))
        tail = parse_amount(spoken.group("tail"))
        if head is not None and tail is not None and tail < 10:
            step = TYPED_UNITS["万"] / 10 if spoken.group("unit") in "万萬" else Decimal(100)
            return (head * TYPED_UNITS["万" if spoken.group("unit") in "万萬" else "千"] + tail * step).quantize(_CENT)
    if _CHINESE_RX.fullmatch(cleaned) or (len(cleaned) == 1 and cleaned in "一二两三四五六七八九十"):
        if cleaned[-1] in "万萬亿億" and len(cleaned) > 1:
            head = parse_upper_amount(cleaned[:-1])  # "三十八万" is read by the 大写 rules too
            whole = parse_upper_amount(cleaned)
            return whole if whole is not None else (None if head is None else head * TYPED_UNITS["万"])
        return parse_upper_amount(cleaned)
    return None


def find_amount(text: str) -> tuple[int, int, Decimal] | None:
    """The first money figure inside a sentence: (start, end, value), or None.

    A bare number counts only when it cannot be something else: it has a unit
    (万, 元, w), a ¥ sign, a thousands separator or at least three digits — so
    "提交合同 宝钢 36.8万" finds 368,000 and "HT-20261206-001" finds nothing.
    """
    for m in _ARABIC_RX.finditer(text):
        before = text[m.start() - 1] if m.start() > 0 else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if (before and (before in "-_/" or (before.isalnum() and before.isascii()))) or (after and after in "-_/%"):
            continue  # part of a contract number, a date or a percentage
        digits = re.sub(r"\D", "", m.group("num").split(".")[0])
        if not (m.group("unit") or m.group("yuan") or m.group("cur") or "," in m.group("num")
                or "，" in m.group("num") or len(digits) >= 3):
            continue
        value = _arabic_value(m)
        if value is not None:
            return m.start(), m.end(), value
    for m in _CHINESE_RX.finditer(text):
        word = m.group(0)
        if not any(ch in word for ch in "万萬亿億元圆拾佰仟"):
            continue
        value = parse_amount(word)
        if value is not None:
            return m.start(), m.end(), value
    return None
