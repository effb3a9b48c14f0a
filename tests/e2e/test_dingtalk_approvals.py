"""Contract approvals through the fake DingTalk: the WeCom scenarios, seen by DingTalk users.

Why a separate file: the approval handlers address people through ``Replies.card_many``,
which puts everyone on one platform into one outbox row ("a|b") so a single card id (and
a single update) covers every copy.  On DingTalk that must become one card instance in
several robot chats; these tests check what each person sees there.

Only 王芳 and 张伟 have DingTalk ids in examples/org.yaml, so the setup gives the other
approvers theirs through the domain and takes away everyone's WeCom id: a user with both
identities who has not written yet is reached on WeCom (``handlers.replies.user_target``
follows the platform they last wrote from), and this stack has no WeCom.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ
from domain.models import ApprovalStep, Contract, User
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from tests.e2e.dingtalk_stack import WANG, ZHANG, DingTalkStack, dingtalk_stack

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=BUSINESS_TZ)
SUN = "0166778899"  # 孙丽, legal
ZHOU = "0177889900"  # 周强, finance
LI = "0188990011"  # 李娜, manager
DINGTALK_IDS = {"wangfang": WANG, "zhangwei": ZHANG, "sunli": SUN, "zhouqiang": ZHOU, "lina": LI}


def _seed(s: DingTalkStack) -> None:
    s.clock.set(NOW)
    with UnitOfWork(s.db, s.clock) as uow:
        for key, dingtalk_id in DINGTALK_IDS.items():
            user = uow.session.scalar(select(User).where(User.key == key))
            assert user is not None
            user.dingtalk_userid = dingtalk_id
            user.wecom_userid = None  # DingTalk-only people: see the module docstring
        uow.session.flush()
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert zhang is not None
        customer = create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["苏州精工"])
        create_opportunity(uow, customer, zhang)
        uow.commit()
    for dingtalk_id in (SUN, ZHOU, LI):
        s.fake.add_user(dingtalk_id)


@pytest.fixture
def stack(db_url: str) -> Iterator[DingTalkStack]:
    with dingtalk_stack(db_url) as s:
        _seed(s)
        yield s


def _approval_cards(stack: DingTalkStack, user: str) -> list[tuple[str, dict[str, str]]]:
    """(outTrackId, what the user sees now) of the user's approval cards, oldest first."""
    return [
        (m.out_track_id or "", m.card)
        for m in stack.cards_of(user)
        if m.card is not None and m.card["title"].startswith("合同审批")
    ]


def _my_card(stack: DingTalkStack, user: str) -> tuple[str, dict[str, str]]:
    """The submitter's own card for their contract (its current state)."""
    return stack.wait_until(
        lambda: next(
            ((m.out_track_id or "", m.card) for m in stack.cards_of(user)
             if m.card is not None and m.card["title"].startswith("我的合同")),
            None,
        ),
        what=f"{user}'s own card",
    )


def _wait_card(stack: DingTalkStack, user: str, n: int = 1) -> tuple[str, dict[str, str]]:
    return stack.wait_until(
        lambda: len(_approval_cards(stack, user)) >= n and _approval_cards(stack, user)[n - 1],
        what=f"approval card #{n} for {user}",
    )


def _fields(card: dict[str, str]) -> dict[str, str]:
    return {f["label"]: f["text"] for f in json.loads(card["fields"])}


def _buttons(card: dict[str, str]) -> dict[str, str]:
    """Text → action of the buttons the person can tap (btnN_* slots, hidden once decided)."""
    if card.get("decided") == "true":
        return {}
    return {card[f"btn{n}_text"]: card[f"btn{n}_action"] for n in range(1, 7) if card.get(f"btn{n}_text")}


def _tap(stack: DingTalkStack, user: str, out_track_id: str, card: dict[str, str], text: str) -> None:
    r = stack.driver.tap_card(user, out_track_id, _buttons(card)[text])
    assert r.status_code == 200


def _decided(stack: DingTalkStack, user: str, out_track_id: str) -> str | None:
    """The decision this user's copy shows, or None while it still has buttons."""
    instance = stack.fake.cards.get(out_track_id)
    if instance is None:
        return None
    seen = instance.view_for(user)
    return seen["status"] if seen.get("decided") == "true" else None


def _wait_decided(stack: DingTalkStack, user: str, out_track_id: str) -> str:
    status: str = stack.wait_until(lambda: _decided(stack, user, out_track_id), what=f"{user}'s copy decided")
    return status


def _said(stack: DingTalkStack, user: str, fragment: str) -> str:
    return stack.wait_until(
        lambda: next((t for t in stack.texts_of(user) if fragment in t), None), what=f"{user}: {fragment}"
    )


