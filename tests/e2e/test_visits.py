"""Visit logging through the fake WeCom, as a rep does it every day."""

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.clock import BUSINESS_TZ, to_local
from domain.models import Customer, Opportunity, Stage, User, Visit
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from tests.e2e.wecom_stack import WeComStack, wecom_stack

# Wednesday 2026-11-25 15:00 in Shanghai: "下周三" is 2026-12-02.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        s.clock.set(NOW)
        with UnitOfWork(s.db, s.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            huawei = create_customer(uow, "华为技术有限公司", owner=zhang, aliases=["华为"])
            create_customer(uow, "华为终端有限公司", owner=zhang)
            create_customer(uow, "苏州精工机械有限公司", owner=zhang)
            create_customer(uow, "无锡精工科技有限公司", owner=zhang)
            assert zhang is not None
            create_opportunity(uow, huawei, zhang)
            uow.commit()
        yield s


def _visits(stack: WeComStack) -> list[Visit]:
    with stack.db.sessions() as s:
        return list(s.scalars(select(Visit).order_by(Visit.id)))


def _card_json(message) -> dict:
    """Interactive cards in their current state; notice cards as sent."""
    return message.card or message.body


def _titled(stack: WeComStack, title: str) -> list[dict]:
    return [c for c in map(_card_json, stack.cards_of("ZhangWei")) if c["main_title"]["title"] == title]


def _last_card(stack: WeComStack, user: str = "ZhangWei"):
    return stack.wait_until(lambda: stack.cards_of(user), what="a card")[-1]


def test_a_clear_visit_is_saved_at_once_and_confirmed_on_a_card(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访了华为的张总，聊了报价，预算50万，下周三再跟进")
    card = _last_card(stack).card
    assert card["main_title"]["title"] == "已记录拜访"
    lines = {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}
    assert lines["客户"] == "华为技术有限公司" and lines["联系人"].startswith("张总")
    assert lines["下次跟进"] == "12月2日（周三）"
    assert [b["text"] for b in card["button_list"]][-2:] == ["修改", "撤销"]
    assert any(b["text"].startswith("商机改为") for b in card["button_list"])  # suggested, never silent
    [visit] = _visits(stack)
    assert visit.next_follow_up == date(2026, 12, 2) and to_local(visit.visited_at).date() == date(
        2026, 11, 25
    )
    with stack.db.sessions() as s:
        opp = s.scalar(select(Opportunity))
        assert opp is not None and opp.amount == Decimal("500000.00") and opp.stage == Stage.LEAD


def test_the_stage_button_changes_the_stage_only_when_tapped(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天去华为跟张总谈判了，下周五再约")
    card = _last_card(stack).card
    stage_button = next(b for b in card["button_list"] if b["text"].startswith("商机改为"))
    stack.driver.tap_card("ZhangWei", card["task_id"], stage_button["key"])
    stack.wait_until(lambda: any("商机改为" in t for t in stack.texts_of("ZhangWei")), what="stage reply")
    with stack.db.sessions() as s:
        assert s.scalar(select(Opportunity.stage)) == Stage.NEGOTIATION


def test_an_ambiguous_customer_is_resolved_by_tapping_a_candidate(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "上午拜访了精工 王经理，聊方案")
    question = _last_card(stack).card
    assert question["main_title"]["title"] == "拜访的是哪家客户？"
    buttons = {b["text"]: b["key"] for b in question["button_list"]}
    assert {"苏州精工机械有限公司", "无锡精工科技有限公司", "新建客户"} <= set(buttons)
    assert _visits(stack) == []
    stack.driver.tap_card("ZhangWei", question["task_id"], buttons["无锡精工科技有限公司"])
    stack.wait_until(lambda: _visits(stack), what="visit saved")
    [visit] = _visits(stack)
    with stack.db.sessions() as s:
        assert s.get(Customer, visit.customer_id).name == "无锡精工科技有限公司"  # type: ignore[union-attr]
    stack.wait_until(
        lambda: stack.fake.cards[question["task_id"]]["ZhangWei"].greyed_out, what="question closed"
    )
    assert stack.fake.cards[question["task_id"]]["ZhangWei"].greyed_out


def test_no_customer_asks_and_the_next_message_answers(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天下午拜访了李工，聊了交期，周五再跟进")
    stack.wait_until(
        lambda: "拜访的是哪家客户？请回复客户名称，例如：华为" in stack.texts_of("ZhangWei"), what="question"
    )
    assert _visits(stack) == []
    stack.driver.send_text("ZhangWei", "苏州精工机械")
    stack.wait_until(lambda: _visits(stack), what="visit saved")
    [visit] = _visits(stack)
    assert visit.next_follow_up == date(2026, 11, 27)
    with stack.db.sessions() as s:
        assert s.get(Customer, visit.customer_id).name == "苏州精工机械有限公司"  # type: ignore[union-attr]


def test_edit_then_undo(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访华为张总，谈了报价，下周三再跟进")
    card = _last_card(stack).card
    stack.driver.send_text("ZhangWei", "改成下周四跟进")
    stack.wait_until(lambda: any(t.startswith("已修改") for t in stack.texts_of("ZhangWei")), what="edit")
    assert _visits(stack)[0].next_follow_up == date(2026, 12, 3)
    current = stack.fake.cards[card["task_id"]]["ZhangWei"].card
    assert {f["keyname"]: f["value"] for f in current["horizontal_content_list"]}[
        "下次跟进"
    ] == "12月3日（周四）"
    undo = next(b["key"] for b in current["button_list"] if b["text"] == "撤销")
    stack.driver.tap_card("ZhangWei", card["task_id"], undo)
    stack.wait_until(lambda: "已撤销这条拜访记录。" in stack.texts_of("ZhangWei"), what="undo")
    assert _visits(stack) == []


def test_location_check_in_attaches_to_the_visit_just_logged(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访华为张总，谈了报价")
    _last_card(stack)
    stack.driver.send_location("ZhangWei", 22.6536, 114.0570, "深圳市龙岗区华为基地")
    stack.wait_until(lambda: any("签到" in t for t in stack.texts_of("ZhangWei")), what="check-in")
    [visit] = _visits(stack)
    assert visit.location_label == "深圳市龙岗区华为基地" and visit.lat == pytest.approx(22.6536)


def test_location_first_then_customer(stack: WeComStack) -> None:
    stack.driver.send_location("LiuYang", 31.30, 120.60, "苏州工业园区")
    stack.wait_until(
        lambda: "已在「苏州工业园区」签到，拜访的是哪家客户？" in stack.texts_of("LiuYang"), what="ask"
    )
    stack.driver.send_text("LiuYang", "苏州精工机械有限公司")
    stack.wait_until(lambda: _visits(stack), what="visit")
    assert _visits(stack)[0].location_label == "苏州工业园区"


def test_duplicate_callbacks_never_duplicate_visits_and_two_quick_visits_both_land(stack: WeComStack) -> None:
    xml = stack.driver.text_xml("ZhangWei", "今天拜访华为张总，谈了报价", "880001")
    body, params = stack.driver.envelope(xml)
    for _ in range(3):
        stack.driver.post_envelope(body, params)
    stack.driver.send_text("ZhangWei", "今天拜访苏州精工机械陈总，看了样机", msg_id="880002")
    stack.wait_until(lambda: len(_visits(stack)) == 2, what="two visits")
    with stack.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 2


@pytest.mark.parametrize("text", ["", "😀😀😀", "啊" * 2001, "asdfgh"])
def test_bad_input_gets_a_hint_and_stores_nothing(stack: WeComStack, text: str) -> None:
    stack.driver.send_text("ZhangWei", text)
    hint = stack.wait_until(lambda: stack.texts_of("ZhangWei"), what="hint")[0]
    assert "今天拜访华为张总" in hint or "太长" in hint
    assert _visits(stack) == []


def test_a_future_visit_is_questioned_not_stored(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "明天拜访华为张总，谈报价")
    stack.wait_until(lambda: any("还没到" in t for t in stack.texts_of("ZhangWei")), what="question")
    assert _visits(stack) == []


def test_commands_answer_from_the_database(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访华为张总，谈了报价，今天再跟进一下")
    _last_card(stack)
    stack.driver.send_text("ZhangWei", "/待办")
    todo = stack.wait_until(lambda: _titled(stack, "我的待办"), what="todo")[0]
    assert "今天 1 个跟进" in str(todo)
    stack.driver.send_text("ZhangWei", "查客户 华为技术")
    info = stack.wait_until(lambda: _titled(stack, "华为技术有限公司"), what="customer")[0]
    assert "张伟" in str(info) and "谈了报价" in str(info)
    stack.driver.send_text("ZhangWei", "本周业绩")
    week = stack.wait_until(lambda: _titled(stack, "本周业绩"), what="week")[0]
    lines = {f["keyname"]: f["value"] for f in week["horizontal_content_list"]}
    assert lines["拜访"].startswith("1 次")
