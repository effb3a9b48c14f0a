"""The WeCom scenarios of issue #8, seen by DingTalk users through the fake DingTalk.

Each test mirrors one in the WeCom suite: photo → quote (test_quotes.py), concurrent taps on
an approval card (test_approvals.py), the 09:00 follow-ups and the 24 h approval reminder
(test_scheduled_jobs.py, test_approvals.py) and the Monday leaderboard (test_leaderboard.py).
Visits and the three-step approval itself are in test_dingtalk_loop.py and
test_dingtalk_approvals.py.

DingTalk people here either have no WeCom id or write on DingTalk first: a person with both
identities is reached where they last wrote from, else on WeCom (handlers.replies.user_target),
and this stack has no WeCom.
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.clock import BUSINESS_TZ
from domain.models import (
    ApprovalStep,
    AuditEntry,
    Contract,
    InboxEvent,
    Opportunity,
    OutboxMessage,
    Quote,
    Stage,
    User,
)
from domain.services.customers import create_customer
from domain.services.opportunities import change_stage, create_opportunity, get_opportunity
from domain.services.visits import log_visit
from domain.uow import UnitOfWork
from handlers.quotes import RECEIVED
from jobs.catalog import all_jobs
from jobs.runs import execute
from tests.e2e.dingtalk_stack import WANG, ZHANG, DingTalkStack, dingtalk_stack
from tests.e2e.test_dingtalk_approvals import LI, SUN, _seed
from tests.ocr import make_quotes
from tests.scheduling import History, run_now, sh

SAMPLE = make_quotes.make_quote(3)
assert SAMPLE.truth is not None
TRUTH = SAMPLE.truth


def _buttons(card: dict[str, str]) -> dict[str, str]:
    """Text → action of the buttons the person can tap (btnN_* slots, hidden once decided)."""
    if card.get("decided") == "true":
        return {}
    return {card[f"btn{n}_text"]: card[f"btn{n}_action"] for n in range(1, 7) if card.get(f"btn{n}_text")}


def _fields(card: dict[str, str]) -> dict[str, str]:
    return {f["label"]: f["text"] for f in json.loads(card["fields"])}


def _seen_now(stack: DingTalkStack, user: str, out_track_id: str) -> dict[str, str]:
    return stack.fake.cards[out_track_id].view_for(user)


def _said(stack: DingTalkStack, user: str, fragment: str, timeout: float = 10.0) -> str:
    return stack.wait_until(
        lambda: next((t for t in stack.texts_of(user) if fragment in t), None), timeout, what=f"{user}: {fragment}"
    )


def _approval_cards(stack: DingTalkStack, user: str) -> list[tuple[str, dict[str, str]]]:
    """(outTrackId, what the user sees now) of the user's approval cards, oldest first."""
    return [
        (m.out_track_id or "", m.card)
        for m in stack.cards_of(user)
        if m.card is not None and m.card["title"].startswith("合同审批")
    ]


def _queued_texts(stack: DingTalkStack, user: str, fragment: str) -> int:
    with stack.db.sessions() as s:
        rows = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.platform == "dingtalk", OutboxMessage.target == user, OutboxMessage.msg_type == "text"
            )
        )
        return sum(fragment in row.payload["content"] for row in rows)


def _dingtalk_only(stack: DingTalkStack, **dingtalk_ids: str) -> None:
    """Give these users (by key) their DingTalk id and take their WeCom id away."""
    with UnitOfWork(stack.db, stack.clock) as uow:
        for key, dingtalk_id in dingtalk_ids.items():
            user = uow.session.scalar(select(User).where(User.key == key))
            assert user is not None
            user.dingtalk_userid, user.wecom_userid = dingtalk_id, None
            stack.fake.add_user(dingtalk_id)
        uow.commit()


# ----------------------------------------------------------------- photo → quote (test_quotes.py)


