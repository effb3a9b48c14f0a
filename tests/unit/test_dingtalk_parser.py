"""DingTalk callback JSON → InboundEvent, over every real sample we have (docs/platforms/dingtalk.md D1-D4)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.dingtalk.crypto import DingTalkCrypto, MalformedPayloadError
from bot.dingtalk.parser import (
    TAP_DEDUPE_WINDOW_S,
    OrgEvent,
    RichText,
    StreamAck,
    StreamFrame,
    load_json,
    parse_card_callback,
    parse_event,
    parse_payload,
    parse_robot_message,
    parse_stream_frame,
)
from handlers.events import CardAction, EventKind, InboundEvent, SelectedItem

SAMPLES = Path("/work/shared/samples/callbacks/dingtalk")
NOW = 1_764_000_000


def load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def raw(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


# ----------------------------------------------------------------------------- every sample file
def _robot(msgtype_kind: EventKind, raw_type: str, **expected: Any) -> Callable[[str], None]:
    def check(name: str) -> None:
        event = parse_payload(raw(name), now=NOW)
        assert isinstance(event, InboundEvent)
        assert (event.kind, event.raw_type, event.platform) == (msgtype_kind, raw_type, "dingtalk")
        data = load(name)
        assert event.dedupe_key == data["msgId"] and event.sender_id == data["senderStaffId"]
        assert event.created_at == data["createAt"] // 1000
        assert event.conversation_id is None  # all official samples are 1:1 ("1")
        for attr, value in expected.items():
            assert getattr(event, attr) == value, attr
        assert InboundEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event

    return check


def _ack(name: str) -> None:
    ack = parse_payload(raw(name), now=NOW)
    assert isinstance(ack, StreamAck) and ack.code == 200 and ack.message_id == "213d841d_972_1898bb26334_70a7"


def _robot_frame(name: str) -> None:
    frame = parse_payload(raw(name), now=NOW)
    assert isinstance(frame, StreamFrame) and frame.type == "CALLBACK" and frame.topic == "/v1.0/im/bot/messages/get"
    event = frame.event
    assert event is not None and event.kind is EventKind.TEXT
    assert event.text == "测试数据"  # the space left by the @-mention is gone
    assert event.conversation_id == "cidAsXSBLnA==" and event.sender_id == "16650***698"
    assert event.created_at == NOW  # the doc sample misspells createAt ("createA")


def _event_frame(name: str) -> None:
    frame = parse_payload(raw(name), now=NOW)
    assert isinstance(frame, StreamFrame) and frame.type == "EVENT"
    org = frame.org_event
    assert org is not None and org.event_type == "user_add_org" and org.user_ids == ("015xxxx227",)
    assert org.event_id is not None and org.dedupe_key == f"event|{org.event_id}"
    assert org.corp_id is not None and org.corp_id.startswith("ding9f50b15b")
    inbound = org.to_inbound(NOW)
    assert inbound.kind is EventKind.OTHER and inbound.raw_type == "event:user_add_org"


def _disconnect(name: str) -> None:
    frame = parse_payload(raw(name), now=NOW)
    assert isinstance(frame, StreamFrame) and frame.type == "SYSTEM" and frame.topic == "disconnect"
    assert frame.data == {"reason": "connection is expired"} and frame.event is None


def _invalid(name: str) -> None:
    with pytest.raises(MalformedPayloadError):
        parse_payload(raw(name), now=NOW)


def _faq_rich_text(name: str) -> None:
    rich = parse_payload(raw(name), now=NOW)
    assert rich == RichText("@SDK示例", ("mIofN681YE3f*****3madCkipB",))


def _index(name: str) -> None:
    """The index says which msgtype each robot sample has; the parser must agree."""
    for entry in load(name):
        if "msgtype" in entry:
            event = parse_robot_message(raw("developerpedia/" + entry["file"]), now=NOW)
            assert event.raw_type == entry["msgtype"]


def _card_doc(name: str) -> None:
    sample = load(name)
    verbatim = sample["doc_example_http_callback_body_verbatim"]
    event = parse_payload(verbatim, now=NOW)
    assert isinstance(event, InboundEvent) and event.kind is EventKind.CARD_ACTION
    assert event.card_action == CardAction(
        key="accept", task_id="XXXXXX", params={"action": "accept"}, card_type=None
    )
    assert (event.sender_id, event.created_at, event.dedupe_key) == ("XXXXXX", NOW, f"card|XXXXXX|accept|XXXXXX|t{NOW // 10}")
    # The prose's placement (params inside cardPrivateData) and the second mirror's "value" field.
    parsed = {**verbatim, "value": json.dumps(sample["doc_parsed_structure"])}
    del parsed["content"]
    assert parse_card_callback(parsed, now=NOW).card_action == event.card_action
    # The send-request example uses string values in cardParamMap, as we do.
    assert all(isinstance(v, str) for v in sample["doc_send_card_request_example"]["cardData"]["cardParamMap"].values())


def _crypto_vector(name: str) -> None:
    sample = load(name)
    crypto = DingTalkCrypto(sample["token"], sample["aes_key"], sample["owner_key_corpId"])
    for case in sample["cases"]:
        plain = crypto.decrypt(case["msg_signature"], case["timeStamp"], case["nonce"], case["encrypt"])
        org = parse_payload(plain, now=NOW)
        assert isinstance(org, OrgEvent) and org.is_check_url and not org.is_org_change


EXPECTED: dict[str, Callable[[str], None]] = {
    "card_callback_official_doc_example.json": _card_doc,
    "official_dingtalk_event_crypto_vector.json": _crypto_vector,
    "developerpedia/_index.json": _index,
    "developerpedia/faq_richtext_content_example_0.json": _faq_rich_text,
    "developerpedia/robot_message_text.json": _robot(EventKind.TEXT, "text", text="hello DingTalk!"),
    "developerpedia/robot_message_picture.json": _robot(EventKind.IMAGE, "picture", media_id="mIof****JE0E"),
    "developerpedia/robot_message_richText.json": _robot(
        EventKind.IMAGE,
        "richText",
        media_id="mIof****7A==",
        text="这个问题示例图如下：\n通过以上示意图可以明白完整的交互流程",
    ),
    "developerpedia/robot_message_audio.json": _robot(EventKind.OTHER, "audio", text=None),
    "developerpedia/robot_message_video.json": _robot(EventKind.OTHER, "video"),
    "developerpedia/robot_message_file.json": _robot(EventKind.OTHER, "file"),
    "developerpedia/robot_message_unknown.json": _robot(EventKind.OTHER, "unknownMsgType"),
    "developerpedia/stream_ack_response_example.json": _ack,
    "developerpedia/stream_callback_robot_ack.json": _ack,
    "developerpedia/stream_event_ack_success.json": _ack,
    "developerpedia/stream_system_ping_ack.json": _ack,
    "developerpedia/stream_callback_robot_message_frame.json": _robot_frame,
    "developerpedia/stream_event_frame_example.json": _event_frame,
    "developerpedia/stream_event_frame_user_add_org.json": _event_frame,
    "developerpedia/stream_system_disconnect_frame.json": _disconnect,
    "developerpedia/stream_system_ping_frame.INVALID_JSON_trailing_comma.json": _invalid,
}


def test_every_sample_file_has_an_expectation() -> None:
    found = {str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*.json")}
    assert found == set(EXPECTED), "a sample was added or removed: give it an expectation"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample(name: str) -> None:
    EXPECTED[name](name)


# ----------------------------------------------------------------------------- robot messages
def robot_message(**overrides: Any) -> dict[str, Any]:
    data = load("developerpedia/robot_message_text.json")
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("content", "group", "expected"),
    [
        (" 测试数据", True, "测试数据"),
        ("@销售助手 今天拜访华为", True, "今天拜访华为"),
        ("@销售助手\u3000@张三 帮助", True, "帮助"),
        ("@销售助手", True, ""),
        ("\u3000 帮助 \n", False, "帮助"),
        ("@张三 的客户", False, "@张三 的客户"),  # 1:1: an @ is part of what was said
        ("发邮件到 a@b.com", True, "发邮件到 a@b.com"),
        ("@销售助手 \n", True, ""),
    ],
)
def test_text_is_stripped_of_spaces_and_group_mentions(content: str, group: bool, expected: str) -> None:
    data = robot_message(text={"content": content}, conversationType="2" if group else "1")
    event = parse_robot_message(data, now=NOW)
    assert event.text == expected
    assert event.conversation_id == (data["conversationId"] if group else None)


def test_rich_text_without_a_picture_is_text() -> None:
    data = robot_message(msgtype="richText", content={"richText": [{"text": "第一行"}, {"text": " 第二行 "}]})
    event = parse_robot_message(data, now=NOW)
    assert (event.kind, event.text) == (EventKind.TEXT, "第一行\n第二行")


def test_picture_falls_back_to_picture_download_code() -> None:
    event = parse_robot_message(robot_message(msgtype="picture", content={"pictureDownloadCode": "pdc"}), now=NOW)
    assert (event.kind, event.media_id) == (EventKind.IMAGE, "pdc")


def test_location_is_read_when_present() -> None:
    content = {"latitude": "31.2304", "longitude": 121.4737, "title": "上海市黄浦区"}
    event = parse_robot_message(robot_message(msgtype="location", content=content), now=NOW)
    assert event.kind is EventKind.LOCATION and event.location is not None
    assert (event.location.lat, event.location.lng, event.location.label) == (31.2304, 121.4737, "上海市黄浦区")
    broken = parse_robot_message(robot_message(msgtype="location", content={"latitude": "x"}), now=NOW)
    assert broken.kind is EventKind.OTHER


def test_outside_users_without_a_staff_id_fall_back_to_sender_id() -> None:
    data = robot_message()
    del data["senderStaffId"]
    assert parse_robot_message(data, now=NOW).sender_id == data["senderId"]


def test_created_at_falls_back_to_now_for_nonsense() -> None:
    assert parse_robot_message(robot_message(createAt="soon"), now=NOW).created_at == NOW
    assert parse_robot_message(robot_message(createAt=True), now=NOW).created_at == NOW
    assert parse_robot_message(robot_message(createAt="1695283635765"), now=NOW).created_at == 1695283635


@pytest.mark.parametrize(
    "overrides",
    [
        {"msgId": None},
        {"msgId": ""},
        {"msgId": ["a"]},
        {"msgId": "m" * 300},
        {"msgtype": None},
        {"msgtype": {"x": 1}},
        {"senderStaffId": None, "senderId": None},
        {"senderStaffId": "u" * 129},
        {"senderStaffId": True},
        {"text": "hello"},
        {"text": {"content": 5}},
        {"msgtype": "picture", "content": "code"},
        {"msgtype": "picture", "content": {}},
        {"msgtype": "richText", "content": {"richText": "x"}},
        {"msgtype": "richText", "content": {"richText": ["x"]}},
        {"msgtype": "richText", "content": {"richText": [{"text": 5}]}},
    ],
)
def test_wrong_types_and_missing_fields_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(MalformedPayloadError):
        parse_robot_message(robot_message(**overrides), now=NOW)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[1, 2]",
        b'"text"',
        b"{'single': 'quotes'}",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b"\xff\xfe{}",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 40 + b"1" + b"}" * 40,
    ],
    ids=["empty", "null", "list", "string", "quotes", "nan", "inf", "not-utf8", "deep-list", "deep-object"],
)
def test_non_objects_and_hostile_json_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedPayloadError):
        load_json(body)


def test_moderate_nesting_is_fine() -> None:
    assert load_json(b'{"a":' * 20 + b"1" + b"}" * 20)


# ----------------------------------------------------------------------------- card callbacks
def card_body(content: Any, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "actionCallback",
        "outTrackId": "visit-msgAB12",
        "corpId": "dingcorp",
        "userId": "0155667788",
        "content": json.dumps(content) if not isinstance(content, str) else content,
    }
    body.update(overrides)
    return body


def test_tap_with_our_action_param_is_the_wecom_shaped_card_action() -> None:
    content = {"cardPrivateData": {"actionIds": ["btn2"], "params": {"action": "visit:undo:42"}}}
    event = parse_card_callback(card_body(content, spaceType="IM_ROBOT", spaceId="0155667788"), now=NOW)
    assert event.kind is EventKind.CARD_ACTION and event.raw_type == "actionCallback"
    assert event.card_action is not None
    assert (event.card_action.key, event.card_action.task_id) == ("visit:undo:42", "visit-msgAB12")
    assert event.card_action.card_type == "IM_ROBOT" and event.conversation_id is None
    assert event.dedupe_key == f"card|visit-msgAB12|visit:undo:42|0155667788|t{NOW // 10}"


def test_a_slot_id_without_params_is_mapped_through_the_stored_buttons() -> None:
    content = {"cardPrivateData": {"actionIds": ["btn2"]}}
    event = parse_card_callback(card_body(content), now=NOW, button_actions=["visit:edit:42", "visit:undo:42"])
    assert event.card_action is not None and event.card_action.key == "visit:undo:42"
    unmapped = parse_card_callback(card_body({"cardPrivateData": {"actionIds": ["approve_btn"]}}), now=NOW)
    assert unmapped.card_action is not None and unmapped.card_action.key == "approve_btn"


@pytest.mark.parametrize(
    "answer",
    ["too_high", 1, {"index": 1}, {"value": "too_high"}, ["too_high"]],
    ids=["id", "index", "index-object", "value-object", "list"],
)
def test_select_answers_become_selected_items(answer: Any) -> None:
    content = {"cardPrivateData": {"actionIds": ["btn1"], "params": {"action": "approval:reject_confirm:7", "select1": answer}}}
    event = parse_card_callback(
        card_body(content), now=NOW, selects=[("reason", ["price", "too_high", "other"])]
    )
    assert event.card_action is not None
    assert event.card_action.selected == (SelectedItem("reason", ("too_high",)),)
    assert event.dedupe_key.startswith("card|visit-msgAB12|approval:reject_confirm:7|0155667788|")


def test_two_different_answers_are_two_events_but_the_same_tap_twice_is_one() -> None:
    def tap(reason: str) -> str:
        content = {"cardPrivateData": {"params": {"action": "submit", "reason": reason}}}
        return parse_card_callback(card_body(content), now=NOW).dedupe_key

    assert tap("a") != tap("b") and tap("a") == tap("a")


def test_the_same_tap_later_is_a_new_event_and_the_token_is_no_answer() -> None:
    """#18 pt 5: DingTalk sends no per-tap id, so a deliberate second tap (修改 again a minute
    later) must not be taken for a retry; a retry inside TAP_DEDUPE_WINDOW_S still is one."""
    content = {"cardPrivateData": {"params": {"action": "visit:edit:42", "tap_token": "abc"}}}
    base = NOW - NOW % TAP_DEDUPE_WINDOW_S
    first = parse_card_callback(card_body(content), now=base)
    assert parse_card_callback(card_body(content), now=base + TAP_DEDUPE_WINDOW_S - 1).dedupe_key == first.dedupe_key
    assert parse_card_callback(card_body(content), now=base + 60).dedupe_key != first.dedupe_key
    assert first.card_action is not None and first.card_action.selected == ()


def test_group_taps_carry_the_conversation() -> None:
    content = {"cardPrivateData": {"params": {"action": "x"}}}
    event = parse_card_callback(card_body(content, spaceType="IM_GROUP", spaceId="cidGroup=="), now=NOW)
    assert event.conversation_id == "cidGroup=="


@pytest.mark.parametrize(
    "body",
    [
        card_body({}, type="otherCallback"),
        card_body({}, outTrackId=None),
        card_body({}, outTrackId=123.5),
        card_body({}, userId=None),
        card_body({}, userId="u" * 200),
        card_body("not json"),
        card_body("[1]"),
        {**card_body({}), "content": 5},
        card_body({"cardPrivateData": "x"}),
        card_body({"cardPrivateData": {"actionIds": "btn1"}}),
        card_body({"cardPrivateData": {"actionIds": [1]}}),
        card_body({"cardPrivateData": {"params": []}}),
        card_body({"cardPrivateData": {"params": {"action": "a" * 2000}}}),
        card_body({"cardPrivateData": {"params": {f"p{i}": "v" for i in range(60)}}}),
        card_body({"cardPrivateData": {"params": {"action": "x", "note": "n" * 5000}}}),
    ],
)
def test_hostile_card_callbacks_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(MalformedPayloadError):
        parse_card_callback(body, now=NOW)


def test_overlong_dedupe_keys_are_hashed_to_fit_the_inbox() -> None:
    content = {"cardPrivateData": {"params": {"action": "k" * 1000}}}
    event = parse_card_callback(card_body(content), now=NOW)
    assert len(event.dedupe_key) <= 300 and event.dedupe_key.startswith("card|sha1:")


# ----------------------------------------------------------------------------- event subscription
def test_http_org_event() -> None:
    org = parse_event('{"EventType":"user_modify_org","TimeStamp":"1700000000123","CorpId":"dingcorp","UserId":["a","b"]}')
    assert org.is_org_change and org.user_ids == ("a", "b") and org.corp_id == "dingcorp"
    assert org.dedupe_key.startswith("event|user_modify_org|1700000000123|")
    inbound = org.to_inbound(NOW)
    assert (inbound.sender_id, inbound.created_at, inbound.kind) == ("sys", 1700000000, EventKind.OTHER)
    assert org.details()["user_ids"] == ["a", "b"]


def test_department_events_keep_their_department_ids() -> None:
    """org_dept_* pushes carry ``DeptId`` (a list of numbers); the org hook needs them for a removal."""
    org = parse_event('{"EventType":"org_dept_remove","TimeStamp":"1","DeptId":[40, "41", "x", true, 1.5]}')
    assert org.dept_ids == (40, 41) and org.details()["dept_ids"] == [40, 41]
    assert parse_event('{"EventType":"org_dept_remove","DeptId":7}').dept_ids == (7,)
    assert parse_event('{"EventType":"user_leave_org","UserId":["a"]}').details()["dept_ids"] == []


def test_same_push_same_key_different_payload_different_key() -> None:
    a = '{"EventType":"user_leave_org","TimeStamp":"1","UserId":["a"]}'
    b = '{"EventType":"user_leave_org","TimeStamp":"1","UserId":["b"]}'
    assert parse_event(a).dedupe_key == parse_event(a).dedupe_key != parse_event(b).dedupe_key


@pytest.mark.parametrize(
    "plain",
    ['{"TimeStamp":"1"}', '{"EventType":5}', '{"EventType":"x","UserId":{"a":1}}', '{"EventType":"x","UserId":[true]}'],
)
def test_bad_events_are_refused(plain: str) -> None:
    with pytest.raises(MalformedPayloadError):
        parse_event(plain)


def test_stream_frame_with_a_card_callback() -> None:
    data = card_body({"cardPrivateData": {"params": {"action": "help:visit"}}})
    frame = {
        "specVersion": "1.0",
        "type": "CALLBACK",
        "headers": {"topic": "/v1.0/card/instances/callback", "messageId": "m1"},
        "data": json.dumps(data),
    }
    parsed = parse_stream_frame(frame, now=NOW)
    assert parsed.event is not None and parsed.event.card_action is not None
    assert parsed.event.card_action.key == "help:visit"


@pytest.mark.parametrize(
    "frame",
    [{"type": "WHAT", "headers": {}}, {"type": "SYSTEM", "headers": "x"}, {"type": "EVENT", "headers": {}, "data": "[]"}],
)
def test_bad_stream_frames_are_refused(frame: dict[str, Any]) -> None:
    with pytest.raises(MalformedPayloadError):
        parse_stream_frame(frame, now=NOW)


def test_unknown_payloads_are_refused() -> None:
    with pytest.raises(MalformedPayloadError):
        parse_payload({"hello": "world"}, now=NOW)
