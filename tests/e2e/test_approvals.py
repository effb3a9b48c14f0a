"""Contract approvals through the fake WeCom: cards, taps, reasons, deadlines, concurrency."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.clock import BUSINESS_TZ
from domain.models import ApprovalStep, AuditEntry, Contract, Opportunity, OutboxMessage, Stage, User
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from tests.e2e.wecom_stack import WeComStack, wecom_stack
from tests.scheduling import run_now

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=BUSINESS_TZ)


def _seed(s: WeComStack) -> None:
    s.clock.set(NOW)
    with UnitOfWork(s.db, s.clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert zhang is not None
        customer = create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["苏州精工"])
        create_opportunity(uow, customer, zhang)
        uow.commit()


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        _seed(s)
        yield s


def _approval_cards(stack: WeComStack, user: str) -> list[dict[str, Any]]:
    """The user's approval cards in their current state (updates applied)."""
    out = []
    for message in stack.cards_of(user):
        card = message.card or message.body
        if card["main_title"]["title"].startswith("合同审批"):
            out.append(card)
    return out


def _my_cards(stack: WeComStack, user: str) -> list[dict[str, Any]]:
    """The submitter's own cards for their contracts (current state)."""
    return [
        m.card or m.body
        for m in stack.cards_of(user)
        if (m.card or m.body)["main_title"]["title"].startswith("我的合同")
    ]


def _my_card(stack: WeComStack, user: str) -> dict[str, Any]:
    return stack.wait_until(lambda: (_my_cards(stack, user) or [None])[-1], what=f"{user}'s own card")


def _wait_card(stack: WeComStack, user: str, n: int = 1) -> dict[str, Any]:
    return stack.wait_until(lambda: len(_approval_cards(stack, user)) >= n and _approval_cards(stack, user)[n - 1],
                            what=f"approval card #{n} for {user}")


def _button(card: dict[str, Any], text: str) -> str:
    return next(b["key"] for b in card["button_list"] if b["text"] == text)


def _tap(stack: WeComStack, user: str, card: dict[str, Any], text: str, **kw: Any) -> None:
    stack.driver.tap_card(user, card["task_id"], _button(card, text), **kw)


def _decided(stack: WeComStack, user: str, task_id: str) -> str | None:
    record = stack.fake.cards.get(task_id)
    copy = record.copies.get(user) if record is not None else None
    if copy is None:
        return None
    return copy.card.get("replace_text") if copy.card else copy.replace_name


def _said(stack: WeComStack, user: str, fragment: str) -> str:
    return stack.wait_until(
        lambda: next((t for t in stack.texts_of(user) if fragment in t), None), what=f"{user}: {fragment}"
    )


