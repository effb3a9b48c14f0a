"""Planning an import: what each row becomes, checked against the file and the database.

Planning reads and never writes, so ``--dry-run`` and the real run share it
and print the same report. The steps:

1. clean every row (``rows.clean_row``); a bad cell rejects its row;
2. group rows into customers (``dedupe.cluster_customers``), existing ones included;
3. check that rows of one customer / contact / opportunity agree with each
   other, and on owner and phone with the database: a disagreement rejects the
   later row with both values named; it is never resolved silently;
4. turn the accepted rows into items: create, update (fill or change a
   field, add aliases) or leave unchanged.

Fields other than owner and phone that differ from the database are updated
(the sheet is the newer word); the owner of an existing customer or
opportunity is never changed by an import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models import STAGE_LABELS, Contact, Customer, CustomerAlias, Opportunity, Stage, User
from domain.names import CompanyKey, company_key
from domain.rules import can_transition
from domain.services.importing.cleaning import CellError, clean_company_name, clean_phone
from domain.services.importing.columns import FIELD_LABELS, Field, ImportKind, Table
from domain.services.importing.dedupe import Cluster, ExistingCustomer, cluster_customers
from domain.services.importing.report import ImportReport, Rejection, ReportLine
from domain.services.importing.rows import CleanRow, UserDirectory, UserRef, clean_row, is_total_row

K = TypeVar("K")
_CHUNK = 500


def _chunks(ids: Sequence[K], size: int = _CHUNK) -> Iterable[Sequence[K]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


@dataclass
class CustomerItem:
    cluster: Cluster
    name: str
    rows: list[int]
    existing: ExistingCustomer | None
    owner_id: int | None = None
    level: str | None = None
    industry: str | None = None
    region: str | None = None
    tags: list[str] = field(default_factory=list)
    new_aliases: list[str] = field(default_factory=list)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # existing customers: field → (before, after)
    id: int | None = None  # known once applied (or existing)

    @property
    def is_new(self) -> bool:
        return self.existing is None


@dataclass
class ContactItem:
    customer: CustomerItem
    name: str
    rows: list[int]
    existing: Contact | None
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    note: str | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class OpportunityItem:
    customer: CustomerItem
    name: str
    rows: list[int]
    existing: Opportunity | None
    owner_id: int
    stage: Stage = Stage.LEAD
    amount: Decimal | None = None
    close_date: date | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # amount / expected_close_date
    new_stage: Stage | None = None  # existing opportunities whose stage moves


@dataclass
class ImportPlan:
    kind: ImportKind
    report: ImportReport
    customers: list[CustomerItem] = field(default_factory=list)
    contacts: list[ContactItem] = field(default_factory=list)
    opportunities: list[OpportunityItem] = field(default_factory=list)


# ----------------------------------------------------------------- loading
def load_users(session: Session) -> UserDirectory:
    return UserDirectory(
        UserRef(u.id, u.key, u.name, u.active, u.wecom_userid, u.dingtalk_userid)
        for u in session.scalars(select(User).order_by(User.id))
    )


def load_existing_customers(session: Session) -> list[ExistingCustomer]:
    """Every customer with its aliases, as plain values (one query each, whatever the size)."""
    customers: dict[int, ExistingCustomer] = {}
    rows = session.execute(
        select(
            Customer.id, Customer.name, Customer.owner_id, Customer.level, Customer.industry, Customer.region, Customer.tags
        ).order_by(Customer.id)
    )
    for cid, name, owner_id, level, industry, region, tags in rows:
        customers[cid] = ExistingCustomer(cid, name, [], owner_id, level, industry, region, list(tags or []))
    for cid, alias in session.execute(select(CustomerAlias.customer_id, CustomerAlias.alias).order_by(CustomerAlias.id)):
        if cid in customers:
            customers[cid].aliases.append(alias)
    return list(customers.values())


def _comparable_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    try:
        return clean_phone(phone)
    except CellError:
        return "".join(ch for ch in phone if ch.isdigit())


def _shown(value: Any) -> str:
    if isinstance(value, UserRef):
        return value.name
    if isinstance(value, Stage):
        return STAGE_LABELS[value]
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


class _Rows:
    """The accepted/rejected state of every clean row."""

    def __init__(self) -> None:
        self.rejected: dict[int, list[str]] = {}

    def reject(self, row: int, reason: str) -> None:
        self.rejected.setdefault(row, []).append(reason)

    def ok(self, row: int) -> bool:
        return row not in self.rejected


def _agree(
    rows: Sequence[CleanRow],
    state: _Rows,
    checks: Sequence[tuple[str, Callable[[CleanRow], Any]]],
    what: str,
) -> None:
    """Reject each later row whose value for a field differs from the first row that gave one."""
    first: dict[str, tuple[Any, int]] = {}
    for r in rows:
        if not state.ok(r.number):
            continue
        problems = []
        for label, get in checks:
            value = get(r)
            if value is None:
                continue
            seen = first.get(label)
            comparable = value.id if isinstance(value, UserRef) else value
            if seen is None:
                first[label] = (value, r.number)
            elif (seen[0].id if isinstance(seen[0], UserRef) else seen[0]) != comparable:
                problems.append(
                    f"{what}的{label}前后不一致：第 {seen[1]} 行为「{_shown(seen[0])}」，此行为「{_shown(value)}」"
                )
        for p in problems:
            state.reject(r.number, p)


# ---------------------------------------------------------------- planning
def plan_import(session: Session, table: Table, *, skip_invalid: bool = False) -> ImportPlan:
    """Everything the import would do, without writing; see the module docstring."""
    return _Planner(session, table, skip_invalid).plan()


class _Planner:
    def __init__(self, session: Session, table: Table, skip_invalid: bool) -> None:
        self.session = session
        self.table = table
        self.kind = table.kind
        self.report = ImportReport(
            table.kind, table.header_row, len(table.rows), table.columns, skip_invalid=skip_invalid
        )
        self.report.warnings.extend(table.warnings)
        self.users = load_users(session)
        self.state = _Rows()
        # In an opportunities sheet the owner column is the opportunity's owner, not the customer's.
        self.owns_customer = table.kind != ImportKind.OPPORTUNITIES
        self.contacts_of: dict[int, dict[str, Contact]] = {}
        self.opps_of: dict[int, dict[str, Opportunity]] = {}

    def plan(self) -> ImportPlan:
        clean, spellings = self._clean()
        clustering = cluster_customers(spellings, load_existing_customers(self.session))
        for row, reason in clustering.ambiguous.items():
            self.state.reject(row, reason)
        by_number = {r.number: r for r in clean}
        groups = [(c, [by_number[n] for n in c.rows if n in by_number]) for c in clustering.clusters]
        self._load_related([c.existing.id for c, _ in groups if c.existing is not None])
        for cluster, rows in groups:
            self._check_customer(cluster, rows)
        contacts = [g for cluster, rows in groups for g in self._check_contacts(cluster, rows)]
        opportunities = (
            [g for cluster, rows in groups for g in self._check_opportunities(cluster, rows)]
            if self.kind == ImportKind.OPPORTUNITIES
            else []
        )
        plan = self._items(groups, contacts, opportunities)
        self.report.rejected = [Rejection(row, tuple(why)) for row, why in sorted(self.state.rejected.items())]
        _describe(plan, self.users)
        return plan

    def _clean(self) -> tuple[list[CleanRow], list[tuple[int, str, CompanyKey]]]:
        """Clean rows, and every row's customer spelling for grouping.

        Rejected rows still take part in grouping by their customer name, so the
        name a customer gets (and the report) does not change when the user
        fixes, say, a phone number in another row.
        """
        clean: list[CleanRow] = []
        spellings: list[tuple[int, str, CompanyKey]] = []
        for src in self.table.rows:
            if is_total_row(src):
                self.report.warnings.append(f"第 {src.number} 行是合计行，已跳过")
                continue
            result = clean_row(src, self.kind, self.users, self.table.amount_unit)
            if isinstance(result, list):
                for reason in result:
                    self.state.reject(src.number, reason)
                try:
                    name = clean_company_name(src.values.get(Field.CUSTOMER))
                except CellError:
                    name = None
                if name is not None:
                    spellings.append((src.number, name, company_key(name)))
                continue
            clean.append(result)
            spellings.append((result.number, result.customer, result.key))
            for why in result.dropped:  # the row still comes in, without the malformed value
                self.report.warnings.append(f"第 {result.number} 行：{why}，已略去该值，其余照常导入")
            if result.owner is not None and not result.owner.active:
                self.report.warnings.append(f"第 {result.number} 行：负责人 {result.owner.name} 已停用")
        return clean, spellings

    def _load_related(self, customer_ids: list[int]) -> None:
        """Contacts (and opportunities) of the existing customers the file names, by name."""
        for chunk in _chunks(customer_ids):
            for contact in self.session.scalars(
                select(Contact).where(Contact.customer_id.in_(chunk)).order_by(Contact.id)
            ):
                self.contacts_of.setdefault(contact.customer_id, {}).setdefault(contact.name, contact)
            if self.kind == ImportKind.OPPORTUNITIES:
                for opp in self.session.scalars(
                    select(Opportunity).where(Opportunity.customer_id.in_(chunk)).order_by(Opportunity.id.desc())
                ):
                    self.opps_of.setdefault(opp.customer_id, {}).setdefault(opp.name, opp)

    def _check_customer(self, cluster: Cluster, rows: list[CleanRow]) -> None:
        """Rows of one customer agree with each other, and on the owner with the database."""
        what = f"客户「{cluster.name()}」"
        checks: list[tuple[str, Callable[[CleanRow], Any]]] = [
            (FIELD_LABELS[Field.LEVEL], lambda r: r.level),
            (FIELD_LABELS[Field.INDUSTRY], lambda r: r.industry),
            (FIELD_LABELS[Field.REGION], lambda r: r.region),
        ]
        ex = cluster.existing
        if self.owns_customer:
            checks.insert(0, (FIELD_LABELS[Field.OWNER], lambda r: r.owner))
            if ex is not None and ex.owner_id is not None:
                current = self.users.by_id.get(ex.owner_id)
                for r in rows:
                    if r.owner is not None and r.owner.id != ex.owner_id:
                        self.state.reject(
                            r.number,
                            f"{what}已有负责人 {current.name if current else '#' + str(ex.owner_id)}，"
                            f"此行为 {r.owner.name}（导入不更换负责人，请在系统中转交）",
                        )
        _agree(rows, self.state, checks, what)

    def _check_contacts(self, cluster: Cluster, rows: list[CleanRow]) -> list[tuple[Cluster, str, list[CleanRow]]]:
        """Rows of one contact agree on phone, e-mail and title; the phone agrees with the database."""
        by_name: dict[str, list[CleanRow]] = {}
        for r in rows:
            if r.contact is not None:
                by_name.setdefault(r.contact.name, []).append(r)
        for name, grows in by_name.items():
            what = f"联系人「{name}」（{cluster.name()}）"
            known = self.contacts_of.get(cluster.existing.id, {}).get(name) if cluster.existing else None
            known_phone = _comparable_phone(known.phone) if known is not None else None
            for r in grows:
                phone = r.contact.phone if r.contact else None
                if known is not None and known_phone and phone and phone != known_phone:
                    self.state.reject(r.number, f"{what}的电话已是 {known.phone}，此行为 {phone}")
            checks: list[tuple[str, Callable[[CleanRow], Any]]] = [
                ("电话", lambda r: r.contact.phone if r.contact else None),
                ("邮箱", lambda r: r.contact.email if r.contact else None),
                ("职务", lambda r: r.contact.title if r.contact else None),
            ]
            _agree(grows, self.state, checks, what)
        return [(cluster, name, grows) for name, grows in by_name.items()]

    def _check_opportunities(
        self, cluster: Cluster, rows: list[CleanRow]
    ) -> list[tuple[Cluster, str, list[CleanRow], int | None]]:
        """Each opportunity has an owner, keeps an existing owner, and moves stage only as the rules allow.

        Rows without a 商机名称 are named after the customer ("X 商机", "X 商机 2"
        in row order), so the same file names them the same way every time.
        """
        ex = cluster.existing
        default_owner = ex.owner_id if ex is not None else None
        if default_owner is None:
            default_owner = next((r.owner.id for r in rows if r.owner and self.state.ok(r.number)), None)
        by_name: dict[str, list[CleanRow]] = {}
        unnamed = 0
        for r in rows:
            if not self.state.ok(r.number) or r.opportunity is None:
                continue
            name = r.opportunity.name
            if name is None:
                unnamed += 1
                name = f"{cluster.name()} 商机" + (f" {unnamed}" if unnamed > 1 else "")
            by_name.setdefault(name, []).append(r)
        for name, grows in by_name.items():
            what = f"商机「{name}」"
            known = self.opps_of.get(ex.id, {}).get(name) if ex is not None else None
            for r in grows:
                owner = r.owner.id if r.owner else (known.owner_id if known else default_owner)
                if owner is None:
                    self.state.reject(r.number, f"{what}没有负责人：请填写负责人列（姓名、账号或企业微信 ID）")
                elif known is not None and r.owner is not None and r.owner.id != known.owner_id:
                    current = self.users.by_id.get(known.owner_id)
                    self.state.reject(
                        r.number,
                        f"{what}已有负责人 {current.name if current else known.owner_id}，此行为 {r.owner.name}"
                        "（导入不更换负责人）",
                    )
                stage = r.opportunity.stage if r.opportunity else None
                if known is not None and stage is not None and stage != Stage(known.stage):
                    current_stage = Stage(known.stage)
                    if not can_transition(current_stage, stage):
                        self.state.reject(
                            r.number,
                            f"{what}不能从「{STAGE_LABELS[current_stage]}」改为「{STAGE_LABELS[stage]}」",
                        )
            checks: list[tuple[str, Callable[[CleanRow], Any]]] = [
                ("负责人", lambda r: r.owner),
                ("阶段", lambda r: r.opportunity.stage if r.opportunity else None),
                ("金额", lambda r: r.opportunity.amount if r.opportunity else None),
                ("预计成交日期", lambda r: r.opportunity.close_date if r.opportunity else None),
            ]
            _agree(grows, self.state, checks, what)
        return [(cluster, name, grows, default_owner) for name, grows in by_name.items()]

    def _items(
        self,
        groups: list[tuple[Cluster, list[CleanRow]]],
        contacts: list[tuple[Cluster, str, list[CleanRow]]],
        opportunities: list[tuple[Cluster, str, list[CleanRow], int | None]],
    ) -> ImportPlan:
        """What to create or update, from the rows that are still accepted after every check."""
        plan = ImportPlan(self.kind, self.report)
        ok = self.state.ok
        items: dict[int, CustomerItem] = {}
        for cluster, rows in groups:
            accepted = [r for r in rows if ok(r.number)]
            if accepted:
                items[id(cluster)] = _customer_item(cluster, accepted, self.owns_customer or cluster.existing is None)
                plan.customers.append(items[id(cluster)])
        for cluster, name, rows in contacts:
            accepted = [r for r in rows if ok(r.number)]
            if accepted:
                known = self.contacts_of.get(cluster.existing.id, {}).get(name) if cluster.existing else None
                plan.contacts.append(_contact_item(items[id(cluster)], name, accepted, known))
        for cluster, name, rows, default_owner in opportunities:
            accepted = [r for r in rows if ok(r.number)]
            if accepted:
                known_opp = self.opps_of.get(cluster.existing.id, {}).get(name) if cluster.existing else None
                plan.opportunities.append(
                    _opportunity_item(items[id(cluster)], name, accepted, known_opp, default_owner)
                )
        plan.customers.sort(key=lambda i: i.rows[0])
        plan.contacts.sort(key=lambda i: i.rows[0])
        plan.opportunities.sort(key=lambda i: i.rows[0])
        return plan


def _first(rows: Sequence[CleanRow], get: Callable[[CleanRow], K | None]) -> K | None:
    return next((v for v in (get(r) for r in rows) if v is not None), None)


def _customer_item(cluster: Cluster, rows: list[CleanRow], may_set_owner: bool) -> CustomerItem:
    ex = cluster.existing
    name = cluster.name()
    owner = _first(rows, lambda r: r.owner)
    item = CustomerItem(
        cluster=cluster,
        name=name,
        rows=[r.number for r in rows],
        existing=ex,
        owner_id=owner.id if owner is not None and may_set_owner else None,
        level=_first(rows, lambda r: r.level),
        industry=_first(rows, lambda r: r.industry),
        region=_first(rows, lambda r: r.region),
        tags=list(dict.fromkeys(t for r in rows for t in r.tags)),
        id=ex.id if ex is not None else None,
    )
    known = {name, *(ex.aliases if ex else [])}
    for spelling in [*(r.customer for r in rows), *(a for r in rows for a in r.aliases)]:
        if spelling not in known:
            known.add(spelling)
            item.new_aliases.append(spelling)
    if ex is not None:
        if item.owner_id is not None and ex.owner_id is None:
            item.changes["owner_id"] = (None, item.owner_id)
        for attr in ("level", "industry", "region"):
            value = getattr(item, attr)
            if value is not None and value != getattr(ex, attr):
                item.changes[attr] = (getattr(ex, attr), value)
        added = [t for t in item.tags if t not in ex.tags]
        if added:
            item.changes["tags"] = (list(ex.tags), [*ex.tags, *added])
    return item


def _contact_item(customer: CustomerItem, name: str, rows: list[CleanRow], known: Contact | None) -> ContactItem:
    contacts = [r.contact for r in rows if r.contact is not None]
    others = list(dict.fromkeys(p for c in contacts for p in c.other_phones))
    item = ContactItem(
        customer=customer,
        name=name,
        rows=[r.number for r in rows],
        existing=known,
        title=next((c.title for c in contacts if c.title), None),
        phone=next((c.phone for c in contacts if c.phone), None),
        email=next((c.email for c in contacts if c.email), None),
        note=("其他电话：" + "、".join(others)) if others else None,
    )
    if known is not None:
        if item.title and item.title != known.title:
            item.changes["title"] = (known.title, item.title)
        if item.phone and not known.phone:
            item.changes["phone"] = (None, item.phone)
        if item.email and item.email != known.email:
            item.changes["email"] = (known.email, item.email)
        if item.note and not known.note:
            item.changes["note"] = (None, item.note)
    return item


def _opportunity_item(
    customer: CustomerItem,
    name: str,
    rows: list[CleanRow],
    known: Opportunity | None,
    default_owner: int | None,
) -> OpportunityItem:
    opps = [r.opportunity for r in rows if r.opportunity is not None]
    owner = _first(rows, lambda r: r.owner)
    owner_id = owner.id if owner else (known.owner_id if known else default_owner)
    assert owner_id is not None  # rows without one were rejected
    item = OpportunityItem(
        customer=customer,
        name=name,
        rows=[r.number for r in rows],
        existing=known,
        owner_id=owner_id,
        stage=next((o.stage for o in opps if o.stage), Stage.LEAD),
        amount=next((o.amount for o in opps if o.amount is not None), None),
        close_date=next((o.close_date for o in opps if o.close_date), None),
    )
    if known is not None:
        stage = next((o.stage for o in opps if o.stage), None)
        if stage is not None and stage != Stage(known.stage):
            item.new_stage = stage
        if item.amount is not None and (known.amount is None or Decimal(known.amount) != item.amount):
            item.changes["amount"] = (known.amount, item.amount)
        if item.close_date is not None and item.close_date != known.expected_close_date:
            item.changes["expected_close_date"] = (known.expected_close_date, item.close_date)
    return item


# ------------------------------------------------------------------ report
_CHANGE_LABELS = {
    "owner_id": "负责人",
    "level": "级别",
    "industry": "行业",
    "region": "地区",
    "tags": "标签",
    "title": "职务",
    "phone": "电话",
    "email": "邮箱",
    "note": "备注",
    "amount": "金额",
    "expected_close_date": "预计成交日期",
}


def _value(key: str, value: Any, users: UserDirectory) -> str:
    if value is None or value == []:
        return "空"
    if key == "owner_id":
        user = users.by_id.get(value)
        return user.name if user else f"#{value}"
    if key == "tags":
        return "、".join(value)
    if isinstance(value, Decimal):
        return f"¥{value:,.2f}"
    return str(value)


def _changes(changes: dict[str, tuple[Any, Any]], users: UserDirectory) -> list[str]:
    return [
        f"{_CHANGE_LABELS[k]} {_value(k, before, users)} → {_value(k, after, users)}" for k, (before, after) in changes.items()
    ]


def _describe(plan: ImportPlan, users: UserDirectory) -> None:
    report = plan.report
    for c in plan.customers:
        rows = tuple(c.rows)
        accepted = set(rows)
        for spelling in c.cluster.spellings:
            if spelling == c.name:
                continue
            spelling_rows = tuple(n for n in c.cluster.spellings[spelling] if n in accepted)
            if not spelling_rows:
                continue
            how = "简称" if spelling in c.cluster.via_short_name else "同一客户的不同写法"
            if c.existing is not None and spelling in c.existing.aliases:
                how = "已有别名"
            target = c.name if c.is_new else f"已有客户 {c.name}"
            report.merged.append(ReportLine(spelling_rows, f"「{spelling}」→ {target}（{how}）"))
        if c.is_new:
            extra = []
            if c.owner_id is not None:
                extra.append(f"负责人 {_value('owner_id', c.owner_id, users)}")
            if c.new_aliases:
                extra.append("别名 " + "、".join(c.new_aliases))
            report.customers.created.append(ReportLine(rows, c.name + (f"：{'；'.join(extra)}" if extra else "")))
        elif c.changes or c.new_aliases:
            parts = _changes(c.changes, users)
            if c.new_aliases:
                parts.append("新增别名 " + "、".join(c.new_aliases))
            report.customers.updated.append(ReportLine(rows, f"{c.name}：{'；'.join(parts)}"))
        else:
            report.customers.unchanged += 1
    for ct in plan.contacts:
        label = f"{ct.customer.name} / {ct.name}"
        if ct.existing is None:
            details = "，".join(x for x in (ct.title, ct.phone, ct.email) if x)
            report.contacts.created.append(ReportLine(tuple(ct.rows), label + (f"：{details}" if details else "")))
        elif ct.changes:
            report.contacts.updated.append(ReportLine(tuple(ct.rows), f"{label}：{'；'.join(_changes(ct.changes, users))}"))
        else:
            report.contacts.unchanged += 1
    for o in plan.opportunities:
        label = f"{o.customer.name} / {o.name}"
        if o.existing is None:
            facts = [STAGE_LABELS[o.stage], f"负责人 {_value('owner_id', o.owner_id, users)}"]
            if o.amount is not None:
                facts.append(_value("amount", o.amount, users))
            if o.close_date is not None:
                facts.append(f"预计 {o.close_date.isoformat()} 成交")
            report.opportunities.created.append(ReportLine(tuple(o.rows), f"{label}：{'，'.join(facts)}"))
        elif o.changes or o.new_stage is not None:
            parts = _changes(o.changes, users)
            if o.new_stage is not None:
                parts.insert(0, f"阶段 {STAGE_LABELS[Stage(o.existing.stage)]} → {STAGE_LABELS[o.new_stage]}")
            report.opportunities.updated.append(ReportLine(tuple(o.rows), f"{label}：{'；'.join(parts)}"))
        else:
            report.opportunities.unchanged += 1
