"""Which column is which: headers in Chinese or English, found wherever the header row is.

A sheet reaches the domain as a grid of plain cell values (``bot/importing``
reads the file, fills merged cells and numbers the rows as Excel does). Real
sheets have a title row above the header, a two-row header ("联系人" merged over
"姓名 / 手机 / 邮箱"), "*" marking required columns and units in brackets, so
the header row is the one among the first rows whose cells name the most
known fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.errors import DomainError
from domain.services.importing.cleaning import amount_unit_of


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (unreadable, no header, unknown sheet)."""

    code = "import_file_error"


class ImportKind(StrEnum):
    CUSTOMERS = "customers"
    CONTACTS = "contacts"
    OPPORTUNITIES = "opportunities"


KIND_LABELS = {ImportKind.CUSTOMERS: "客户", ImportKind.CONTACTS: "联系人", ImportKind.OPPORTUNITIES: "商机"}


class Field(StrEnum):
    CUSTOMER = "customer"
    ALIASES = "aliases"
    OWNER = "owner"
    LEVEL = "level"
    INDUSTRY = "industry"
    REGION = "region"
    TAGS = "tags"
    CONTACT = "contact"
    TITLE = "title"
    MOBILE = "mobile"
    PHONE = "phone"
    EMAIL = "email"
    OPPORTUNITY = "opportunity"
    STAGE = "stage"
    AMOUNT = "amount"
    CLOSE_DATE = "close_date"


FIELD_LABELS = {
    Field.CUSTOMER: "客户名称",
    Field.ALIASES: "别名",
    Field.OWNER: "负责人",
    Field.LEVEL: "级别",
    Field.INDUSTRY: "行业",
    Field.REGION: "地区",
    Field.TAGS: "标签",
    Field.CONTACT: "联系人",
    Field.TITLE: "职务",
    Field.MOBILE: "手机",
    Field.PHONE: "电话",
    Field.EMAIL: "邮箱",
    Field.OPPORTUNITY: "商机名称",
    Field.STAGE: "阶段",
    Field.AMOUNT: "金额",
    Field.CLOSE_DATE: "预计成交日期",
}

# Header spellings, compared after ``header_key`` (lower case; no spaces, "*", "-", units or numbering).
HEADERS: dict[Field, tuple[str, ...]] = {
    Field.CUSTOMER: (
        "客户名称", "客户", "客户全称", "客户名", "公司名称", "公司", "公司全称", "企业名称", "企业", "单位名称", "单位",
        "客户公司", "customer", "customername", "company", "companyname", "account", "accountname", "client",
        "clientname",
    ),
    Field.ALIASES: ("别名", "简称", "客户简称", "公司简称", "客户别名", "alias", "aliases", "shortname"),
    Field.OWNER: (
        "负责人", "销售", "销售负责人", "客户负责人", "商机负责人", "跟进人", "跟进销售", "业务员", "所属销售", "销售代表",
        "客户经理", "销售人员", "归属人", "owner", "salesrep", "sales", "salesperson", "rep", "accountowner",
        "dealowner",
    ),
    Field.LEVEL: ("级别", "客户级别", "等级", "客户等级", "分级", "客户分级", "level", "tier", "grade", "rating"),
    Field.INDUSTRY: ("行业", "所属行业", "客户行业", "industry", "sector"),
    Field.REGION: (
        "地区", "区域", "所在地区", "所属区域", "所属地区", "所在地", "省份", "城市", "所在城市", "省市", "region",
        "area", "city", "province", "location",
    ),
    Field.TAGS: ("标签", "客户标签", "tags", "tag", "labels"),
    Field.CONTACT: (
        "联系人", "联系人姓名", "联系人名称", "联系人名字", "姓名", "contact", "contactname", "contactperson",
    ),
    Field.TITLE: ("职务", "职位", "岗位", "头衔", "联系人职务", "联系人职位", "title", "position", "jobtitle"),
    Field.MOBILE: (
        "手机", "手机号", "手机号码", "移动电话", "联系人手机", "联系手机", "联系人手机号", "mobile", "mobilephone",
        "cell", "cellphone",
    ),
    Field.PHONE: (
        "电话", "联系电话", "电话号码", "座机", "固话", "办公电话", "联系方式", "联系人电话", "phone", "tel",
        "telephone", "phonenumber",
    ),
    Field.EMAIL: (
        "邮箱", "电子邮箱", "邮件", "电子邮件", "邮箱地址", "联系人邮箱", "email", "mail", "emailaddress",
    ),
    Field.OPPORTUNITY: (
        "商机名称", "商机", "项目名称", "项目", "机会名称", "销售机会", "opportunity", "opportunityname", "deal",
        "dealname", "project", "projectname",
    ),
    Field.STAGE: (
        "阶段", "商机阶段", "销售阶段", "项目阶段", "进展", "状态", "商机状态", "stage", "salesstage", "dealstage",
        "status",
    ),
    Field.AMOUNT: (
        "金额", "预计金额", "商机金额", "合同金额", "项目金额", "预算", "预估金额", "成交金额", "amount", "value",
        "dealvalue", "expectedamount", "budget",
    ),
    Field.CLOSE_DATE: (
        "预计成交日期", "预计成交时间", "预计签约日期", "预计签约时间", "预计签单日期", "成交日期", "预计结单日期",
        "预计成交", "签约日期", "结单日期", "closedate", "expectedclosedate", "closingdate", "expectedclose",
    ),
}  # fmt: skip

