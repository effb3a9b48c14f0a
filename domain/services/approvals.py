"""Contract approvals: submit, decide step by step, withdraw, nudge, delegate, deadlines.

The one rule that matters most: **one decision per step**. A step is decided
by a conditional UPDATE (``... WHERE id = :id AND status = 'pending'``), so
of any number of concurrent taps — on one card, on an old card, from two
processes — exactly one changes the row; everyone else learns that the step
was already decided. The next step starts in the same transaction as the
decision, so exactly one next-step card is ever written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from domain.approval_rules import RuleSet, StepSpec, default_ruleset, parse_rules, version_of
from domain.clock import format_local, local_today, to_local
from domain.errors import DomainError, NotFound, ValidationFailed
from domain.models import (
    ApprovalFlow,
    ApprovalRuleSet,
    ApprovalStep,
    Contract,
    Customer,
    Delegation,
    Quote,
    Stage,
    User,
)
from domain.rules import can_transition
from domain.services.customers import touch_customer
from domain.services.deals import contract_opportunity
from domain.services.opportunities import change_stage, update_opportunity
from domain.snapshot import snapshot
from domain.uow import UnitOfWork

NUDGE_EVERY = timedelta(hours=4)
STEP_FIELDS = ("status", "assignee_id", "decided_by_id", "decided_at", "comment", "due_at", "escalated_to_id")
CONTRACT_FIELDS = ("number", "status", "amount", "customer_id", "quote_id", "opportunity_id", "decided_at")

STATUS_LABELS = {
    "submitted": "审批中",
    "approved": "已批准",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
}


class NotApprover(DomainError):
    code = "not_approver"


class AlreadyDecided(DomainError):
    code = "already_decided"


# ------------------------------------------------------------------ rules
def active_ruleset(session: Session) -> RuleSet:
    """The active stored rule set, or the built-in default (≤30万 → manager; above → 总监/法务/财务)."""
    row = session.scalar(
        select(ApprovalRuleSet).where(ApprovalRuleSet.active.is_(True)).order_by(ApprovalRuleSet.id.desc())
    )
    if row is None:
        return default_ruleset()
    parsed = parse_rules(row.rules)
    return RuleSet(
        row.version, parsed.rules, parsed.due_hours, parsed.remind_hours, working_hours=parsed.working_hours
    )


def load_rules(uow: UnitOfWork, source: str, data: Any) -> tuple[ApprovalRuleSet, bool]:
    """Store a rules file as the active version; loading the same rules again changes nothing."""
    parse_rules(data)  # validates, raises ValidationFailed with a Chinese message
    version = version_of(data)
    session = uow.session
    row = session.scalar(select(ApprovalRuleSet).where(ApprovalRuleSet.version == version))
    created = row is None
    if row is None:
        row = ApprovalRuleSet(
            version=version, source=source, rules=data, active=False, created_at=uow.clock.now(),
            created_by=uow.actor_label,
        )
        session.add(row)
        session.flush()
    if not row.active:
        session.execute(update(ApprovalRuleSet).values(active=False))
        row.active = True
        uow.flush()
        uow.audit("approval_rules.activate", "approval_rule_set", row.version, None, {"version": version})
    return row, created


def resolve_assignee(session: Session, submitter: User, spec: StepSpec) -> User:
    """Who approves this step for this submitter.

    A relation follows the submitter's manager links. A role prefers the nearest
    person with that role above the submitter (their own 区域总监), else the first
    active person with the role in the company.
    """
    if spec.relation == "manager" or spec.relation == "manager_of_manager":
        person = submitter.manager
        if spec.relation == "manager_of_manager" and person is not None:
            person = person.manager
        if person is None or not person.active:
            raise ValidationFailed(f"找不到「{spec.label}」：{submitter.name} 在组织架构里没有上级，请联系管理员")
        return person
    assert spec.role is not None
    seen: set[int] = set()
    person = submitter.manager
    while person is not None and person.id not in seen:
        if person.role == spec.role and person.active:
            return person
        seen.add(person.id)
        person = person.manager
    found = session.scalar(
        select(User).where(User.role == spec.role, User.active.is_(True)).order_by(User.id).limit(1)
    )
    if found is None:
        raise ValidationFailed(f"组织里没有「{spec.label}」，无法提交审批，请联系管理员")
    return found


# --------------------------------------------------------------- queries
def find_contract(session: Session, number: str) -> Contract | None:
    return session.scalar(select(Contract).where(func.upper(Contract.number) == number.strip().upper()))


def flow_of(session: Session, contract: Contract) -> ApprovalFlow:
    flow = session.scalar(
        select(ApprovalFlow).where(ApprovalFlow.contract_id == contract.id).order_by(ApprovalFlow.id.desc())
    )
    if flow is None:
        raise NotFound(f"合同 {contract.number} 没有审批记录")
    return flow


def current_step(flow: ApprovalFlow) -> ApprovalStep | None:
    return next((s for s in flow.steps if s.status == "pending"), None)


def active_delegates(session: Session, user: User, today: date) -> list[User]:
    rows = session.scalars(
        select(Delegation).where(
            Delegation.user_id == user.id, Delegation.revoked_at.is_(None), Delegation.ends_on >= today
        )
    )
    return [d.delegate for d in rows if d.delegate.active]


def delegators_of(session: Session, user: User, today: date) -> list[int]:
    """Ids of the people whose steps ``user`` may decide today as their delegate."""
    return list(
        session.scalars(
            select(Delegation.user_id).where(
                Delegation.delegate_id == user.id, Delegation.revoked_at.is_(None), Delegation.ends_on >= today
            )
        )
    )


def may_decide(session: Session, step: ApprovalStep, user: User, today: date) -> bool:
    """The assignee, their manager after escalation, or a delegate they named."""
    if user.id in (step.assignee_id, step.escalated_to_id):
        return True
    return step.assignee_id in delegators_of(session, user, today)


def waiting_for(session: Session, user: User, today: date) -> list[ApprovalStep]:
    """Steps waiting for ``user``: their own, escalated to them, or delegated to them."""
    owners = [user.id, *delegators_of(session, user, today)]
    return list(
        session.scalars(
            select(ApprovalStep)
            .where(
                ApprovalStep.status == "pending",
                or_(ApprovalStep.assignee_id.in_(owners), ApprovalStep.escalated_to_id == user.id),
            )
            .order_by(ApprovalStep.started_at, ApprovalStep.id)
        )
    )


def submitted_by(session: Session, user: User, limit: int = 10) -> list[Contract]:
    return list(
        session.scalars(
            select(Contract).where(Contract.submitter_id == user.id).order_by(Contract.id.desc()).limit(limit)
        )
    )


# ------------------------------------------------------------- submitting
def _next_number(session: Session, today: date) -> str:
    prefix = f"HT-{today:%Y%m%d}-"
    count = session.scalar(select(func.count()).select_from(Contract).where(Contract.number.like(prefix + "%")))
    return f"{prefix}{(count or 0) + 1:03d}"


def _start(step: ApprovalStep, now: datetime, ruleset: RuleSet) -> None:
    step.status = "pending"
    step.started_at = now
    step.due_at = ruleset.after(now, ruleset.due_hours)


def submit_contract(
    uow: UnitOfWork,
    submitter: User,
    customer: Customer,
    amount: Decimal,
    quote: Quote | None = None,
) -> ApprovalFlow:
    """A contract and its approval flow, first step started; the chain comes from the active rules."""
    session = uow.session
    if amount <= 0:
        raise ValidationFailed("合同金额必须大于 0")
    if quote is not None:
        if quote.status != "confirmed":
            raise ValidationFailed("报价单还没有确认，请先在报价单卡片上点「确认」")
        existing = session.scalar(
            select(Contract).where(Contract.quote_id == quote.id, Contract.status.in_(["submitted", "approved"]))
        )
        if existing is not None:
            raise ValidationFailed(
                f"这张报价单已经提交过合同 {existing.number}（{STATUS_LABELS[existing.status]}）"
            )
    now = uow.clock.now()
    ruleset = active_ruleset(session)
    rule = ruleset.choose(amount, customer.level, submitter.team.name if submitter.team else None)
    assignees = [resolve_assignee(session, submitter, spec) for spec in rule.steps]
    # The submitter's own opportunity, never a colleague's (domain.services.deals).
    opp, _ = contract_opportunity(uow, submitter, customer, amount, quote)
    opportunity_id = opp.id
    contract = Contract(
        number=_next_number(session, local_today(uow.clock)),
        customer_id=customer.id,
        quote_id=quote.id if quote is not None else None,
        opportunity_id=opportunity_id,
        submitter_id=submitter.id,
        amount=amount,
        status="submitted",
        created_at=now,
    )
    session.add(contract)
    uow.flush()
    uow.audit("contract.submit", "contract", contract.id, None, snapshot(contract, CONTRACT_FIELDS))
    return _new_round(uow, contract, submitter, ruleset, rule, assignees, round_no=1, note=None)


def _new_round(
    uow: UnitOfWork,
    contract: Contract,
    submitter: User,
    ruleset: RuleSet,
    rule: Any,
    assignees: list[User],
    *,
    round_no: int,
    note: str | None,
) -> ApprovalFlow:
    now = uow.clock.now()
    flow = ApprovalFlow(
        contract=contract, rule_name=rule.name, rule_version=ruleset.version, status="pending", created_at=now,
        round=round_no, note=note,
    )
    for position, (spec, person) in enumerate(zip(rule.steps, assignees, strict=True), start=1):
        flow.steps.append(ApprovalStep(position=position, label=spec.label, assignee_id=person.id, status="waiting"))
    uow.session.add(flow)
    _start(flow.steps[0], now, ruleset)
    uow.flush()
    touch_customer(uow, contract.customer)  # a contract (re)submitted is contact with the customer: wakes a dormant one
    uow.audit(
        "approval.start",
        "approval_flow",
        flow.id,
        None,
        {
            "rule": rule.name,
            "rule_version": ruleset.version,
            "round": round_no,
            "note": note,
            "steps": [f"{s.label}:{p.name}" for s, p in zip(rule.steps, assignees, strict=True)],
        },
    )
    return flow


def resubmit(
    uow: UnitOfWork,
    contract: Contract,
    actor: User,
    *,
    amount: Decimal | None = None,
    quote: Quote | None = None,
    note: str | None = None,
) -> ApprovalFlow:
    """重新提交: a rejected (or withdrawn) contract, corrected, starts a new round.

    The contract keeps its number; its earlier rounds stay untouched (decisions and
    reasons), and the new round's chain is chosen again for the new amount.
    """
    session = uow.session
    if actor.id != contract.submitter_id:
        raise NotApprover("只有提交人可以重新提交这份合同")
    if contract.status not in ("rejected", "withdrawn"):
        raise ValidationFailed(
            f"合同 {contract.number} {STATUS_LABELS.get(contract.status, contract.status)}，只有被驳回或撤回的合同可以重新提交"
        )
    if amount is not None and amount <= 0:
        raise ValidationFailed("合同金额必须大于 0")
    if quote is not None:
        if quote.status != "confirmed":
            raise ValidationFailed("报价单还没有确认，请先在报价单卡片上点「确认」")
        if quote.customer_id not in (None, contract.customer_id):
            raise ValidationFailed("这张报价单不是这家客户的")
    # Only one resubmission wins, however many taps: the contract row changes status once.
    result = session.execute(
        update(Contract)
        .where(Contract.id == contract.id, Contract.status.in_(["rejected", "withdrawn"]))
        .values(status="submitted", decided_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationFailed(f"合同 {contract.number} 已经重新提交过了")
    before = snapshot(contract, CONTRACT_FIELDS)
    session.refresh(contract)
    if amount is not None:
        contract.amount = amount
    if quote is not None:
        contract.quote_id = quote.id
    uow.flush()
    session.refresh(contract)
    uow.audit("contract.resubmit", "contract", contract.id, before, {**snapshot(contract, CONTRACT_FIELDS), "note": note})
    previous = session.scalar(
        select(func.max(ApprovalFlow.round)).where(ApprovalFlow.contract_id == contract.id)
    )
    ruleset = active_ruleset(session)
    rule = ruleset.choose(contract.amount, contract.customer.level, actor.team.name if actor.team else None)
    assignees = [resolve_assignee(session, actor, spec) for spec in rule.steps]
    return _new_round(
        uow, contract, actor, ruleset, rule, assignees, round_no=(previous or 0) + 1, note=(note or "").strip() or None
    )


def rule_in_words(session: Session, flow: ApprovalFlow) -> str:
    """The rule that chose the chain, as a person reads it (not its version hash)."""
    data = session.scalar(select(ApprovalRuleSet.rules).where(ApprovalRuleSet.version == flow.rule_version))
    try:
        ruleset = parse_rules(data) if data is not None else default_ruleset()
    except ValidationFailed:
        ruleset = default_ruleset()
    rule = next((r for r in ruleset.rules if r.name == flow.rule_name), None)
    if rule is None:
        chain = " → ".join(s.label for s in flow.steps)
        return f"{flow.rule_name}（{chain} 审批）"
    return rule.in_words()


def rounds_of(session: Session, contract: Contract) -> list[ApprovalFlow]:
    """Every approval round of a contract, the first one first."""
    return list(
        session.scalars(
            select(ApprovalFlow).where(ApprovalFlow.contract_id == contract.id).order_by(ApprovalFlow.id)
        )
    )


def earlier_rounds(session: Session, flow: ApprovalFlow) -> list[str]:
    """One line per earlier round of the same contract: who rejected it and why."""
    if flow.round <= 1:
        return []
    lines: list[str] = []
    for old in rounds_of(session, flow.contract):
        if old.id == flow.id or old.round >= flow.round:
            continue
        rejected = next((s for s in old.steps if s.status == "rejected"), None)
        if rejected is not None:
            who = rejected.decided_by.name if rejected.decided_by else rejected.label
            lines.append(f"第 {old.round} 次：{who} 驳回 · {rejected.comment or '未填写原因'}")
        else:
            lines.append(f"第 {old.round} 次：{STATUS_LABELS.get(old.status, old.status)}")
    return lines


# --------------------------------------------------------------- deciding
@dataclass(frozen=True)
class Outcome:
    flow: ApprovalFlow
    step: ApprovalStep  # the step just decided
    next_step: ApprovalStep | None  # started by this decision
    finished: bool  # the flow ended (approved or rejected)


def _describe(step: ApprovalStep) -> str:
    who = step.decided_by.name if step.decided_by else "有人"
    verdict = {"approved": "已同意", "rejected": "已驳回"}.get(step.status, "已处理")
    when = to_local(step.decided_at).strftime("%m-%d %H:%M") if step.decided_at else ""
    return f"{who} {when} {verdict}".strip()


def ensure_pending(step: ApprovalStep) -> None:
    """Raise AlreadyDecided (with who decided what) unless the step still waits for a decision."""
    if step.status == "pending":
        return
    if step.status in ("approved", "rejected"):
        raise AlreadyDecided(f"这一步已经处理过了：{_describe(step)}")
    raise AlreadyDecided(f"这条审批{STATUS_LABELS.get(step.flow.contract.status, '已结束')}，无需再处理")


def decide(
    uow: UnitOfWork, step_id: int, actor: User, *, approve: bool, reason: str | None = None
) -> Outcome:
    """Approve or reject one step, exactly once, as the assignee, their delegate or escalation manager."""
    session = uow.session
    step = session.get(ApprovalStep, step_id)
    if step is None:
        raise NotFound("找不到这条审批")
    flow = step.flow
    ensure_pending(step)
    if not may_decide(session, step, actor, local_today(uow.clock)):
        name = step.assignee.name if step.assignee else "其他人"
        raise NotApprover(f"你不是当前审批人（当前审批人：{name}）")
    if not approve and not (reason or "").strip():
        raise ValidationFailed("驳回需要填写原因")
    now = uow.clock.now()
    before = snapshot(step, STEP_FIELDS)
    result = session.execute(
        update(ApprovalStep)
        .where(ApprovalStep.id == step.id, ApprovalStep.status == "pending")
        .values(
            status="approved" if approve else "rejected",
            decided_by_id=actor.id,
            decided_at=now,
            comment=(reason or "").strip() or None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(step)  # someone else's decision, committed a moment ago
        raise AlreadyDecided(f"这一步已经处理过了：{_describe(step)}")
    session.refresh(step)
    uow.audit("approval.approve" if approve else "approval.reject", "approval_step", step.id, before,
              snapshot(step, STEP_FIELDS))
    contract = flow.contract
    next_step: ApprovalStep | None = None
    if not approve:
        _finish(uow, flow, "rejected", now)
        for later in flow.steps:
            if later.status == "waiting":
                later.status = "skipped"
    else:
        next_step = next((s for s in flow.steps if s.position > step.position and s.status == "waiting"), None)
        if next_step is not None:
            _start(next_step, now, active_ruleset(session))
        else:
            _finish(uow, flow, "approved", now)
            _won(uow, contract)
    uow.flush()
    return Outcome(flow=flow, step=step, next_step=next_step, finished=next_step is None)


def _finish(uow: UnitOfWork, flow: ApprovalFlow, status: str, now: datetime) -> None:
    contract = flow.contract
    touch_customer(uow, contract.customer)  # the decision reaches the customer: it counts as contact
    before = snapshot(contract, CONTRACT_FIELDS)
    flow.status = status
    flow.decided_at = now
    contract.status = status
    contract.decided_at = now
    uow.flush()
    uow.audit(f"contract.{status}", "contract", contract.id, before, snapshot(contract, CONTRACT_FIELDS))


def _won(uow: UnitOfWork, contract: Contract) -> None:
    """The approved contract closes its opportunity as 成交 and goes to the ERP hooks."""
    from domain.models import Opportunity

    if contract.opportunity_id is not None:
        opp = uow.session.get(Opportunity, contract.opportunity_id)
        if opp is not None and opp.owner_id == contract.submitter_id:
            # The deal is worth what was signed, not what was estimated.
            if opp.amount != contract.amount:
                update_opportunity(uow, opp, amount=contract.amount)
            if can_transition(Stage(opp.stage), Stage.WON):
                change_stage(uow, opp, Stage.WON)
    from domain.services import webhooks

    webhooks.publish(uow, "contract.approved", contract_event(contract), event_id=f"contract-approved-{contract.id}")


def contract_event(contract: Contract) -> dict[str, Any]:
    """What finance systems (金蝶/用友) receive when a contract is approved."""
    flow = contract_flow(contract)
    return {
        "contract_number": contract.number,
        "customer": contract.customer.name,
        "customer_id": contract.customer_id,
        "amount": f"{contract.amount:.2f}",
        "currency": "CNY",
        "quote_number": contract.quote.number if contract.quote else None,
        "submitter": contract.submitter.name,
        "approved_at": format_local(contract.decided_at) if contract.decided_at else None,  # business time
        "approvals": [
            {
                "step": s.label,
                "approver": s.decided_by.name if s.decided_by else None,
                "decided_at": format_local(s.decided_at) if s.decided_at else None,
            }
            for s in (flow.steps if flow else [])
        ],
    }


def contract_flow(contract: Contract) -> ApprovalFlow | None:
    from sqlalchemy.orm import object_session

    session = object_session(contract)
    if session is None:
        return None
    return session.scalar(
        select(ApprovalFlow).where(ApprovalFlow.contract_id == contract.id).order_by(ApprovalFlow.id.desc())
    )


# ------------------------------------------------------ submitter actions
def withdraw(uow: UnitOfWork, flow: ApprovalFlow, actor: User) -> None:
    """The submitter takes a contract back, but only before anyone has decided."""
    contract = flow.contract
    if actor.id != contract.submitter_id:
        raise NotApprover("只有提交人可以撤回这份合同")
    if flow.status != "pending":
        raise ValidationFailed(f"合同 {contract.number} {STATUS_LABELS[contract.status]}，不能撤回")
    if any(s.status in ("approved", "rejected") for s in flow.steps):
        raise ValidationFailed(f"合同 {contract.number} 已经有人审批过，不能撤回；如需修改请联系当前审批人驳回")
    result = uow.session.execute(
        update(ApprovalFlow)
        .where(ApprovalFlow.id == flow.id, ApprovalFlow.status == "pending")
        .values(status="withdrawn")
        .execution_options(synchronize_session=False)
    )
    # A decision racing the withdrawal: whichever changes its row first wins.
    step = current_step(flow)
    won_step = True
    if step is not None:
        step_result = uow.session.execute(
            update(ApprovalStep)
            .where(ApprovalStep.id == step.id, ApprovalStep.status == "pending")
            .values(status="skipped")
            .execution_options(synchronize_session=False)
        )
        won_step = step_result.rowcount == 1  # type: ignore[attr-defined]
    if result.rowcount != 1 or not won_step:  # type: ignore[attr-defined]
        uow.session.rollback()
        raise ValidationFailed(f"合同 {contract.number} 刚刚已被审批，不能撤回")
    uow.session.refresh(flow)
    for s in flow.steps:
        uow.session.refresh(s)
        if s.status == "waiting":
            s.status = "skipped"
    _finish(uow, flow, "withdrawn", uow.clock.now())


def nudge(uow: UnitOfWork, flow: ApprovalFlow, actor: User) -> ApprovalStep:
    """催办: remind the current approver, at most once per 4 hours per contract."""
    contract = flow.contract
    if actor.id != contract.submitter_id:
        raise NotApprover("只有提交人可以催办")
    step = current_step(flow)
    if flow.status != "pending" or step is None:
        raise ValidationFailed(f"合同 {contract.number} {STATUS_LABELS[contract.status]}，无需催办")
    now = uow.clock.now()
    if flow.last_nudged_at is not None and now - flow.last_nudged_at < NUDGE_EVERY:
        again = to_local(flow.last_nudged_at + NUDGE_EVERY).strftime("%H:%M")
        raise ValidationFailed(f"4 小时内已经催办过了，{again} 之后可以再催办")
    flow.last_nudged_at = now
    uow.flush()
    uow.audit("approval.nudge", "approval_flow", flow.id, None, {"step": step.id})
    return step


def delegate(uow: UnitOfWork, user: User, to: User, ends_on: date) -> Delegation:
    """委托: ``to`` may decide ``user``'s steps until ``ends_on`` (inclusive)."""
    if to.id == user.id:
        raise ValidationFailed("不能委托给自己")
    if ends_on < local_today(uow.clock):
        raise ValidationFailed("委托的截止日期已经过去了")
    for old in uow.session.scalars(
        select(Delegation).where(Delegation.user_id == user.id, Delegation.revoked_at.is_(None))
    ):
        old.revoked_at = uow.clock.now()
    row = Delegation(user_id=user.id, delegate_id=to.id, ends_on=ends_on, created_at=uow.clock.now())
    uow.session.add(row)
    uow.flush()
    uow.audit("delegation.create", "delegation", row.id, None,
              {"user": user.name, "delegate": to.name, "ends_on": ends_on.isoformat()})
    return row


