"""DingTalk card taps are believed only when the card proves them (issue #18 pt 1, #19 pt 1).

No official source shows DingTalk signing HTTP card callbacks, so a genuine tap arrives with
or without robot-style ``timestamp``/``sign`` headers and both must work.  What must never
work is the forged approval of issue #19: an unsigned POST naming a guessed card id and the
approver's userId.  Real HTTP against a running salesbot and the fake DingTalk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.dingtalk.cardauth import CardKeys
from bot.fakes.dingtalk_driver import robot_sign
from domain.models import ApprovalStep, InboxEvent, User
from domain.services.customers import create_customer
from domain.uow import UnitOfWork
from handlers.visits import EDIT_HINT
from tests.e2e.dingtalk_stack import APP_SECRET, WANG, ZHANG, DingTalkStack, dingtalk_stack
from tests.e2e.test_dingtalk_approvals import _buttons, _seed, _wait_card

UNSIGNED = {"Content-Type": "application/json"}
HINT = "直接发一句话"  # the reply to 记拜访 on the help card


def _step_status(stack: DingTalkStack) -> list[str]:
    with stack.db.sessions() as s:
        return list(s.scalars(select(ApprovalStep.status).order_by(ApprovalStep.id)))


def _forged(user: str, out_track_id: str, action: str, **params: str) -> bytes:
    """The body of issue #19 point 1, with the card id and params of the attacker's choice."""
    content = {"cardPrivateData": {"params": {"action": action, **params}}}
    body = {"type": "actionCallback", "outTrackId": out_track_id, "userId": user, "content": json.dumps(content)}
    return json.dumps(body).encode()


def _inbox_count(stack: DingTalkStack) -> int:
    with stack.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(InboxEvent)) or 0


@pytest.fixture(params=["card", "sign"])
def approval(request: pytest.FixtureRequest, db_url: str) -> Iterator[tuple[DingTalkStack, str, str]]:
    """A contract waiting for 王芳, in each SALESBOT_DINGTALK_CARD_AUTH mode: (stack, outTrackId, approve)."""
    with dingtalk_stack(db_url, dingtalk_card_auth=request.param) as s:
        s.driver.max_retries = 0
        _seed(s)
        s.driver.send_text(ZHANG, "提交合同 苏州精工 38万")
        out_track_id, card = _wait_card(s, WANG)
        yield s, out_track_id, _buttons(card)["同意"]


def test_the_forged_approval_of_issue_19_fails_in_every_mode(approval: tuple[DingTalkStack, str, str]) -> None:
    stack, out_track_id, approve = approval
    with stack.db.sessions() as s:
        step = s.scalar(select(ApprovalStep).order_by(ApprovalStep.id))
        assert step is not None
        guessed = f"appr-{step.id}-{step.flow_id}"
    assert out_track_id != guessed and out_track_id.startswith(guessed + ".")  # the id is not guessable
    # the submitter's own card of the contract (催办 / 撤回) carries his own token
    mine = stack.wait_until(
        lambda: next((m for m in stack.cards_of(ZHANG) if m.card and m.card["title"].startswith("我的合同")), None),
        what="the submitter's own card",
    )
    zhang_token = stack.fake.click_card(ZHANG, mine.out_track_id or "", _buttons(mine.card)["催办"]).params["tap_token"]
    forged_headers = {**stack.driver.robot_headers(), "sign": robot_sign(str(stack.driver.now_ms()), "guess")}
    before = _inbox_count(stack)
    attempts = [
        _forged(WANG, guessed, approve),  # issue #19 as reported: sequential id, claimed userId
        _forged(WANG, out_track_id, approve),  # the real id (say, from a forwarded card), no token
        _forged(WANG, out_track_id, approve, tap_token=zhang_token),  # the submitter posing with his own token
        _forged(WANG, out_track_id, approve, tap_token="x" * 22),
    ]
    for body in attempts:
        for headers in (UNSIGNED, forged_headers):
            r = stack.driver.post_card(body, headers, retry=False)
            assert r.status_code == 403, r.text
    assert _inbox_count(stack) == before and _step_status(stack)[0] == "pending"
    # 王芳's own tap, as DingTalk sends it (headers only where the mode demands them), decides.
    signed = stack.runtime.settings.dingtalk_card_auth == "sign"
    assert stack.driver.tap_card(WANG, out_track_id, approve, signed=signed).status_code == 200
    stack.wait_until(lambda: _step_status(stack)[0] == "approved", what="王芳's genuine tap decides")