def test_a_large_contract_goes_through_all_three_steps(stack: DingTalkStack) -> None:
    stack.driver.send_text(ZHANG, "提交合同 苏州精工 38万")
    mine_id, mine = _my_card(stack, ZHANG)
    assert _fields(mine)["金额"] == "¥380,000.00" and _fields(mine)["大写"] == "叁拾捌万元整"
    assert list(_buttons(mine)) == ["催办", "撤回"]  # the submitter's copy: no 同意 / 驳回
    chain = [(WANG, "王芳"), (SUN, "孙丽"), (ZHOU, "周强")]
    decided_cards: list[tuple[str, str, str]] = []
    for n, (user, name) in enumerate(chain, start=1):
        out_track_id, card = _wait_card(stack, user)
        fields = _fields(card)
        assert fields["客户"] == "苏州精工机械有限公司" and fields["金额"] == "¥380,000.00"
        assert fields["审批步骤"].startswith(f"第 {n}/3 步")
        assert f"● {name} 审批中" in card["quote"]
        assert _approval_cards(stack, ZHANG) == []  # not the approver's card
        _tap(stack, user, out_track_id, card, "同意")
        assert _wait_decided(stack, user, out_track_id).startswith(f"已同意 · {name}")
        decided_cards.append((user, name, out_track_id))
        if n < 3:  # every copy is alive: earlier approvers and the submitter see who is next
            nxt = chain[n][1]
            for person, _name, track in decided_cards:
                stack.wait_until(
                    lambda p=person, t=track, x=nxt: f"当前：{x} 审批中" in (_decided(stack, p, t) or ""),
                    what=f"{person}'s copy shows {nxt}",
                )
            stack.wait_until(
                lambda x=nxt: f"当前：{x}" in stack.fake.cards[mine_id].view_for(ZHANG)["subtitle"],
                what=f"the submitter's card shows {nxt}",
            )
    assert "已全部审批通过" in _said(stack, ZHANG, "已全部审批通过")
    for person, name, track in decided_cards:
        status = _wait_decided(stack, person, track)
        assert status.startswith(f"已同意 · {name}") and "合同已批准" in status
    assert _wait_decided(stack, ZHANG, mine_id).startswith("已批准")
    _out_track_id, last = _approval_cards(stack, ZHOU)[0]
    assert "✓ 王芳 已同意 → ✓ 孙丽 已同意 → ✓ 周强 已同意" in last["quote"]
    assert _buttons(last) == {}
    with stack.db.sessions() as s:
        assert s.scalar(select(Contract.status)) == "approved"
    # the submitter: one card and one final message for the whole approval
    assert len([m for m in stack.cards_of(ZHANG) if m.card is not None]) == 1
    assert stack.texts_of(ZHANG) == [next(t for t in stack.texts_of(ZHANG) if "已全部审批通过" in t)]


def test_a_rejection_takes_the_next_message_as_the_reason(stack: DingTalkStack) -> None:
    stack.driver.send_text(ZHANG, "提交合同 苏州精工 38万")
    out_track_id, card = _wait_card(stack, WANG)
    _tap(stack, WANG, out_track_id, card, "驳回")
    reason_card = stack.wait_until(
        lambda: next((m.card for m in stack.cards_of(WANG) if m.card and m.card["title"].startswith("驳回合同")), None),
        what="reason card",
    )
    options = json.loads(reason_card["sel1_options"])
    assert options[0]["text"] == {"zh_CN": "价格或折扣过低"} and reason_card["sel1_title"] == "驳回原因"
    assert list(_buttons(reason_card)) == ["确认驳回", "取消"]
    stack.driver.send_text(WANG, "付款周期太长，请改为30天")
    notice = _said(stack, ZHANG, "驳回")
    assert "王芳" in notice and "付款周期太长，请改为30天" in notice
    assert _wait_decided(stack, WANG, out_track_id).startswith("已驳回 · 王芳")
    mine_id, _mine = _my_card(stack, ZHANG)
    mine = stack.wait_until(
        lambda: (v := stack.fake.cards[mine_id].view_for(ZHANG))["subtitle"].startswith("已驳回 · 王芳") and v,
        what="the submitter's card shows the rejection",
    )
    assert "驳回原因：付款周期太长，请改为30天" in mine["quote"]
    assert list(_buttons(mine)) == ["重新提交"]
    closed = stack.wait_until(
        lambda: next(
            (m.card for m in stack.cards_of(WANG) if m.card and m.card["title"].startswith("驳回合同") and m.card["decided"] == "true"),
            None,
        ),
        what="reason card closed",
    )
    assert closed["status"].startswith("已驳回：付款周期太长")
    with stack.db.sessions() as s:
        assert s.scalar(select(Contract.status)) == "rejected"
    assert _approval_cards(stack, SUN) == []  # the chain stopped


