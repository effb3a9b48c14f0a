"""Cleaning one spreadsheet cell: phones, e-mails, dates, amounts, stages, names.

Sheets come from Excel, old CRMs and people typing by hand, so a cell may hold
a number where text was meant (13800138000 as a float), a date as a serial
(46000), or an amount as "38万". Each function accepts what those tools
produce and either returns the clean value or raises ``CellError`` with a
Chinese reason that names the value, so the user can find and fix it.
``None`` means the cell was empty.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.models import STAGE_LABELS, Stage
from domain.money import parse_upper_amount


class CellError(ValueError):
    """A cell that cannot be used; ``message`` is shown to the user as the reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def shown(value: Any) -> str:
    """A cell value as the user saw it, for messages."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else f"{value:%Y-%m-%d}"
    return str(value).strip()


# ------------------------------------------------------------------ text
_BLANK_WORDS = {"", "-", "--", "—", "——", "/", "无", "暂无", "n/a", "na", "null", "none", "#n/a"}


def clean_text(value: Any, max_length: int | None = None, what: str = "内容") -> str | None:
    """Trimmed text with inner runs of whitespace collapsed; placeholders like "-" or "无" are empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"\s+", " ", str(value).replace("\u3000", " ")).strip()
    if text.lower() in _BLANK_WORDS:
        return None
    if max_length is not None and len(text) > max_length:
        raise CellError(f"{what}太长（{len(text)} 个字，最多 {max_length} 个）：「{text[:20]}…」")
    return text


def _is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch in "（）"


def clean_company_name(value: Any) -> str | None:
    """The display form of a company name.

    Full-width letters and digits become half-width, brackets become the
    full-width ones Chinese business licences use, and spaces next to Chinese
    characters go ("苏州 精工机械" → "苏州精工机械"); "ABB Robotics" keeps its space.
    """
    text = clean_text(value)
    if text is None:
        return None
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
            ch = chr(code - 0xFEE0)
        elif ch == "(":
            ch = "（"
        elif ch == ")":
            ch = "）"
        out.append(ch)
    text = "".join(out)
    text = re.sub(r"\s+(?=[\u2e80-\u9fff（）])|(?<=[\u2e80-\u9fff（）])\s+", "", text)
    if len(text) > 200:
        raise CellError(f"客户名称太长（{len(text)} 个字，最多 200 个）：「{text[:20]}…」")
    return text


def split_list(value: Any) -> list[str]:
    """Tags or aliases written in one cell: "重点、制造业, 苏州" → three items, order kept, no repeats."""
    text = clean_text(value)
    if text is None:
        return []
    items: list[str] = []
    for part in re.split(r"[、,，;；|/\n]+", text):
        part = part.strip()
        if part and part not in items:
            items.append(part)
    return items


def clean_person_name(value: Any, what: str = "联系人") -> tuple[str, str | None] | None:
    """A person's name and, if written as "王强（采购经理）", the title in brackets."""
    text = clean_text(value, 100, what)
    if text is None:
        return None
    m = re.fullmatch(r"(.+?)\s*[（(]\s*(.+?)\s*[）)]", text)
    if m:
        return m.group(1), m.group(2)
    return text, None


# ---------------------------------------------------------------- phones
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")
_SERVICE = re.compile(r"(?:400|800)\d{7}")
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?e\+?\d+", re.IGNORECASE)


def _phone_digits(value: Any) -> tuple[str, str]:
    """(digits with country prefix removed, the text as shown) of a phone cell."""
    if isinstance(value, bool):
        raise CellError(f"电话号码格式不正确：「{value}」")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"电话号码格式不正确：「{value}」")
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if _SCIENTIFIC.fullmatch(text):
        raise CellError(
            f"电话号码被 Excel 显示成了科学计数法：「{text}」，后几位已经丢失；请把该列设为“文本”后重新填写"
        )
    body = re.sub(r"[\s\-–—()（）.·/]", "", text)
    if body.startswith("+86"):
        body = body[3:]
    elif body.startswith("0086"):
        body = body[4:]
    elif body.startswith("86") and len(body) == 13 and body[2] == "1":
        body = body[2:]
    return body, text


def clean_mobile(value: Any) -> str | None:
    """An 11-digit mainland mobile number: "+86 138-0013-8000" → "13800138000"."""
    if clean_text(value) is None:
        return None
    digits, text = _phone_digits(value)
    if _MOBILE.fullmatch(digits):
        return digits
    if digits.isdigit():
        raise CellError(f"手机号格式不正确：「{text}」（应为 1 开头的 11 位数字，这里是 {len(digits)} 位）")
    raise CellError(f"手机号格式不正确：「{text}」（应为 1 开头的 11 位数字）")


