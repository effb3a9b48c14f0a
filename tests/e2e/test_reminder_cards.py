"""Issue #16: reminder cards carry 已跟进 / 明天再提醒 / 打开商机, on WeCom and DingTalk.

The 09:00 follow-ups, the 10:00 stale opportunities and the 08:00 dormant customers reach
the rep as one card per item. 已跟进 records the touch and the card says who and when;
明天再提醒 keeps the item out of its job until the next workday and the card says when;
打开商机 is the card's signed link to the customer's page. Run through the fake platforms
(tests/e2e/chat_platforms.py), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import httpx
import pytest
from sqlalchemy import select

from domain.models import Customer, CustomerStatus, Opportunity, ReminderMark, Stage, User
from domain.services.reports import follow_ups
from domain.uow import UnitOfWork
from tests.e2e.chat_platforms import PLATFORMS, CardView, ChatPlatform, open_platform, settle
from tests.scheduling import History, sh

H5_SECRET = "reminder-cards-secret"


@pytest.fixture(params=PLATFORMS)
def chat(request: pytest.FixtureRequest, db_url: str) -> Iterator[ChatPlatform]:
    with open_platform(request.param, db_url, h5_secret=H5_SECRET) as platform:
        yield platform


def _card(chat: ChatPlatform, person: str, title: str, n: int = 1) -> CardView:
    cards: list[CardView] = chat.wait_until(
        lambda: len(c := chat.cards(person, title)) >= n and c, what=f"{person}: card {title} #{n}"
    )
    return cards[n - 1]


def _now(chat: ChatPlatform, person: str, card: CardView) -> CardView:
    return next(c for c in chat.cards(person) if c.id == card.id)


def _decided(chat: ChatPlatform, person: str, card: CardView) -> str:
    status: str = chat.wait_until(lambda: _now(chat, person, card).decided, what=f"{person}'s card decided")
    return status


def _tap_at(chat: ChatPlatform, when: datetime, person: str, card: CardView, button: str) -> None:
    chat.clock.set(when)
    chat.tap(person, card, button)


def _page(chat: ChatPlatform, url: str) -> str:
    """What the signed link shows (the stack's own address instead of the configured public one)."""
    local = url.replace("http://127.0.0.1:8000", chat.stack.base_url)  # type: ignore[attr-defined]
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        r = client.get(local)
    assert r.status_code == 200, r.text[:300]
    return r.text


def test_a_follow_up_card_is_marked_done_and_leaves_the_reminders(chat: ChatPlatform) -> None:
    h = History(chat.db)
    huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 11, 1))
    h.visit("zhangwei", huawei, sh(2026, 11, 20, 15), date(2026, 11, 25), "发正式报价")
    assert chat.run_job("followups", sh(2026, 11, 25, 9)).status == "done"
    zhang = chat.person("zhangwei")
    card = _card(chat, zhang, "跟进提醒 · 华为技术有限公司")
    assert card.subtitle == "今天要跟进" and card.fields["下一步"] == "发正式报价"
    assert card.buttons == ["已跟进", "明天再提醒"] and card.decided is None
    assert "华为技术有限公司" in _page(chat, card.links["打开商机"])  # the customer's page, signed for him

    _tap_at(chat, sh(2026, 11, 25, 9, 12), zhang, card, "已跟进")
    assert _decided(chat, zhang, card) == "已跟进 · 张伟 11-25 09:12"  # in place, who and when
    assert _now(chat, zhang, card).buttons == []
    with UnitOfWork(chat.db, chat.clock) as uow:  # 「我的待办」 agrees: nothing left to follow up
        todo = follow_ups(uow, uow.session.get_one(User, h.user("zhangwei").id), date(2026, 11, 26))
        assert todo.due_today == [] and todo.overdue == []
    outcome = chat.run_job("followups", sh(2026, 11, 26, 9))
    assert outcome.detail["reps"] == 0 and outcome.detail["messages"] == 0
    settle(chat)
    assert len(chat.cards(zhang)) == 1 and chat.texts(zhang) == []


