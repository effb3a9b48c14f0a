"""DingTalkClient and DingTalkChannel against the running fake DingTalk over real HTTP (no mocks)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels import TryLater, Undeliverable
from bot.dingtalk.channel import DingTalkChannel
from bot.dingtalk.client import (
    DingTalkAPIError,
    DingTalkClient,
    DingTalkError,
    DingTalkTransportError,
    RetryLater,
    markdown_param,
    text_param,
)
from bot.fakes.dingtalk_server import AppConfig, FakeDingTalk, ManualClock
from bot.tokens import MemoryTokenStore, RedisTokenStore, TokenStore
from cards.dingtalk import render_card_data
from cards.model import Button, Card
from cards.serialize import card_to_dict
from domain.models import OutboxMessage

APP = AppConfig(app_key="dingtestapp0001", app_secret="test-secret-0001", robot_code="dingtestapp0001", agent_id=42)
USERS = ["0155667788", "0122334455", "0133445566"]
TEMPLATE = "tpl-salesbot.schema"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeDingTalk]:
    server = FakeDingTalk([APP], users=USERS, clock=clock)
    server.publish_template(TEMPLATE)
    server.add_group("cidTeam01==", USERS[:2])
    with server:
        yield server


def make_client(fake: FakeDingTalk, clock: ManualClock, store: TokenStore | None = None, **kwargs: Any) -> DingTalkClient:
    return DingTalkClient(
        fake.base_url,
        fake.base_url,
        APP.app_key,
        APP.app_secret,
        APP.robot_code,
        store or MemoryTokenStore(),
        clock=clock,
        agent_id=kwargs.pop("agent_id", APP.agent_id),
        **kwargs,
    )


@pytest.fixture
def client(fake: FakeDingTalk, clock: ManualClock) -> Iterator[DingTalkClient]:
    with make_client(fake, clock) as c:
        yield c


def card(card_id: str, status: str | None = None) -> Card:
    return Card(
        title="合同审批",
        card_id=card_id,
        buttons=[Button("同意", f"approve:{card_id}", "primary"), Button("驳回", f"reject:{card_id}", "danger")],
        status=status,
    )


# ----------------------------------------------------------------------------- tokens
def test_one_token_for_many_calls_and_threads(fake: FakeDingTalk, client: DingTalkClient) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: client.send_robot_to_users([USERS[0]], "sampleText", text_param(f"第{i}条")), range(16)))
    assert fake.token_calls == 1
    assert len(fake.inbox_of(USERS[0])) == 16
    [first] = [r for r in fake.requests if r.path == "/v1.0/robot/oToMessages/batchSend"][:1]
    assert isinstance(first.json["msgParam"], str) and json.loads(first.json["msgParam"])["content"].startswith("第")


def test_expired_token_is_refreshed_once_and_the_call_repeated(
    fake: FakeDingTalk, client: DingTalkClient, clock: ManualClock
) -> None:
    client.send_robot_to_users([USERS[0]], "sampleText", text_param("一"))
    fake.expire_tokens()
    client.send_robot_to_users([USERS[0]], "sampleText", text_param("二"))
    assert fake.token_calls == 2
    assert [m.content for m in fake.inbox_of(USERS[0])] == ["一", "二"]
    clock.advance(7200 - 299)  # inside the 5-minute margin: fetch before DingTalk says no
    client.send_robot_to_users([USERS[0]], "sampleText", text_param("三"))
    assert fake.token_calls == 3
    # only the forced expiry, answered as DingTalk does: HTTP 400 InvalidAuthentication
    assert [(r.status, r.error) for r in fake.requests if r.error] == [(400, "InvalidAuthentication")]


def test_wrong_secret_is_a_configuration_error(fake: FakeDingTalk, clock: ManualClock) -> None:
    bad = DingTalkClient(fake.base_url, fake.base_url, APP.app_key, "wrong", APP.robot_code, MemoryTokenStore(), clock=clock)
    with pytest.raises(DingTalkAPIError) as exc:
        bad.send_robot_to_users([USERS[0]], "sampleText", text_param("x"))
    assert exc.value.errcode == 400 and exc.value.code == "invalidClientIdOrSecret"
    bad.close()


def test_workers_sharing_redis_fetch_one_token(fake: FakeDingTalk, clock: ManualClock, redis_url: str) -> None:
    stores = [RedisTokenStore(redis_url, clock=clock) for _ in range(4)]
    clients = [make_client(fake, clock, store) for store in stores]
    barrier = threading.Barrier(len(clients))

    def work(c: DingTalkClient) -> str:
        barrier.wait()
        return c.get_token()

    with ThreadPoolExecutor(len(clients)) as pool:
        tokens = set(pool.map(work, clients))
    assert len(tokens) == 1 and fake.token_calls == 1
    for c, store in zip(clients, stores, strict=True):
        c.close()
        store.close()


def test_legacy_token_is_separate_and_refreshed_on_expiry(fake: FakeDingTalk, client: DingTalkClient) -> None:
    first = client.upload_media("image", "a.png", b"\x89PNG\r\n\x1a\nxx", "image/png")
    fake.expire_tokens()
    second = client.upload_media("image", "b.png", b"\x89PNG\r\n\x1a\nyy", "image/png")
    assert first.startswith("@lADP") and second.startswith("@lADP") and first != second
    assert fake.legacy_token_calls == 2 and fake.token_calls == 0


def test_errcode_88_is_a_bad_token_with_a_sub_code_and_a_timeout_without(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    """developerpedia retry.md: 88 鉴权异常 with no sub_code = the auth service timed out (retry);
    with sub_code 40014 the token is bad: refresh it, never back off forever (#18 pt 6)."""
    png = b"\x89PNG\r\n\x1a\nxx"
    client.upload_media("image", "a.png", png, "image/png")
    fake.invalidate_tokens()  # the next oapi call gets {"errcode":88,"sub_code":"40014",...}
    assert client.upload_media("image", "b.png", png, "image/png").startswith("@lADP")
    assert fake.legacy_token_calls == 2
    fake.fail_next("/media/upload", 88)  # no sub_code
    with pytest.raises(RetryLater):
        client.upload_media("image", "c.png", png, "image/png")
    assert fake.legacy_token_calls == 2  # a timeout is not a reason for a new token


# ----------------------------------------------------------------------------- robot messages
def test_markdown_image_and_partly_invalid_recipients(fake: FakeDingTalk, client: DingTalkClient) -> None:
    result = client.send_robot_to_users([USERS[1], "ghost"], "sampleMarkdown", markdown_param("周报", "**本周** 3 单"))
    assert result.invalid_user_ids == ["ghost"] and result.process_query_key
    media = client.upload_media("image", "chart.png", b"\x89PNG\r\n\x1a\nchart", "image/png")
    client.send_robot_to_group("cidTeam01==", "sampleImageMsg", {"photoURL": media})
    assert [(m.msgtype, m.body) for m in fake.inbox_of(USERS[1])] == [("markdown", {"title": "周报", "text": "**本周** 3 单"})]
    assert fake.group_messages("cidTeam01==")[0].body == {"photoURL": media}
    with pytest.raises(DingTalkAPIError, match="invalid staff ids"):
        client.send_robot_to_users(["ghost"], "sampleText", text_param("x"))
    with pytest.raises(DingTalkAPIError, match="photoURL"):
        client.send_robot_to_users([USERS[0]], "sampleImageMsg", {"photoURL": "@not-uploaded"})
    with pytest.raises(DingTalkAPIError):
        client.send_robot_to_group("cidUnknown==", "sampleText", text_param("x"))


def test_throttling_and_busy_are_retry_later(fake: FakeDingTalk, client: DingTalkClient) -> None:
    path = "/v1.0/robot/oToMessages/batchSend"
    fake.fail_next(path, 429, "Forbidden.AccessDenied.QpsLimitForApi")
    with pytest.raises(RetryLater) as exc:
        client.send_robot_to_users([USERS[0]], "sampleText", text_param("x"))
    assert exc.value.errcode == 429
    fake.fail_next(path, 503, "ServiceUnavailable")
    with pytest.raises(RetryLater):
        client.send_robot_to_users([USERS[0]], "sampleText", text_param("x"))
    fake.fail_next("/media/upload", -1, "系统繁忙")
    with pytest.raises(RetryLater):
        client.upload_media("image", "a.png", b"\x89PNGxxxx")


def test_transport_failure_is_retry_later(clock: ManualClock) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    with DingTalkClient(dead, dead, "k", "s", "k", MemoryTokenStore(), clock=clock, timeout_s=1) as c, pytest.raises(
        DingTalkTransportError
    ):
        c.get_token()


# ----------------------------------------------------------------------------- cards
def test_card_lifecycle_public_data_for_everyone_private_for_one(fake: FakeDingTalk, client: DingTalkClient) -> None:
    client.register_card_callback("http://127.0.0.1:9/callbacks/dingtalk/card", "api-secret", "salesbot")
    delivery = client.create_and_deliver_card(
        TEMPLATE,
        "approval-1",
        render_card_data(card("approval-1")),
        open_conversation_id="cidTeam01==",
        private_data={USERS[0]: {"note": "你是审批人"}},
        callback_route_key="salesbot",
    )
    assert delivery.out_track_id == "approval-1" and not delivery.failures
    instance = fake.cards["approval-1"]
    assert instance.view_for(USERS[0])["note"] == "你是审批人" and "note" not in instance.view_for(USERS[1])
    assert fake.callback_for("approval-1") == ("http://127.0.0.1:9/callbacks/dingtalk/card", "api-secret")
    fake.click_card(USERS[1], "approval-1", "approve:approval-1")

    client.update_card("approval-1", render_card_data(card("approval-1", status="已同意 · 王芳")))
    for user in USERS[:2]:
        seen = fake.cards["approval-1"].view_for(user)
        assert seen["decided"] == "true" and seen["status"] == "已同意 · 王芳" and seen["btn1_text"] == ""
    assert fake.cards["approval-1"].view_for(USERS[0])["note"] == "你是审批人"  # private data untouched
    client.update_card("approval-1", private_data={USERS[0]: {"note": "已处理"}})
    assert fake.cards["approval-1"].view_for(USERS[0])["note"] == "已处理"
    client.update_card("approval-1", {"title": "只剩标题"}, by_key=False)
    assert fake.cards["approval-1"].public == {"title": "只剩标题"}
    assert fake.cards["approval-1"].version == 3


def test_card_errors(fake: FakeDingTalk, client: DingTalkClient) -> None:
    data = render_card_data(card("c-1"))
    with pytest.raises(DingTalkAPIError) as exc:
        client.create_and_deliver_card("unpublished.schema", "c-1", data, user_id=USERS[0])
    assert exc.value.code == "param.templateUnpublished"
    with pytest.raises(DingTalkAPIError) as exc:
        client.create_and_deliver_card(TEMPLATE, "c-1", data, user_id=USERS[0], callback_route_key="never-registered")
    assert exc.value.code == "param.callbackRouteKeyNotRegistered"
    client.create_and_deliver_card(TEMPLATE, "c-1", data, user_id=USERS[0])
    with pytest.raises(DingTalkAPIError) as exc:
        client.create_and_deliver_card(TEMPLATE, "c-1", data, user_id=USERS[0])
    assert exc.value.code != "param.outTrackIdDuplicated"  # an invented code; nothing may rely on one (#18 pt 6)
    with pytest.raises(DingTalkAPIError, match="not delivered"):
        client.create_and_deliver_card(TEMPLATE, "c-2", data, user_id="ghost")
    with pytest.raises(DingTalkAPIError) as exc:
        client.update_card("no-such-card", data)
    assert exc.value.code == "param.cardNotExist"
    with pytest.raises(ValueError):
        client.create_and_deliver_card(TEMPLATE, "c-3", data)


# ----------------------------------------------------------------------------- files
def test_download_by_code_and_expiry(fake: FakeDingTalk, client: DingTalkClient, clock: ManualClock) -> None:
    code = fake.add_file(b"\xff\xd8\xffphoto", "image/jpeg")
    assert client.download_file(code) == (b"\xff\xd8\xffphoto", "image/jpeg")
    clock.advance(25 * 3600)
    with pytest.raises(DingTalkAPIError):
        client.download_file(code)
    with pytest.raises(DingTalkAPIError):
        client.download_file("never-issued")


# ----------------------------------------------------------------------------- work notifications
def test_work_notifications_and_their_silent_daily_limits(fake: FakeDingTalk, client: DingTalkClient) -> None:
    msg = {"msgtype": "text", "text": {"content": "今天有 3 个跟进"}}
    assert client.send_work_notification([USERS[0], USERS[1]], msg) > 0
    client.send_work_notification([USERS[0]], msg)  # same content, same person, same day: dropped
    assert [m.msgtype for m in fake.inbox_of(USERS[0])] == ["notice:text"]
    assert [d.reason for d in fake.dropped] == ["same content to the same person today"]
    for i in range(500):
        client.send_work_notification([USERS[2]], {"msgtype": "text", "text": {"content": f"#{i}"}})
    client.send_work_notification([USERS[2]], {"msgtype": "text", "text": {"content": "#500"}})
    assert len(fake.inbox_of(USERS[2])) == 500 and fake.dropped[-1].reason.startswith("more than 500")


def test_work_notifications_need_the_agent_id(fake: FakeDingTalk, clock: ManualClock) -> None:
    with make_client(fake, clock, agent_id=None) as c, pytest.raises(DingTalkError, match="AgentId"):
        c.send_work_notification([USERS[0]], {"msgtype": "text", "text": {"content": "x"}})
    with make_client(fake, clock, agent_id=7) as c, pytest.raises(DingTalkAPIError):
        c.send_work_notification([USERS[0]], {"msgtype": "text", "text": {"content": "x"}})


# ----------------------------------------------------------------------------- custom robot webhooks
def test_signed_webhook_keywords_and_throttle(fake: FakeDingTalk, client: DingTalkClient, clock: ManualClock) -> None:
    url = fake.add_webhook(secret="SECabc123", keywords=["排行榜"])
    client.webhook_send(url, "SECabc123", {"msgtype": "markdown", "markdown": {"title": "排行榜", "text": "1. 张伟"}})
    assert fake.webhook_messages(url)[0].body["text"] == "1. 张伟"
    with pytest.raises(DingTalkAPIError) as exc:
        client.webhook_send(url, "SECwrong", {"msgtype": "text", "text": {"content": "排行榜"}})
    assert exc.value.errcode == 310000 and "sign" in exc.value.errmsg
    with pytest.raises(DingTalkAPIError, match="keywords"):
        client.webhook_send(url, "SECabc123", {"msgtype": "text", "text": {"content": "hello"}})
    for _ in range(19):
        client.webhook_send(url, "SECabc123", {"msgtype": "text", "text": {"content": "排行榜"}})
    with pytest.raises(RetryLater):
        client.webhook_send(url, "SECabc123", {"msgtype": "text", "text": {"content": "排行榜"}})
    clock.advance(61)
    with pytest.raises(RetryLater):  # throttled for 10 minutes, not one
        client.webhook_send(url, "SECabc123", {"msgtype": "text", "text": {"content": "排行榜"}})
    clock.advance(600)
    client.webhook_send(url, "SECabc123", {"msgtype": "text", "text": {"content": "排行榜"}})
    unsigned = fake.add_webhook()
    client.webhook_send(unsigned, None, {"msgtype": "text", "text": {"content": "hi"}})
    assert len(fake.webhook_messages(unsigned)) == 1


# ----------------------------------------------------------------------------- channel edge cases
def _row(**fields: Any) -> OutboxMessage:
    now = datetime.now(UTC)
    return OutboxMessage(dedupe_key="k", platform="dingtalk", next_attempt_at=now, created_at=now, **fields)


def test_card_update_falls_back_to_text_when_the_card_cannot_be_updated(fake: FakeDingTalk, client: DingTalkClient) -> None:
    channel = DingTalkChannel(client, template_id=TEMPLATE)
    decided = card_to_dict(card("gone-card", status="已撤销"))
    row = _row(target_kind="card", target=f"{USERS[0]},cidTeam01==", msg_type="card_update", payload={"card": decided})
    channel.deliver(None, row, datetime.now(UTC))  # type: ignore[arg-type]
    assert fake.inbox_of(USERS[0])[-1].content == "【合同审批】\n状态：已撤销"
    assert fake.group_messages("cidTeam01==")[-1].body["content"].startswith("【合同审批】")


def test_channel_errors_map_to_try_later_and_undeliverable(fake: FakeDingTalk, client: DingTalkClient) -> None:
    channel = DingTalkChannel(client, template_id=TEMPLATE)
    row = _row(target_kind="user", target=USERS[0], msg_type="text", payload={"content": "你好"})
    fake.fail_next("/v1.0/robot/oToMessages/batchSend", 429, "QpsLimit")
    with pytest.raises(TryLater):
        channel.deliver(None, row, datetime.now(UTC))  # type: ignore[arg-type]
    assert channel.deliver(None, row, datetime.now(UTC))  # type: ignore[arg-type]
    ghost = _row(target_kind="user", target="ghost", msg_type="text", payload={"content": "你好"})
    with pytest.raises(Undeliverable):
        channel.deliver(None, ghost, datetime.now(UTC))  # type: ignore[arg-type]
    unknown = _row(target_kind="user", target=USERS[0], msg_type="video", payload={})
    with pytest.raises(Undeliverable):
        channel.deliver(None, unknown, datetime.now(UTC))  # type: ignore[arg-type]


def test_without_a_template_cards_go_out_as_markdown(fake: FakeDingTalk, client: DingTalkClient) -> None:
    channel = DingTalkChannel(client, template_id=None)
    row = _row(target_kind="user", target=USERS[0], msg_type="card", payload={"card": card_to_dict(card("md-1"))})
    channel.deliver(None, row, datetime.now(UTC))  # type: ignore[arg-type]
    [message] = fake.inbox_of(USERS[0])
    assert message.msgtype == "markdown" and message.body["title"] == "合同审批"
    assert fake.cards == {}


def test_long_text_is_cut_not_refused(fake: FakeDingTalk, client: DingTalkClient) -> None:
    channel = DingTalkChannel(client, template_id=TEMPLATE)
    row = _row(target_kind="user", target=USERS[0], msg_type="text", payload={"content": "长" * 6000})
    channel.deliver(None, row, datetime.now(UTC))  # type: ignore[arg-type]
    content = fake.inbox_of(USERS[0])[0].content
    assert content is not None and len(content) == 5000 and content.endswith("…")


def test_a_card_resent_after_a_lost_answer_counts_as_delivered(fake: FakeDingTalk, client: DingTalkClient) -> None:
    channel = DingTalkChannel(client, template_id=TEMPLATE)
    row = _row(target_kind="user", target=USERS[0], msg_type="card", payload={"card": card_to_dict(card("twice-1"))})
    out_track_id = client.card_keys.out_track_id("twice-1")
    assert channel.deliver(None, row, datetime.now(UTC)) == out_track_id  # type: ignore[arg-type]
    # The second createAndDeliver is refused (with whatever code: none is documented); an update
    # of that outTrackId succeeds, so the card is there and the row counts as delivered.
    assert channel.deliver(None, row, datetime.now(UTC)) == out_track_id  # type: ignore[arg-type]
    assert [m.msgtype for m in fake.inbox_of(USERS[0])] == ["card"]


def test_cli_registers_the_card_callback_route(fake: FakeDingTalk, tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "SALESBOT_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "SALESBOT_PUBLIC_BASE_URL": "https://sales.example.com",
        "SALESBOT_DINGTALK_APP_KEY": APP.app_key,
        "SALESBOT_DINGTALK_APP_SECRET": APP.app_secret,
        "SALESBOT_DINGTALK_API_BASE": fake.base_url,
        "SALESBOT_DINGTALK_OAPI_BASE": fake.base_url,
    }
    env.pop("SALESBOT_REDIS_URL", None)
    command = [sys.executable, "-m", "bot.cli", "dingtalk", "register-card-callback"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "salesbot" in done.stdout
    assert fake.routes == {"salesbot": ("https://sales.example.com/callbacks/dingtalk/card", APP.app_secret)}
    missing = subprocess.run(
        command, env={**env, "SALESBOT_DINGTALK_APP_KEY": ""}, capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 2 and "SALESBOT_DINGTALK_APP_KEY" in missing.stderr
