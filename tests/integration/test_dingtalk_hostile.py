"""Forged, stale, oversized and hostile DingTalk callbacks are refused, and nothing is written."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.fakes.dingtalk_driver import robot_sign
from bot.fakes.wecom_driver import encrypt_msg, msg_signature
from bot.runtime import Runtime
from bot.settings import Settings
from domain.models import InboxEvent, OutboxMessage
from tests.e2e.dingtalk_stack import AES_KEY, APP_KEY, APP_SECRET, TOKEN, ZHANG, DingTalkStack, dingtalk_stack


@contextmanager
def _quiet_stack(db_url: str) -> Iterator[DingTalkStack]:
    with dingtalk_stack(db_url, worker=False) as s:
        s.driver.max_retries = 0  # see each refusal once
        yield s


@pytest.fixture
def stack(sqlite_url: str) -> Iterator[DingTalkStack]:
    """For refusals: decided before anything is stored, so one database shows it."""
    with _quiet_stack(sqlite_url) as s:
        yield s


@pytest.fixture
def stored_stack(db_url: str) -> Iterator[DingTalkStack]:
    """For callbacks that are stored (or fail to be): on SQLite and on PostgreSQL."""
    with _quiet_stack(db_url) as s:
        yield s


def _nothing_written(stack: DingTalkStack) -> None:
    with stack.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(InboxEvent)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def _inbox_count(stack: DingTalkStack) -> int:
    with stack.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(InboxEvent)) or 0


def _refused(r: httpx.Response, status: int, code: str | None = None) -> None:
    assert r.status_code == status, r.text
    if code is not None:
        assert r.json()["error"]["code"] == code


def _signed(stack: DingTalkStack) -> dict[str, str]:
    return stack.driver.robot_headers()


def _text_body(stack: DingTalkStack, content: str = "你好") -> bytes:
    return json.dumps(stack.driver.text_message(ZHANG, content)).encode()


# ----------------------------------------------------------------------------- robot endpoint
def test_a_genuine_robot_callback_is_stored(stored_stack: DingTalkStack) -> None:
    stack = stored_stack
    r = stack.driver.post_robot(_text_body(stack), _signed(stack))
    assert r.status_code == 200 and r.json() == {}
    assert _inbox_count(stack) == 1


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "ReplayError"),
        ({"timestamp": "now", "sign": "x"}, "ReplayError"),
        ({"sign": "forged"}, "SignatureError"),
        ({"sign": ""}, "SignatureError"),
    ],
    ids=["no-headers", "bad-timestamp", "forged-sign", "empty-sign"],
)
def test_unsigned_or_forged_robot_callbacks_are_403(stack: DingTalkStack, headers: dict[str, str], code: str) -> None:
    base = _signed(stack) if headers.keys() == {"sign"} else {"Content-Type": "application/json"}
    r = stack.driver.post_robot(_text_body(stack), {**base, **headers})
    _refused(r, 403, code)
    _nothing_written(stack)


def test_sign_made_with_another_secret_is_403(stack: DingTalkStack) -> None:
    ts = str(stack.driver.now_ms())
    headers = {"Content-Type": "application/json", "timestamp": ts, "sign": robot_sign(ts, "not-our-secret")}
    _refused(stack.driver.post_robot(_text_body(stack), headers), 403, "SignatureError")
    _nothing_written(stack)


@pytest.mark.parametrize("hours", [-2, 2])
def test_stale_or_future_timestamps_are_403_even_when_signed(stack: DingTalkStack, hours: int) -> None:
    ts = stack.driver.now_ms() + hours * 3_600_000
    _refused(stack.driver.post_robot(_text_body(stack), stack.driver.robot_headers(ts)), 403, "ReplayError")
    _nothing_written(stack)


def test_oversized_body_is_413(stack: DingTalkStack) -> None:
    body = _text_body(stack, "啊" * 400_000)  # > 1 MB of UTF-8
    _refused(stack.driver.post_robot(body, _signed(stack)), 413)
    _nothing_written(stack)


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b"[1,2,3]",
        b"",
        b'{"msgId": 12.5, "msgtype": "text", "senderStaffId": "0155667788"}',
        b'{"msgId": "m1", "msgtype": "text", "senderStaffId": {"$ne": 1}}',
        b'{"msgId": "m1", "msgtype": "text", "senderStaffId": "0155667788", "text": ["x"]}',
        b'{"msgId": "m1", "msgtype": "text", "senderStaffId": "' + b"9" * 5000 + b'"}',
        b'{"msgId": "m1", "a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"msgId": "m1", "msgtype": "text", "senderStaffId": "1", "x": NaN}',
    ],
    ids=["not-json", "array", "empty", "float-id", "object-id", "text-list", "huge-id", "deep", "nan"],
)
def test_hostile_robot_payloads_are_400_at_once(stack: DingTalkStack, body: bytes) -> None:
    started = time.perf_counter()
    r = stack.driver.post_robot(body, _signed(stack))
    assert time.perf_counter() - started < 5
    _refused(r, 400, "MalformedPayloadError")
    _nothing_written(stack)


def test_inbox_unavailable_answers_503_so_dingtalk_retries(stored_stack: DingTalkStack) -> None:
    stack = stored_stack
    body, headers = _text_body(stack), _signed(stack)
    with stack.db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE inbox RENAME TO inbox_away")
    try:
        _refused(stack.driver.post_robot(body, headers), 503, "inbox_unavailable")
    finally:
        with stack.db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE inbox_away RENAME TO inbox")
    assert stack.driver.post_robot(body, headers).status_code == 200  # DingTalk's retry is stored
    assert _inbox_count(stack) == 1


# ----------------------------------------------------------------------------- events endpoint
def _post_event(stack: DingTalkStack, body: bytes, params: dict[str, str]) -> httpx.Response:
    return stack.driver.post_event(body, params, retry=False)


def test_forged_event_signature_is_403(stack: DingTalkStack) -> None:
    body, params = stack.driver.event_envelope({"EventType": "user_add_org", "UserId": ["x"]})
    params["msg_signature"] = "0" * 40
    _refused(_post_event(stack, body, params), 403, "SignatureError")
    _nothing_written(stack)


def test_an_event_pushed_again_hours_later_is_accepted_once(stored_stack: DingTalkStack) -> None:
    """#18 pt 8: DingTalk re-pushes events that failed, on a schedule nobody documents; a push
    signed hours ago is still ours (signature + our AES key), so it is stored, and the same push
    again is one event, not two (docs/platforms/dingtalk.md, "Event subscription")."""
    stack = stored_stack
    hours_ago = str(stack.driver.now_ms() - 5 * 3_600_000)
    body, params = stack.driver.event_envelope({"EventType": "user_add_org", "UserId": ["x"]}, timestamp=hours_ago)
    for _ in range(2):
        r = _post_event(stack, body, params)
        assert r.status_code == 200 and stack.driver.decrypt_event_reply(r) == "success"
    assert _inbox_count(stack) == 1


def test_an_event_older_than_the_repush_window_is_403(stack: DingTalkStack) -> None:
    stale = str(stack.driver.now_ms() - 40 * 86_400_000)
    body, params = stack.driver.event_envelope({"EventType": "user_add_org"}, timestamp=stale)
    _refused(_post_event(stack, body, params), 403, "ReplayError")
    _nothing_written(stack)


def test_event_for_another_app_is_403(stack: DingTalkStack) -> None:
    ts, nonce = str(stack.driver.now_ms()), "n1"
    encrypted = encrypt_msg(AES_KEY, '{"EventType":"user_add_org"}', "dingSomeOtherAppKey")
    params = {"msg_signature": msg_signature(TOKEN, ts, nonce, encrypted), "timestamp": ts, "nonce": nonce}
    _refused(_post_event(stack, json.dumps({"encrypt": encrypted}).encode(), params), 403, "ReceiveIdError")
    _nothing_written(stack)


@pytest.mark.parametrize(
    ("encrypt", "code"),
    [
        ("!!!not-base64!!!", "DecryptError"),
        ("QUJD", "DecryptError"),
        (encrypt_msg(AES_KEY, "not json", APP_KEY), "MalformedPayloadError"),
        (encrypt_msg(AES_KEY, '{"EventType": 5}', APP_KEY), "MalformedPayloadError"),
        (encrypt_msg(AES_KEY, '{"EventType":"x","UserId":' + "[" * 60 + "]" * 60 + "}", APP_KEY), "MalformedPayloadError"),
    ],
    ids=["not-base64", "short", "plain-not-json", "type-not-string", "deep"],
)
def test_signed_but_undecodable_events_are_400(stack: DingTalkStack, encrypt: str, code: str) -> None:
    ts, nonce = str(stack.driver.now_ms()), "n2"
    params = {"msg_signature": msg_signature(TOKEN, ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}
    _refused(_post_event(stack, json.dumps({"encrypt": encrypt}).encode(), params), 400, code)
    _nothing_written(stack)


@pytest.mark.parametrize("body", [b"{}", b"[]", b"x", b'{"encrypt": ["a"]}'])
def test_event_bodies_without_encrypt_are_400(stack: DingTalkStack, body: bytes) -> None:
    params = {"msg_signature": "0" * 40, "timestamp": str(stack.driver.now_ms()), "nonce": "n"}
    _refused(_post_event(stack, body, params), 400, "MalformedPayloadError")
    _nothing_written(stack)


def test_legacy_query_names_are_accepted(stored_stack: DingTalkStack) -> None:
    stack = stored_stack
    body, params = stack.driver.event_envelope({"EventType": "user_add_org", "UserId": ["0155667788"]})
    legacy = {"signature": params["msg_signature"], "timeStamp": params["timestamp"], "nonce": params["nonce"]}
    r = _post_event(stack, body, legacy)
    assert r.status_code == 200 and stack.driver.decrypt_event_reply(r) == "success"
    assert _inbox_count(stack) == 1


def test_events_without_token_and_aes_key_are_503(db_url: str) -> None:
    with dingtalk_stack(db_url, worker=False, dingtalk_token=None, dingtalk_aes_key=None) as s:
        r = httpx.post(f"{s.base_url}/callbacks/dingtalk/events", content=b"{}", timeout=10)
        _refused(r, 503, "dingtalk_not_configured")
        # robot callbacks need only the app secret and still work
        assert s.driver.send_text(ZHANG, "你好").status_code == 200


# ----------------------------------------------------------------------------- card endpoint
def _card_body(stack: DingTalkStack, out_track_id: str = "help-x", action: str = "help:visit") -> bytes:
    return json.dumps(stack.driver.card_callback(ZHANG, out_track_id, action)).encode()


def test_card_callbacks_for_cards_we_did_not_send_or_with_a_forged_sign_are_403(stack: DingTalkStack) -> None:
    """Unsigned taps are allowed (docs/platforms/dingtalk.md) but must prove themselves on a card
    of ours; a sign that is there must be right.  More in test_dingtalk_card_taps.py."""
    _refused(stack.driver.post_card(_card_body(stack), {"Content-Type": "application/json"}), 403, "SignatureError")
    forged = {**stack.driver.robot_headers(), "sign": robot_sign(str(stack.driver.now_ms()), "guess")}
    _refused(stack.driver.post_card(_card_body(stack), forged), 403, "SignatureError")
    _nothing_written(stack)


@pytest.mark.parametrize(
    "body",
    [
        b"nope",
        b'{"type": "actionCallback", "outTrackId": "a", "userId": "b", "content": "not json"}',
        b'{"type": "actionCallback", "outTrackId": ["a"], "userId": "b", "content": "{}"}',
        b'{"type": "actionCallback", "outTrackId": "a", "userId": "b", "content": "' + b"[" * 200 + b'"}',
        b'{"type": "somethingElse", "outTrackId": "a", "userId": "b", "content": "{}"}',
    ],
    ids=["not-json", "content-not-json", "id-list", "content-deep", "wrong-type"],
)
def test_hostile_card_payloads_are_400(stack: DingTalkStack, body: bytes) -> None:
    _refused(stack.driver.post_card(body, stack.driver.robot_headers()), 400, "MalformedPayloadError")
    _nothing_written(stack)


def test_unsigned_taps_count_only_on_our_cards_from_their_recipients(db_url: str) -> None:
    with dingtalk_stack(db_url) as s:
        s.driver.max_retries = 0
        unsigned = {"Content-Type": "application/json"}
        _refused(s.driver.post_card(_card_body(s, "not-ours"), unsigned), 403, "SignatureError")
        s.driver.send_text(ZHANG, "帮助")
        card = s.wait_until(lambda: s.cards_of(ZHANG), what="help card")[0]
        assert card.out_track_id is not None
        token = s.fake.click_card(ZHANG, card.out_track_id, "help:visit").params["tap_token"]
        stranger = s.driver.card_callback("0199999999", card.out_track_id, "help:visit", params={"tap_token": token})
        _refused(s.driver.post_card(json.dumps(stranger).encode(), unsigned), 403, "SignatureError")
        r = s.driver.post_card(s.driver.tap_body(ZHANG, card.out_track_id, "help:visit"), unsigned)
        assert r.status_code == 200 and r.json() == {}
        s.wait_until(lambda: any("直接发一句话" in t for t in s.texts_of(ZHANG)), what="hint after the tap")


# ----------------------------------------------------------------------------- start-up
@pytest.mark.parametrize("mode", ["http", "stream"])
def test_both_modes_start_and_only_stream_mode_opens_a_socket(tmp_path: Path, mode: str) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/x.db",
        dingtalk_app_key=APP_KEY,
        dingtalk_app_secret=APP_SECRET,
        dingtalk_mode=mode,
    )
    runtime = Runtime.build(settings)
    try:
        app = create_app(runtime)
        assert (app.state.stream is not None) == (mode == "stream")
    finally:
        runtime.close()
