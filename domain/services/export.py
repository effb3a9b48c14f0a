"""Tabular exports of every record kind, for Excel and for scripts.

Each export is a list of columns (key, Chinese header) and rows of JSON-safe
values: times in Asia/Shanghai ISO-8601, customers by full name, stages and
statuses by their Chinese labels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models import (
    CUSTOMER_STATUS_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    ApprovalFlow,
    Contact,
    Contract,
    Customer,
    CustomerStatus,
    Opportunity,
    Quote,
    Role,
    Stage,
    User,
    Visit,
)
from domain.snapshot import jsonable

Row = dict[str, Any]


@dataclass(frozen=True)
class Export:
    columns: list[tuple[str, str]]  # (key, header)
    rows: Iterator[Row]


def _names(s: Session) -> tuple[dict[int, str], dict[int, str]]:
    users = {u.id: u.name for u in s.scalars(select(User))}
    customers = {c.id: c.name for c in s.scalars(select(Customer))}
    return users, customers


def _customers(s: Session) -> Export:
    users, _ = _names(s)
    cols = [
        ("id", "编号"),
        ("name", "客户名称"),
        ("aliases", "别名"),
        ("level", "级别"),
        ("tags", "标签"),
        ("owner", "负责人"),
        ("status", "状态"),
        ("created_at", "创建时间"),
        ("last_interaction_at", "最近互动"),
    ]

    def rows() -> Iterator[Row]:
        for c in s.scalars(select(Customer).order_by(Customer.id)):
            yield {
                "id": c.id,
                "name": c.name,
                "aliases": "、".join(a.alias for a in c.aliases),
                "level": c.level or "",
                "tags": "、".join(c.tags or []),
                "owner": users.get(c.owner_id or 0, ""),
                "status": CUSTOMER_STATUS_LABELS[CustomerStatus(c.status)],
                "created_at": jsonable(c.created_at),
                "last_interaction_at": jsonable(c.last_interaction_at) or "",
            }

    return Export(cols, rows())


def _contacts(s: Session) -> Export:
    _, customers = _names(s)
    cols = [("id", "编号"), ("customer", "客户"), ("name", "姓名"), ("title", "职务"), ("phone", "电话")]

    def rows() -> Iterator[Row]:
        for c in s.scalars(select(Contact).order_by(Contact.id)):
            yield {
                "id": c.id,
                "customer": customers.get(c.customer_id, ""),
                "name": c.name,
                "title": c.title or "",
                "phone": c.phone or "",
            }

    return Export(cols, rows())


def _opportunities(s: Session) -> Export:
    users, customers = _names(s)
    cols = [
        ("id", "编号"),
        ("customer", "客户"),
        ("name", "商机名称"),
        ("stage", "阶段"),
        ("amount", "金额"),
        ("expected_close_date", "预计成交日期"),
        ("owner", "负责人"),
        ("created_at", "创建时间"),
        ("last_touched_at", "最近跟进"),
    ]

    def rows() -> Iterator[Row]:
        for o in s.scalars(select(Opportunity).order_by(Opportunity.id)):
            yield {
                "id": o.id,
                "customer": customers.get(o.customer_id, ""),
                "name": o.name,
                "stage": STAGE_LABELS[Stage(o.stage)],
                "amount": jsonable(o.amount) if o.amount is not None else "",
                "expected_close_date": jsonable(o.expected_close_date) or "",
                "owner": users.get(o.owner_id, ""),
                "created_at": jsonable(o.created_at),
                "last_touched_at": jsonable(o.last_touched_at),
            }

    return Export(cols, rows())


def _visits(s: Session) -> Export:
    users, customers = _names(s)
    contacts = {c.id: c for c in s.scalars(select(Contact))}
    cols = [
        ("id", "编号"),
        ("visited_at", "拜访时间"),
        ("customer", "客户"),
        ("contact", "联系人"),
        ("rep", "销售"),
        ("location", "地点"),
        ("summary", "内容"),
        ("next_step", "下一步"),
        ("next_follow_up", "下次跟进"),
        ("source_text", "原始消息"),
    ]

    def rows() -> Iterator[Row]:
        for v in s.scalars(select(Visit).order_by(Visit.visited_at, Visit.id)):
            contact = contacts.get(v.contact_id or 0)
            yield {
                "id": v.id,
                "visited_at": jsonable(v.visited_at),
                "customer": customers.get(v.customer_id or 0, ""),
                "contact": f"{contact.name}{'（' + contact.title + '）' if contact.title else ''}"
                if contact
                else "",
                "rep": users.get(v.rep_id, ""),
                "location": v.location_label or (f"{v.lat},{v.lng}" if v.lat is not None else ""),
                "summary": v.summary or "",
                "next_step": v.next_step or "",
                "next_follow_up": jsonable(v.next_follow_up) or "",
                "source_text": v.source_text or "",
            }

    return Export(cols, rows())


def _quotes(s: Session) -> Export:
    users, customers = _names(s)
    cols = [
        ("id", "编号"),
        ("number", "报价单号"),
        ("customer", "客户"),
        ("rep", "销售"),
        ("quote_date", "报价日期"),
        ("total", "合计"),
        ("total_uppercase", "大写"),
        ("status", "状态"),
        ("created_at", "创建时间"),
    ]
    labels = {"draft": "待确认", "confirmed": "已确认", "void": "已作废"}

    def rows() -> Iterator[Row]:
        for q in s.scalars(select(Quote).order_by(Quote.id)):
            yield {
                "id": q.id,
                "number": q.number or "",
                "customer": customers.get(q.customer_id or 0, ""),
                "rep": users.get(q.rep_id, ""),
                "quote_date": jsonable(q.quote_date) or "",
                "total": jsonable(q.total) if q.total is not None else "",
                "total_uppercase": q.total_uppercase or "",
                "status": labels.get(q.status, q.status),
                "created_at": jsonable(q.created_at),
            }

    return Export(cols, rows())


def _contracts(s: Session) -> Export:
    users, customers = _names(s)
    cols = [
        ("id", "编号"),
        ("customer", "客户"),
        ("amount", "金额"),
        ("submitter", "提交人"),
        ("status", "状态"),
        ("created_at", "提交时间"),
    ]
    labels = {"submitted": "审批中", "approved": "已批准", "rejected": "已驳回"}

    def rows() -> Iterator[Row]:
        for c in s.scalars(select(Contract).order_by(Contract.id)):
            yield {
                "id": c.id,
                "customer": customers.get(c.customer_id, ""),
                "amount": jsonable(c.amount),
                "submitter": users.get(c.submitter_id, ""),
                "status": labels.get(c.status, c.status),
                "created_at": jsonable(c.created_at),
            }

    return Export(cols, rows())


def _approvals(s: Session) -> Export:
    users, customers = _names(s)
    cols = [
        ("flow_id", "审批编号"),
        ("contract_id", "合同编号"),
        ("customer", "客户"),
        ("rule", "规则"),
        ("step", "步骤"),
        ("assignee", "审批人"),
        ("status", "状态"),
        ("decided_by", "处理人"),  # who actually decided: a delegate, or the manager after escalation
        ("decided_at", "处理时间"),
        ("comment", "意见"),
    ]

    def rows() -> Iterator[Row]:
        for f in s.scalars(select(ApprovalFlow).order_by(ApprovalFlow.id)):
            for st in f.steps:
                yield {
                    "flow_id": f.id,
                    "contract_id": f.contract_id,
                    "customer": customers.get(f.contract.customer_id, ""),
                    "rule": f"{f.rule_name} v{f.rule_version}",
                    "step": st.label,
                    "assignee": users.get(st.assignee_id or 0, ""),
                    "status": st.status,
                    "decided_by": users.get(st.decided_by_id or 0, ""),
                    "decided_at": jsonable(st.decided_at) or "",
                    "comment": st.comment or "",
                }

    return Export(cols, rows())


def _audit(session: Session) -> Export:
    from domain.services.audit_trail import export_rows

    result: Export = export_rows(session)
    return result


EXPORTS: dict[str, Callable[[Session], Export]] = {
    "customers": _customers,
    "contacts": _contacts,
    "opportunities": _opportunities,
    "visits": _visits,
    "quotes": _quotes,
    "contracts": _contracts,
    "approvals": _approvals,
    "audit": _audit,  # domain/services/audit_trail.py
}


def export(session: Session, kind: str) -> Export:
    if kind not in EXPORTS:
        raise ValueError(f"unknown export {kind!r}; choose one of {', '.join(EXPORTS)}")
    return EXPORTS[kind](session)


def role_label(role: str) -> str:
    return ROLE_LABELS.get(Role(role), role)
