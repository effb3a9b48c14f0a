"""One source row → the clean values it carries, or every reason it cannot be used.

Pure: the row, the sheet's unit for amounts and the list of users in; no
database. Reasons are collected for the whole row at once, so a user fixes a
row in one pass.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from domain.models import Stage
from domain.names import CompanyKey, company_key
from domain.services.importing.cleaning import (
    CellError,
    clean_company_name,
    clean_email,
    clean_level,
    clean_person_name,
    clean_text,
    parse_amount,
    parse_date,
    parse_stage,
    split_list,
    split_phones,
)
from domain.services.importing.columns import Field, ImportKind, SourceRow


@dataclass(frozen=True)
class UserRef:
    """A user as an owner column may name them."""

    id: int
    key: str
    name: str
    active: bool = True
    wecom_userid: str | None = None
    dingtalk_userid: str | None = None


class UserDirectory:
    """Owners by name, user key or platform id (企业微信 / 钉钉 userid)."""

    def __init__(self, users: Iterable[UserRef]) -> None:
        self.by_id: dict[int, UserRef] = {}
        self._names: dict[str, list[UserRef]] = {}
        self._ids: dict[str, UserRef] = {}
        for u in users:
            self.by_id[u.id] = u
            self._names.setdefault(u.name.strip(), []).append(u)
        for u in self.by_id.values():
            for ident in (u.key, u.wecom_userid, u.dingtalk_userid):
                if ident:
                    self._ids.setdefault(ident.strip().lower(), u)

    def resolve(self, text: str) -> UserRef:
        name = unicodedata.normalize("NFKC", text).strip()
        found = self._names.get(name, [])
        if len(found) > 1:
            active = [u for u in found if u.active]
            if len(active) != 1:
                raise CellError(f"负责人「{name}」有重名，请改写为账号（如 {found[0].key}）")
            return active[0]
        if found:
            return found[0]
        by_id = self._ids.get(name.lower())
        if by_id is not None:
            return by_id
        raise CellError(f"找不到负责人「{name}」（可写姓名、账号或企业微信/钉钉 ID）")


@dataclass
class ContactValues:
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    other_phones: list[str] = field(default_factory=list)


@dataclass
class OpportunityValues:
    name: str | None
    stage: Stage | None
    amount: Decimal | None
    close_date: date | None


@dataclass
class CleanRow:
    number: int
    customer: str  # the spelling in this row, display-cleaned
    key: CompanyKey
    aliases: list[str] = field(default_factory=list)
    owner: UserRef | None = None
    level: str | None = None
    industry: str | None = None
    region: str | None = None
    tags: list[str] = field(default_factory=list)
    contact: ContactValues | None = None
    opportunity: OpportunityValues | None = None
    dropped: list[str] = field(default_factory=list)  # malformed optional values left out, with why


T = TypeVar("T")
_TOTAL_ROW = re.compile(r"(?:合计|总计|小计|总额|total|sum)[:：]?", re.IGNORECASE)


def is_total_row(row: SourceRow) -> bool:
    """A "合计" row under the data (Excel users add them); it is no customer."""
    name = clean_text(row.values.get(Field.CUSTOMER))
    return name is not None and _TOTAL_ROW.fullmatch(name.replace(" ", "")) is not None


def clean_row(
    row: SourceRow, kind: ImportKind, users: UserDirectory, amount_unit: Decimal = Decimal(1)
) -> CleanRow | list[str]:
    """The row's clean values, or the list of reasons (in Chinese) why it is rejected."""
    problems: list[str] = []
    v = row.values

    def attempt(fn: Callable[..., T], *args: Any) -> T | None:
        try:
            return fn(*args)
        except CellError as exc:
            problems.append(exc.message)
            return None

    dropped: list[str] = []

    def optional(fn: Callable[..., T], *args: Any) -> T | None:
        """A value the row can do without (a phone, an e-mail, a date…): a malformed one is
        left out with a warning, and the row — its customer above all — still comes in."""
        try:
            return fn(*args)
        except CellError as exc:
            dropped.append(exc.message)
            return None

    name = attempt(clean_company_name, v.get(Field.CUSTOMER))
    if name is None and not problems:
        problems.append("缺少客户名称")
    owner_text = clean_text(v.get(Field.OWNER))
    # An opportunity needs its owner; a customer or contact can come in without one.
    owner_check = attempt if kind == ImportKind.OPPORTUNITIES else optional
    owner = owner_check(users.resolve, owner_text) if owner_text else None
    aliases = [a for a in (optional(clean_company_name, x) for x in split_list(v.get(Field.ALIASES))) if a]
    level = optional(clean_level, v.get(Field.LEVEL))
    industry = optional(clean_text, v.get(Field.INDUSTRY), 100, "行业")
    region = optional(clean_text, v.get(Field.REGION), 100, "地区")
    tags = split_list(v.get(Field.TAGS))

    contact: ContactValues | None = None
    person = optional(clean_person_name, v.get(Field.CONTACT))
    title = optional(clean_text, v.get(Field.TITLE), 100, "职务")
    mobiles = optional(split_phones, v.get(Field.MOBILE), True) or []
    phones = optional(split_phones, v.get(Field.PHONE), False) or []
    email = optional(clean_email, v.get(Field.EMAIL))
    numbers = list(dict.fromkeys([*mobiles, *phones]))
    if person is not None:
        contact_name, bracket_title = person
        contact = ContactValues(contact_name, title or bracket_title, numbers[0] if numbers else None, email, numbers[1:])
    elif kind == ImportKind.CONTACTS:
        problems.append("缺少联系人姓名")
    elif numbers or email or title:
        dropped.append("填写了电话、邮箱或职务，但没有联系人姓名，这些联系方式未导入")

    opportunity: OpportunityValues | None = None
    if kind == ImportKind.OPPORTUNITIES:
        opp_name = optional(clean_text, v.get(Field.OPPORTUNITY), 200, "商机名称")
        stage = optional(parse_stage, v.get(Field.STAGE))
        amount = optional(parse_amount, v.get(Field.AMOUNT), amount_unit)
        close_date = optional(parse_date, v.get(Field.CLOSE_DATE))
        opportunity = OpportunityValues(opp_name, stage, amount, close_date)

    if problems or name is None:
        return problems + dropped  # rejected anyway: say everything that is wrong with it
    return CleanRow(
        number=row.number,
        customer=name,
        key=company_key(name),
        aliases=[a for a in aliases if a != name],
        owner=owner,
        level=level,
        industry=industry,
        region=region,
        tags=tags,
        contact=contact,
        opportunity=opportunity,
        dropped=dropped,
    )
