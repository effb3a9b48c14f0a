"""What the rep sees on the visit card for amounts, channels, follow-up dates and several customers (issue #15)."""

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ, to_local
from domain.models import Customer, Opportunity, User, Visit
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from tests.e2e.wecom_stack import WeComStack, wecom_stack

# Wednesday 2026-11-25 15:00 in Shanghai.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        s.clock.set(NOW)
        with UnitOfWork(s.db, s.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            assert zhang is not None
            create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["精工", "苏州精工"])
            create_customer(uow, "苏州精密机械有限公司", owner=zhang, aliases=["苏州精密"])
            create_customer(uow, "宁德时代新能源科技股份有限公司", owner=zhang, aliases=["宁德时代"])
            uow.commit()
        yield s


def _card(stack: WeComStack) -> dict:
    message = stack.wait_until(lambda: stack.cards_of("ZhangWei"), what="a card")[-1]
    return message.card or message.body


def _lines(card: dict) -> dict[str, str]:
    return {f["keyname"]: f["value"] for f in card.get("horizontal_content_list", [])}


def _visits(stack: WeComStack) -> list[Visit]:
    with stack.db.sessions() as s:
        return list(s.scalars(select(Visit).order_by(Visit.id)))


def test_an_amount_said_on_the_phone_is_on_the_card_and_the_note_reads_as_written(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天去了苏州精工 见了刘工 电话里说预算大概三十五万")
    card = _card(stack)
    assert _lines(card)["金额"] == "¥350,000"
    assert card["quote_area"]["quote_text"] == "电话里说预算大概三十五万"  # one clause, not 「电话里，说…」
    assert "已新建商机，金额 ¥350,000" in card["main_title"]["desc"]


def test_an_amount_that_differs_from_the_deal_is_shown_not_dropped(stack: WeComStack) -> None:
    with UnitOfWork(stack.db, stack.clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        jinggong = uow.session.scalar(select(Customer).where(Customer.name == "苏州精工机械有限公司"))
        assert zhang is not None and jinggong is not None
        create_opportunity(uow, jinggong, zhang, amount=Decimal("200000"))
        uow.commit()
    stack.driver.send_text("ZhangWei", "今天去了苏州精工 见了刘工 电话里说预算大概三十五万")
    card = _card(stack)
    assert _lines(card)["金额"] == "¥350,000"
    assert "商机金额仍为 ¥200,000，要更新请回复「金额改为35万」" in card["main_title"]["desc"]
    with stack.db.sessions() as s:
        assert s.scalar(select(Opportunity.amount)) == Decimal("200000.00")  # never overwritten silently


@pytest.mark.parametrize(
    ("text", "shown"),
    [("宁德时代 陈工 订单总额 RMB 1.08M", "¥1,080,000"), ("精工王总 聊了下 预算80k", "¥80,000")],
)
def test_english_units_are_read(stack: WeComStack, text: str, shown: str) -> None:
    stack.driver.send_text("ZhangWei", text)
    assert _lines(_card(stack))["金额"] == shown


@pytest.mark.parametrize(
    ("text", "follow_up"),
    [
        ("今天见了精工王总 年后再说", "2月9日（周二）"),  # the rep's own: after the Spring Festival break
        ("今天见了精工王总 他说年后再说", "—"),  # the customer putting it off: no date of the rep's
        ("今天见了精工王总 聊了报价 下礼拜一上午十点过去", "11月30日（周一）"),
    ],
)
def test_follow_up_dates(stack: WeComStack, text: str, follow_up: str) -> None:
    stack.driver.send_text("ZhangWei", text)
    card = _card(stack)
    assert card["main_title"]["title"] == "已记录拜访"
    assert _lines(card)["下次跟进"] == follow_up
    [visit] = _visits(stack)
    assert to_local(visit.visited_at).date() == date(2026, 11, 25)


def test_bare_weekdays_are_two_visits_this_week(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "周一精工 周二苏州精密")
    card = _card(stack)
    assert card["main_title"]["title"] == "已记录 2 条拜访"
    with stack.db.sessions() as s:
        rows = s.execute(
            select(Customer.name, Visit.visited_at, Visit.next_follow_up).join(Visit.customer).order_by(Visit.id)
        ).all()
    assert [(name, to_local(at).date(), follow) for name, at, follow in rows] == [
        ("苏州精工机械有限公司", date(2026, 11, 23), None),
        ("苏州精密机械有限公司", date(2026, 11, 24), None),
    ]


def test_bare_weekdays_still_ahead_are_planned_visits(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "周四精工 周五苏州精密")
    reply = stack.wait_until(lambda: stack.texts_of("ZhangWei"), what="a reply")[-1]
    assert "计划中的拜访" in reply and "11月26日（周四） 苏州精工机械有限公司" in reply and "11月27日（周五）" in reply
    assert _visits(stack) == []