def test_a_reason_picked_from_the_list_rejects_too(stack: DingTalkStack) -> None:
    stack.driver.send_text(ZHANG, "提交合同 苏州精工 38万")
    out_track_id, card = _wait_card(stack, WANG)
    _tap(stack, WANG, out_track_id, card, "驳回")
    reason = stack.wait_until(
        lambda: next((m for m in stack.cards_of(WANG) if m.card and m.card["title"].startswith("驳回合同")), None),
        what="reason card",
    )
    assert reason.card is not None and reason.out_track_id is not None
    action = _buttons(reason.card)["确认驳回"]
    # 王芳 picks 条款问题 in the card's select (the template's SelectBlock), then taps 确认驳回
    stack.driver.tap_card(WANG, reason.out_track_id, action, choices={"select1": "terms"})
    assert "合同条款需要修改" in _said(stack, ZHANG, "驳回")
    assert (_decided(stack, WANG, out_track_id) or "").startswith("已驳回 · 王芳")


def test_the_submitters_copy_offers_nudge_and_withdraw(stack: DingTalkStack) -> None:
    stack.driver.send_text(ZHANG, "提交合同 苏州精工 38万")
    mine_id, mine = _my_card(stack, ZHANG)
    out_track_id, _card = _wait_card(stack, WANG)
    assert list(_buttons(mine)) == ["催办", "撤回"]
    _tap(stack, ZHANG, mine_id, mine, "催办")
    _said(stack, WANG, "张伟 催办合同")
    with stack.db.sessions() as s:
        assert s.scalar(select(ApprovalStep.status).where(ApprovalStep.position == 1)) == "pending"
    assert _decided(stack, WANG, out_track_id) is None
    assert list(_buttons(_approval_cards(stack, WANG)[0][1])) == ["同意", "驳回"]


def test_a_small_contract_is_approved_by_the_manager(stack: DingTalkStack) -> None:
    stack.driver.send_text(ZHANG, "提交合同 苏州精工 12万")
    out_track_id, card = _wait_card(stack, LI)
    assert "● 李娜 审批中" in card["quote"]
    _tap(stack, LI, out_track_id, card, "同意")
    assert _wait_decided(stack, LI, out_track_id).startswith("已同意 · 李娜")
    assert _wait_decided(stack, ZHANG, _my_card(stack, ZHANG)[0]).startswith("已批准")
    _said(stack, ZHANG, "已全部审批通过")


def test_nudge_and_withdraw_reach_the_approver_and_close_every_copy(stack: DingTalkStack) -> None:
    stack.driver.send_text(ZHANG, "提交合同 苏州精工 38万")
    out_track_id, _card = _wait_card(stack, WANG)
    stack.driver.send_text(WANG, "我的审批")
    assert "苏州精工机械有限公司" in _said(stack, WANG, "等你审批的合同（1 份）")
    stack.driver.send_text(ZHANG, "催办")
    _said(stack, WANG, "张伟 催办合同")
    with stack.db.sessions() as s:
        number = s.scalar(select(Contract.number))
    stack.driver.send_text(ZHANG, f"撤回 {number}")
    _said(stack, ZHANG, f"已撤回合同 {number}")
    _said(stack, WANG, "无需再审批")
    assert _wait_decided(stack, WANG, out_track_id).startswith("已撤回")
    assert _wait_decided(stack, ZHANG, _my_card(stack, ZHANG)[0]).startswith("已撤回")
    # Cards sent later to 王芳 alone (我的审批, 催办) are closed as well: nothing is left to tap.
    stack.wait_until(
        lambda: all(_buttons(card) == {} for _, card in _approval_cards(stack, WANG)), what="every card closed"
    )
    with stack.db.sessions() as s:
        assert s.scalar(select(Contract.status)) == "withdrawn"


def test_people_with_both_identities_are_reached_where_they_write_from(db_url: str) -> None:
    """张伟 and 王芳 keep their WeCom ids; once they use DingTalk, their cards and notices go there."""
    with dingtalk_stack(db_url) as stack:
        stack.clock.set(NOW)
        with UnitOfWork(stack.db, stack.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            wang = uow.session.scalar(select(User).where(User.key == "wangfang"))
            assert zhang is not None and wang is not None
            assert zhang.wecom_userid and wang.wecom_userid  # one person, two platforms
            create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["苏州精工"])
            uow.commit()
        stack.driver.send_text(WANG, "我的审批")
        _said(stack, WANG, "目前没有等你审批的合同")
        stack.driver.send_text(ZHANG, "提交合同 苏州精工 38万")
        _my_card(stack, ZHANG)  # the submitter's card, on the platform he used
        _wait_card(stack, WANG)