def test_photo_in_review_card_out_confirm_and_submit_for_approval(db_url: str) -> None:
    with dingtalk_stack(db_url) as stack:
        with UnitOfWork(stack.db, stack.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            assert zhang is not None
            customer = create_customer(uow, TRUTH.customer, owner=zhang)
            create_opportunity(uow, customer, zhang)
            uow.commit()
        stack.driver.send_picture(ZHANG, SAMPLE.image, "image/jpeg")
        stack.wait_until(lambda: RECEIVED in stack.texts_of(ZHANG), what="acknowledgement")
        review = stack.wait_until(
            lambda: [m for m in stack.cards_of(ZHANG) if m.card and m.card["title"] == "报价单识别结果"],
            timeout=60,  # the real ONNX engine reads the photo
            what="review card",
        )[-1]
        out_track_id = review.out_track_id
        assert review.card is not None and out_track_id is not None
        fields = _fields(review.card)
        assert fields["客户"] == TRUTH.customer
        assert fields["合计"] == f"¥{Decimal(TRUTH.total):,.2f}"
        assert "✓ 一致" in fields["大写"] and "✓ 一致" in fields["明细合计"]
        with stack.db.sessions() as s:
            assert s.scalar(select(Quote.status)) == "draft"  # nothing final before the rep confirms

        stack.driver.tap_card(ZHANG, out_track_id, _buttons(review.card)["确认"])
        _said(stack, ZHANG, "报价单已保存")
        with stack.db.sessions() as s:
            quote = s.scalar(select(Quote))
            assert quote is not None and quote.status == "confirmed" and quote.total == Decimal(TRUTH.total)
            assert len(quote.lines) == len(TRUTH.lines) and quote.opportunity_id is not None
            opp = s.get(Opportunity, quote.opportunity_id)
            assert opp is not None and opp.amount == Decimal(TRUTH.total)  # the amount follows the quote
            quote_id, quote_total = quote.id, quote.total
        # The same card (one instance, updated) now offers 提交审批.
        confirmed = stack.wait_until(
            lambda: list(_buttons(c := _seen_now(stack, ZHANG, out_track_id))) == ["提交审批"] and c,
            what="confirmed card",
        )
        assert confirmed["subtitle"].startswith("已确认保存")
        stack.driver.tap_card(ZHANG, out_track_id, _buttons(confirmed)["提交审批"])
        decided = stack.wait_until(
            lambda: (c := _seen_now(stack, ZHANG, out_track_id))["decided"] == "true" and c, what="card decided"
        )
        assert decided["status"].startswith("已提交审批 · HT-") and _buttons(decided) == {}
        stack.wait_until(
            lambda: any(m.card is not None and m.card["title"].startswith("我的合同") for m in stack.cards_of(ZHANG)),
            what="the submitter's own card",
        )
        with stack.db.sessions() as s:
            contract = s.scalar(select(Contract))
            assert contract is not None and contract.quote_id == quote_id and contract.amount == quote_total
            assert contract.status == "submitted"


# ----------------------------------------------------------------- concurrent taps (test_approvals.py)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # real concurrent writers
def test_many_concurrent_taps_through_the_platform_make_one_decision(db_url: str) -> None:
    """王芳 taps 同意 again and again on the card and on the 我的审批 copy of the same step, the
    submitter taps 催办 on his own card, all at once; 8 workers drain: one decision, one next-step card."""
    with dingtalk_stack(db_url, worker=False) as stack:
        _seed(stack)
        worker = stack.runtime.make_worker()
        stack.driver.send_text(ZHANG, "提交合同 苏州精工 38万")
        stack.wait_until(lambda: worker.run_once() == 0 and _approval_cards(stack, WANG), what="card")
        stack.driver.send_text(WANG, "我的审批")  # a second card for the same step, to 王芳 alone
        stack.wait_until(lambda: worker.run_once() == 0 and len(_approval_cards(stack, WANG)) == 2, what="copy")
        (first, first_card), (nudge, nudge_card) = _approval_cards(stack, WANG)
        assert first != nudge and _approval_cards(stack, ZHANG) == []  # the submitter has his own card
        mine = next(m for m in stack.cards_of(ZHANG) if m.card is not None and m.card["title"].startswith("我的合同"))
        approve = _buttons(first_card)["同意"]
        assert _buttons(nudge_card)["同意"] == approve  # the same step
        nudge_key = _buttons(mine.card)["催办"]
        taps: list[bytes] = []
        for who, out_track_id, key in [(WANG, first, approve), (WANG, nudge, approve),
                                       (ZHANG, mine.out_track_id or "", nudge_key)] * 20:
            taps.append(stack.driver.tap_body(who, out_track_id, key))  # every tap possible: nothing decided yet
        barrier = threading.Barrier(20)
        codes: list[int] = []

        def post(chunk: list[bytes]) -> None:
            barrier.wait()
            for body in chunk:
                codes.append(stack.driver.post_card(body, stack.driver.robot_headers(), retry=False).status_code)

        senders = [threading.Thread(target=post, args=(taps[i::20],)) for i in range(20)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        assert codes == [200] * len(taps)
        workers = [stack.runtime.make_worker() for _ in range(8)]
        stop = threading.Event()

        def drain(w: Any) -> None:
            while not stop.is_set():
                if w.run_once() == 0:
                    stop.wait(0.05)

        threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        try:
            stack.wait_until(lambda: _approval_cards(stack, SUN), timeout=30, what="the next step's card")
            stack.wait_until(
                lambda: _queued_texts(stack, WANG, "这一步已经处理过了") == 1, timeout=30, what="the losing tap's reply"
            )
            stack.wait_until(
                lambda: all(_buttons(card) == {} for _, card in _approval_cards(stack, WANG)), what="every copy closed"
            )
        finally:
            stop.set()
            for t in threads:
                t.join()
        with stack.db.sessions() as s:
            # DingTalk sends no id per tap: the same person's same button on the same card is one event.
            taps_stored = s.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.kind == "card_action"))
            assert taps_stored == 3
            decisions = s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "approval.approve")
            )
            assert decisions == 1
            assert s.scalar(select(ApprovalStep.status).where(ApprovalStep.position == 1)) == "approved"
            assert s.scalar(select(ApprovalStep.status).where(ApprovalStep.position == 2)) == "pending"
        assert len(_approval_cards(stack, SUN)) == 1  # exactly one next-step card
        assert _queued_texts(stack, WANG, "已同意合同") == 1
        assert _queued_texts(stack, ZHANG, "已提醒 王芳") == 1  # his 催办 taps: one nudge
        assert _seen_now(stack, WANG, first)["status"].startswith("已同意 · 王芳")