CUSTOMER_FIELDS = (Field.CUSTOMER, Field.ALIASES, Field.OWNER, Field.LEVEL, Field.INDUSTRY, Field.REGION, Field.TAGS)
CONTACT_FIELDS = (Field.CONTACT, Field.TITLE, Field.MOBILE, Field.PHONE, Field.EMAIL)
OPPORTUNITY_FIELDS = (Field.OPPORTUNITY, Field.STAGE, Field.AMOUNT, Field.CLOSE_DATE)

KIND_FIELDS: dict[ImportKind, tuple[Field, ...]] = {
    ImportKind.CUSTOMERS: CUSTOMER_FIELDS + CONTACT_FIELDS,
    ImportKind.CONTACTS: CUSTOMER_FIELDS + CONTACT_FIELDS,
    ImportKind.OPPORTUNITIES: CUSTOMER_FIELDS + CONTACT_FIELDS + OPPORTUNITY_FIELDS,
}
REQUIRED: dict[ImportKind, tuple[Field, ...]] = {
    ImportKind.CUSTOMERS: (Field.CUSTOMER,),
    ImportKind.CONTACTS: (Field.CUSTOMER, Field.CONTACT),
    ImportKind.OPPORTUNITIES: (Field.CUSTOMER,),
}

_OPTIONAL_MARKS = re.compile(r"[(\[（【](?:必填|选填|可选|非必填|required|optional)[)\]）】]")
_BRACKETS = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
_HEADER_NOISE = re.compile(r"[\s*＊※:：_\-.·/\\]+")


def header_key(text: str) -> str:
    """The comparable form of a header: "* 客户名称（必填）" → "客户名称", "E-mail" → "email"."""
    norm = unicodedata.normalize("NFKC", text).lower()
    norm = _OPTIONAL_MARKS.sub("", norm)
    norm = _BRACKETS.sub("", norm)
    norm = _HEADER_NOISE.sub("", norm)
    return norm.rstrip("0123456789")


_BY_KEY = {header_key(h): f for f, headers in HEADERS.items() for h in headers}


def match_header(text: str) -> Field | None:
    """The field a header names, or None."""
    return _BY_KEY.get(header_key(text))


@dataclass(frozen=True)
class Column:
    index: int
    header: str  # as the user wrote it (both header rows joined with "/" for a two-row header)
    field: Field | None


@dataclass(frozen=True)
class SourceRow:
    """One data row: its number as Excel shows it, and its cells by field."""

    number: int
    values: Mapping[Field, Any]


