"""The customer page shows the customer's change history (#20 pt 5): a visit edit is visible to
the people who may see the customer, and never to someone outside their scope — both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from domain.clock import FixedClock
from domain.models import Customer, Visit
from domain.services.visits import log_visit, update_visit
from domain.uow import UnitOfWork
from tests.integration.test_h5 import Site
from tests.integration.test_h5 import site as site  # noqa: F401 - the fixture
from tests.scheduling import sh


@pytest.fixture
def edited(site: Site, clock: FixedClock) -> Iterator[Site]:  # noqa: F811
    with UnitOfWork(site.runtime.db, clock) as uow:
        customer = uow.session.get(Customer, site.customers["zhangwei"])
        assert customer is not None and customer.owner is not None
        uow.act_as(customer.owner)
        log_visit(uow, customer.owner, customer, visited_at=sh(2026, 12, 1, 9), summary="沟通交付")
        uow.commit()
    with UnitOfWork(site.runtime.db, clock) as uow:
        visit = uow.session.scalar(select(Visit))
        assert visit is not None
        uow.act_as(visit.rep)
        update_visit(uow, visit, next_follow_up=date(2026, 12, 9))
        uow.commit()
    yield site


def test_the_customer_page_shows_who_changed_what(edited: Site) -> None:
    page = edited.client.get(edited.link("zhangwei", f"/h5/customers/{edited.customers['zhangwei']}"))
    assert page.status_code == 200, page.text
    assert "变更记录" in page.text
    assert "张伟 · 拜访 · 修改" in page.text and "next_follow_up: — → 2026-12-09" in page.text
    manager = edited.client.get(edited.link("lina", f"/h5/customers/{edited.customers['zhangwei']}"))
    assert "拜访 · 修改" in manager.text  # 李娜 manages 张伟: she sees it too
    outsider = edited.client.get(edited.link("zhaolei", f"/h5/customers/{edited.customers['zhangwei']}"))
    assert outsider.status_code == 403 and "拜访 · 修改" not in outsider.text