# ----------------------------------------------------------------- reminders (test_scheduled_jobs.py, test_approvals.py)


def test_the_nine_oclock_followups_reach_dingtalk_people(db_url: str) -> None:
    """张伟 has only DingTalk; 王芳 has both ids and wrote on DingTalk last; 刘洋 has only WeCom."""
    with dingtalk_stack(db_url) as stack:
        _dingtalk_only(stack, zhangwei=ZHANG)
        stack.driver.send_text(WANG, "帮助")  # she uses DingTalk now
        stack.wait_until(lambda: stack.cards_of(WANG), what="help card")
        h = History(stack.db)
        huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 11, 1))
        h.visit("zhangwei", huawei, sh(2026, 11, 20, 15), date(2026, 11, 25), "发正式报价")
        zte = h.customer("中兴通讯股份有限公司", "wangfang", sh(2026, 11, 1))
        h.visit("wangfang", zte, sh(2026, 11, 18, 10), date(2026, 11, 23), "确认样机")
        byd = h.customer("比亚迪股份有限公司", "liuyang", sh(2026, 11, 1))
        h.visit("liuyang", byd, sh(2026, 11, 19, 10), date(2026, 11, 25), "回访")
        nine = sh(2026, 11, 25, 9)
        stack.clock.set(nine)
        outcome = execute(stack.db, stack.clock, all_jobs()["followups"], nine)
        assert outcome.status == "done", outcome.detail
        assert outcome.detail["reps"] == 3 and outcome.detail["messages"] == 3
        stack.runtime_worker_wake()
        [message] = stack.wait_until(lambda: stack.cards_of(ZHANG), what="张伟's 09:00 reminder card")
        assert message.card is not None and message.card["title"] == "跟进提醒 · 华为技术有限公司"
        assert message.card["btn1_text"] == "已跟进" and message.card["btn2_text"] == "明天再提醒"
        hers = [c for c in stack.wait_until(lambda: len(stack.cards_of(WANG)) > 1 and stack.cards_of(WANG),
                                            what="王芳's 09:00 reminder card") if c.card and c.card["title"].startswith("跟进提醒")]
        assert hers[0].card is not None and hers[0].card["title"] == "跟进提醒 · 中兴通讯股份有限公司"
        assert hers[0].card["subtitle"] == "已逾期 2 天（应于11月23日跟进）"
        with stack.db.sessions() as s:  # 刘洋's goes to WeCom, which this deployment does not have
            liu = s.scalar(select(OutboxMessage).where(OutboxMessage.target == "LiuYang"))
            assert liu is not None and liu.platform == "wecom"
        assert execute(stack.db, stack.clock, all_jobs()["followups"], nine).status == "lost"  # a second scheduler
        stack.runtime_worker_wake()
        assert len(stack.cards_of(ZHANG)) == 1 and len(stack.cards_of(WANG)) == 2  # her help card and the reminder


