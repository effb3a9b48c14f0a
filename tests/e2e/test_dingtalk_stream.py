"""DingTalk Stream mode end to end: frames over a real WebSocket from the fake, inbox, handler, outbox.

The fake DingTalk serves ``/v1.0/gateway/connections/open`` and the socket; salesbot's
:class:`bot.dingtalk.stream.StreamClient` connects to it exactly as it would to DingTalk.
Replies still go out through the outbox and the fake's HTTP API (D3: never over the socket).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import func, select, text
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.fakes.dingtalk_server import AppConfig, FakeDingTalk
from domain.models import InboxEvent
from tests.e2e.dingtalk_stack import APP_KEY, APP_SECRET, ZHANG, DingTalkStack, dingtalk_stack

ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"


@contextmanager
def _stream_stack(db_url: str) -> Iterator[DingTalkStack]:
    with dingtalk_stack(db_url, dingtalk_mode="stream") as s:
        s.fake.stream.redeliver_after_s = 0.5
        s.fake.stream.wait_connections(1)
        yield s


@pytest.fixture
def stack(db_url: str) -> Iterator[DingTalkStack]:
    """For what is stored (once, or not while the inbox is down): on SQLite and on PostgreSQL."""
    with _stream_stack(db_url) as s:
        yield s


@pytest.fixture
def connection_stack(sqlite_url: str) -> Iterator[DingTalkStack]:
    """For the connection itself (open, reconnect, back off): the database plays no part, one is enough."""
    with _stream_stack(sqlite_url) as s:
        yield s


def _inbox_rows(stack: DingTalkStack) -> int:
    with stack.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(InboxEvent)) or 0


def _help_cards(stack: DingTalkStack) -> list[str]:
    return [m.out_track_id or "" for m in stack.cards_of(ZHANG) if (m.card or {}).get("title") == "销售助手可以帮你"]


def _acked(stack: DingTalkStack, message_id: str) -> bool:
    return any(a.code == 200 for a in stack.fake.stream.acks_for(message_id))


def test_the_client_opens_a_connection_with_the_app_credentials_and_subscriptions(connection_stack: DingTalkStack) -> None:
    stack = connection_stack
    [opened, *_] = [r for r in stack.fake.requests if r.path == "/v1.0/gateway/connections/open"]
    assert opened.json is not None
    assert opened.json["clientId"] == APP_KEY
    assert {(s["type"], s["topic"]) for s in opened.json["subscriptions"]} == {
        ("CALLBACK", ROBOT_TOPIC),
        ("CALLBACK", CARD_TOPIC),
        ("EVENT", "*"),
    }
    ping = stack.fake.stream.ping("123-dsfs")
    stack.wait_until(lambda: stack.fake.stream.acks_for(ping), what="ping ack")
    [ack] = stack.fake.stream.acks_for(ping)
    assert ack.code == 200 and ack.data == {"opaque": "123-dsfs"}


def test_help_over_the_stream_gets_the_help_card(stack: DingTalkStack) -> None:
    message_id = stack.fake.stream.push_robot_message(stack.driver.text_message(ZHANG, "帮助"))
    card = stack.wait_until(lambda: stack.cards_of(ZHANG), what="help card")[0].card
    assert card["title"] == "销售助手可以帮你" and card["subtitle"] == "张伟，你好！"
    [ack] = stack.fake.stream.acks_for(message_id)
    assert ack.code == 200 and ack.data == {"response": None}
    [created] = [r for r in stack.fake.requests if r.path.endswith("createAndDeliver")]
    assert created.json is not None
    assert created.json["callbackType"] == "STREAM" and "callbackRouteKey" not in created.json


def test_the_same_frame_twice_is_processed_once(stack: DingTalkStack) -> None:
    message = stack.driver.text_message(ZHANG, "帮助")
    first = stack.fake.stream.push_robot_message(message)
    stack.wait_until(lambda: _acked(stack, first), what="first ack")
    second = stack.fake.stream.push_robot_message(message)  # same msgId, new frame
    stack.wait_until(lambda: _acked(stack, second), what="second ack")
    stack.wait_until(lambda: _help_cards(stack), what="help card")
    stack.wait_until(lambda: not stack.fake.stream.pending(), what="nothing pending")
    assert _inbox_rows(stack) == 1
    assert len(_help_cards(stack)) == 1


def test_after_a_dropped_connection_the_client_reconnects_and_gets_the_next_message(connection_stack: DingTalkStack) -> None:
    stack = connection_stack
    assert stack.fake.stream.drop() == 1
    stack.fake.stream.wait_connections(2)
    message_id = stack.fake.stream.push_robot_message(stack.driver.text_message(ZHANG, "帮助"))
    stack.wait_until(lambda: _help_cards(stack), what="help card after the reconnect")
    assert [a.connection for a in stack.fake.stream.acks_for(message_id)] == [2]
    opens = [r for r in stack.fake.requests if r.path == "/v1.0/gateway/connections/open"]
    assert len(opens) == 2  # a fresh ticket for the new connection


def test_a_disconnect_frame_makes_the_client_reconnect_at_once(connection_stack: DingTalkStack) -> None:
    stack = connection_stack
    stack.fake.stream.disconnect(close_after_s=10)
    stack.fake.stream.wait_connections(2, timeout=5)  # before the server's own close
    stack.fake.stream.push_robot_message(stack.driver.text_message(ZHANG, "帮助"))
    stack.wait_until(lambda: _help_cards(stack), what="help card after the reconnect")


def test_a_frame_whose_ack_was_lost_is_redelivered_and_processed_once(stack: DingTalkStack) -> None:
    # The connection drops right after the frame: salesbot stores it but its ack never arrives.
    message = stack.driver.text_message(ZHANG, "帮助")
    message_id = stack.fake.stream.push_robot_message(message, redeliver=True, drop_after_send=True)
    stack.fake.stream.wait_connections(2)
    stack.wait_until(lambda: _acked(stack, message_id), what="ack of the redelivered frame")
    # Pushed again at least once (more when a loaded machine acks after the next re-push is due):
    # what matters is below, one inbox row and one reply whatever the number of pushes.
    assert stack.fake.stream.deliveries(message_id) >= 2
    stack.wait_until(lambda: _help_cards(stack), what="help card")
    assert _inbox_rows(stack) == 1 and len(_help_cards(stack)) == 1


def test_a_frame_is_not_acked_while_the_inbox_cannot_store_it(stack: DingTalkStack) -> None:
    # A real database failure: the inbox table is gone for a moment (no mocks).
    with stack.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))
    try:
        event_id = stack.fake.stream.push_event("user_add_org", {"timeStamp": "1685501863357", "userId": [ZHANG]})
        stack.wait_until(lambda: stack.fake.stream.deliveries(event_id) >= 2, what="a redelivery")
        assert stack.fake.stream.acks_for(event_id) == []
    finally:
        with stack.db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
    stack.wait_until(lambda: _acked(stack, event_id), what="ack once the inbox is back")
    # The platform keeps redelivering an unacked frame, so a second delivery may be in flight when the inbox is back:
    # every delivery is acked SUCCESS, and the event is stored once.
    acks = stack.fake.stream.acks_for(event_id)
    assert acks and all(ack.data == {"status": "SUCCESS", "message": "success"} for ack in acks)
    with stack.db.sessions() as s:
        [row] = s.scalars(select(InboxEvent)).all()
        assert row.kind == "other" and row.payload["dingtalk_event"]["user_ids"] == [ZHANG]


def test_a_card_tap_over_the_stream_reaches_the_card_handlers(stack: DingTalkStack) -> None:
    stack.fake.stream.push_robot_message(stack.driver.text_message(ZHANG, "帮助"))
    message = stack.wait_until(lambda: stack.cards_of(ZHANG), what="help card")[0]
    assert message.out_track_id is not None
    buttons = {message.card[f"btn{n}_text"]: message.card[f"btn{n}_action"] for n in range(1, 4)}
    click = stack.fake.click_card(ZHANG, message.out_track_id, buttons["记拜访"])
    assert stack.fake.callback_for(message.out_track_id) is None  # a STREAM card: no HTTP route
    tap = stack.driver.card_callback(
        ZHANG, message.out_track_id, click.action, component_id=click.component_id, params=click.params
    )
    message_id = stack.fake.stream.push_card_callback(tap)
    stack.wait_until(lambda: any("直接发一句话" in t for t in stack.texts_of(ZHANG)), what="hint after the tap")
    [ack] = stack.fake.stream.acks_for(message_id)
    assert ack.code == 200 and ack.data == {"response": {}}
    assert json.loads(tap["content"])["cardPrivateData"]["actionIds"] == [click.component_id]


def test_an_event_redelivered_under_a_new_message_id_is_stored_once(stack: DingTalkStack) -> None:
    data = {"timeStamp": "1685501863357", "userId": [ZHANG]}
    first = stack.fake.stream.push_event("user_modify_org", data, event_id="evt-0001")
    second = stack.fake.stream.push_event("user_modify_org", data, event_id="evt-0001")
    stack.wait_until(lambda: _acked(stack, first) and _acked(stack, second), what="both acks")
    assert _inbox_rows(stack) == 1


def test_hostile_frames_write_nothing_and_the_connection_stays_up(stack: DingTalkStack) -> None:
    gateway = stack.fake.stream
    no_msg_id = stack.driver.text_message(ZHANG, "帮助")
    del no_msg_id["msgId"]
    refused = gateway.push_robot_message(no_msg_id)
    unknown = gateway.push(gateway.frame("CALLBACK", "/v1.0/unknown/topic", {"a": 1}))
    bad_tap = gateway.push_card_callback({"type": "actionCallback", "content": "not json"})
    stack.wait_until(lambda: all(gateway.acks_for(m) for m in (refused, unknown, bad_tap)), what="acks")
    assert [a.code for a in gateway.acks_for(unknown)] == [404]
    assert _inbox_rows(stack) == 0
    assert gateway.connections_opened == 1  # nothing made the client reconnect
    gateway.push_robot_message(stack.driver.text_message(ZHANG, "帮助"))
    stack.wait_until(lambda: _help_cards(stack), what="help card")


def test_a_refused_gateway_is_retried_with_backoff_not_hammered(connection_stack: DingTalkStack) -> None:
    stack = connection_stack
    path = "/v1.0/gateway/connections/open"
    stack.fake.fail_next(path, 400, "invalidClientIdOrSecret", times=100)  # e.g. the secret was rotated
    stack.fake.stream.drop()
    time.sleep(2.5)  # backoff 0.5–1 s, 1–2 s, 2–4 s: at most three tries in this time
    refused = [r for r in stack.fake.requests if r.path == path and r.status == 400]
    assert 1 <= len(refused) <= 3
    assert stack.fake.stream.open_connections == 0


def test_the_fake_gateway_ticket_opens_one_connection_only() -> None:
    with FakeDingTalk([AppConfig(app_key=APP_KEY, app_secret=APP_SECRET)]) as fake:
        body = {"clientId": APP_KEY, "clientSecret": APP_SECRET, "subscriptions": [{"type": "EVENT", "topic": "*"}]}
        opened = httpx.post(fake.base_url + "/v1.0/gateway/connections/open", json=body).json()
        uri = f"{opened['endpoint']}?ticket={opened['ticket']}"
        with connect(uri, proxy=None) as ws:
            fake.stream.wait_connections(1)
            with pytest.raises(InvalidStatus) as refused, connect(uri, proxy=None):
                pass
            assert refused.value.response.status_code == 403
            ws.send("{}")  # the first connection is still fine
        wrong = httpx.post(fake.base_url + "/v1.0/gateway/connections/open", json={**body, "clientSecret": "x"})
        assert wrong.status_code == 400