def test_a_stale_opportunity_snoozed_comes_back_the_next_workday(chat: ChatPlatform) -> None:
    h = History(chat.db)
    huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 10, 1))
    h.opportunity(huawei, "zhangwei", sh(2026, 11, 15), Stage.NEGOTIATION, 480000)  # 10 days untouched
    assert chat.run_job("stale_opportunities", sh(2026, 11, 25, 10)).status == "done"
    zhang = chat.person("zhangwei")
    card = _card(chat, zhang, "商机停滞 · 华为技术有限公司")
    assert card.subtitle == "10 天未跟进" and card.fields["金额"] == "¥480,000.00"
    assert card.buttons == ["已跟进", "明天再提醒"]
    assert "/h5/customers/" in card.links["打开商机"] and "华为技术有限公司" in _page(chat, card.links["打开商机"])

    _tap_at(chat, sh(2026, 11, 25, 10, 5), zhang, card, "明天再提醒")
    assert _decided(chat, zhang, card) == "明天再提醒 · 11月26日（周四）"
    # a run later the same day honours the snooze, and its log says so
    later = chat.run_job("stale_opportunities", sh(2026, 11, 25, 16))
    assert (later.detail["stale"], later.detail["snoozed"], later.detail["owners"]) == (1, 1, 0)
    assert later.detail["messages"] == 0
    # the next workday it is back, as a fresh card
    thursday = chat.run_job("stale_opportunities", sh(2026, 11, 26, 10))
    assert (thursday.detail["snoozed"], thursday.detail["owners"]) == (0, 1)
    again = _card(chat, zhang, "商机停滞 · 华为技术有限公司", 2)
    assert again.subtitle == "11 天未跟进" and again.buttons == ["已跟进", "明天再提醒"]

    # 已跟进 touches the opportunity: it is no longer stale
    _tap_at(chat, sh(2026, 11, 26, 10, 30), zhang, again, "已跟进")
    assert _decided(chat, zhang, again) == "已跟进 · 张伟 11-26 10:30"
    with chat.db.sessions() as s:
        opp = s.scalars(select(Opportunity)).one()
        assert opp.last_touched_at == sh(2026, 11, 26, 10, 30)
    friday = chat.run_job("stale_opportunities", sh(2026, 11, 27, 10))
    assert (friday.detail["stale"], friday.detail["messages"]) == (0, 0)


def test_a_dormant_customer_snoozed_on_friday_returns_on_monday_and_a_tap_wakes_it(chat: ChatPlatform) -> None:
    h = History(chat.db)
    huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 10, 1))
    h.visit("zhangwei", huawei, sh(2026, 11, 1, 15))
    assert chat.run_job("dormant_customers", sh(2026, 11, 27, 8)).status == "done"  # Friday
    zhang = chat.person("zhangwei")
    card = _card(chat, zhang, "客户休眠 · 华为技术有限公司")
    assert card.fields["上次联系"] == "11月1日" and card.buttons == ["已跟进", "明天再提醒"]
    assert "华为技术有限公司" in _page(chat, card.links["打开客户"])

    _tap_at(chat, sh(2026, 11, 27, 8, 30), zhang, card, "明天再提醒")
    assert _decided(chat, zhang, card) == "明天再提醒 · 11月30日（周一）"  # the next workday
    for day in (28, 29):  # the weekend's daily runs leave it alone
        run = chat.run_job("dormant_customers", sh(2026, 11, day, 8))
        assert (run.detail["reminded_again"], run.detail["messages"]) == (0, 0)
    monday = chat.run_job("dormant_customers", sh(2026, 11, 30, 8))
    assert (monday.detail["reminded_again"], monday.detail["owners"]) == (1, 1)
    back = _card(chat, zhang, "客户休眠 · 华为技术有限公司", 2)
    assert chat.run_job("dormant_customers", sh(2026, 12, 1, 8)).detail["messages"] == 0  # back once

    _tap_at(chat, sh(2026, 11, 30, 9, 40), zhang, back, "已跟进")
    assert _decided(chat, zhang, back) == "已跟进 · 张伟 11-30 09:40"
    with chat.db.sessions() as s:
        customer = s.get(Customer, huawei)
        assert customer is not None and customer.status == CustomerStatus.ACTIVE  # woken
        marks = list(s.scalars(select(ReminderMark)))
        assert [(m.kind, m.entity_id, m.done_at is not None) for m in marks] == [("customer", huawei, True)]


def test_a_second_tap_changes_nothing(chat: ChatPlatform) -> None:
    h = History(chat.db)
    huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 11, 1))
    h.visit("zhangwei", huawei, sh(2026, 11, 20, 15), date(2026, 11, 25))
    chat.run_job("followups", sh(2026, 11, 25, 9))
    zhang = chat.person("zhangwei")
    card = _card(chat, zhang, "跟进提醒")
    tap = chat.prepare_tap(zhang, card, "明天再提醒")
    chat.tap(zhang, card, "已跟进")
    _decided(chat, zhang, card)
    assert tap() == 200
    chat.wait_until(lambda: any("已经处理过了" in t for t in chat.texts(zhang)), what="the late tap's answer")
    with chat.db.sessions() as s:
        [mark] = s.scalars(select(ReminderMark))
        assert mark.done_at is not None and mark.snoozed_until is None
    assert (_now(chat, zhang, card).decided or "").startswith("已跟进 · 张伟")  # not turned into a snooze
