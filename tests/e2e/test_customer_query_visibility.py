"""查客户 in chat follows the H5 pages' visibility rule; LIKE wildcards match literally (issue #19, point 5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ
from domain.models import User
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from tests.e2e.wecom_stack import WeComStack, wecom_stack

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        s.clock.set(NOW)
        with UnitOfWork(s.db, s.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            assert zhang is not None
            jinggong = create_customer(uow, "苏州精工机械有限公司", owner=zhang)
            create_opportunity(uow, jinggong, zhang)
            uow.commit()
        yield s


def _everything_said_to(stack: WeComStack, user: str) -> str:
    return "\n".join(str(m.content) + str(getattr(m, "card", "")) for m in stack.seen_by(user))


def test_a_rep_of_another_team_learns_nothing_about_a_customer(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "查客户 苏州精工")  # the owner sees the card
    stack.wait_until(lambda: stack.cards_of("ZhangWei"), what="owner's card")
    stack.driver.send_text("ZhaoLei", "查客户 苏州精工")
    answer = stack.wait_until(lambda: stack.texts_of("ZhaoLei"), what="answer")[0]
    assert "没有找到客户「苏州精工」" in answer
    assert stack.cards_of("ZhaoLei") == []
    assert "张伟" not in _everything_said_to(stack, "ZhaoLei")


@pytest.mark.parametrize("wildcard", ["%", "_"])
def test_like_wildcards_list_nobodys_customers(stack: WeComStack, wildcard: str) -> None:
    stack.driver.send_text("ZhangWei", f"查客户 {wildcard}")
    answer = stack.wait_until(lambda: stack.texts_of("ZhangWei"), what="answer")[0]
    assert answer.startswith(f"没有找到客户「{wildcard}」")
    assert stack.cards_of("ZhangWei") == [] and "苏州精工" not in answer
