"""Aliases that learn: a rep's pick or correction teaches the bot a name, for every worker."""

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ
from domain.db import Database
from domain.models import AuditEntry, Customer, User, Visit
from domain.services.customers import create_customer, find_customers, remove_alias
from domain.uow import UnitOfWork
from tests.e2e.wecom_stack import WeComStack, wecom_stack

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)
QUESTION = "拜访的是哪家客户？"


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        s.clock.set(NOW)
        with UnitOfWork(s.db, s.clock) as uow:
            liu = uow.session.scalar(select(User).where(User.key == "liuyang"))
            create_customer(uow, "无锡华晟汽车零部件有限公司")
            create_customer(uow, "苏州华晟精密机械有限公司", owner=liu)
            create_customer(uow, "柳州国联运输集团有限公司")
            create_customer(uow, "国联证券股份有限公司")
            uow.commit()
        yield s


def _visits(stack: WeComStack) -> list[Visit]:
    with stack.db.sessions() as s:
        return list(s.scalars(select(Visit).order_by(Visit.id)))


def _questions(stack: WeComStack) -> list[dict]:
    return [m.card or m.body for m in stack.cards_of("ZhangWei") if (m.card or m.body)["main_title"]["title"] == QUESTION]


def _customer_of(stack: WeComStack, visit: Visit) -> str:
    with stack.db.sessions() as s:
        customer = s.get(Customer, visit.customer_id)
        assert customer is not None
        return customer.name


def test_a_pick_is_learnt_for_every_worker_and_never_asked_again(stack: WeComStack, db_url: str) -> None:
    other_worker = Database(db_url)  # another process: its own customer index
    try:
        with UnitOfWork(other_worker, stack.clock) as uow:
            assert {m.score for m in find_customers(uow, "华晟")} == {1.0}  # two equally good: would ask
        stack.driver.send_text("ZhangWei", "上午拜访了华晟 王经理，聊方案")
        question = stack.wait_until(lambda: _questions(stack), what="question")[-1]
        buttons = {b["text"]: b["key"] for b in question["button_list"]}
        # Neither is the rep's own: both offered, the right one among them.
        assert {"无锡华晟汽车零部件有限公司", "苏州华晟精密机械有限公司"} <= set(buttons)
        stack.driver.tap_card("ZhangWei", question["task_id"], buttons["无锡华晟汽车零部件有限公司"])
        stack.wait_until(lambda: _visits(stack), what="visit saved")

        with UnitOfWork(other_worker, stack.clock) as uow:
            found = find_customers(uow, "华晟")
            assert (found[0].customer.name, found[0].score) == ("无锡华晟汽车零部件有限公司", 1.0)
            assert all(m.score < 1.0 for m in found[1:])
            learnt = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "customer.learn_alias"))
            assert learnt is not None and learnt.after == {"alias": "华晟"}

        stack.driver.send_text("ZhangWei", "下午又去了华晟 王经理，看样品")
        stack.wait_until(lambda: len(_visits(stack)) == 2, what="second visit saved without a question")
        assert len(_questions(stack)) == 1
        assert _customer_of(stack, _visits(stack)[1]) == "无锡华晟汽车零部件有限公司"

        with UnitOfWork(other_worker, stack.clock) as uow:  # removable, audited
            customer = uow.session.scalar(select(Customer).where(Customer.name == "无锡华晟汽车零部件有限公司"))
            assert customer is not None and remove_alias(uow, customer, "华晟")
            uow.commit()
        with UnitOfWork(stack.db, stack.clock) as uow:
            assert {m.score for m in find_customers(uow, "华晟")} == {1.0}
    finally:
        other_worker.dispose()


def test_a_correction_teaches_the_mention(stack: WeComStack, db_url: str) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访了国联证券的王总，聊了报价")
    stack.wait_until(lambda: _visits(stack), what="visit saved")
    assert _customer_of(stack, _visits(stack)[0]) == "国联证券股份有限公司"
    stack.driver.send_text("ZhangWei", "客户改成柳州国联运输集团有限公司")
    stack.wait_until(lambda: _customer_of(stack, _visits(stack)[0]) == "柳州国联运输集团有限公司", what="edit")
    other_worker = Database(db_url)
    try:
        with UnitOfWork(other_worker, stack.clock) as uow:
            assert find_customers(uow, "国联证券")[0].customer.name == "柳州国联运输集团有限公司"
    finally:
        other_worker.dispose()


def test_the_reps_own_customer_is_offered_first(stack: WeComStack) -> None:
    stack.driver.send_text("LiuYang", "上午拜访了华晟 王经理，聊方案")
    question = stack.wait_until(
        lambda: [m.card or m.body for m in stack.cards_of("LiuYang")], what="question"
    )[-1]
    assert question["button_list"][0]["text"] == "苏州华晟精密机械有限公司"
