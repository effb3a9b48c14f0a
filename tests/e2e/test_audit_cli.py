"""The audit trail, readable (#20 pt 5): `salesbot audit --customer/--contract/--user/--since`,
`salesbot export audit`, and `export approvals` naming who actually decided — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from domain.clock import FixedClock
from domain.db import Database
from domain.models import ApprovalStep, Customer, User, Visit
from domain.services import approvals
from domain.services.customers import create_customer
from domain.services.visits import log_visit, update_visit
from domain.uow import UnitOfWork
from tests.e2e.test_cli import salesbot
from tests.factories import load_example_org
from tests.scheduling import sh


def _user(uow: UnitOfWork, key: str) -> User:
    user = uow.session.scalar(select(User).where(User.key == key))
    assert user is not None
    return user


def _history(db: Database) -> None:
    clock = FixedClock(sh(2026, 12, 1, 10))
    with UnitOfWork(db, clock) as uow:
        zhang = _user(uow, "zhangwei")
        uow.act_as(zhang)
        customer = create_customer(uow, "苏州精工机械有限公司", owner=zhang)
        log_visit(uow, zhang, customer, visited_at=sh(2026, 12, 1, 9), summary="沟通交付")
        other = create_customer(uow, "华为技术有限公司", owner=zhang)
        log_visit(uow, zhang, other, visited_at=sh(2026, 12, 1, 9), summary="别的客户")
        uow.commit()
    clock.set(sh(2026, 12, 2, 11))
    with UnitOfWork(db, clock) as uow:
        uow.act_as(_user(uow, "zhangwei"))
        visit = uow.session.scalar(select(Visit).join(Customer).where(Customer.name == "苏州精工机械有限公司"))
        assert visit is not None
        update_visit(uow, visit, next_follow_up=date(2026, 12, 9))
        uow.commit()
    with UnitOfWork(db, clock) as uow:  # 李娜 delegates her approvals to 王芳
        lina = _user(uow, "lina")
        uow.act_as(lina)
        approvals.delegate(uow, lina, _user(uow, "wangfang"), date(2026, 12, 31))
        uow.commit()
    with UnitOfWork(db, clock) as uow:
        zhang = _user(uow, "zhangwei")
        uow.act_as(zhang)
        customer = uow.session.scalar(select(Customer).where(Customer.name == "苏州精工机械有限公司"))
        assert customer is not None
        approvals.submit_contract(uow, zhang, customer, Decimal("120000"))
        uow.commit()
    clock.set(sh(2026, 12, 3, 15))
    with UnitOfWork(db, clock) as uow:
        wang = _user(uow, "wangfang")
        uow.act_as(wang)
        step = uow.session.scalar(select(ApprovalStep))
        assert step is not None
        approvals.decide(uow, step.id, wang, approve=True)
        uow.commit()


def test_the_trail_per_customer_contract_and_person_and_who_decided(db_url: str) -> None:
    db = Database(db_url)
    try:
        load_example_org(db)
        _history(db)
    finally:
        db.dispose()

    by_customer = salesbot(db_url, "audit", "--customer", "苏州精工机械有限公司")
    assert by_customer.returncode == 0, by_customer.stderr
    lines = by_customer.stdout.splitlines()
    assert any("张伟" in line and "拜访 · 修改" in line and "next_follow_up: — → 2026-12-09" in line for line in lines)
    assert any("王芳" in line and "审批步骤 · 同意" in line for line in lines)
    assert not any("别的客户" in line for line in lines)  # another customer's visit is not in this trail

    since = salesbot(db_url, "audit", "--customer", "苏州精工机械有限公司", "--since", "2026-12-03")
    assert "拜访 · 新建" not in since.stdout and "审批步骤 · 同意" in since.stdout
    by_user = salesbot(db_url, "audit", "--user", "wangfang")
    assert by_user.stdout.strip() and all("王芳" in line for line in by_user.stdout.splitlines())

    with Database(db_url).sessions() as s:
        number = s.scalar(select(ApprovalStep.flow_id))
    assert number is not None

    exported = salesbot(db_url, "export", "audit")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff"))))
    assert any(r["操作"] == "拜访 · 修改" and "2026-12-09" in r["变更"] and r["操作人"] == "张伟" for r in rows)
    assert all(r["时间"].endswith("+08:00") for r in rows)  # business time, as documented

    approvals_csv = salesbot(db_url, "export", "approvals")
    [step] = list(csv.DictReader(io.StringIO(approvals_csv.stdout.lstrip("\ufeff"))))
    assert (step["审批人"], step["处理人"]) == ("李娜", "王芳")  # assigned to 李娜, decided by her delegate
