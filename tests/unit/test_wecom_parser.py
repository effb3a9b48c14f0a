"""Decrypted WeCom XML → InboundEvent, over every real sample we have (docs/platforms/wecom.md W3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.wecom.crypto import MalformedXMLError, WeComCrypto
from bot.wecom.parser import parse_message
from handlers.events import EventKind, InboundEvent, Location, SelectedItem

SAMPLES = Path("/work/shared/samples/callbacks/wecom")
SAMPLE_DIRS = [SAMPLES / "wechatpy_work_parser", SAMPLES / "wxjava_cp_xml_message"]


def sample_params() -> list[Any]:
    params = []
    for folder in SAMPLE_DIRS:
        index = json.loads((folder / "_index.json").read_text(encoding="utf-8"))
        test_of = {entry["file"]: entry["test"] for entry in index}
        for path in sorted(folder.glob("*.xml")):
            params.append(pytest.param(path, id=f"{folder.name}/{path.stem} ({test_of.get(path.name, '?')})"))
    return params


SAMPLE_FILES = sample_params()


def sample(folder: str, name: str) -> str:
    return (SAMPLES / folder / name).read_text(encoding="utf-8")


# Samples we understand; every other sample must come out as OTHER.
EXPECTED_KIND = {
    "test_parse_text_message.xml": EventKind.TEXT,
    "testFromXml.xml": EventKind.TEXT,  # MsgType text, with every other field stuffed in
    "test_parse_image_message.xml": EventKind.IMAGE,
    "test_parse_location_message.xml": EventKind.LOCATION,
    "testTemplateCardEvent.xml": EventKind.CARD_ACTION,
}


def test_every_indexed_sample_exists_and_every_sample_is_indexed() -> None:
    for folder in SAMPLE_DIRS:
        index = json.loads((folder / "_index.json").read_text(encoding="utf-8"))
        listed = {entry["file"] for entry in index}
        present = {p.name for p in folder.glob("*.xml")}
        assert listed == present, folder
    assert len(SAMPLE_FILES) == 23 + 9  # samples/README.md: 23 wechatpy + 9 WxJava


@pytest.mark.parametrize("path", SAMPLE_FILES)
def test_every_sample_parses(path: Path) -> None:
    event = parse_message(path.read_text(encoding="utf-8"))
    assert event.platform == "wecom"
    assert event.sender_id
    assert isinstance(event.created_at, int) and event.created_at > 0
    assert event.dedupe_key
    assert event.raw_type
    assert event.kind == EXPECTED_KIND.get(path.name, EventKind.OTHER)
    # The inbox stores events as JSON: the round trip must be lossless.
    assert InboundEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event


@pytest.mark.parametrize("path", SAMPLE_FILES)
def test_every_sample_parses_from_bytes(path: Path) -> None:
    assert parse_message(path.read_bytes()) == parse_message(path.read_text(encoding="utf-8"))


def test_text_message() -> None:
    event = parse_message(sample("wechatpy_work_parser", "test_parse_text_message.xml"))
    assert event.kind is EventKind.TEXT
    assert event.text == "this is a test"
    assert event.sender_id == "fromUser"
    assert event.created_at == 1348831860
    assert event.dedupe_key == "1234567890123456"
    assert event.raw_type == "text"
    assert event.conversation_id is None
    assert event.card_action is None and event.location is None


def test_text_content_is_kept_verbatim() -> None:
    xml = (
        "<xml><FromUserName><![CDATA[u1]]></FromUserName><CreateTime>1700000000</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[  拜访华为 <张总> & 李工\n下周三再跟进 ]]></Content>"
        "<MsgId>1</MsgId></xml>"
    )
    assert parse_message(xml).text == "  拜访华为 <张总> & 李工\n下周三再跟进 "


def test_image_message() -> None:
    event = parse_message(sample("wechatpy_work_parser", "test_parse_image_message.xml"))
    assert event.kind is EventKind.IMAGE
    assert event.media_id == "media_id"
    assert event.pic_url == "this is a url"
    assert event.dedupe_key == "1234567890123456"
    assert event.text is None


def test_location_message() -> None:
    event = parse_message(sample("wechatpy_work_parser", "test_parse_location_message.xml"))
    assert event.kind is EventKind.LOCATION
    assert event.location == Location(lat=23.134521, lng=113.358803, scale=20, label="位置信息")
    assert event.created_at == 1351776360


def test_location_report_event_is_not_a_shared_location() -> None:
    """Event=LOCATION is the periodic position report, not a rep sharing a place."""
    event = parse_message(sample("wechatpy_work_parser", "test_parse_location_event.xml"))
    assert event.kind is EventKind.OTHER
    assert event.raw_type == "event:LOCATION"
    assert event.location is None


def test_location_with_bad_coordinates_is_malformed() -> None:
    xml = (
        "<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>location</MsgType>"
        "<Location_X>north</Location_X><Location_Y>113.1</Location_Y><MsgId>9</MsgId></xml>"
    )
    with pytest.raises(MalformedXMLError):
        parse_message(xml)


def test_template_card_event_with_many_selected_items() -> None:
    event = parse_message(sample("wxjava_cp_xml_message", "testTemplateCardEvent.xml"))
    assert event.kind is EventKind.CARD_ACTION
    assert event.raw_type == "event:template_card_event"
    assert event.sender_id == "FromUser"
    assert event.created_at == 123456789
    action = event.card_action
    assert action is not None
    assert action.key == "key111"
    assert action.task_id == "taskid111"
    assert action.card_type == "text_notice"
    assert action.response_code == "ResponseCode"
    assert action.selected == (
        SelectedItem("QuestionKey1", ("OptionId1", "OptionId2")),
        SelectedItem("QuestionKey2", ("OptionId3", "OptionId4")),
    )
    assert event.dedupe_key == "FromUser|123456789|template_card_event|key111|taskid111"


def card_event(
    *,
    task_id: str = "appr_42",
    key: str = "approve:42",
    create_time: int = 1732514580,
    selected: str = "",
    msg_id: str = "",
) -> str:
    return (
        "<xml><ToUserName><![CDATA[ww123]]></ToUserName><FromUserName><![CDATA[lina]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[template_card_event]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey><TaskId><![CDATA[{task_id}]]></TaskId>"
        "<CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[rc-1]]></ResponseCode>"
        f"<AgentID>1000002</AgentID>{selected}{msg_id}</xml>"
    )


def test_template_card_event_with_one_selected_item_and_one_option() -> None:
    selected = (
        "<SelectedItems><SelectedItem><QuestionKey><![CDATA[reason]]></QuestionKey>"
        "<OptionIds><OptionId><![CDATA[price]]></OptionId></OptionIds></SelectedItem></SelectedItems>"
    )
    action = parse_message(card_event(selected=selected)).card_action
    assert action is not None
    assert action.selected == (SelectedItem("reason", ("price",)),)
    assert action.key == "approve:42"
    assert action.card_type == "button_interaction"
    assert action.response_code == "rc-1"


def test_template_card_event_without_selections() -> None:
    action = parse_message(card_event()).card_action
    assert action is not None
    assert action.selected == ()


def test_two_taps_in_the_same_second_on_different_cards_are_distinct() -> None:
    first = parse_message(card_event(task_id="appr_41"))
    second = parse_message(card_event(task_id="appr_42"))
    assert first.created_at == second.created_at
    assert first.dedupe_key != second.dedupe_key


def test_two_buttons_of_one_card_in_the_same_second_are_distinct() -> None:
    assert (
        parse_message(card_event(key="approve:42")).dedupe_key
        != parse_message(card_event(key="reject:42")).dedupe_key
    )


def test_a_platform_retry_has_the_same_key() -> None:
    assert parse_message(card_event()).dedupe_key == parse_message(card_event()).dedupe_key


def test_contact_events_in_the_same_second_are_distinct() -> None:
    add = parse_message(sample("wxjava_cp_xml_message", "testAddExternalUserEvent.xml"))
    delete = parse_message(sample("wxjava_cp_xml_message", "testDelExternalUserEvent.xml"))
    assert (add.sender_id, add.created_at) == (delete.sender_id, delete.created_at)
    assert add.dedupe_key != delete.dedupe_key
    assert add.dedupe_key.startswith("sys|1403610513|change_external_contact||")


def test_non_numeric_msg_id_is_kept_as_a_string() -> None:
    xml = (
        "<xml><ToUserName><![CDATA[ww123]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>"
        "<CreateTime>1732514580</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[我的待办]]></Content>"
        "<MsgId><![CDATA[CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw==]]></MsgId><AgentID>1000002</AgentID></xml>"
    )
    event = parse_message(xml)
    assert event.dedupe_key == "CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw=="
    assert event.text == "我的待办"


def test_msg_id_wins_over_the_event_key_when_present() -> None:
    event = parse_message(card_event(msg_id="<MsgId>777</MsgId>"))
    assert event.dedupe_key == "777"


def test_enter_agent() -> None:
    xml = (
        "<xml><ToUserName><![CDATA[ww123]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>"
        "<CreateTime>1732514580</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey><AgentID>1000002</AgentID></xml>"
    )
    event = parse_message(xml)
    assert event.kind is EventKind.ENTER_AGENT
    assert event.raw_type == "event:enter_agent"
    assert event.sender_id == "zhangsan"
    assert event.dedupe_key == "zhangsan|1732514580|enter_agent||"


@pytest.mark.parametrize(
    ("folder", "name", "raw_type"),
    [
        ("wechatpy_work_parser", "test_parse_voice_message.xml", "voice"),
        ("wechatpy_work_parser", "test_parse_video_message.xml", "video"),
        ("wechatpy_work_parser", "test_parse_link_message.xml", "link"),
        ("wechatpy_work_parser", "test_parse_unknown_message.xml", "notsure"),
        ("wechatpy_work_parser", "test_parse_subscribe_event.xml", "event:subscribe"),
        ("wechatpy_work_parser", "test_parse_click_event.xml", "event:CLICK"),
        ("wechatpy_work_parser", "test_export.xml", "event:batch_job_result"),
        ("wxjava_cp_xml_message", "testTaskCardEvent.xml", "event:taskcard_click"),
        ("wxjava_cp_xml_message", "testOpenApprovalChange.xml", "event:open_approval_change"),
    ],
)
def test_other_kinds_keep_their_raw_type(folder: str, name: str, raw_type: str) -> None:
    event = parse_message(sample(folder, name))
    assert event.kind is EventKind.OTHER
    assert event.raw_type == raw_type


def test_old_taskcard_click_is_not_a_card_action() -> None:
    """taskcard_click belongs to the retired 任务卡片; only template_card_event is ours."""
    event = parse_message(sample("wxjava_cp_xml_message", "testTaskCardEvent.xml"))
    assert event.card_action is None
    assert event.dedupe_key == "FromUser|123456789|taskcard_click|key111|taskid111"


def test_decrypted_official_vector_parses() -> None:
    crypto = WeComCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
    vectors = json.loads((SAMPLES / "official_wecom_crypto_vectors.json").read_text(encoding="utf-8"))
    http = vectors["http_examples"]
    plain = crypto.decrypt_message(
        http["decrypt_xml_POST_body"], "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149"
    )
    event = parse_message(plain)
    assert (event.kind, event.text, event.sender_id) == (EventKind.TEXT, "hello", "mycreate")
    assert event.dedupe_key == "4561255354251345929"


MALFORMED = {
    "not_xml": "hello",
    "unclosed": "<xml><MsgType>text</MsgType>",
    "empty": "",
    "dtd": (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "b">]>'
        "<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
        "<Content>&a;</Content></xml>"
    ),
    "billion_laughs": (
        '<!DOCTYPE xml [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;&l;&l;&l;&l;&l;&l;">'
        '<!ENTITY l3 "&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;">]><xml><Content>&l3;</Content></xml>'
    ),
    "xxe": '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>',
    "wrong_root": "<root><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></root>",
    "no_sender": "<xml><CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>",
    "no_msg_type": "<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime></xml>",
    "bad_create_time": "<xml><FromUserName>u</FromUserName><CreateTime>yesterday</CreateTime><MsgType>text</MsgType></xml>",
}


@pytest.mark.parametrize("xml", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_xml_raises(xml: str) -> None:
    with pytest.raises(MalformedXMLError):
        parse_message(xml)


def test_a_contact_change_keeps_its_ids_and_other_messages_have_none() -> None:
    """change_contact (W10): since 2022-08 new callbacks carry only ids; salesbot reads the rest."""
    from bot.wecom.parser import contact_change

    party = (
        "<xml><ToUserName><![CDATA[ww0corp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_party]]></ChangeType>"
        "<Id>2</Id><Name><![CDATA[华东大区]]></Name></xml>"
    )
    assert contact_change(party) == {"change_type": "update_party", "user_id": "", "dept_id": "2"}
    text = (
        "<xml><ToUserName><![CDATA[ww0corp]]></ToUserName><FromUserName><![CDATA[ZhangWei]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[change_contact]]></Content><MsgId>1</MsgId><AgentID>1</AgentID></xml>"
    )
    assert contact_change(text) is None