def clean_phone(value: Any) -> str | None:
    """A mobile, a landline ("0512-66881234", extension kept) or a 400/800 number."""
    if clean_text(value) is None:
        return None
    text = unicodedata.normalize("NFKC", shown(value)).strip()
    extension = ""
    m = re.fullmatch(r"(.+?)\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})", text, re.IGNORECASE)
    if m:
        text, extension = m.group(1), m.group(2)
    digits, shown_text = _phone_digits(text if extension else value)
    if _MOBILE.fullmatch(digits) and not extension:
        return digits
    if _SERVICE.fullmatch(digits):
        number = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    elif _LANDLINE.fullmatch(digits):
        area = 3 if digits.startswith(("010", "02")) else 4
        if not 7 <= len(digits) - area <= 8:
            raise CellError(f"电话号码格式不正确：「{shown_text}」")
        number = f"{digits[:area]}-{digits[area:]}"
    else:
        raise CellError(f"电话号码格式不正确：「{shown(value)}」（手机号应为 11 位，座机请带区号，如 0512-66881234）")
    return f"{number}-{extension}" if extension else number


def split_phones(value: Any, mobile_only: bool) -> list[str]:
    """Every number in a cell: "13800138000 / 0512-66881234" → two numbers.

    ``mobile_only`` (a 手机 column) words the error for a mobile number, but
    a well-formed landline there is kept: it is a real number in the wrong column.
    """
    text = clean_text(value)
    if text is None:
        return []
    if not isinstance(value, str):
        parts: list[Any] = [value]
    else:
        parts = [p for p in re.split(r"[/、,，;；\n]+", unicodedata.normalize("NFKC", value)) if p.strip()]
    numbers: list[str] = []
    for part in parts:
        if mobile_only:
            try:
                number = clean_mobile(part)
            except CellError as exc:
                # A landline in the 手机 column is still the contact's number; anything else is a bad mobile.
                try:
                    number = clean_phone(part)
                except CellError:
                    raise exc from None
        else:
            number = clean_phone(part)
        if number and number not in numbers:
            numbers.append(number)
    return numbers


# ---------------------------------------------------------------- e-mail
_EMAIL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}")


def clean_email(value: Any) -> str | None:
    """A lower-case e-mail address; "mailto:" and full-width "＠" are accepted."""
    text = clean_text(value)
    if text is None:
        return None
    address = unicodedata.normalize("NFKC", text).strip().lower()
    if address.startswith("mailto:"):
        address = address[len("mailto:") :]
    if len(address) > 200 or not _EMAIL.fullmatch(address) or ".." in address:
        raise CellError(f"邮箱格式不正确：「{text}」")
    return address


# ----------------------------------------------------------------- dates
# Excel's day 0 of the 1900 date system (its phantom 1900-02-29 makes this the right origin after Feb 1900).
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 18264, 73050  # 1950-01-01 … 2099-12-31: anything else is not a business date
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def _from_serial(serial: float, text: str) -> date:
    if not _SERIAL_MIN <= serial <= _SERIAL_MAX:
        raise CellError(f"日期无法识别：「{text}」")
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(value: Any) -> date | None:
    """A calendar date from what Excel and people write.

    Accepted: date/datetime cells, Excel serial numbers (46000 = 2025-12-08),
    "2026/12/1", "2026-12-01", "2026.12.1", "2026年12月1日", "20261201".
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError(f"日期无法识别：「{value}」")
    if isinstance(value, int | float):
        return _from_serial(float(value), shown(value))
    text = clean_text(value)
    if text is None:
        return None
    norm = unicodedata.normalize("NFKC", text).strip().lower()
    m = _YMD.fullmatch(norm)
    if m is None and re.fullmatch(r"\d{8}", norm):
        m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", norm)
    if m is not None:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise CellError(f"日期不存在：「{text}」") from None
    if re.fullmatch(r"\d{5}(?:\.\d+)?", norm):
        return _from_serial(float(norm), text)
    if re.fullmatch(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*月?", norm):
        raise CellError(f"日期缺少“日”：「{text}」（请写成 2026-12-01）")
    raise CellError(f"日期无法识别：「{text}」（可写 2026-12-01、2026/12/1 或 2026年12月1日）")


# --------------------------------------------------------------- amounts
_CENT = Decimal("0.01")
_AMOUNT_UNITS = {"亿": Decimal(100_000_000), "万": Decimal(10_000), "w": Decimal(10_000), "千": Decimal(1_000), "k": Decimal(1_000)}
_AMOUNT = re.compile(r"([+-]?\d+(?:\.\d+)?)(亿|万|w|千|k)?")
_UNDECIDED = {"待定", "未定", "面议", "不详", "未知", "tbd"}


def parse_amount(value: Any, unit: Decimal = Decimal(1)) -> Decimal | None:
    """An amount in yuan: "¥1,234.50", "38万" (= 380000), "1.2亿", "叁拾捌万元整".

    ``unit`` is the column's unit when its header says so ("金额（万元）"); it
    applies to bare numbers only, never to a cell that names its own unit.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(f"金额无法识别：「{value}」")
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value)) * unit
    else:
        text = clean_text(value)
        if text is None:
            return None
        norm = unicodedata.normalize("NFKC", text).lower()
        if norm in _UNDECIDED:
            return None
        body = re.sub(r"[\s,¥$]|rmb|cny|人民币|元整|元|约|左右", "", norm)
        m = _AMOUNT.fullmatch(body)
        if m is not None:
            amount = Decimal(m.group(1)) * (_AMOUNT_UNITS[m.group(2)] if m.group(2) else unit)
        else:
            upper = parse_upper_amount(text)
            if upper is None:
                raise CellError(f"金额无法识别：「{text}」（可写 380000、38万 或 ¥380,000.00）")
            amount = upper
    if amount < 0:
        raise CellError(f"金额不能为负数：「{shown(value)}」")
    if amount >= Decimal("1e12"):
        raise CellError(f"金额过大：「{shown(value)}」")
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def amount_unit_of(header: str) -> Decimal:
    """The unit a header declares: "金额（万元）" → 10000, "金额(元)" → 1."""
    norm = unicodedata.normalize("NFKC", header).lower()
    if re.search(r"[(（\[]\s*(?:单位[:：]?)?\s*(?:万元|万|w)\s*[)）\]]|万元$", norm):
        return Decimal(10_000)
    return Decimal(1)


