"""Issue #8: the same scenarios, run on WeCom and on DingTalk (tests/e2e/chat_platforms.py).

Log a visit and undo it, photo → quote → contract, a three-step approval (and many taps at
once), the 09:00 follow-up reminder and the Monday leaderboard: each test is written once and
asserts what the people see in their chat app.  The platform matrix runs on SQLite; the
concurrent-taps scenario needs real concurrent writers and runs on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.clock import BUSINESS_TZ
from domain.models import ApprovalStep, AuditEntry, Contract, InboxEvent, Quote, Stage, User, Visit
from domain.services.customers import create_customer
from domain.services.opportunities import change_stage, create_opportunity, get_opportunity
from domain.services.visits import log_visit
from domain.uow import UnitOfWork
from handlers.quotes import RECEIVED
from tests.e2e.chat_platforms import PLATFORMS, CardView, ChatPlatform, open_platform, said, settle
from tests.e2e.test_leaderboard import MONDAY_9
from tests.e2e.test_leaderboard import sh as last_week
from tests.e2e.test_quotes import SAMPLE, TRUTH
from tests.scheduling import History, sh

# Wednesday 2026-11-25 15:00 in Shanghai: "下周三" is 2026-12-02.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the platform matrix, kept small
APPROVAL = "合同审批"
MINE = "我的合同"


@pytest.fixture(params=PLATFORMS)
def chat(request: pytest.FixtureRequest, db_url: str) -> Iterator[ChatPlatform]:
    with open_platform(request.param, db_url) as platform:
        platform.clock.set(NOW)
        yield platform


def _customer(chat: ChatPlatform, name: str, *aliases: str) -> None:
    """张伟's customer, with an open opportunity."""
    with UnitOfWork(chat.db, chat.clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert zhang is not None
        create_opportunity(uow, create_customer(uow, name, owner=zhang, aliases=list(aliases)), zhang)
        uow.commit()


def _card(chat: ChatPlatform, person: str, title: str, n: int = 1, timeout: float = 10.0) -> CardView:
    """The person's n-th card whose title starts with ``title`` (waits for it)."""
    cards: list[CardView] = chat.wait_until(
        lambda: len(c := chat.cards(person, title)) >= n and c, timeout, what=f"{person}: card {title} #{n}"
    )
    return cards[n - 1]


def _now(chat: ChatPlatform, person: str, card: CardView) -> CardView:
    """The same card as the person sees it now."""
    return next(c for c in chat.cards(person) if c.id == card.id)


def _decided(chat: ChatPlatform, person: str, card: CardView) -> str:
    status: str = chat.wait_until(lambda: _now(chat, person, card).decided, what=f"{person}'s copy decided")
    return status


def _count(chat: ChatPlatform, model: Any, *where: Any) -> int:
    with chat.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


# ----------------------------------------------------------------- 1. log a visit


@SQLITE
def test_a_visit_is_logged_on_a_card_and_undone_by_a_tap(chat: ChatPlatform) -> None:
    _customer(chat, "苏州精工机械有限公司")
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "今天拜访苏州精工王总，谈了报价，下周三再跟进")
    card = _card(chat, zhang, "已记录拜访")
    assert card.fields["客户"] == "苏州精工机械有限公司" and card.fields["联系人"].startswith("王总")
    assert card.fields["下次跟进"] == "12月2日（周三）"
    assert card.buttons[-2:] == ["修改", "撤销"] and card.decided is None
    with chat.db.sessions() as s:
        visit = s.scalar(select(Visit))
        assert visit is not None and visit.next_follow_up == date(2026, 12, 2)

    chat.tap(zhang, card, "撤销")
    said(chat, zhang, "已撤销这条拜访记录。")
    assert _decided(chat, zhang, card) == "已撤销"
    assert _now(chat, zhang, card).buttons == []  # nothing left to tap
    assert _count(chat, Visit) == 0


# ----------------------------------------------------------------- 2. photo → quote → contract


