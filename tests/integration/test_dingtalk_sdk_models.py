"""Every DingTalk new-API request salesbot sends, checked against the official SDK's request models.

Why: the fake DingTalk accepts what we wrote it to accept, so a misspelt field would pass every
other test and fail in production.  ``alibabacloud-dingtalk`` (aliyun/dingtalk-sdk, the official
generated SDK) has one model per request; ``Model().from_map(body).to_map()`` keeps exactly the
fields the model knows, with the names DingTalk expects.  A field we send that the model does not
know, or a nested object of the wrong shape, makes the round trip differ and the test fail.

The requests are the real ones: recorded by the fake while our client and channel do their work.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alibabacloud_dingtalk.card_1_0 import models as card_models
from alibabacloud_dingtalk.oauth2_1_0 import models as oauth2_models
from alibabacloud_dingtalk.robot_1_0 import models as robot_models

from bot.dingtalk.channel import DingTalkChannel
from bot.dingtalk.client import DingTalkClient, text_param
from bot.fakes.dingtalk_server import AppConfig, FakeDingTalk, ManualClock
from bot.tokens import MemoryTokenStore
from cards.model import Button, Card
from cards.serialize import card_to_dict
from domain.models import OutboxMessage

APP = AppConfig(app_key="dingsdkmodels01", app_secret="sdk-models-secret-01", robot_code="dingsdkmodels01")
USERS = ["0155667788", "0122334455"]
GROUP = "cidTeamSdk01=="
TEMPLATE = "tpl-sdk.schema"

# (method, path) → the official request model for that call.
MODELS: dict[tuple[str, str], type[Any]] = {
    ("POST", "/v1.0/oauth2/accessToken"): oauth2_models.GetAccessTokenRequest,
    ("POST", "/v1.0/card/instances/createAndDeliver"): card_models.CreateAndDeliverRequest,
    ("PUT", "/v1.0/card/instances"): card_models.UpdateCardRequest,
    ("POST", "/v1.0/card/callbacks/register"): card_models.RegisterCallbackRequest,
    ("POST", "/v1.0/robot/oToMessages/batchSend"): robot_models.BatchSendOTORequest,
    ("POST", "/v1.0/robot/groupMessages/send"): robot_models.OrgGroupSendRequest,
    ("POST", "/v1.0/robot/messageFiles/download"): robot_models.RobotMessageFileDownloadRequest,
}


@pytest.fixture
def fake() -> Iterator[FakeDingTalk]:
    server = FakeDingTalk([APP], users=USERS, clock=ManualClock())
    server.publish_template(TEMPLATE)
    server.add_group(GROUP, USERS)
    with server:
        yield server


def _row(**fields: Any) -> OutboxMessage:
    now = datetime.now(UTC)
    return OutboxMessage(dedupe_key="k", platform="dingtalk", next_attempt_at=now, created_at=now, **fields)


def _card(card_id: str, status: str | None = None) -> Card:
    return Card(
        title="合同审批",
        card_id=card_id,
        buttons=[Button("同意", "approval:approve:1", "primary"), Button("驳回", "approval:reject:1", "danger")],
        status=status,
    )


def test_every_request_matches_the_official_sdk_model(fake: FakeDingTalk) -> None:
    with DingTalkClient(
        fake.base_url, fake.base_url, APP.app_key, APP.app_secret, APP.robot_code, MemoryTokenStore(), clock=fake.clock
    ) as client:
        channel = DingTalkChannel(client, template_id=TEMPLATE, callback_route_key="salesbot")
        client.register_card_callback("http://127.0.0.1:9/callbacks/dingtalk/card", APP.app_secret, "salesbot")
        now = datetime.now(UTC)
        for row in (
            _row(target_kind="user", target="|".join(USERS), msg_type="card", payload={"card": card_to_dict(_card("a-1"))}),
            _row(target_kind="chat", target=GROUP, msg_type="card", payload={"card": card_to_dict(_card("a-2"))}),
            _row(target_kind="card", target=USERS[0], msg_type="card_update",
                 payload={"card": card_to_dict(_card("a-1", status="已同意"))}),
            _row(target_kind="user", target=USERS[0], msg_type="markdown", payload={"content": "**本周** 3 单"}),
            _row(target_kind="chat", target=GROUP, msg_type="text", payload={"content": "你好"}),
        ):
            channel.deliver(None, row, now)  # type: ignore[arg-type]
        client.send_robot_to_users([USERS[1]], "sampleText", text_param("一"))
        client.download_file(fake.add_file(b"\xff\xd8\xff\xe0jpeg"))

    checked: set[tuple[str, str]] = set()
    for request in fake.requests:
        model = MODELS.get((request.method, request.path))
        if model is None:
            continue
        body = request.json
        assert isinstance(body, dict), request.path
        model().from_map(body).validate()
        kept = model().from_map(body).to_map()
        assert _lost(body, kept) == [], f"{request.method} {request.path}: fields the SDK model does not know"
        checked.add((request.method, request.path))
    assert checked == set(MODELS), f"not exercised: {set(MODELS) - checked}"


def _lost(sent: Any, kept: Any, path: str = "") -> list[str]:
    """Paths of what we sent that the model's round trip dropped or changed (extra empty keys the
    model adds, e.g. ``privateData: {}``, are fine: we did not send them)."""
    if isinstance(sent, dict):
        if not isinstance(kept, dict):
            return [path or "."]
        return [p for k, v in sent.items() for p in _lost(v, kept.get(k, _MISSING), f"{path}.{k}")]
    return [] if sent == kept else [path or "."]


_MISSING = object()


def test_the_check_catches_a_misspelt_field() -> None:
    """The round trip drops what the model does not know: a check that could not fail is no check."""
    body = {"outTrackId": "x", "cardData": {"cardParamMap": {"a": "b"}}, "userIdType": 1}
    assert _lost(body, card_models.UpdateCardRequest().from_map(body).to_map()) == []
    wrong = {**body, "cardUpdateOption": {"updateCardDataByKey": True}}  # real name: cardUpdateOptions
    assert _lost(wrong, card_models.UpdateCardRequest().from_map(wrong).to_map()) == [".cardUpdateOption"]
