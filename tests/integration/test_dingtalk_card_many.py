"""One card to several people on DingTalk (outbox target "a|b", from Replies.card_many).

Why: an approval card goes to the approver and the submitter in one outbox row with one
card id, and a decision is one update that every copy must show.  On DingTalk that is one
createAndDeliver into several robot chats (openSpaceId "dtv1.card//IM_ROBOT.a;IM_ROBOT.b").
Real HTTP against the fake DingTalk, no mocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.dingtalk.channel import DingTalkChannel
from bot.dingtalk.client import DingTalkClient
from bot.fakes.dingtalk_server import AppConfig, FakeDingTalk, ManualClock
from bot.tokens import MemoryTokenStore
from cards.model import Button, Card
from cards.serialize import card_to_dict
from domain.models import OutboxMessage

APP = AppConfig(app_key="dingtestapp0002", app_secret="test-secret-0002", robot_code="dingtestapp0002")
APPROVER, SUBMITTER, OTHER = "0122334455", "0155667788", "0133445566"
TEMPLATE = "tpl-salesbot.schema"


@pytest.fixture
def fake() -> Iterator[FakeDingTalk]:
    server = FakeDingTalk([APP], users=[APPROVER, SUBMITTER, OTHER], clock=ManualClock())
    server.publish_template(TEMPLATE)
    with server:
        yield server


@pytest.fixture
def client(fake: FakeDingTalk) -> Iterator[DingTalkClient]:
    with DingTalkClient(
        fake.base_url, fake.base_url, APP.app_key, APP.app_secret, APP.robot_code, MemoryTokenStore(), clock=fake.clock
    ) as c:
        yield c


def _card(status: str | None = None) -> Card:
    return Card(
        title="合同审批 · HT-20261125-001",
        card_id="appr-1-1",
        buttons=[Button("同意", "approval:approve:1", "primary"), Button("驳回", "approval:reject:1", "danger")],
        status=status,
    )


def _row(**fields: Any) -> OutboxMessage:
    now = datetime.now(UTC)
    return OutboxMessage(dedupe_key="k", platform="dingtalk", next_attempt_at=now, created_at=now, **fields)


def _deliver(channel: DingTalkChannel, row: OutboxMessage) -> str | None:
    return channel.deliver(None, row, datetime.now(UTC))  # type: ignore[arg-type]


def test_one_card_for_two_people_and_one_update_for_both(fake: FakeDingTalk, client: DingTalkClient) -> None:
    channel = DingTalkChannel(client, template_id=TEMPLATE)
    target = f"{APPROVER}|{SUBMITTER}"
    sent = _row(target_kind="user", target=target, msg_type="card", payload={"card": card_to_dict(_card())})
    out_track_id = client.card_keys.out_track_id("appr-1-1")
    assert _deliver(channel, sent) == out_track_id and out_track_id.startswith("appr-1-1.")
    for person in (APPROVER, SUBMITTER):
        [message] = fake.inbox_of(person)
        assert message.out_track_id == out_track_id and message.card is not None
        assert message.card["btn1_text"] == "同意" and message.card["decided"] == "false"
    assert fake.inbox_of(OTHER) == []
    # both hold a tappable copy, each with their own tap token (private data)
    tokens = {p: fake.click_card(p, out_track_id, "approval:approve:1").params["tap_token"] for p in (APPROVER, SUBMITTER)}
    assert tokens == {p: client.card_keys.tap_token(out_track_id, p) for p in (APPROVER, SUBMITTER)}
    assert fake.cards[out_track_id].public["tap_token"] == ""  # nothing in what everyone sees

    decided = _card(status="已同意 · 王芳 11-25 10:05")
    update = _row(target_kind="card", target=target, msg_type="card_update", payload={"card": card_to_dict(decided)})
    _deliver(channel, update)
    for person in (APPROVER, SUBMITTER):
        seen = fake.inbox_of(person)[0].card
        assert seen is not None and seen["status"] == "已同意 · 王芳 11-25 10:05" and seen["decided"] == "true"
    assert len([r for r in fake.requests if r.method == "PUT"]) == 1


def test_someone_who_left_does_not_stop_the_others_copy(fake: FakeDingTalk, client: DingTalkClient) -> None:
    channel = DingTalkChannel(client, template_id=TEMPLATE)
    row = _row(target_kind="user", target=f"gone-user|{SUBMITTER}", msg_type="card", payload={"card": card_to_dict(_card())})
    _deliver(channel, row)
    assert [m.msgtype for m in fake.inbox_of(SUBMITTER)] == ["card"]


def test_without_a_template_and_as_text_everyone_is_reached(fake: FakeDingTalk, client: DingTalkClient) -> None:
    channel = DingTalkChannel(client, template_id=None)
    target = f"{APPROVER}|{SUBMITTER}"
    _deliver(channel, _row(target_kind="user", target=target, msg_type="card", payload={"card": card_to_dict(_card())}))
    decided = card_to_dict(_card(status="已驳回 · 王芳"))
    _deliver(channel, _row(target_kind="card", target=target, msg_type="card_update", payload={"card": decided}))
    for person in (APPROVER, SUBMITTER):
        first, second = fake.inbox_of(person)
        assert first.msgtype == "markdown" and first.body["title"].startswith("合同审批")
        assert second.content is not None and second.content.startswith("【合同审批 · HT-20261125-001】\n状态：已驳回 · 王芳")


def test_what_we_send_fills_exactly_the_variables_the_template_declares(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    """The template export (bot/dingtalk/templates/salesbot_card.export.json, what the admin imports
    and what the fake reads) is our contract with DingTalk: every public variable it declares is
    filled, nothing it does not declare is sent, and the private ones go in privateData (#18 pt 2)."""
    from bot.dingtalk.templates import declared_variables

    declared = declared_variables()
    channel = DingTalkChannel(client, template_id=TEMPLATE)
    row = _row(target_kind="user", target=f"{APPROVER}|{SUBMITTER}", msg_type="card", payload={"card": card_to_dict(_card())})
    _deliver(channel, row)
    [create] = [r for r in fake.requests if r.path == "/v1.0/card/instances/createAndDeliver"]
    public = set(create.json["cardData"]["cardParamMap"])
    private = {k for data in create.json["privateData"].values() for k in data["cardParamMap"]}
    assert public == set(declared)  # tap_token too: a group card carries it publicly, a 1:1 card empty
    assert private == {name for name, is_private in declared.items() if is_private}