def test_a_small_contract_is_approved_by_the_manager(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 12万")
    mine = _my_card(stack, "ZhangWei")
    lines = {f["keyname"]: f["value"] for f in mine["horizontal_content_list"]}
    assert lines["金额"] == "¥120,000.00" and lines["大写"] == "壹拾贰万元整"
    assert "当前：李娜" in mine["main_title"]["desc"]
    assert [b["text"] for b in mine["button_list"]] == ["催办", "撤回"]  # the submitter's copy: no 同意 / 驳回
    card = _wait_card(stack, "LiNa")
    lines = {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}
    assert lines["客户"] == "苏州精工机械有限公司" and lines["金额"] == "¥120,000.00"
    assert "规则：常规合同（金额不超过 ¥300,000.00：直属上级 审批）" in card["quote_area"]["quote_text"]
    assert "● 李娜 审批中" in card["quote_area"]["quote_text"]
    assert _approval_cards(stack, "ZhangWei") == []  # not the approver's card
    _tap(stack, "LiNa", card, "同意")
    status = stack.wait_until(lambda: _decided(stack, "LiNa", card["task_id"]), what="LiNa's copy")
    assert status.startswith("已同意 · 李娜") and "合同已批准" in status
    mine_status = stack.wait_until(lambda: _decided(stack, "ZhangWei", mine["task_id"]), what="ZhangWei's copy")
    assert mine_status.startswith("已批准")
    _said(stack, "ZhangWei", "已全部审批通过")
    # the submitter saw one card and one final message for the whole approval
    assert len(_my_cards(stack, "ZhangWei")) == 1 and len(stack.texts_of("ZhangWei")) == 1
    with stack.db.sessions() as s:
        assert s.scalar(select(Contract.status)) == "approved"
        assert s.scalar(select(Opportunity.stage)) == Stage.WON


def test_a_large_contract_goes_through_all_three_steps(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 38万")
    mine = _my_card(stack, "ZhangWei")
    chain = [("WangFang", "王芳"), ("SunLi", "孙丽"), ("ZhouQiang", "周强")]
    cards: dict[str, dict[str, Any]] = {}
    for n, (user, name) in enumerate(chain, start=1):
        card = _wait_card(stack, user)
        cards[user] = card
        assert f"第 {n}/3 步" in str(card["horizontal_content_list"])
        _tap(stack, user, card, "同意")
        stack.wait_until(lambda u=user, c=card: _decided(stack, u, c["task_id"]), what=f"{name} decided")
        if n < 3:  # the decider's copy shows who is next (WeCom: the submitter's waits for the end,
            nxt = chain[n][1]  # one update per response_code; DingTalk shows every step, see its test)
            stack.wait_until(
                lambda c=card, u=user, x=nxt: f"当前：{x} 审批中" in (_decided(stack, u, c["task_id"]) or ""),
                what=f"{name}'s copy shows {nxt}",
            )
    _said(stack, "ZhangWei", "已全部审批通过")
    for user, name in chain:  # nobody's copy is left behind
        assert _decided(stack, user, cards[user]["task_id"]).startswith(f"已同意 · {name}")
        assert "合同已批准" in _decided(stack, user, cards[user]["task_id"])
    assert _decided(stack, "ZhangWei", mine["task_id"]).startswith("已批准")
    for user in ("WangFang", "SunLi"):  # earlier approvers: one short line at the end
        assert "最终结果：已批准" in _said(stack, user, "最终结果")
    last = _approval_cards(stack, "ZhouQiang")[0]
    assert "✓ 王芳 已同意 → ✓ 孙丽 已同意 → ✓ 周强 已同意" in last["quote_area"]["quote_text"]
    assert len(_my_cards(stack, "ZhangWei")) == 1 and len(stack.texts_of("ZhangWei")) == 1


def test_a_rejection_asks_for_a_reason_and_tells_the_submitter(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 38万")
    mine = _my_card(stack, "ZhangWei")
    card = _wait_card(stack, "WangFang")
    _tap(stack, "WangFang", card, "驳回")
    reason_card = stack.wait_until(
        lambda: next((m.card for m in stack.cards_of("WangFang") if m.card and m.card["main_title"]["title"].startswith("驳回合同")), None),
        what="reason card",
    )
    assert [o["text"] for o in reason_card["button_selection"]["option_list"]][0] == "价格或折扣过低"
    stack.driver.send_text("WangFang", "付款周期太长，请改为30天")
    notice = _said(stack, "ZhangWei", "驳回")
    assert "王芳" in notice and "付款周期太长，请改为30天" in notice
    assert _decided(stack, "WangFang", card["task_id"]).startswith("已驳回 · 王芳")
    # the submitter's own card shows the rejection and offers 重新提交
    stack.wait_until(lambda: "已驳回 · 王芳" in _my_card(stack, "ZhangWei")["main_title"]["desc"], what="my card")
    assert [b["text"] for b in _my_card(stack, "ZhangWei")["button_list"]] == ["重新提交"]
    assert _my_card(stack, "ZhangWei")["task_id"] == mine["task_id"]
    # the reason card's dropdown shows the typed reason, not the first preset
    def reason_selection() -> dict[str, Any] | None:
        closed = next(m.card or m.body for m in stack.cards_of("WangFang")
                      if (m.card or m.body)["main_title"]["title"].startswith("驳回合同"))
        return closed["button_selection"] if "selected_id" in closed["button_selection"] else None

    selection = stack.wait_until(reason_selection, what="the reason card closed")
    assert selection["selected_id"] == "other"
    assert selection["option_list"][0]["text"] == "付款周期太长，请改为30天"
    with stack.db.sessions() as s:
        assert s.scalar(select(Contract.status)) == "rejected"
    assert _approval_cards(stack, "SunLi") == []  # the chain stopped


def test_typing_cancel_for_the_reason_cancels_the_rejection(stack: WeComStack) -> None:
    """「取消」 typed at 「驳回原因？」 is the 取消驳回 button, not a reason: nothing is rejected."""
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 38万")
    card = _wait_card(stack, "WangFang")
    _tap(stack, "WangFang", card, "驳回")
    stack.wait_until(
        lambda: next((m for m in stack.cards_of("WangFang") if m.card and m.card["main_title"]["title"].startswith("驳回合同")), None),
        what="reason card",
    )
    stack.driver.send_text("WangFang", "/取消")
    assert "已取消驳回" in _said(stack, "WangFang", "已取消驳回")
    with stack.db.sessions() as s:
        assert s.scalar(select(Contract.status)) == "submitted"
    assert not any("驳回" in t for t in stack.texts_of("ZhangWei"))
    _tap(stack, "WangFang", card, "同意")  # the approval card still works
    stack.wait_until(lambda: _decided(stack, "WangFang", card["task_id"]), what="WangFang decided")


def test_a_reason_picked_from_the_list_rejects_too(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 38万")
    card = _wait_card(stack, "WangFang")
    _tap(stack, "WangFang", card, "驳回")
    reason_card = stack.wait_until(
        lambda: next((m.card for m in stack.cards_of("WangFang") if m.card and m.card["main_title"]["title"].startswith("驳回合同")), None),
        what="reason card",
    )
    stack.driver.tap_card(
        "WangFang", reason_card["task_id"], _button(reason_card, "确认驳回"), selected={"reason": ["terms"]}
    )
    assert "合同条款需要修改" in _said(stack, "ZhangWei", "驳回")


def test_the_submitters_copy_offers_nudge_and_withdraw_not_decisions(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 38万")
    mine = _my_card(stack, "ZhangWei")
    card = _wait_card(stack, "WangFang")
    assert "同意" not in [b["text"] for b in mine["button_list"]]
    stack.driver.tap_card("ZhangWei", mine["task_id"], _button(mine, "催办"))
    _said(stack, "WangFang", "张伟 催办合同")
    assert "已提醒 王芳" in _said(stack, "ZhangWei", "已提醒")
    with stack.db.sessions() as s:
        assert s.scalar(select(ApprovalStep.status).where(ApprovalStep.position == 1)) == "pending"
    stack.driver.tap_card("ZhangWei", mine["task_id"], _button(mine, "撤回"))
    _said(stack, "ZhangWei", "已撤回合同")
    assert _decided(stack, "WangFang", card["task_id"]).startswith("已撤回")
    assert _decided(stack, "ZhangWei", mine["task_id"]).startswith("已撤回")
    with stack.db.sessions() as s:
        assert s.scalar(select(Contract.status)) == "withdrawn"


def test_a_double_tap_makes_one_decision(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 12万")
    card = _wait_card(stack, "LiNa")
    key = _button(card, "同意")
    codes = [stack.fake.click_card("LiNa", card["task_id"], key) for _ in range(2)]  # both before any update
    for code in codes:
        stack.clock.advance(timedelta(seconds=1))
        stack.driver.tap_card("LiNa", card["task_id"], key, response_code=code)
    _said(stack, "LiNa", "这一步已经处理过了")
    with stack.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "approval.approve")) == 1
    assert sum("已全部审批通过" in t for t in stack.texts_of("ZhangWei")) == 1


def _queued_texts(stack: WeComStack, user: str, fragment: str) -> int:
    with stack.db.sessions() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.target == user, OutboxMessage.msg_type == "text")
        )
        return sum(fragment in row.payload["content"] for row in rows)


def _run_deadlines(stack: WeComStack) -> dict[str, Any]:
    summary = run_now(stack.db, stack.clock, "approval_deadlines")
    stack.runtime_worker_wake()
    return summary


def test_reminder_at_24h_and_escalation_at_48h(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 12万")
    card = _wait_card(stack, "LiNa")
    stack.clock.advance(timedelta(hours=23))
    assert _run_deadlines(stack) == {"reminded": 0, "escalated": 0}
    stack.clock.advance(timedelta(hours=1))
    assert _run_deadlines(stack) == {"reminded": 1, "escalated": 0}
    assert "等你审批已超过 24 小时" in _said(stack, "LiNa", "等你审批")
    assert _run_deadlines(stack) == {"reminded": 0, "escalated": 0}  # the same hour again: nothing new
    stack.clock.advance(timedelta(hours=24))
    assert _run_deadlines(stack) == {"reminded": 0, "escalated": 1}
    assert "已通知你的上级 王芳" in _said(stack, "LiNa", "已超过审批时限")
    escalation = _wait_card(stack, "WangFang")
    assert "李娜 已超时未审批" in escalation["main_title"]["desc"]
    _said(stack, "ZhangWei", "审批超时")
    _tap(stack, "WangFang", escalation, "同意")  # the manager decides in the approver's place
    _said(stack, "ZhangWei", "已全部审批通过")
    for user, task in (("LiNa", card["task_id"]), ("WangFang", escalation["task_id"])):
        status = stack.wait_until(lambda u=user, t=task: _decided(stack, u, t), what=f"{user}'s card")
        assert status.startswith("已同意 · 王芳") and "合同已批准" in status


def test_my_approvals_progress_nudge_and_withdraw(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 38万")
    _wait_card(stack, "WangFang")
    stack.driver.send_text("WangFang", "我的审批")
    assert "苏州精工机械有限公司" in _said(stack, "WangFang", "等你审批的合同（1 份）")
    with stack.db.sessions() as s:
        number = s.scalar(select(Contract.number))
    stack.driver.send_text("ZhangWei", f"审批进度 {number}")
    assert "● 王芳 审批中 → ○ 法务 → ○ 财务" in _said(stack, "ZhangWei", "状态：审批中")
    stack.driver.send_text("ZhangWei", "催办")
    _said(stack, "WangFang", "张伟 催办合同")
    stack.driver.send_text("ZhangWei", "催办")
    _said(stack, "ZhangWei", "4 小时内已经催办过了")
    stack.driver.send_text("ZhangWei", f"撤回 {number}")
    _said(stack, "ZhangWei", f"已撤回合同 {number}")
    _said(stack, "WangFang", "无需再审批")
    with stack.db.sessions() as s:
        assert s.scalar(select(Contract.status)) == "withdrawn"


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # real concurrent writers
def test_one_hundred_concurrent_taps_through_the_platform(db_url: str) -> None:
    """100 taps of 同意 arrive at once and are processed by 8 workers: one decision, one next card."""
    with wecom_stack(db_url, worker=False) as stack:
        _seed(stack)
        stack.driver.send_text("ZhangWei", "提交合同 苏州精工 38万")
        worker = stack.runtime.make_worker()
        stack.wait_until(lambda: worker.run_once() == 0 and _approval_cards(stack, "WangFang"), what="card")
        card = _approval_cards(stack, "WangFang")[0]
        key = _button(card, "同意")
        taps = []
        for _ in range(100):  # distinct taps (CreateTime differs), registered with the fake before any update
            stack.clock.advance(timedelta(seconds=1))
            code = stack.fake.click_card("WangFang", card["task_id"], key)
            taps.append(stack.driver.card_event_xml("WangFang", card["task_id"], key, code, "button_interaction", None))
        barrier = threading.Barrier(20)

        def post(chunk: list[str]) -> None:
            barrier.wait()
            for xml in chunk:
                assert stack.driver.post_raw(xml, retry=False).status_code == 200

        senders = [threading.Thread(target=post, args=(taps[i::20],)) for i in range(20)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
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
            # Replies to one person are paced at 29 a minute, so count what is queued for her.
            stack.wait_until(lambda: _queued_texts(stack, "WangFang", "这一步已经处理过了") == 99, timeout=60,
                             what="99 already-decided replies")
            stack.wait_until(lambda: _approval_cards(stack, "SunLi"), what="the next step's card")
        finally:
            stop.set()
            for t in threads:
                t.join()
        with stack.db.sessions() as s:
            decisions = s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "approval.approve")
            )
            assert decisions == 1
            assert s.scalar(select(ApprovalStep.status).where(ApprovalStep.position == 2)) == "pending"
        assert len(_approval_cards(stack, "SunLi")) == 1  # exactly one next-step card
        assert _queued_texts(stack, "WangFang", "已同意合同") == 1
        assert _decided(stack, "WangFang", card["task_id"]).startswith("已同意 · 王芳")


def test_the_final_approval_reaches_the_erp_once_even_after_two_failures(stack: WeComStack) -> None:
    from domain.services import webhooks
    from tests.erp_receiver import ErpReceiver

    with ErpReceiver([503, 500]) as erp:
        with UnitOfWork(stack.db, stack.clock) as uow:
            webhooks.add_endpoint(uow, erp.url, "erp-shared-secret-0123456789")
            uow.commit()
        stack.driver.send_text("ZhangWei", "提交合同 苏州精工 12万")
        card = _wait_card(stack, "LiNa")
        _tap(stack, "LiNa", card, "同意")
        _said(stack, "ZhangWei", "已全部审批通过")
        stack.wait_until(lambda: len(erp.received) == 1, what="first ERP attempt")
        stack.clock.advance(timedelta(minutes=1))
        stack.wait_until(lambda: len(erp.received) == 2, what="second ERP attempt")
        stack.clock.advance(timedelta(minutes=5))
        stack.wait_until(lambda: len(erp.received) == 3, what="third ERP attempt")
        stack.clock.advance(timedelta(hours=30))
        stack.driver.send_text("ZhangWei", "帮助")  # the worker keeps running; nothing more is sent
        stack.wait_until(lambda: len(stack.cards_of("ZhangWei")) >= 2, what="help card")
        assert erp.answers == [503, 500, 200]
        event = json.loads(erp.received[-1].body)
        assert event["type"] == "contract.approved" and event["data"]["amount"] == "120000.00"
        assert event["data"]["customer"] == "苏州精工机械有限公司"
        assert [a["approver"] for a in event["data"]["approvals"]] == ["李娜"]
        assert len({r.headers["x-salesbot-event-id"] for r in erp.received}) == 1


def test_a_hanging_erp_never_holds_back_a_chat_reply(stack: WeComStack) -> None:
    """The ERP request hangs (10 s read timeout) while people keep chatting: replies come at once."""
    from domain.services import webhooks
    from tests.erp_receiver import HANG, ErpReceiver

    with ErpReceiver([HANG]) as erp:
        with UnitOfWork(stack.db, stack.clock) as uow:
            webhooks.add_endpoint(uow, erp.url, "erp-shared-secret-0123456789")
            uow.commit()
        stack.driver.send_text("ZhangWei", "提交合同 苏州精工 12万")
        _tap(stack, "LiNa", _wait_card(stack, "LiNa"), "同意")
        stack.wait_until(lambda: len(erp.received) == 1, what="the ERP request, now hanging")
        stack.driver.send_text("ZhangWei", "我的待办")
        stack.wait_until(lambda: len(stack.cards_of("ZhangWei")) >= 2, timeout=3, what="a reply while the ERP hangs")
        assert erp.answers == [HANG]
