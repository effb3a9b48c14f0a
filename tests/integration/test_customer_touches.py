"""Small things that misled (#20 pt 6): a contract submission and an approval count as contact with
the customer (a dormant one wakes), and ERP events carry business time (Asia/Shanghai) as documented."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from domain.clock import FixedClock
from domain.db import Database
from domain.models import ApprovalStep, Customer, CustomerStatus, OutboxMessage, User
from domain.services import approvals, webhooks
from domain.services.customers import create_customer, mark_dormant
from domain.uow import UnitOfWork
from tests.factories import load_example_org
from tests.scheduling import sh


def _user(uow: UnitOfWork, key: str) -> User:
    user = uow.session.scalar(select(User).where(User.key == key))
    assert user is not None
    return user


def test_a_contract_wakes_a_dormant_customer_and_the_erp_event_is_in_business_time(db: Database) -> None:
    load_example_org(db)
    clock = FixedClock(sh(2026, 11, 2, 10))
    with UnitOfWork(db, clock) as uow:
        zhang = _user(uow, "zhangwei")
        customer = create_customer(uow, "苏州精工机械有限公司", owner=zhang)
        webhooks.add_endpoint(uow, "http://127.0.0.1:9/erp", "s3cret-for-the-erp-side")
        uow.flush()
        mark_dormant(uow, customer)
        uow.commit()
    clock.set(sh(2026, 12, 1, 15, 30))
    with UnitOfWork(db, clock) as uow:
        zhang = _user(uow, "zhangwei")
        uow.act_as(zhang)
        customer = uow.session.scalar(select(Customer))
        assert customer is not None and customer.status == CustomerStatus.DORMANT
        approvals.submit_contract(uow, zhang, customer, Decimal("120000"))
        uow.commit()
    with db.sessions() as s:
        customer = s.scalar(select(Customer))
        assert customer is not None and customer.status == CustomerStatus.ACTIVE  # woken by the submission
        assert customer.last_interaction_at == sh(2026, 12, 1, 15, 30)

    clock.set(sh(2026, 12, 2, 9, 15))
    with UnitOfWork(db, clock) as uow:
        lina = _user(uow, "lina")
        uow.act_as(lina)
        step = uow.session.scalar(select(ApprovalStep))
        assert step is not None
        approvals.decide(uow, step.id, lina, approve=True)
        uow.commit()
    with db.sessions() as s:
        customer = s.scalar(select(Customer))
        assert customer is not None and customer.last_interaction_at == sh(2026, 12, 2, 9, 15)
        [event] = s.scalars(select(OutboxMessage).where(OutboxMessage.platform == "erp"))
    data = event.payload["data"]
    assert data["approved_at"] == "2026-12-02T09:15:00+08:00"
    assert [a["decided_at"] for a in data["approvals"]] == ["2026-12-02T09:15:00+08:00"]