@SQLITE
def test_a_quote_photo_becomes_a_confirmed_quote_and_a_submitted_contract(chat: ChatPlatform) -> None:
    _customer(chat, TRUTH.customer)
    zhang = chat.person("zhangwei")
    chat.send_photo(zhang, SAMPLE.image)
    said(chat, zhang, RECEIVED)
    review = _card(chat, zhang, "报价单识别结果", timeout=60)  # the real ONNX engine reads the photo
    assert review.fields["客户"] == TRUTH.customer
    assert review.fields["合计"] == f"¥{Decimal(TRUTH.total):,.2f}"
    assert "✓ 一致" in review.fields["大写"] and "✓ 一致" in review.fields["明细合计"]
    with chat.db.sessions() as s:
        assert s.scalar(select(Quote.status)) == "draft"  # nothing final before the rep confirms

    chat.tap(zhang, review, "确认")
    said(chat, zhang, "报价单已保存")
    confirmed = chat.wait_until(
        lambda: (c := _now(chat, zhang, review)).buttons == ["提交审批"] and c, what="the card offers 提交审批"
    )
    assert confirmed.subtitle.startswith("已确认保存")
    chat.tap(zhang, confirmed, "提交审批")
    assert _decided(chat, zhang, review).startswith("已提交审批 · HT-")
    mine = _card(chat, zhang, MINE)  # the submitter's own card for the approval
    assert mine.fields["金额"] == f"¥{Decimal(TRUTH.total):,.2f}" and mine.buttons == ["催办", "撤回"]
    with chat.db.sessions() as s:
        quote = s.scalar(select(Quote))
        contract = s.scalar(select(Contract))
        assert quote is not None and quote.status == "confirmed" and quote.total == Decimal(TRUTH.total)
        assert contract is not None and contract.quote_id == quote.id and contract.amount == quote.total


# ----------------------------------------------------------------- 3. the three-step approval


@SQLITE
def test_a_large_contract_goes_through_all_three_steps(chat: ChatPlatform) -> None:
    _customer(chat, "苏州精工机械有限公司", "苏州精工")
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "提交合同 苏州精工 38万")
    mine = _card(chat, zhang, MINE)
    assert mine.fields["金额"] == "¥380,000.00" and mine.fields["大写"] == "叁拾捌万元整"
    assert mine.buttons == ["催办", "撤回"]  # the submitter's copy: no 同意 / 驳回
    chain = [("wangfang", "王芳"), ("sunli", "孙丽"), ("zhouqiang", "周强")]
    cards: list[tuple[str, str, CardView]] = []
    for n, (key, name) in enumerate(chain, start=1):
        approver = chat.person(key)
        card = _card(chat, approver, APPROVAL)
        assert card.fields["客户"] == "苏州精工机械有限公司" and card.fields["金额"] == "¥380,000.00"
        assert f"第 {n}/3 步" in str(card.fields) and f"● {name} 审批中" in card.quote
        assert chat.cards(zhang, APPROVAL) == []  # the approver's card is the approver's
        chat.tap(approver, card, "同意")
        assert _decided(chat, approver, card).startswith(f"已同意 · {name}")
        cards.append((approver, name, card))
    said(chat, zhang, "已全部审批通过")
    for approver, name, card in cards:  # every copy ends in the final state
        chat.wait_until(lambda a=approver, c=card: "合同已批准" in (_now(chat, a, c).decided or ""),
                        what=f"{name}'s copy shows the end")
    assert _decided(chat, zhang, mine).startswith("已批准")
    for approver in [a for a, _n, _c in cards[:2]]:  # the earlier approvers get one short line
        said(chat, approver, "最终结果：已批准")
    last = chat.cards(chat.person("zhouqiang"), APPROVAL)[0]
    assert "✓ 王芳 已同意 → ✓ 孙丽 已同意 → ✓ 周强 已同意" in last.quote and last.buttons == []
    settle(chat)
    assert len(chat.cards(zhang)) == 1 and len(chat.texts(zhang)) == 1  # one card, one final message
    with chat.db.sessions() as s:
        assert s.scalar(select(Contract.status)) == "approved"


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # real concurrent writers
@pytest.mark.parametrize("platform", PLATFORMS)
def test_many_simultaneous_taps_make_one_decision(platform: str, db_url: str) -> None:
    """王芳 taps 同意 again and again while 张伟 taps his copy, all at once; 8 workers drain."""
    with open_platform(platform, db_url, worker=False) as chat:
        chat.clock.set(NOW)
        _customer(chat, "苏州精工机械有限公司", "苏州精工")
        wang, zhang, sun = chat.person("wangfang"), chat.person("zhangwei"), chat.person("sunli")
        worker = chat.make_worker()
        chat.send_text(zhang, "提交合同 苏州精工 38万")
        chat.wait_until(lambda: worker.run_once() == 0 and chat.cards(wang, APPROVAL), what="王芳's card")
        card = chat.cards(wang, APPROVAL)[0]
        copy = chat.wait_until(lambda: chat.cards(zhang, MINE), what="张伟's own card")[0]
        taps: list[Callable[[], int]] = []
        for _ in range(15):  # every tap is possible: nothing is decided yet
            taps += [chat.prepare_tap(wang, card, "同意"), chat.prepare_tap(wang, card, "同意"),
                     chat.prepare_tap(zhang, copy, "催办")]
        barrier = threading.Barrier(15)
        codes: list[int] = []

        def post(chunk: list[Callable[[], int]]) -> None:
            barrier.wait()
            codes.extend(tap() for tap in chunk)

        senders = [threading.Thread(target=post, args=(taps[i::15],)) for i in range(15)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        assert codes == [200] * len(taps)
        stop = threading.Event()

        def drain(w: Any) -> None:
            while not stop.is_set():
                if w.run_once() == 0:
                    stop.wait(0.05)

        threads = [threading.Thread(target=drain, args=(chat.make_worker(),)) for _ in range(8)]
        for t in threads:
            t.start()
        try:
            chat.wait_until(lambda: chat.cards(sun, APPROVAL), timeout=60, what="the next step's card")
            chat.wait_until(
                lambda: _count(chat, InboxEvent, InboxEvent.status == "pending") == 0, timeout=60, what="every tap"
            )
            _decided(chat, wang, card)
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert _count(chat, AuditEntry, AuditEntry.action == "approval.approve") == 1
        with chat.db.sessions() as s:
            assert s.scalar(select(ApprovalStep.status).where(ApprovalStep.position == 1)) == "approved"
            assert s.scalar(select(ApprovalStep.status).where(ApprovalStep.position == 2)) == "pending"
        assert len(chat.cards(sun, APPROVAL)) == 1  # exactly one next-step card
        assert (_now(chat, wang, card).decided or "").startswith("已同意 · 王芳")
        assert _count(chat, AuditEntry, AuditEntry.action == "approval.nudge") == 1  # 张伟's 催办 taps: one


# ----------------------------------------------------------------- 4. reminders


@SQLITE
def test_the_nine_oclock_followups_reach_the_rep(chat: ChatPlatform) -> None:
    h = History(chat.db)
    huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 11, 1))
    h.visit("zhangwei", huawei, sh(2026, 11, 20, 15), date(2026, 11, 25), "发正式报价")
    outcome = chat.run_job("followups", sh(2026, 11, 25, 9))
    assert outcome.status == "done", outcome.detail
    zhang = chat.person("zhangwei")
    card = _card(chat, zhang, "跟进提醒 · 华为技术有限公司")  # a card with 已跟进 / 明天再提醒 (#16)
    assert card.fields["下一步"] == "发正式报价" and card.buttons == ["已跟进", "明天再提醒"]
    assert chat.run_job("followups", sh(2026, 11, 25, 9)).status == "lost"  # a second scheduler
    settle(chat)
    assert len(chat.cards(zhang)) == 1 and chat.texts(zhang) == []  # seen once
    assert chat.cards(chat.person("wangfang")) == []  # nothing due for her


