"""Conversations as reps write them, through the fake WeCom: questions, requests for other features,
commands with a slash, a pending question dropped, and dates that belong to the customer."""

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ
from domain.models import ApprovalFlow, Contract, Customer, Stage, User, Visit
from domain.services.customers import create_customer
from domain.services.opportunities import change_stage, create_opportunity
from domain.services.visits import log_visit
from domain.uow import UnitOfWork
from tests.e2e.wecom_stack import WeComStack, wecom_stack

# Wednesday 2026-11-25 15:00 in Shanghai.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        s.clock.set(datetime(2026, 10, 20, 10, 0, tzinfo=BUSINESS_TZ))
        with UnitOfWork(s.db, s.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            assert zhang is not None
            huawei = create_customer(uow, "华为技术有限公司", owner=zhang, aliases=["华为"])
            jinggong = create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["苏州精工"])
            create_customer(uow, "海康威视数字技术股份有限公司", owner=zhang, aliases=["海康"])
            # Three visits in October (two customers), recorded then.
            for day, customer in ((8, huawei), (15, huawei), (20, jinggong)):
                log_visit(uow, zhang, customer, visited_at=datetime(2026, 10, day, 10, 0, tzinfo=BUSINESS_TZ))
            opp = create_opportunity(uow, jinggong, zhang, amount=Decimal(380_000))
            change_stage(uow, opp, Stage.NEGOTIATION)
            uow.commit()
        s.clock.set(NOW)
        with UnitOfWork(s.db, s.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            assert zhang is not None
            won = create_opportunity(uow, huawei_of(uow), zhang, amount=Decimal(120_000))
            change_stage(uow, won, Stage.WON)
            uow.commit()
        yield s


def huawei_of(uow: UnitOfWork) -> Customer:
    customer = uow.session.scalar(select(Customer).where(Customer.name == "华为技术有限公司"))
    assert customer is not None
    return customer


def _said(stack: WeComStack, user: str, part: str) -> str:
    return stack.wait_until(
        lambda: next((t for t in stack.texts_of(user) if part in t), None), what=f"a reply with {part!r}"
    )


def _contract_number(stack: WeComStack) -> str | None:
    with stack.db.sessions() as s:
        return s.scalar(select(Contract.number))


def _round_count(stack: WeComStack) -> int:
    with stack.db.sessions() as s:
        return len(list(s.scalars(select(ApprovalFlow))))


def _card_text(message: Any) -> str:
    return json.dumps(message.card, ensure_ascii=False) if message.card else ""


def _visit_count(stack: WeComStack) -> int:
    with stack.db.sessions() as s:
        return len(list(s.scalars(select(Visit))))


def test_how_many_visits_last_month_is_answered_from_the_reps_data(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "上个月我拜访了几次？")
    reply = _said(stack, "ZhangWei", "上个月")
    assert "3 次拜访" in reply and "2 家客户" in reply and "10月1日–10月31日" in reply
    assert not any("哪家客户" in t for t in stack.texts_of("ZhangWei"))
    assert _visit_count(stack) == 3


def test_where_a_customers_deal_stands(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "苏州精工的商机到哪一步了？")
    reply = _said(stack, "ZhangWei", "苏州精工机械有限公司的商机")
    assert "谈判" in reply and "380,000" in reply


def test_won_this_month(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "本月成交")
    reply = _said(stack, "ZhangWei", "本月成交")
    assert "1 单" in reply and "120,000" in reply


def test_a_question_we_cannot_answer_gets_help_not_a_visit_question(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "怎么把客户导出来？")
    reply = _said(stack, "ZhangWei", "我可以回答这些问题")
    assert "上个月我拜访了几次" in reply
    assert not any("哪家客户" in t for t in stack.texts_of("ZhangWei"))


def test_a_pending_visit_question_is_dropped_when_the_rep_moves_on(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天下午拜访了李工，聊了交期")
    _said(stack, "ZhangWei", "拜访的是哪家客户？")
    stack.driver.send_text("ZhangWei", "好的，晚点再说")
    _said(stack, "ZhangWei", "刚才那条拜访没有记录")
    stack.driver.send_text("ZhangWei", "谢谢")
    stack.wait_until(lambda: len(stack.texts_of("ZhangWei")) >= 3, what="third reply")
    assert sum("哪家客户" in t for t in stack.texts_of("ZhangWei")) == 1  # asked once, never again
    assert _visit_count(stack) == 3


def test_a_question_while_a_visit_question_is_pending_is_answered(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天下午拜访了李工，聊了交期")
    _said(stack, "ZhangWei", "拜访的是哪家客户？")
    stack.driver.send_text("ZhangWei", "上个月我拜访了几次？")
    assert "3 次拜访" in _said(stack, "ZhangWei", "上个月")
    stack.driver.send_text("ZhangWei", "谢谢")  # the question is gone: a plain hint, not 「要新建这个客户吗？」
    hint = stack.wait_until(lambda: stack.texts_of("ZhangWei")[2:], what="third reply")[0]
    assert "今天拜访华为张总" in hint
    assert not [c for c in stack.cards_of("ZhangWei") if "新建" in str(c.body)]
    assert _visit_count(stack) == 3


def test_submit_with_a_slash_and_resubmit_after_withdrawing(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "/提交合同 苏州精工 38万")
    number = stack.wait_until(lambda: _contract_number(stack), what="the contract submitted")
    stack.wait_until(lambda: any(number in _card_text(m) for m in stack.cards_of("ZhangWei")), what="its card")
    stack.driver.send_text("ZhangWei", f"撤回 {number}")
    _said(stack, "ZhangWei", "撤回")
    stack.driver.send_text("ZhangWei", f"付款条件已经和客户改好了，重新提交一下{number}")
    stack.wait_until(lambda: _round_count(stack) == 2, what="a second round of the contract")
    with stack.db.sessions() as s:
        contracts = list(s.scalars(select(Contract).order_by(Contract.id)))
        rounds = list(s.scalars(select(ApprovalFlow).order_by(ApprovalFlow.id)))
    # the same contract, in a second round; the first round's history stays
    assert [c.status for c in contracts] == ["submitted"]
    assert contracts[0].amount == Decimal("380000.00")
    assert [f.round for f in rounds] == [1, 2]
    assert rounds[1].note is not None and "付款条件" in rounds[1].note
    assert not any("哪家客户" in t for t in stack.texts_of("ZhangWei"))


def test_resubmitting_a_contract_still_in_approval_says_so(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 38万")
    stack.wait_until(lambda: _contract_number(stack), what="the contract submitted")
    stack.driver.send_text("ZhangWei", "重新提交一下")
    assert "还在审批中" in _said(stack, "ZhangWei", "审批中，不用")


def test_the_customers_meeting_is_not_the_reps_follow_up(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访华为张总，他们下周三要开会定供应商我下周四再打电话问结果")
    stack.wait_until(lambda: _visit_count(stack) == 4, what="visit saved")
    with stack.db.sessions() as s:
        visit = s.scalars(select(Visit).order_by(Visit.id.desc())).first()
        assert visit is not None and visit.next_follow_up == date(2026, 12, 3)


def test_month_end_deadline_is_the_follow_up(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天去了苏州精工，他们下个月招标，让准备资质文件，月底前把标书发他")
    stack.wait_until(lambda: _visit_count(stack) == 4, what="visit saved")
    with stack.db.sessions() as s:
        visit = s.scalars(select(Visit).order_by(Visit.id.desc())).first()
        assert visit is not None and visit.next_follow_up == date(2026, 11, 30)
        assert visit.summary is not None and "招标" in visit.summary and "资质文件" in visit.summary


def _visit_cards(stack: WeComStack) -> list[dict]:
    """The rep's visit cards in their current state (updates applied)."""
    return [
        c
        for c in ((m.card or m.body) for m in stack.cards_of("ZhangWei"))
        if c["main_title"]["title"] == "已记录拜访"
    ]


def _lines(card: dict) -> dict[str, str]:
    return {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}


def test_corrections_without_a_button_apply_to_the_visit_and_the_card_follows_every_time(
    stack: WeComStack,
) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访苏州精工，见了刘工，聊了交期")
    stack.wait_until(lambda: _visit_cards(stack), what="visit card")
    corrections = [
        ("联系人是刘工，设备科科长", "联系人", "刘工（设备科科长）"),
        ("改成周四跟进", "下次跟进", "11月26日（周四）"),
        ("刘工是设备部经理，不是科长", "联系人", "刘工（设备部经理）"),
        ("金额是35万", None, None),
        ("改成下周一跟进", "下次跟进", "11月30日（周一）"),
    ]
    for n, (text, field, value) in enumerate(corrections, start=1):
        stack.driver.send_text("ZhangWei", text)
        stack.wait_until(
            lambda n=n: sum(t.startswith("已修改") for t in stack.texts_of("ZhangWei")) >= n, what=f"edit {n}"
        )
        if field is not None:
            stack.wait_until(lambda f=field, v=value: _lines(_visit_cards(stack)[-1])[f] == v, what=f"card {n}")
    latest = _lines(_visit_cards(stack)[-1])
    assert latest["联系人"] == "刘工（设备部经理）" and latest["下次跟进"] == "11月30日（周一）"
    # Never a plain-text copy of the card: WeCom gets an update, or a fresh card once its codes are spent.
    assert not [t for t in stack.texts_of("ZhangWei") if "已记录拜访" in t]
    with stack.db.sessions() as s:
        visits = list(s.scalars(select(Visit).order_by(Visit.id)))
        assert len(visits) == 4  # corrected, not logged again
        assert visits[-1].next_follow_up == date(2026, 11, 30)
        assert visits[-1].contact is not None and visits[-1].contact.title == "设备部经理"
        jinggong = s.scalar(select(Customer).where(Customer.name == "苏州精工机械有限公司"))
        from domain.models import Opportunity

        opp = s.scalar(select(Opportunity).where(Opportunity.customer_id == jinggong.id))  # type: ignore[union-attr]
        assert opp is not None and opp.amount == Decimal("350000.00")


def test_a_correction_after_thirty_minutes_is_a_new_message_not_an_edit(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访苏州精工，见了刘工，聊了交期")
    stack.wait_until(lambda: _visit_cards(stack), what="visit card")
    stack.clock.set(datetime(2026, 11, 25, 15, 40, tzinfo=BUSINESS_TZ))
    stack.driver.send_text("ZhangWei", "金额是35万")
    stack.wait_until(lambda: len(stack.texts_of("ZhangWei")) >= 1, what="a reply")
    assert not any(t.startswith("已修改") for t in stack.texts_of("ZhangWei"))


def test_a_phone_call_is_logged_as_a_call_with_the_budget_on_the_deal(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天电话沟通了下海康，李总说预算批下来了120w，下周三再联系")
    stack.wait_until(lambda: _visit_cards(stack), what="visit card")
    lines = _lines(_visit_cards(stack)[-1])
    assert lines["方式"] == "电话" and lines["联系人"] == "李总"  # not 「李总（总）」
    with stack.db.sessions() as s:
        visit = s.scalars(select(Visit).order_by(Visit.id.desc())).first()
        assert visit is not None and visit.channel == "phone" and visit.next_follow_up == date(2026, 12, 2)
        from domain.models import Opportunity

        hik = s.scalar(select(Customer).where(Customer.name.like("海康%")))
        opp = s.scalar(select(Opportunity).where(Opportunity.customer_id == hik.id))  # type: ignore[union-attr]
        assert opp is not None and opp.amount == Decimal("1200000.00")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("今天拜访苏州精工，见了战略采购经理王总，聊了交期", "王总（战略采购经理）"),
        ("海康 刘工，设备科的科长，看了样机", "刘工（设备科科长）"),
    ],
)
def test_the_card_shows_the_contacts_title_as_written(stack: WeComStack, text: str, shown: str) -> None:
    stack.driver.send_text("ZhangWei", text)
    stack.wait_until(lambda: _visit_cards(stack), what="visit card")
    assert _lines(_visit_cards(stack)[-1])["联系人"] == shown


def test_two_customers_in_one_message_become_two_visits_each_undoable(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "上午去了海康，见了李总聊了方案，下午又跑了趟苏州精工，王工说下周三再看样机")
    card = stack.wait_until(
        lambda: next((m.card for m in stack.cards_of("ZhangWei") if m.card and "条拜访" in m.card["main_title"]["title"]), None),
        what="the several-visits card",
    )
    assert card["main_title"]["title"] == "已记录 2 条拜访"
    with stack.db.sessions() as s:
        new = list(s.scalars(select(Visit).order_by(Visit.id)))[3:]
        assert [v.customer.name[:2] for v in new if v.customer] == ["海康", "苏州"]
        hik, jg = new
        assert hik.summary is not None and "样机" not in hik.summary  # 精工's sentence stays with 精工
        assert jg.next_follow_up == date(2026, 12, 2) and hik.next_follow_up is None
        assert hik.visited_at.astimezone(BUSINESS_TZ).hour == 10 and jg.visited_at.astimezone(BUSINESS_TZ).hour == 15
        jg_id = jg.id
    undo = next(b["key"] for b in card["button_list"] if b["key"] == f"visits:undo:{jg_id}")
    stack.driver.tap_card("ZhangWei", card["task_id"], undo)
    _said(stack, "ZhangWei", "已撤销苏州精工机械有限公司的拜访记录。")
    current = stack.wait_until(
        lambda: (c := stack.fake.cards[card["task_id"]]["ZhangWei"].card)["main_title"]["title"] == "已记录 1 条拜访" and c,
        what="card updated",
    )
    assert [b["key"] for b in current["button_list"]] == [f"visits:undo:{hik.id}"]
    assert _visit_count(stack) == 4


def test_a_competitor_named_in_passing_is_not_a_second_visit(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访华为张总，聊了报价，他们和海康在比价")
    stack.wait_until(lambda: _visit_cards(stack), what="visit card")
    assert _visit_count(stack) == 4


def test_an_english_visit_is_logged(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "Visited Huawei today, met Mr. Zhang, budget 500k, follow up next Wednesday")
    stack.wait_until(lambda: _visit_cards(stack), what="visit card")
    lines = _lines(_visit_cards(stack)[-1])
    assert lines["客户"] == "华为技术有限公司" and lines["联系人"] == "Mr. Zhang"
    assert lines["下次跟进"] == "12月2日（周三）"
    with stack.db.sessions() as s:
        visit = s.scalars(select(Visit).order_by(Visit.id.desc())).first()
        assert visit is not None and visit.summary == "budget 500k"


def test_a_visit_that_mentions_resubmitting_a_quote_is_still_a_visit(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访华为张总，他让我们重新提交报价")
    stack.wait_until(lambda: _visit_cards(stack), what="visit card")
    with stack.db.sessions() as s:
        assert list(s.scalars(select(Contract))) == []


def test_a_part_of_day_still_ahead_today_is_questioned_not_stored(stack: WeComStack) -> None:
    stack.clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=BUSINESS_TZ))
    stack.driver.send_text("ZhangWei", "下午拜访了华为张总，谈了报价")
    reply = _said(stack, "ZhangWei", "还没到")
    assert "11月25日 15:00" in reply
    assert _visit_count(stack) == 3


def _inbox_size(stack: WeComStack) -> int:
    return len(stack.fake.inbox_of("ZhangWei"))


@pytest.mark.parametrize("command", ["帮助", "/帮助", "查客户 华为", "我的待办", "本周业绩"])
def test_a_command_drops_the_pending_visit_question(stack: WeComStack, command: str) -> None:
    stack.driver.send_text("ZhangWei", "今天下午拜访了李工，聊了交期")
    _said(stack, "ZhangWei", "拜访的是哪家客户？")
    cards = len(stack.cards_of("ZhangWei"))
    stack.driver.send_text("ZhangWei", command)
    _said(stack, "ZhangWei", "刚才那条拜访没有记录")
    stack.wait_until(lambda: len(stack.cards_of("ZhangWei")) > cards, what="the command's card")
    # A customer name now is no longer the answer to the old question: the 李工 visit stays unrecorded.
    before = _inbox_size(stack)
    stack.driver.send_text("ZhangWei", "苏州精工")
    stack.wait_until(lambda: _inbox_size(stack) > before, what="a reply to 苏州精工")
    with stack.db.sessions() as s:
        assert not [v for v in s.scalars(select(Visit)) if v.summary and "交期" in v.summary]
    assert sum("哪家客户" in t for t in stack.texts_of("ZhangWei")) == 1


def test_a_plan_noun_stays_in_the_note_and_year_end_is_the_follow_up(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访华为张总，沟通了交付计划，对方年底前定供应商")
    stack.wait_until(lambda: _visit_count(stack) == 4, what="visit saved")
    with stack.db.sessions() as s:
        visit = s.scalars(select(Visit).order_by(Visit.id.desc())).first()
        assert visit is not None and visit.summary is not None and "交付计划" in visit.summary
        assert visit.next_follow_up == date(2026, 12, 31)  # a Thursday: the year's last workday