def _run_deadlines(stack: DingTalkStack) -> dict[str, Any]:
    summary = run_now(stack.db, stack.clock, "approval_deadlines")
    stack.runtime_worker_wake()
    return summary


def test_the_24_hour_approval_reminder_reaches_the_approver_in_dingtalk(db_url: str) -> None:
    with dingtalk_stack(db_url) as stack:
        _seed(stack)
        stack.driver.send_text(ZHANG, "提交合同 苏州精工 12万")
        stack.wait_until(lambda: _approval_cards(stack, LI), what="李娜's approval card")
        stack.clock.advance(timedelta(hours=23))
        assert _run_deadlines(stack) == {"reminded": 0, "escalated": 0}
        stack.clock.advance(timedelta(hours=1))
        assert _run_deadlines(stack) == {"reminded": 1, "escalated": 0}
        assert "等你审批已超过 24 小时" in _said(stack, LI, "等你审批")
        assert _run_deadlines(stack) == {"reminded": 0, "escalated": 0}  # the same hour again: nothing new
        stack.clock.advance(timedelta(hours=24))
        assert _run_deadlines(stack) == {"reminded": 0, "escalated": 1}
        assert "已通知你的上级 王芳" in _said(stack, LI, "已超过审批时限")
        _said(stack, ZHANG, "审批超时")
        escalation = stack.wait_until(lambda: _approval_cards(stack, WANG), what="escalation card")[0]
        assert "李娜 已超时未审批" in escalation[1]["subtitle"]
        stack.driver.tap_card(WANG, escalation[0], _buttons(escalation[1])["同意"])  # the manager decides
        _said(stack, ZHANG, "已全部审批通过")
        assert sum("等你审批已超过" in t for t in stack.texts_of(LI)) == 1


# ----------------------------------------------------------------- the Monday leaderboard (test_leaderboard.py)

EAST_GROUP = "cidQp1cRnC7hbR0uRHK0eIdQQ=="  # 华东销售一部's dingtalk_conversation_id (examples/org.yaml)
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=BUSINESS_TZ)