def _visit_card(s: DingTalkStack) -> tuple[str, str]:
    """张伟 logs a visit; (outTrackId, 修改 action) of the card that confirms it."""
    with UnitOfWork(s.db, s.clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert zhang is not None
        create_customer(uow, "苏州精工机械有限公司", owner=zhang)
        uow.commit()
    s.driver.send_text(ZHANG, "今天拜访苏州精工王总，谈了报价")
    message = s.wait_until(lambda: s.cards_of(ZHANG), what="visit card")[-1]
    assert message.out_track_id is not None and message.card is not None
    return message.out_track_id, _buttons(message.card)["修改"]


def _edit_hints(s: DingTalkStack) -> int:
    return sum(t == EDIT_HINT for t in s.texts_of(ZHANG))


def test_taps_work_with_and_without_signature_headers(db_url: str) -> None:
    """Default mode: DingTalk may or may not sign card callbacks; either way a real tap works,
    a wrong signature is refused, and the same person tapping 修改 again later is a new tap
    (#18 pt 5), not a retry."""
    with dingtalk_stack(db_url) as s:
        s.driver.max_retries = 0
        otid, edit = _visit_card(s)
        assert s.driver.tap_card(ZHANG, otid, edit).status_code == 200  # no headers
        s.wait_until(lambda: _edit_hints(s) == 1, what="first edit hint")
        s.clock.advance(timedelta(minutes=1))
        assert s.driver.tap_card(ZHANG, otid, edit, signed=True).status_code == 200  # with headers
        s.wait_until(lambda: _edit_hints(s) == 2, what="second edit hint")
        bad = {**s.driver.robot_headers(), "sign": robot_sign(str(s.driver.now_ms()), "not-the-secret")}
        r = s.driver.post_card(s.driver.tap_body(ZHANG, otid, edit), bad, retry=False)
        assert r.status_code == 403 and r.json()["error"]["code"] == "SignatureError"


def test_a_retry_of_the_same_tap_is_one_event(db_url: str) -> None:
    with dingtalk_stack(db_url, worker=False) as s:
        s.driver.max_retries = 0
        s.driver.send_text(ZHANG, "帮助")
        s.wait_until(lambda: s.runtime.make_worker().run_once() == 0 and s.cards_of(ZHANG), what="help card")
        card = s.cards_of(ZHANG)[0]
        assert card.out_track_id is not None
        body = s.driver.tap_body(ZHANG, card.out_track_id, "help:visit")
        before = _inbox_count(s)
        for _ in range(3):  # DingTalk re-sending the same tap at once
            assert s.driver.post_card(body, UNSIGNED, retry=False).status_code == 200
        assert _inbox_count(s) == before + 1


def test_card_ids_carry_a_tag_only_the_app_secret_makes() -> None:
    keys = CardKeys(APP_SECRET)
    otid = keys.out_track_id("appr-1-1")
    assert keys.card_id_of(otid) == "appr-1-1" and otid != "appr-1-1"
    assert keys.card_id_of("appr-1-1") is None
    assert keys.card_id_of(otid[:-1] + ("A" if otid[-1] != "A" else "B")) is None
    assert CardKeys("another-secret").card_id_of(otid) is None
    assert keys.tap_token(otid, WANG) != keys.tap_token(otid, ZHANG) != keys.tap_token(otid, None)


def test_stream_taps_need_the_token_too(db_url: str) -> None:
    with dingtalk_stack(db_url, dingtalk_mode="stream") as s:
        s.fake.stream.push_robot_message(s.driver.text_message(ZHANG, "帮助"))
        card = s.wait_until(lambda: s.cards_of(ZHANG), what="help card")[0]
        assert card.out_track_id is not None
        forged = json.loads(_forged(ZHANG, card.out_track_id, "help:visit"))
        before = _inbox_count(s)
        s.fake.stream.push_card_callback(forged)
        genuine = json.loads(s.driver.tap_body(ZHANG, card.out_track_id, "help:visit"))
        s.fake.stream.push_card_callback(genuine)
        s.wait_until(lambda: any(HINT in t for t in s.texts_of(ZHANG)), what="hint after the genuine tap")
        s.wait_until(lambda: _inbox_count(s) == before + 1, what="the genuine tap stored")
        assert _inbox_count(s) == before + 1  # and the forged one not
