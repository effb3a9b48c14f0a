"""Forged, replayed, oversized and hostile callbacks are refused, and nothing is written."""

import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from bot.fakes.wecom_driver import encrypt_msg, msg_signature
from domain.models import InboxEvent, OutboxMessage
from tests.e2e.wecom_stack import AES_KEY, TOKEN, WeComStack, wecom_stack

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><ToUserName>&lol3;</ToUserName><Encrypt>x</Encrypt></xml>"
)
XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>'


@pytest.fixture
def stack(sqlite_url: str) -> Iterator[WeComStack]:
    """For refusals: decided before anything is stored, so one database shows it."""
    with wecom_stack(sqlite_url) as s:
        yield s


@pytest.fixture
def stored_stack(db_url: str) -> Iterator[WeComStack]:
    """For callbacks that are stored (or fail to be): on SQLite and on PostgreSQL."""
    with wecom_stack(db_url) as s:
        yield s


def _post(stack: WeComStack, body: bytes, params: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{stack.base_url}/callbacks/wecom", params=params, content=body, timeout=10)


def _nothing_written(stack: WeComStack) -> None:
    with stack.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(InboxEvent)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def _signed(stack: WeComStack, body: str, ts: str | None = None) -> tuple[bytes, dict[str, str]]:
    """An envelope whose signature is right for whatever ``body`` carries as Encrypt ('x')."""
    ts = ts or stack.driver.timestamp()
    return body.encode(), {"msg_signature": msg_signature(TOKEN, ts, "1", "x"), "timestamp": ts, "nonce": "1"}


def test_forged_signature_is_403(stack: WeComStack) -> None:
    body, params = stack.driver.envelope(stack.driver.text_xml("ZhangWei", "hi"))
    params["msg_signature"] = "0" * 40
    r = _post(stack, body, params)
    assert r.status_code == 403 and r.json()["error"]["code"] == "SignatureError"
    _nothing_written(stack)


def test_replayed_old_callback_is_403(stack: WeComStack) -> None:
    stale = str(int(stack.clock.now().timestamp()) - 11 * 60)
    body, params = stack.driver.envelope(stack.driver.text_xml("ZhangWei", "hi"), timestamp=stale)
    r = _post(stack, body, params)
    assert r.status_code == 403 and r.json()["error"]["code"] == "ReplayError"
    _nothing_written(stack)


def test_wrong_corp_after_decrypt_is_403(stack: WeComStack) -> None:
    ts = stack.driver.timestamp()
    encrypted = encrypt_msg(AES_KEY, stack.driver.text_xml("ZhangWei", "hi"), "ww-some-other-corp")
    body = f"<xml><ToUserName><![CDATA[x]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    params = {"msg_signature": msg_signature(TOKEN, ts, "7", encrypted), "timestamp": ts, "nonce": "7"}
    r = _post(stack, body, params)
    assert r.status_code == 403 and r.json()["error"]["code"] == "ReceiveIdError"
    _nothing_written(stack)


def test_oversized_body_is_413(stack: WeComStack) -> None:
    body, params = _signed(stack, "<xml><Encrypt>x</Encrypt><Pad>" + "A" * 1_100_000 + "</Pad></xml>")
    r = _post(stack, body, params)
    assert r.status_code == 413
    _nothing_written(stack)


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, XXE, "<xml><Encrypt>x</Encrypt", "not xml at all"])
def test_hostile_or_malformed_xml_is_400_at_once(stack: WeComStack, hostile: str) -> None:
    body, params = _signed(stack, hostile)
    started = time.perf_counter()
    r = _post(stack, body, params)
    elapsed = time.perf_counter() - started
    assert r.status_code == 400, r.text
    assert elapsed < 5  # not a benchmark: a parser that expanded the entities would never answer
    _nothing_written(stack)


def test_inbox_unavailable_answers_5xx_so_wecom_retries(stored_stack: WeComStack) -> None:
    stack = stored_stack
    with stack.db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE inbox RENAME TO inbox_away")
    try:
        body, params = stack.driver.envelope(stack.driver.text_xml("ZhangWei", "hi"))
        r = _post(stack, body, params)
        assert r.status_code == 503 and r.json()["error"]["code"] == "inbox_unavailable"
    finally:
        with stack.db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE inbox_away RENAME TO inbox")
    # WeCom's retry, once the database is back, is stored and answered.
    assert _post(stack, body, params).status_code == 200
    stack.wait_until(lambda: stack.cards_of("ZhangWei"), what="reply after the retry")