def _day(day: int) -> datetime:
    return datetime(2026, 11, day, 10, 0, tzinfo=BUSINESS_TZ)


def test_the_monday_leaderboard_reaches_the_dingtalk_group_and_the_manager(db_url: str) -> None:
    with dingtalk_stack(db_url) as stack:
        _dingtalk_only(stack, lina=LI)
        stack.fake.add_group(EAST_GROUP, [ZHANG, LI])
        # Last week (2026-W47): 张伟 wins ¥120,000 and visits twice; 刘洋 visits once.
        stack.clock.set(_day(16))
        with UnitOfWork(stack.db, stack.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            liu = uow.session.scalar(select(User).where(User.key == "liuyang"))
            assert zhang is not None and liu is not None
            uow.act_as(zhang)
            huawei = create_customer(uow, "华为技术有限公司", owner=zhang)
            opp = create_opportunity(uow, huawei, zhang, amount=Decimal(120_000))
            log_visit(uow, zhang, huawei, visited_at=_day(16))
            log_visit(uow, zhang, huawei, visited_at=_day(18))
            log_visit(uow, liu, huawei, visited_at=_day(19))
            uow.commit()
        stack.clock.set(_day(20))
        with UnitOfWork(stack.db, stack.clock) as uow:
            change_stage(uow, get_opportunity(uow, opp.id), Stage.WON)
            uow.commit()
        stack.clock.set(MONDAY_9)
        outcome = execute(stack.db, stack.clock, all_jobs()["leaderboard"], MONDAY_9)
        assert outcome.status == "done", outcome.detail
        assert outcome.detail["week"] == "2026-W47"
        stack.runtime_worker_wake()

        group = stack.wait_until(
            lambda: len(m := stack.fake.group_messages(EAST_GROUP)) >= 2 and m, what="the board in the DingTalk group"
        )
        assert sorted(m.msgtype for m in group) == ["image", "markdown"]
        markdown = next(m for m in group if m.msgtype == "markdown").body
        text = markdown["text"]
        assert markdown["title"] == "华东销售一部 · 周排行榜"
        assert text.startswith("## 华东销售一部 · 周排行榜") and "2026-W47（11月16日—11月22日）" in text
        assert "🥇 **张伟** 成交 ¥120,000 ↑¥120,000 · 拜访 2 ↑2" in text
        assert "— 刘洋 本周暂无成交 · 拜访 1 ↑1" in text  # no 成交: unranked (#16)
        chart = stack.fake.media(next(m for m in group if m.msgtype == "image").body["photoURL"])
        assert chart is not None, "the chart was not uploaded"
        assert chart.data.startswith(b"\x89PNG") and 5_000 < len(chart.data) < 200 * 1024

        lina = stack.wait_until(lambda: len(m := stack.seen_by(LI)) >= 2 and m, what="李娜's copy")
        assert sorted(m.msgtype for m in lina) == ["image", "markdown"]
        assert next(m for m in lina if m.msgtype == "markdown").body["text"] == text
        hers = stack.fake.media(next(m for m in lina if m.msgtype == "image").body["photoURL"])
        assert hers is not None and hers.data == chart.data
        assert stack.seen_by(ZHANG) == []  # reps see it in the group, not privately

        assert execute(stack.db, stack.clock, all_jobs()["leaderboard"], MONDAY_9, rerun=True).detail["messages"] == 0
        stack.runtime_worker_wake()
        stack.wait_until(
            lambda: _queued_dingtalk_sent(stack) == 4, what="the 4 DingTalk messages sent, nothing more"
        )
        assert len(stack.fake.group_messages(EAST_GROUP)) == 2 and len(stack.seen_by(LI)) == 2


def _queued_dingtalk_sent(stack: DingTalkStack) -> int:
    with stack.db.sessions() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.platform == "dingtalk", OutboxMessage.status == "sent")
            )
            or 0
        )