def revoke_delegations(uow: UnitOfWork, user: User) -> int:
    rows = list(
        uow.session.scalars(select(Delegation).where(Delegation.user_id == user.id, Delegation.revoked_at.is_(None)))
    )
    for row in rows:
        row.revoked_at = uow.clock.now()
        uow.audit("delegation.revoke", "delegation", row.id, None, None)
    return len(rows)


# -------------------------------------------------------------- deadlines
def steps_to_remind(session: Session, now: datetime, ruleset: RuleSet) -> list[ApprovalStep]:
    """Pending steps whose reminder time has come (in working hours when the rules say so)."""
    candidates = session.scalars(
        select(ApprovalStep)
        .where(
            ApprovalStep.status == "pending",
            ApprovalStep.reminded_at.is_(None),
            # calendar hours are a lower bound: working hours only ever come later
            ApprovalStep.started_at <= now - timedelta(hours=ruleset.remind_hours),
        )
        .order_by(ApprovalStep.id)
    )
    return [
        step
        for step in candidates
        if step.started_at is not None and ruleset.after(step.started_at, ruleset.remind_hours) <= now
    ]


def steps_to_escalate(session: Session, now: datetime) -> list[ApprovalStep]:
    return list(
        session.scalars(
            select(ApprovalStep)
            .where(
                ApprovalStep.status == "pending",
                ApprovalStep.escalated_at.is_(None),
                ApprovalStep.due_at <= now,
            )
            .order_by(ApprovalStep.id)
        )
    )