# ---------------------------------------------------------------- stages
_STAGE_WORDS: dict[Stage, tuple[str, ...]] = {
    Stage.LEAD: (
        "潜在", "潜在客户", "潜在商机", "线索", "销售线索", "初步接触", "初次接触", "接触", "初步沟通", "意向",
        "初步意向", "有意向", "需求挖掘", "新建", "lead", "leads", "prospect", "prospecting", "new",
    ),
    Stage.EVALUATION: (
        "评估", "需求确认", "需求分析", "方案", "方案阶段", "方案报价", "方案制定", "报价", "已报价", "演示", "试用",
        "测试", "样品", "送样", "poc", "技术交流", "选型", "evaluation", "qualification", "qualified", "proposal",
        "quote", "quoted", "demo",
    ),
    Stage.NEGOTIATION: (
        "谈判", "商务谈判", "合同谈判", "价格谈判", "议价", "招投标", "招标", "投标", "签约中", "待签约", "合同审批",
        "negotiation", "negotiating", "closing", "commit",
    ),
    Stage.WON: ("成交", "已成交", "赢单", "赢", "签约", "已签约", "中标", "已中标", "签单", "won", "closedwon", "win"),
    Stage.LOST: (
        "流失", "已流失", "输单", "丢单", "输", "失败", "关闭", "已关闭", "丢失", "放弃", "未中标", "lost", "closedlost",
        "lose",
    ),
}  # fmt: skip
_STAGES = {word: stage for stage, words in _STAGE_WORDS.items() for word in words}


def parse_stage(value: Any) -> Stage | None:
    """The domain stage of a label: 潜在/评估/谈判/成交/流失 and what other CRMs call them.

    "评估（30%）", "Closed Won" and "赢单" are understood; a bare percentage is not
    a stage.
    """
    text = clean_text(value)
    if text is None:
        return None
    norm = unicodedata.normalize("NFKC", text).lower()
    norm = re.sub(r"[(\[【][^)\]】]*[)\]】]|\d+(?:\.\d+)?%|[\s\-_:：,.]|阶段$", "", norm)
    norm = re.sub(r"^\d+[、.]?", "", norm)  # "3.谈判" numbering in some CRMs
    for candidate in (norm, norm.removesuffix("阶段")):
        if candidate in _STAGES:
            return _STAGES[candidate]
        try:
            return Stage(candidate)
        except ValueError:
            pass
    names = "、".join(STAGE_LABELS.values())
    raise CellError(f"无法识别的阶段：「{text}」（可用：{names}，或 初步接触、方案、商务谈判、赢单、输单 等）")


# ---------------------------------------------------------------- levels
def clean_level(value: Any) -> str | None:
    """A customer level: "a", "A类", "A级客户" → "A"; other short labels ("重点") are kept."""
    text = clean_text(value)
    if text is None:
        return None
    norm = unicodedata.normalize("NFKC", text).strip()
    m = re.fullmatch(r"([a-dsA-DS])\s*(?:级|类)?\s*(?:客户)?", norm)
    if m:
        return m.group(1).upper()
    if len(norm) > 8:
        raise CellError(f"客户级别太长：「{text}」（最多 8 个字，如 A、B、C）")
    return norm