# ----------------------------------------------------------------- 5. the Monday leaderboard


@SQLITE
def test_the_monday_leaderboard_reaches_the_team_group_chat(chat: ChatPlatform) -> None:
    # Last week (2026-W47): 张伟 wins ¥120,000 and visits twice; 刘洋 visits once.
    chat.clock.set(last_week(16))
    with UnitOfWork(chat.db, chat.clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        liu = uow.session.scalar(select(User).where(User.key == "liuyang"))
        assert zhang is not None and liu is not None
        uow.act_as(zhang)
        huawei = create_customer(uow, "华为技术有限公司", owner=zhang)
        opp = create_opportunity(uow, huawei, zhang, amount=Decimal(120_000))
        for who, day in ((zhang, 16), (zhang, 18), (liu, 19)):
            log_visit(uow, who, huawei, visited_at=last_week(day))
        uow.commit()
    chat.clock.set(last_week(20))
    with UnitOfWork(chat.db, chat.clock) as uow:
        change_stage(uow, get_opportunity(uow, opp.id), Stage.WON)
        uow.commit()

    outcome = chat.run_job("leaderboard", MONDAY_9)
    assert outcome.status == "done", outcome.detail
    assert outcome.detail["week"] == "2026-W47"
    group = chat.wait_until(
        lambda: (g := chat.group_messages("华东销售一部")).markdown and g.images and g,
        what="the board and the chart in 华东销售一部's group chat",
    )
    [text] = group.markdown
    assert group.images == 1
    assert text.startswith("## 华东销售一部 · 周排行榜") and "2026-W47（11月16日—11月22日）" in text
    assert "🥇 **张伟** 成交 ¥120,000 ↑¥120,000 · 拜访 2 ↑2" in text
    assert "— 刘洋 本周暂无成交 · 拜访 1 ↑1" in text  # no 成交: unranked, never 「2.」 (#16)
    assert chat.texts(chat.person("zhangwei")) == []  # reps see it in the group, not privately