@dataclass
class Table:
    """A sheet with its columns resolved, ready for cleaning."""

    kind: ImportKind
    header_row: int
    columns: list[Column]
    rows: list[SourceRow]
    amount_unit: Decimal = Decimal(1)
    warnings: list[str] = field(default_factory=list)

    @property
    def fields(self) -> set[Field]:
        return {c.field for c in self.columns if c.field is not None}

    @property
    def ignored(self) -> list[str]:
        return [c.header for c in self.columns if c.field is None and c.header]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _resolve(
    kind: ImportKind, above: Sequence[Any] | None, row: Sequence[Any], owner_column: str | None
) -> tuple[list[Column], list[str]]:
    """Columns of a candidate header row (with the row above it for two-row headers)."""
    allowed = KIND_FIELDS[kind]
    columns: list[Column] = []
    taken: dict[Field, str] = {}
    notes: list[str] = []
    owner_key = header_key(owner_column) if owner_column else None
    for index, cell in enumerate(row):
        child = _text(cell)
        parent = _text(above[index]) if above is not None and index < len(above) else ""
        if not child and not parent:
            continue
        candidates: list[tuple[str, str]] = []
        if parent and child and parent != child:
            candidates.append((parent + child, f"{parent}/{child}"))
        candidates.append((child or parent, child or parent))
        found: Field | None = None
        header = candidates[-1][1]
        for text, label in candidates:
            if owner_key is not None and owner_key in (header_key(text), header_key(label)):
                found, header = Field.OWNER, label
                break
            f = match_header(text)
            if f is Field.OWNER and owner_key is not None:
                f = None  # another column was named the owner column
            if f is not None and f in allowed:
                found, header = f, label
                break
        if found is not None and found in taken:
            notes.append(f"「{header}」与「{taken[found]}」都是{FIELD_LABELS[found]}列，只使用前者")
            found = None
        if found is not None:
            taken[found] = header
        columns.append(Column(index, header, found))
    return columns, notes


def read_table(
    grid: Sequence[Sequence[Any]],
    kind: ImportKind,
    *,
    owner_column: str | None = None,
    first_row_number: int = 1,
    scan_rows: int = 15,
) -> Table:
    """Find the header among the first rows, map its columns to fields and collect the data rows.

    ``grid[i]`` is spreadsheet row ``first_row_number + i``. Blank rows are
    skipped (their numbers are kept for the others). Raises ``ImportFileError``
    when no row names the kind's required columns.
    """
    best: tuple[int, int, list[Column], list[str]] | None = None
    for i in range(min(len(grid), scan_rows)):
        if all(_is_blank(v) for v in grid[i]):
            continue
        above = grid[i - 1] if i > 0 else None
        columns, notes = _resolve(kind, above, grid[i], owner_column)
        score = sum(1 for c in columns if c.field is not None)
        if score and (best is None or score > best[1]):
            best = (i, score, columns, notes)
    required = REQUIRED[kind]
    if best is None or any(f not in {c.field for c in best[2]} for f in required):
        missing = [f for f in required if best is None or f not in {c.field for c in best[2]}]
        hints = "；".join(f"{FIELD_LABELS[f]}（可写作：{'、'.join(HEADERS[f][:6])}）" for f in missing)
        raise ImportFileError(f"找不到必需的列：{hints}。请检查表头是否在前 {scan_rows} 行内。")
    if owner_column and not any(c.field == Field.OWNER for c in best[2]):
        raise ImportFileError(f"找不到负责人列「{owner_column}」")
    index, _, columns, notes = best
    mapped = [(c.index, c.field) for c in columns if c.field is not None]
    rows: list[SourceRow] = []
    for offset, raw in enumerate(grid[index + 1 :], start=index + 1):
        values: dict[Field, Any] = {}
        for col, f in mapped:
            if col < len(raw) and not _is_blank(raw[col]):
                values[f] = raw[col]
        if values:
            rows.append(SourceRow(first_row_number + offset, values))
    amount_headers = [c.header for c in columns if c.field == Field.AMOUNT]
    unit = amount_unit_of(amount_headers[0]) if amount_headers else Decimal(1)
    table = Table(kind, first_row_number + index, columns, rows, unit, notes)
    if table.ignored:
        table.warnings.append("已忽略的列：" + "、".join(table.ignored))
    return table


def table_from_records(
    records: Sequence[Mapping[str, Any]], kind: ImportKind, *, owner_column: str | None = None
) -> Table:
    """The same from a list of dicts (header → value); row numbers as if the header were row 1."""
    headers: list[str] = []
    for record in records:
        for key in record:
            if key not in headers:
                headers.append(key)
    grid: list[list[Any]] = [list(headers)]
    grid += [[record.get(h) for h in headers] for record in records]
    return read_table(grid, kind, owner_column=owner_column)
