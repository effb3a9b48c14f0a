"""Issue #15's conversation cases on WeCom and on DingTalk (tests/e2e/chat_platforms.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from domain.clock import BUSINESS_TZ
from domain.models import Contract, User, Visit
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from tests.e2e.chat_platforms import PLATFORMS, ChatPlatform, open_platform, said

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)  # a Wednesday
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the platform matrix, kept small


@pytest.fixture(params=PLATFORMS)
def chat(request: pytest.FixtureRequest, db_url: str) -> Iterator[ChatPlatform]:
    with open_platform(request.param, db_url) as platform:
        platform.clock.set(NOW)
        with UnitOfWork(platform.db, platform.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            assert zhang is not None
            customer = create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["苏州精工"])
            create_opportunity(uow, customer, zhang)
            uow.commit()
        yield platform


def _visits(chat: ChatPlatform) -> int:
    with chat.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(Visit)) or 0


@SQLITE
def test_questions_commands_and_corrections(chat: ChatPlatform) -> None:
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "上个月我拜访了几次？")
    said(chat, zhang, "上个月（10月1日–10月31日）你还没有记录拜访。")

    chat.send_text(zhang, "今天拜访苏州精工，见了刘工，他们下周三要开会定供应商我下周四再打电话问结果")
    card = chat.wait_until(lambda: chat.cards(zhang, "已记录拜访"), what="visit card")[-1]
    assert card.fields["下次跟进"] == "12月3日（周四）"
    chat.send_text(zhang, "联系人是刘工，设备科科长")
    said(chat, zhang, "已修改：联系人改为刘工（设备科科长）")
    chat.wait_until(
        lambda: chat.cards(zhang, "已记录拜访")[-1].fields["联系人"] == "刘工（设备科科长）", what="card updated"
    )
    assert _visits(chat) == 1

    chat.send_text(zhang, "/提交合同 苏州精工 38万")
    chat.wait_until(lambda: chat.cards(zhang, "我的合同"), what="the submitter's own card of the contract")
    with chat.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Contract)) == 1
        visit = s.scalar(select(Visit))
        assert visit is not None and visit.next_follow_up == date(2026, 12, 3)


@SQLITE
def test_a_command_drops_the_pending_question_and_year_end_is_a_follow_up(chat: ChatPlatform) -> None:
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "今天下午拜访了李工，聊了交期")
    said(chat, zhang, "拜访的是哪家客户？")
    chat.send_text(zhang, "帮助")
    said(chat, zhang, "刚才那条拜访没有记录（缺少客户名称）。")
    chat.send_text(zhang, "今天拜访苏州精工王总，沟通了交付计划，对方年底前定供应商")
    card = chat.wait_until(lambda: chat.cards(zhang, "已记录拜访"), what="visit card")[-1]
    assert card.fields["下次跟进"] == "12月31日（周四）"
    assert sum("哪家客户" in t for t in chat.texts(zhang)) == 1  # 苏州精工 was a new visit, not the old answer
    with chat.db.sessions() as s:
        visits = list(s.scalars(select(Visit)))
        assert len(visits) == 1 and visits[0].summary is not None and "交付计划" in visits[0].summary


@SQLITE
def test_a_question_naming_a_customer_is_answered_from_its_records_and_logs_no_visit(chat: ChatPlatform) -> None:
    """「苏州精工最近有没有人去过」 asks the bot (it used to be stored as a visit, then got the short help): the
    answer is the customer's card -- who looks after it and who visited it when. A rep who may not see the
    customer learns nothing about it, and a request to change something is not answered with the card."""
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "苏州精工最近有没有人去过")
    first = chat.wait_until(lambda: chat.cards(zhang, "苏州精工机械有限公司"), what="the customer's card")[-1]
    assert first.fields["负责人"] == "张伟"
    assert _visits(chat) == 0 and not chat.cards(zhang, "已记录拜访")

    chat.send_text(zhang, "今天拜访苏州精工王总，沟通了交付计划")
    chat.wait_until(lambda: chat.cards(zhang, "已记录拜访"), what="visit card")
    chat.send_text(zhang, "苏州精工上次是谁去的？")
    chat.wait_until(lambda: len(chat.cards(zhang, "苏州精工机械有限公司")) == 2, what="the second answer")
    answer = chat.cards(zhang, "苏州精工机械有限公司")[-1]
    assert "11月25日 张伟" in answer.quote and "交付计划" in answer.quote
    assert answer.fields["联系人"] == "王总"  # whom to call, met on that visit
    assert _visits(chat) == 1

    chat.send_text(zhang, "帮我把苏州精工的负责人改成小刘")
    chat.wait_until(lambda: any("没看懂" in t for t in chat.texts(zhang)), what="the short help")
    assert len(chat.cards(zhang, "苏州精工机械有限公司")) == 2 and _visits(chat) == 1

    other = chat.person("sunli")  # 法务: may see no customer (domain.services.pages.scope_user_ids)
    chat.send_text(other, "苏州精工最近有没有人去过")
    said(chat, other, "我可以回答这些问题")  # what the bot can answer; nothing about the customer
    assert chat.cards(other) == [] and not any("张伟" in t or "交付计划" in t for t in chat.texts(other))


@SQLITE
def test_asking_what_to_follow_up_gets_the_todo_card(chat: ChatPlatform) -> None:
    """「这周有什么要跟进的」 is 我的待办 in words: the to-do card, no visit, no 「拜访的是哪家客户？」."""
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "这周有什么要跟进的")
    chat.wait_until(lambda: chat.cards(zhang, "我的待办"), what="the to-do card")
    assert _visits(chat) == 0 and not any("哪家客户" in t for t in chat.texts(zhang))


@SQLITE
def test_a_dictated_message_with_a_bare_name_and_a_deposit(chat: ChatPlatform) -> None:
    """Voice input (a blank after every word), the contact by full name only, a deposit next to the contract's
    total: the card shows the person, the total (not the deposit) and every word of the note."""
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "苏州精工 刘建国 电话 说 定金 五万 今天 到了 合同 总价 五十万 利润 不 高")
    card = chat.wait_until(lambda: chat.cards(zhang, "已记录拜访"), what="visit card")[-1]
    assert card.fields["联系人"].startswith("刘建国")
    assert card.fields["金额"] == "¥500,000"
    assert "利润不高" in card.quote
    with chat.db.sessions() as s:
        visit = s.scalars(select(Visit)).one()
        assert visit.channel == "phone" and "利润不高" in (visit.summary or "")


@SQLITE
def test_a_message_typed_a_character_at_a_time_with_our_colleague_along(chat: ChatPlatform) -> None:
    """A blank after every character (some phone keyboards), a colleague of ours named first: the card shows their
    contact with the title said after 是, and the follow-up day written in separate characters."""
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "和小王一起去了苏州精工 见了周经理 他 是 设 备 科 的 科 长 下 周 三 再 去")
    card = chat.wait_until(lambda: chat.cards(zhang, "已记录拜访"), what="visit card")[-1]
    assert card.fields["联系人"] == "周经理（设备科科长）"
    with chat.db.sessions() as s:
        visit = s.scalars(select(Visit)).one()
        assert visit.next_follow_up == date(2026, 12, 2)