def mark_reminded(uow: UnitOfWork, step: ApprovalStep) -> bool:
    """True for the one caller that marks it (two schedulers never remind twice)."""
    result = uow.session.execute(
        update(ApprovalStep)
        .where(ApprovalStep.id == step.id, ApprovalStep.reminded_at.is_(None))
        .values(reminded_at=uow.clock.now())
        .execution_options(synchronize_session=False)
    )
    uow.session.refresh(step)
    return result.rowcount == 1  # type: ignore[attr-defined]


def escalate(uow: UnitOfWork, step: ApprovalStep) -> tuple[bool, User | None]:
    """Past the deadline: the approver's manager may now decide in their place.

    Returns (whether this caller escalated it, the manager or None when there is none).
    """
    manager = step.assignee.manager if step.assignee else None
    if manager is not None and not manager.active:
        manager = None
    result = uow.session.execute(
        update(ApprovalStep)
        .where(ApprovalStep.id == step.id, ApprovalStep.escalated_at.is_(None))
        .values(escalated_at=uow.clock.now(), escalated_to_id=manager.id if manager else None)
        .execution_options(synchronize_session=False)
    )
    uow.session.refresh(step)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False, None
    uow.audit("approval.escalate", "approval_step", step.id, None,
              {"escalated_to": manager.name if manager else None})
    return True, manager
