"""Contract approvals at the service layer: chains, one decision per step, delegation, deadlines."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.clock import FixedClock
from domain.db import Database
from domain.errors import ValidationFailed
from domain.models import (
    ApprovalFlow,
    ApprovalStep,
    AuditEntry,
    Contract,
    Customer,
    Opportunity,
    OutboxMessage,
    Stage,
    User,
)
from domain.services import approvals, webhooks
from domain.services.approvals import AlreadyDecided, NotApprover
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from tests.factories import load_example_org


def _user(uow: UnitOfWork, key: str) -> User:
    user = uow.session.scalar(select(User).where(User.key == key))
    assert user is not None
    return user


@pytest.fixture
def org(db: Database, clock: FixedClock) -> Database:
    load_example_org(db, clock)
    with UnitOfWork(db, clock) as uow:
        zhang = _user(uow, "zhangwei")
        customer = create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["苏州精工"])
        create_opportunity(uow, customer, zhang)
        uow.commit()
    return db


def _submit(db: Database, clock: FixedClock, amount: str, who: str = "zhangwei") -> int:
    with UnitOfWork(db, clock) as uow:
        submitter = _user(uow, who)
        customer = uow.session.scalar(select(Customer))
        assert customer is not None
        flow = approvals.submit_contract(uow, submitter, customer, Decimal(amount))
        uow.commit()
        return flow.id


def _decide(db: Database, clock: FixedClock, flow_id: int, who: str, approve: bool = True, reason: str | None = None):
    with UnitOfWork(db, clock) as uow:
        flow = uow.session.get(ApprovalFlow, flow_id)
        assert flow is not None
        step = approvals.current_step(flow)
        assert step is not None
        outcome = approvals.decide(uow, step.id, _user(uow, who), approve=approve, reason=reason)
        uow.commit()
        return outcome


def _chain(db: Database, flow_id: int) -> list[tuple[str, str, str]]:
    with db.sessions() as s:
        flow = s.get(ApprovalFlow, flow_id)
        assert flow is not None
        return [(st.label, st.assignee.name if st.assignee else "", st.status) for st in flow.steps]


def test_a_small_contract_goes_to_the_direct_manager_and_closes_the_deal(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow:
        webhooks.add_endpoint(uow, "http://127.0.0.1:9/erp", "s3cret-for-the-erp-side")
        uow.commit()
    flow_id = _submit(org, clock, "120000")
    assert _chain(org, flow_id) == [("直属上级", "李娜", "pending")]
    outcome = _decide(org, clock, flow_id, "lina")
    assert outcome.finished and outcome.next_step is None
    with org.sessions() as s:
        contract = s.scalar(select(Contract))
        assert contract is not None and contract.status == "approved"
        assert contract.number == "HT-20261125-001"
        assert s.scalar(select(Opportunity.stage)) == Stage.WON
        erp = list(s.scalars(select(OutboxMessage).where(OutboxMessage.platform == "erp")))
        assert len(erp) == 1 and erp[0].payload["data"]["contract_number"] == contract.number
        assert erp[0].payload["data"]["amount"] == "120000.00"


def test_a_large_contract_needs_director_legal_and_finance_in_order(org: Database, clock: FixedClock) -> None:
    flow_id = _submit(org, clock, "380000")
    assert _chain(org, flow_id) == [
        ("区域总监", "王芳", "pending"),
        ("法务", "孙丽", "waiting"),
        ("财务", "周强", "waiting"),
    ]
    with org.sessions() as s:
        flow = s.get(ApprovalFlow, flow_id)
        assert flow is not None and flow.rule_name == "大额合同" and len(flow.rule_version) == 12
    assert _decide(org, clock, flow_id, "wangfang").next_step is not None
    assert _chain(org, flow_id)[1][2] == "pending"
    _decide(org, clock, flow_id, "sunli")
    outcome = _decide(org, clock, flow_id, "zhouqiang")
    assert outcome.finished
    assert [st for _, _, st in _chain(org, flow_id)] == ["approved", "approved", "approved"]


def test_exactly_300000_is_still_a_regular_contract(org: Database, clock: FixedClock) -> None:
    assert _chain(org, _submit(org, clock, "300000")) == [("直属上级", "李娜", "pending")]


def test_a_rejection_ends_the_flow_with_its_reason(org: Database, clock: FixedClock) -> None:
    flow_id = _submit(org, clock, "500000")
    with pytest.raises(ValidationFailed):
        _decide(org, clock, flow_id, "wangfang", approve=False, reason=" ")
    _decide(org, clock, flow_id, "wangfang", approve=False, reason="价格或折扣过低")
    assert [st for _, _, st in _chain(org, flow_id)] == ["rejected", "skipped", "skipped"]
    with org.sessions() as s:
        contract = s.scalar(select(Contract))
        assert contract is not None and contract.status == "rejected"
        step = s.scalar(select(ApprovalStep).where(ApprovalStep.status == "rejected"))
        assert step is not None and step.comment == "价格或折扣过低"
        assert s.scalar(select(Opportunity.stage)) == Stage.LEAD


def test_only_the_current_assignee_decides_and_only_once(org: Database, clock: FixedClock) -> None:
    flow_id = _submit(org, clock, "380000")
    for outsider in ("zhangwei", "sunli", "lina"):
        with pytest.raises(NotApprover, match="你不是当前审批人"):
            _decide(org, clock, flow_id, outsider)
    assert _chain(org, flow_id)[0][2] == "pending"
    with org.sessions() as s:
        first = s.scalar(select(ApprovalStep.id).where(ApprovalStep.position == 1))
    _decide(org, clock, flow_id, "wangfang")
    with UnitOfWork(org, clock) as uow, pytest.raises(AlreadyDecided, match="王芳"):
        approvals.decide(uow, first, _user(uow, "wangfang"), approve=True)  # the old card, tapped again


def test_a_delegate_may_decide_until_the_end_date(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow:
        approvals.delegate(uow, _user(uow, "wangfang"), _user(uow, "chenjing"), date(2026, 11, 26))
        uow.commit()
    flow_id = _submit(org, clock, "380000")
    with org.sessions() as s:
        chen = s.scalar(select(User).where(User.key == "chenjing"))
        assert chen is not None
        assert [st.flow_id for st in approvals.waiting_for(s, chen, date(2026, 11, 25))] == [flow_id]
        assert approvals.waiting_for(s, chen, date(2026, 11, 27)) == []
    clock.advance(timedelta(days=2))  # 11-27: the delegation has ended
    with pytest.raises(NotApprover):
        _decide(org, clock, flow_id, "chenjing")
    clock.advance(timedelta(days=-2))
    _decide(org, clock, flow_id, "chenjing")
    with org.sessions() as s:
        step = s.scalar(select(ApprovalStep).where(ApprovalStep.position == 1))
        assert step is not None and step.decided_by is not None and step.decided_by.name == "陈静"


def test_withdrawal_only_before_the_first_decision(org: Database, clock: FixedClock) -> None:
    flow_id = _submit(org, clock, "380000")
    with UnitOfWork(org, clock) as uow:
        flow = uow.session.get(ApprovalFlow, flow_id)
        assert flow is not None
        with pytest.raises(NotApprover):
            approvals.withdraw(uow, flow, _user(uow, "wangfang"))
        approvals.withdraw(uow, flow, _user(uow, "zhangwei"))
        uow.commit()
    assert [st for _, _, st in _chain(org, flow_id)] == ["skipped", "skipped", "skipped"]
    second = _submit(org, clock, "380000")
    _decide(org, clock, second, "wangfang")
    with UnitOfWork(org, clock) as uow:
        flow = uow.session.get(ApprovalFlow, second)
        assert flow is not None
        with pytest.raises(ValidationFailed, match="已经有人审批过"):
            approvals.withdraw(uow, flow, _user(uow, "zhangwei"))


def test_nudging_is_allowed_once_per_four_hours(org: Database, clock: FixedClock) -> None:
    flow_id = _submit(org, clock, "100000")

    def nudge() -> None:
        with UnitOfWork(org, clock) as uow:
            flow = uow.session.get(ApprovalFlow, flow_id)
            assert flow is not None
            approvals.nudge(uow, flow, _user(uow, "zhangwei"))
            uow.commit()

    nudge()
    clock.advance(timedelta(hours=3, minutes=59))
    with pytest.raises(ValidationFailed, match="4 小时内"):
        nudge()
    clock.advance(timedelta(minutes=2))
    nudge()


def test_rules_are_versioned_and_validated(org: Database, clock: FixedClock) -> None:
    rules = {
        "due_hours": 24,
        "remind_hours": 12,
        "rules": [
            {"name": "A级客户", "when": {"customer_levels": ["A"]}, "steps": [{"role": "director"}]},
            {"name": "其他", "steps": [{"relation": "manager"}, {"role": "finance", "label": "财务复核"}]},
        ],
    }
    with UnitOfWork(org, clock) as uow:
        row, created = approvals.load_rules(uow, "# yaml", rules)
        uow.commit()
        version = row.version
    assert created
    with UnitOfWork(org, clock) as uow:
        _row, created_again = approvals.load_rules(uow, "# same rules, other comments", rules)
        uow.commit()
    assert not created_again
    flow_id = _submit(org, clock, "50")
    assert _chain(org, flow_id) == [("直属上级", "李娜", "pending"), ("财务复核", "周强", "waiting")]
    with org.sessions() as s:
        flow = s.get(ApprovalFlow, flow_id)
        assert flow is not None and (flow.rule_name, flow.rule_version) == ("其他", version)
        step = flow.steps[0]
        assert step.due_at is not None and step.started_at is not None
        assert step.due_at - step.started_at == timedelta(hours=24)
    with UnitOfWork(org, clock) as uow, pytest.raises(ValidationFailed, match="未知角色"):
        approvals.load_rules(uow, "", {"rules": [{"name": "x", "steps": [{"role": "ceo"}]}]})


def test_deadlines_remind_at_24h_and_escalate_to_the_manager_at_48h(org: Database, clock: FixedClock) -> None:
    flow_id = _submit(org, clock, "100000")  # 李娜, whose manager is 王芳
    with org.sessions() as s:
        rules = approvals.active_ruleset(s)
        assert approvals.steps_to_remind(s, clock.now() + timedelta(hours=23), rules) == []
        assert len(approvals.steps_to_remind(s, clock.now() + timedelta(hours=24), rules)) == 1
        assert approvals.steps_to_escalate(s, clock.now() + timedelta(hours=47)) == []
    clock.advance(timedelta(hours=48))
    with UnitOfWork(org, clock) as uow:
        [step] = approvals.steps_to_escalate(uow.session, clock.now())
        won, manager = approvals.escalate(uow, step)
        assert won and manager is not None and manager.name == "王芳"
        assert approvals.escalate(uow, step) == (False, None)
        uow.commit()
    outcome = _decide(org, clock, flow_id, "wangfang")  # the manager decides in the approver's place
    assert outcome.finished


def test_every_decision_is_audited_with_its_cause(org: Database, clock: FixedClock) -> None:
    flow_id = _submit(org, clock, "100000")
    with UnitOfWork(org, clock, cause="wecom:tap-1") as uow:
        flow = uow.session.get(ApprovalFlow, flow_id)
        assert flow is not None
        step = approvals.current_step(flow)
        assert step is not None
        approvals.decide(uow, step.id, _user(uow, "lina"), approve=True)
        uow.commit()
    with org.sessions() as s:
        actions = {a.action: a for a in s.scalars(select(AuditEntry))}
        assert {"contract.submit", "approval.start", "approval.approve", "contract.approved"} <= set(actions)
        assert actions["approval.approve"].cause_event == "wecom:tap-1"
        assert actions["approval.approve"].after is not None
        assert actions["approval.approve"].after["status"] == "approved"


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # real concurrent writers
def test_one_hundred_concurrent_taps_make_exactly_one_decision(org: Database, clock: FixedClock) -> None:
    flow_id = _submit(org, clock, "380000")
    with org.sessions() as s:
        step_id = s.scalar(select(ApprovalStep.id).where(ApprovalStep.position == 1))
    barrier = threading.Barrier(100)
    wins: list[int] = []
    losses: list[str] = []
    # 100 taps released at once; at most 20 hold a connection at a time (the server allows 100 in all).
    db = Database(org.url, pool_size=20, max_overflow=0, pool_timeout=120)

    def tap(n: int) -> None:
        barrier.wait()
        with UnitOfWork(db, clock) as uow:
            actor = _user(uow, "wangfang")
            try:
                approvals.decide(uow, step_id, actor, approve=True)
                uow.commit()
                wins.append(n)
            except AlreadyDecided as exc:
                losses.append(exc.message)

    threads = [threading.Thread(target=tap, args=(n,)) for n in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.dispose()
    assert len(wins) == 1 and len(losses) == 99
    assert all("王芳" in message for message in losses)
    assert [st for _, _, st in _chain(org, flow_id)] == ["approved", "pending", "waiting"]
    with org.sessions() as s:
        decisions = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "approval.approve"))
        assert decisions == 1


def test_deadlines_can_count_working_hours_across_national_day(org: Database, clock: FixedClock) -> None:
    """Submitted 09-30 17:00 with 48 working hours (09:00-18:00): 国庆 1-7 October does not count,
    the make-up Saturday 10-10 does; due 10-14 11:00, reminder (24 h) on 10-10 at 14:00."""
    from domain.approval_rules import DEFAULT_RULES
    from domain.clock import BUSINESS_TZ

    with UnitOfWork(org, clock) as uow:
        approvals.load_rules(uow, "", {**DEFAULT_RULES, "working_hours": "09:00-18:00"})
        uow.commit()
    clock.set(datetime(2026, 9, 30, 17, 0, tzinfo=BUSINESS_TZ))
    _submit(org, clock, "100000")
    with org.sessions() as s:
        step = s.scalar(select(ApprovalStep))
        assert step is not None and step.due_at is not None
        assert step.due_at == datetime(2026, 10, 14, 11, 0, tzinfo=BUSINESS_TZ)
        rules = approvals.active_ruleset(s)
        assert approvals.steps_to_remind(s, datetime(2026, 10, 10, 13, 59, tzinfo=BUSINESS_TZ), rules) == []
        assert len(approvals.steps_to_remind(s, datetime(2026, 10, 10, 14, 0, tzinfo=BUSINESS_TZ), rules)) == 1
    with UnitOfWork(org, clock) as uow, pytest.raises(ValidationFailed, match="working_hours"):
        approvals.load_rules(uow, "", {**DEFAULT_RULES, "working_hours": "18:00-09:00"})
