"""Customers named in chat the way reps name them: a date word inside a name, and a worker
that has its customer index ready before the first message."""

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import event, select

from domain.clock import BUSINESS_TZ, to_local
from domain.models import Customer, User, Visit
from domain.services.customers import create_customer
from domain.uow import UnitOfWork
from tests.e2e.wecom_stack import WeComStack, wecom_stack

# Wednesday 2026-11-25 15:00 in Shanghai: 明天 would be 2026-11-26.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)
# Real registered names (fuyun-comrec's tuning part; 九号 is the listed 九号公司).
NAMES = ("昆明天一装饰有限公司", "九号有限公司", "天一阁文化传播有限公司", "柳州国联运输集团有限公司")


def _visits(stack: WeComStack) -> list[Visit]:
    with stack.db.sessions() as s:
        return list(s.scalars(select(Visit).order_by(Visit.id)))


def _customer_of(stack: WeComStack, visit: Visit) -> str:
    with stack.db.sessions() as s:
        customer = s.get(Customer, visit.customer_id)
        assert customer is not None
        return customer.name


def _add_customers(stack: WeComStack, names: tuple[str, ...]) -> None:
    with UnitOfWork(stack.db, stack.clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        for name in names:
            create_customer(uow, name, owner=zhang)
        uow.commit()


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        s.clock.set(NOW)
        _add_customers(s, NAMES)
        yield s


@pytest.mark.parametrize(
    ("text", "customer", "follow_up"),
    [
        ("今天拜访了昆明天一的王总，聊了装修报价", "昆明天一装饰有限公司", None),
        ("上午去了九号公司，李经理看了样品，下周三再跟进", "九号有限公司", date(2026, 12, 2)),
        ("下午去了昆明天一，明天再跟进", "昆明天一装饰有限公司", date(2026, 11, 26)),
    ],
)
def test_a_date_word_inside_a_customer_name_is_the_name(
    stack: WeComStack, text: str, customer: str, follow_up: date | None
) -> None:
    stack.driver.send_text("ZhangWei", text)
    visit = stack.wait_until(lambda: _visits(stack), what="visit saved at once")[0]
    assert _customer_of(stack, visit) == customer
    assert to_local(visit.visited_at).date() == date(2026, 11, 25)  # 明天/九号 did not move the visit
    assert visit.next_follow_up == follow_up


def test_a_started_worker_has_its_customer_index_before_the_first_message(db_url: str) -> None:
    with wecom_stack(db_url, worker=False) as stack:
        stack.clock.set(NOW)
        _add_customers(stack, NAMES + tuple(f"柳州市第{i}号运输有限公司" for i in range(300)))
        worker = stack._worker  # type: ignore[attr-defined]
        worker.start()
        assert worker.ready.wait(30), "the worker never finished warming up"

        statements: list[str] = []

        def seen(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
            statements.append(" ".join(statement.split()))

        event.listen(stack.db.engine, "before_cursor_execute", seen)
        try:
            stack.driver.send_text("ZhangWei", "今天拜访了国联的王总，聊了报价")
            visit = stack.wait_until(lambda: _visits(stack), what="visit saved")[0]
        finally:
            event.remove(stack.db.engine, "before_cursor_execute", seen)
        assert _customer_of(stack, visit) == "柳州国联运输集团有限公司"
        # Every customer is read only when the index is built: the first message did not build it.
        full_loads = [s for s in statements if "FROM customers" in s and "WHERE" not in s.split("FROM customers", 1)[1]]
        assert full_loads == []
