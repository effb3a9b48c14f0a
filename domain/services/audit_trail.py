"""The audit trail, readable: who changed what, when, from what to what — per customer, contract or person.

Every change is already recorded in ``audit_log`` by the unit of work (actor,
time, cause, before/after). This module answers the questions people ask of it:
"what happened to 苏州精工" (the customer and its visits, opportunities, quotes,
contracts and their approvals), "what happened to contract HT-…", "what did 张伟
do", in a bounded number of queries whatever the size of the log. ``salesbot
audit`` and ``salesbot export audit`` print it; the H5 pages show the part a
viewer may see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from domain.models import (
    ApprovalFlow,
    ApprovalStep,
    AuditEntry,
    Contract,
    Opportunity,
    Quote,
    User,
    Visit,
)

ENTITY_LABELS = {
    "customer": "客户",
    "contact": "联系人",
    "visit": "拜访",
    "opportunity": "商机",
    "quote": "报价单",
    "contract": "合同",
    "approval_flow": "审批",
    "approval_step": "审批步骤",
    "user": "人员",
    "team": "团队",
    "delegation": "委托",
    "approval_rule_set": "审批规则",
    "webhook_endpoint": "ERP 接口",
    "event": "ERP 事件",
    "work_calendar": "工作日历",
}

ACTION_LABELS = {
    "create": "新建",
    "update": "修改",
    "undo": "撤销",
    "stage": "阶段变更",
    "wake": "唤醒",
    "dormant": "标记休眠",
    "add_alias": "添加别名",
    "draft": "识别草稿",
    "confirm": "确认",
    "correct": "更正",
    "void": "作废",
    "submit": "提交",
    "approve": "同意",
    "reject": "驳回",
    "approved": "已批准",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
    "withdraw": "撤回",
    "escalate": "超时升级",
    "nudge": "催办",
    "revoke": "取消",
    "sync": "同步",
    "deactivate": "停用",
    "chat": "设置群聊",
    "activate": "启用",
    "load": "载入",
    "publish": "发送",
    "add": "添加",
    "start": "发起",
}

HIDDEN_FIELDS = {"version", "normalized_name", "managed_by_file"}


@dataclass(frozen=True)
class TrailEntry:
    at: datetime
    actor: str
    action: str  # e.g. 拜访 · 修改
    entity: str  # e.g. 拜访 #12
    changes: list[tuple[str, Any, Any]]  # (field, before, after) — only what changed
    cause: str | None
    raw_action: str
    entity_type: str
    entity_id: str

    def change_text(self) -> str:
        parts = []
        for name, old, new in self.changes:
            if old is None:
                parts.append(f"{name}={_short(new)}")
            else:
                parts.append(f"{name}: {_short(old)} → {_short(new)}")
        return "；".join(parts)


def _short(value: Any, limit: int = 60) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for what changed; ``before`` is "" (shown —) for a field that was empty
    in an update, and None for a record that did not exist yet (shown field=value)."""
    existed = bool(before)
    before, after = before or {}, after or {}
    out = []
    for key in list(after) + [k for k in before if k not in after]:
        if key in HIDDEN_FIELDS:
            continue
        old, new = before.get(key), after.get(key)
        if old != new:
            out.append((key, "" if existed and old is None else old, new))
    return out


def _label(action: str, entity_type: str) -> str:
    verb = action.split(".", 1)[-1]
    return f"{ENTITY_LABELS.get(entity_type, entity_type)} · {ACTION_LABELS.get(verb, verb)}"


def customer_entities(session: Session, customer_id: int) -> list[tuple[str, list[str]]]:
    """The customer and everything recorded about it: (entity_type, ids) pairs, one query each."""

    def ids(query: Any) -> list[str]:
        return [str(i) for i in session.scalars(query)]

    contracts = ids(select(Contract.id).where(Contract.customer_id == customer_id))
    flows = ids(select(ApprovalFlow.id).where(ApprovalFlow.contract_id.in_([int(c) for c in contracts])))
    steps = ids(select(ApprovalStep.id).where(ApprovalStep.flow_id.in_([int(f) for f in flows])))
    return [
        ("customer", [str(customer_id)]),
        ("visit", ids(select(Visit.id).where(Visit.customer_id == customer_id))),
        ("opportunity", ids(select(Opportunity.id).where(Opportunity.customer_id == customer_id))),
        ("quote", ids(select(Quote.id).where(Quote.customer_id == customer_id))),
        ("contract", contracts),
        ("approval_flow", flows),
        ("approval_step", steps),
    ]


def contract_entities(session: Session, contract_id: int) -> list[tuple[str, list[str]]]:
    flows = [str(i) for i in session.scalars(select(ApprovalFlow.id).where(ApprovalFlow.contract_id == contract_id))]
    steps = [
        str(i) for i in session.scalars(select(ApprovalStep.id).where(ApprovalStep.flow_id.in_([int(f) for f in flows])))
    ]
    return [("contract", [str(contract_id)]), ("approval_flow", flows), ("approval_step", steps)]


def trail(
    session: Session,
    *,
    entities: Iterable[tuple[str, list[str]]] | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[TrailEntry]:
    """Entries about ``entities`` (or by ``actor_id``, or all), oldest first, at most ``limit`` (the newest)."""
    query = select(AuditEntry)
    if entities is not None:
        conditions = [
            and_(AuditEntry.entity_type == kind, AuditEntry.entity_id.in_(ids)) for kind, ids in entities if ids
        ]
        if not conditions:
            return []
        query = query.where(or_(*conditions))
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    rows = list(session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))
    names = {
        u.id: u.name
        for u in session.scalars(select(User).where(User.id.in_({r.actor_id for r in rows if r.actor_id})))
    }
    out = [
        TrailEntry(
            at=r.at,
            actor=names.get(r.actor_id or 0) or r.actor_label,
            action=_label(r.action, r.entity_type),
            entity=f"{ENTITY_LABELS.get(r.entity_type, r.entity_type)} #{r.entity_id}",
            changes=_changes(r.before, r.after),
            cause=r.cause_event,
            raw_action=r.action,
            entity_type=r.entity_type,
            entity_id=r.entity_id,
        )
        for r in rows
    ]
    return out[::-1]


def export_rows(session: Session) -> Any:
    """``salesbot export audit``: every entry, oldest first (an ``Export`` of domain.services.export)."""
    from domain.services.export import Export
    from domain.snapshot import jsonable

    cols = [
        ("at", "时间"),
        ("actor", "操作人"),
        ("action", "操作"),
        ("entity", "对象"),
        ("changes", "变更"),
        ("cause", "起因"),
    ]

    def rows() -> Any:
        last_id = 0
        while True:  # in pages, so a long log is never held in memory at once
            page = list(
                session.scalars(select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(1000))
            )
            if not page:
                return
            names = {u.id: u.name for u in session.scalars(select(User).where(User.id.in_({r.actor_id for r in page if r.actor_id})))}
            for r in page:
                changes = _changes(r.before, r.after)
                yield {
                    "at": jsonable(r.at),
                    "actor": names.get(r.actor_id or 0) or r.actor_label,
                    "action": _label(r.action, r.entity_type),
                    "entity": f"{ENTITY_LABELS.get(r.entity_type, r.entity_type)} #{r.entity_id}",
                    "changes": "；".join(
                        f"{f}={_short(a, 200)}" if b is None else f"{f}: {_short(b, 200)} → {_short(a, 200)}"
                        for f, b, a in changes
                    ),
                    "cause": r.cause_event or "",
                }
            last_id = page[-1].id

    return Export(cols, rows())
