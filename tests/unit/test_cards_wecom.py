"""Neutral Card → WeCom template_card JSON, checked against docs/platforms/wecom.md W4/W5 names and limits."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from cards.model import Button, Card, Field, Link, Select, SelectOption
from cards.wecom import (
    MAX_KEY_BYTES,
    render_template_card,
    render_text,
    render_update_button,
    validate_task_id,
)

# Top-level template_card keys per card type (docs/platforms/wecom.md W4): the names WxJava writes in
# binarywang/WxJava weixin-java-cp/src/main/java/me/chanjar/weixin/cp/bean/message/WxCpMessage.java
# @ 5c1018e (handleMsgType, TEMPLATE_CARD) and the official 发送应用消息 page (模板卡片消息);
# replace_text only on the interactive types (update_template_card).
ALLOWED_KEYS = {
    "text_notice": {
        "card_type", "source", "action_menu", "main_title", "emphasis_content", "quote_area",
        "sub_title_text", "horizontal_content_list", "jump_list", "card_action", "task_id",
    },
    "button_interaction": {
        "card_type", "source", "action_menu", "main_title", "quote_area", "sub_title_text",
        "horizontal_content_list", "card_action", "task_id", "button_selection", "button_list", "replace_text",
    },
    "multiple_interaction": {
        "card_type", "source", "main_title", "select_list", "submit_button", "task_id", "replace_text",
    },
}  # fmt: skip


def approval_card(**overrides: Any) -> Card:
    values: dict[str, Any] = {
        "title": "合同审批：华为 ¥350,000",
        "card_id": "appr_42-step1",
        "subtitle": "申请人 张三 · 11-25 10:02",
        "fields": [Field("客户", "华为"), Field("金额", "¥350,000"), Field("产品", "服务器 x 20")],
        "quote_text": "客户要求月底前签约",
        "buttons": [Button("同意", "approve:42", "primary"), Button("驳回", "reject:42", "danger")],
    }
    values.update(overrides)
    return Card(**values)


def check_shape(out: dict[str, Any]) -> None:
    """Structure every rendered card must satisfy, whatever its content."""
    card_type = out["card_type"]
    assert set(out) <= ALLOWED_KEYS[card_type], set(out) - ALLOWED_KEYS[card_type]
    assert out["main_title"]["title"] or out.get("sub_title_text")
    for item in out.get("horizontal_content_list", []):
        assert set(item) <= {"type", "keyname", "value", "url", "media_id", "userid"}
        assert item["keyname"]
        if item.get("type") == 1:
            assert item["url"]
    assert len(out.get("horizontal_content_list", [])) <= 6
    if card_type == "text_notice":
        assert out["card_action"]["type"] == 1 and out["card_action"]["url"]
    else:
        validate_task_id(out["task_id"])
    if card_type == "button_interaction":
        assert 1 <= len(out["button_list"]) <= 6
        keys = [b["key"] for b in out["button_list"]]
        assert len(keys) == len(set(keys))
        for button in out["button_list"]:
            assert set(button) <= {"type", "text", "style", "key", "url"}
            assert button["style"] in {1, 2, 3, 4}
            assert 0 < len(button["key"].encode()) <= 1024
    json.dumps(out, ensure_ascii=False)


def test_button_card_structure() -> None:
    out = render_template_card(approval_card())
    check_shape(out)
    assert out["card_type"] == "button_interaction"
    assert out["source"] == {"desc": "销售助手"}
    assert out["main_title"] == {"title": "合同审批：华为 ¥350,000", "desc": "申请人 张三 · 11-25 10:02"}
    assert out["quote_area"] == {"type": 0, "quote_text": "客户要求月底前签约"}
    assert out["horizontal_content_list"] == [
        {"keyname": "客户", "value": "华为"},
        {"keyname": "金额", "value": "¥350,000"},
        {"keyname": "产品", "value": "服务器 x 20"},
    ]
    assert out["button_list"] == [
        {"text": "同意", "style": 1, "key": "approve:42"},
        {"text": "驳回", "style": 3, "key": "reject:42"},
    ]
    assert out["task_id"] == "appr_42-step1"
    assert "card_action" not in out and "replace_text" not in out and "sub_title_text" not in out


def test_default_style_button() -> None:
    out = render_template_card(approval_card(buttons=[Button("查看", "view:1")]))
    assert out["button_list"] == [{"text": "查看", "style": 2, "key": "view:1"}]


def test_link_and_image_on_a_button_card() -> None:
    out = render_template_card(
        approval_card(
            link=Link("合同详情", "https://crm.example.cn/c/42"), image_url="https://img.example.cn/q.jpg"
        )
    )
    check_shape(out)
    assert out["card_action"] == {"type": 1, "url": "https://crm.example.cn/c/42"}
    assert out["horizontal_content_list"][-2:] == [
        {"type": 1, "keyname": "合同详情", "value": "点击查看", "url": "https://crm.example.cn/c/42"},
        {"type": 1, "keyname": "图片", "value": "点击查看", "url": "https://img.example.cn/q.jpg"},
    ]


def test_description_goes_to_sub_title_text() -> None:
    out = render_template_card(approval_card(description="第二步：法务审核"))
    assert out["sub_title_text"] == "第二步：法务审核"


# -- text_notice ------------------------------------------------------------------------


def test_notice_card_uses_link_for_card_action() -> None:
    card = Card(
        title="本周业绩",
        card_id="",
        fields=[Field("拜访", "12")],
        link=Link("看板", "https://crm.example.cn/d"),
    )
    out = render_template_card(card)
    check_shape(out)
    assert out["card_type"] == "text_notice"
    assert out["card_action"] == {"type": 1, "url": "https://crm.example.cn/d"}
    assert "task_id" not in out  # notice cards are not updated; a task_id would only risk 42014


def test_notice_card_falls_back_to_default_url() -> None:
    out = render_template_card(Card(title="提醒", card_id=""), default_url="https://crm.example.cn/")
    check_shape(out)
    assert out["card_action"] == {"type": 1, "url": "https://crm.example.cn/"}


def test_notice_card_without_any_url_is_refused() -> None:
    with pytest.raises(ValueError, match="card_action"):
        render_template_card(Card(title="提醒", card_id=""))


# -- limits -----------------------------------------------------------------------------


def test_more_than_six_fields_overflow_into_sub_title_text() -> None:
    fields = [Field(f"项{i}", f"值{i}") for i in range(1, 9)]
    out = render_template_card(approval_card(fields=fields, description="说明"))
    check_shape(out)
    assert [i["keyname"] for i in out["horizontal_content_list"]] == [f"项{i}" for i in range(1, 7)]
    assert out["sub_title_text"] == "说明\n项7：值7\n项8：值8"


def test_link_and_image_keep_their_slots_and_push_fields_out() -> None:
    fields = [Field(f"项{i}", f"值{i}") for i in range(1, 7)]
    out = render_template_card(
        approval_card(fields=fields, link=Link("详情", "https://x.cn"), image_url="https://y.cn")
    )
    check_shape(out)
    assert len(out["horizontal_content_list"]) == 6
    assert out["sub_title_text"] == "项5：值5\n项6：值6"


def test_overlong_sub_title_text_is_cut_with_ellipsis() -> None:
    fields = [Field(f"项{i}", "很长的内容" * 10) for i in range(1, 10)]
    out = render_template_card(approval_card(fields=fields))
    assert len(out["sub_title_text"]) == 160  # 发送应用消息: sub_title_text up to 160 characters (#18 pt 7)
    assert out["sub_title_text"].endswith("…")


def test_button_and_option_text_are_cut_at_16_characters() -> None:
    """#18 pt 7: button_list.text and option_list.text take at most 16 characters; a long customer
    name on a candidate button is cut, never sent over the limit."""
    name = "苏州工业园区精密机械制造股份有限公司"
    out = render_template_card(approval_card(buttons=[Button(name, "pick:1")]))
    [button] = out["button_list"]
    assert len(button["text"]) == 16 and button["text"].endswith("…")
    select = Select("customer", "客户", [SelectOption("1", name), SelectOption("2", "华为")])
    out = render_template_card(approval_card(buttons=[Button("确定", "ok")], selects=[select]))
    texts = [o["text"] for o in out["button_selection"]["option_list"]]
    assert len(texts[0]) == 16 and texts[1] == "华为"


def test_six_buttons_ok_seven_refused() -> None:
    six = [Button(f"选项{i}", f"k{i}") for i in range(6)]
    check_shape(render_template_card(approval_card(buttons=six)))
    with pytest.raises(ValueError, match="at most 6 buttons"):
        render_template_card(approval_card(buttons=[*six, Button("多余", "k6")]))


def test_duplicate_button_actions_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        render_template_card(approval_card(buttons=[Button("同意", "a"), Button("也同意", "a")]))


def test_button_key_limit_is_1024_bytes() -> None:
    at_limit = "键" * 341 + "a"  # 3 * 341 + 1 = 1024 bytes
    assert len(at_limit.encode()) == MAX_KEY_BYTES
    check_shape(render_template_card(approval_card(buttons=[Button("同意", at_limit)])))
    with pytest.raises(ValueError, match="1024 bytes"):
        render_template_card(approval_card(buttons=[Button("同意", at_limit + "b")]))
    with pytest.raises(ValueError):
        render_template_card(approval_card(buttons=[Button("同意", "")]))


@pytest.mark.parametrize("task_id", ["a", "appr_42-step1", "x@corp", "A" * 128, "0-_@Zz"])
def test_valid_task_ids(task_id: str) -> None:
    assert validate_task_id(task_id) == task_id
    assert render_template_card(approval_card(card_id=task_id))["task_id"] == task_id


@pytest.mark.parametrize(
    "task_id", ["", "A" * 129, "审批42", "appr 42", "appr#42", "appr/42", "appr.42", "a:b"]
)
def test_invalid_task_ids_are_refused(task_id: str) -> None:
    with pytest.raises(ValueError, match="task_id"):
        render_template_card(approval_card(card_id=task_id))


def test_empty_title_or_label_refused() -> None:
    with pytest.raises(ValueError):
        render_template_card(approval_card(title=""))
    with pytest.raises(ValueError):
        render_template_card(approval_card(fields=[Field("", "x")]))


# -- selects ----------------------------------------------------------------------------

REASON = Select(
    "reason",
    "驳回原因",
    [SelectOption("price", "价格过低"), SelectOption("terms", "条款问题"), SelectOption("other", "其他")],
)
REGION = Select(
    "region", "区域", [SelectOption("east", "华东"), SelectOption("south", "华南")], selected_id="south"
)


def test_one_select_with_buttons_is_a_button_selection() -> None:
    out = render_template_card(
        approval_card(selects=[REASON], buttons=[Button("驳回", "reject:42", "danger")])
    )
    check_shape(out)
    assert out["card_type"] == "button_interaction"
    assert out["button_selection"] == {
        "question_key": "reason",
        "title": "驳回原因",
        "option_list": [
            {"id": "price", "text": "价格过低"},
            {"id": "terms", "text": "条款问题"},
            {"id": "other", "text": "其他"},
        ],
    }
    assert out["horizontal_content_list"]  # the card keeps its content


def test_several_selects_are_a_multiple_interaction() -> None:
    card = Card(
        title="客户分级",
        card_id="grade_7",
        subtitle="请确认",
        selects=[REASON, REGION],
        buttons=[Button("提交", "grade:7")],
    )
    out = render_template_card(card)
    check_shape(out)
    assert out["card_type"] == "multiple_interaction"
    assert [s["question_key"] for s in out["select_list"]] == ["reason", "region"]
    assert out["select_list"][1]["selected_id"] == "south"
    assert out["submit_button"] == {"text": "提交", "key": "grade:7"}
    assert out["task_id"] == "grade_7"


def test_multiple_interaction_refuses_content_it_cannot_show() -> None:
    with pytest.raises(ValueError, match="fields"):
        render_template_card(approval_card(selects=[REASON, REGION], buttons=[Button("提交", "s")]))


def test_multiple_interaction_needs_exactly_one_button() -> None:
    card = Card(
        title="t", card_id="c1", selects=[REASON, REGION], buttons=[Button("a", "a"), Button("b", "b")]
    )
    with pytest.raises(ValueError, match="exactly one"):
        render_template_card(card)


def test_select_limits() -> None:
    with pytest.raises(ValueError, match="needs a button"):
        render_template_card(Card(title="t", card_id="c1", selects=[REASON]))
    with pytest.raises(ValueError, match="at most 3 selects"):
        four = [Select(f"q{i}", "t", [SelectOption("a", "A")]) for i in range(4)]
        render_template_card(Card(title="t", card_id="c1", selects=four, buttons=[Button("提交", "s")]))
    eleven = [SelectOption(f"o{i}", str(i)) for i in range(11)]
    with pytest.raises(ValueError, match="1-10 options"):
        render_template_card(approval_card(selects=[Select("q", "t", eleven)]))
    with pytest.raises(ValueError, match="1-10 options"):
        render_template_card(approval_card(selects=[Select("q", "t", [])]))
    with pytest.raises(ValueError, match="128 bytes"):
        render_template_card(approval_card(selects=[Select("q", "t", [SelectOption("x" * 129, "X")])]))
    with pytest.raises(ValueError, match="duplicate option"):
        render_template_card(
            approval_card(selects=[Select("q", "t", [SelectOption("a", "A"), SelectOption("a", "B")])])
        )
    with pytest.raises(ValueError, match="selected_id"):
        render_template_card(
            approval_card(selects=[Select("q", "t", [SelectOption("a", "A")], selected_id="b")])
        )
    with pytest.raises(ValueError, match="duplicate"):
        render_template_card(approval_card(selects=[Select("approve:42", "t", [SelectOption("a", "A")])]))


# -- decided cards and updates --------------------------------------------------------------


def test_decided_button_card_keeps_type_and_task_id_and_greys_out() -> None:
    live = render_template_card(approval_card())
    decided = render_template_card(approval_card(status="已同意 · 李娜 11-25 14:03"))
    check_shape(decided)
    assert decided["card_type"] == live["card_type"] == "button_interaction"
    assert decided["task_id"] == live["task_id"]
    assert decided["replace_text"] == "已同意 · 李娜 11-25 14:03"
    assert decided["button_list"] == live["button_list"]  # required field; replace_text covers them


def test_decided_select_cards_disable_the_selects() -> None:
    single = render_template_card(
        approval_card(selects=[REASON], buttons=[Button("驳回", "r")], status="已驳回 · 价格过低")
    )
    assert single["button_selection"]["disable"] is True
    assert single["replace_text"] == "已驳回 · 价格过低"
    multi = render_template_card(
        Card(
            title="t", card_id="c1", selects=[REASON, REGION], buttons=[Button("提交", "s")], status="已提交"
        )
    )
    check_shape(multi)
    assert all(s["disable"] is True for s in multi["select_list"])
    assert multi["replace_text"] == "已提交"


def test_decided_notice_card_shows_status_first() -> None:
    card = Card(title="报价已确认", card_id="", fields=[Field("金额", "¥12,000")], status="已确认 · 张三")
    out = render_template_card(card, default_url="https://crm.example.cn/")
    check_shape(out)
    assert out["horizontal_content_list"][0] == {"keyname": "状态", "value": "已确认 · 张三"}


def test_render_update_button() -> None:
    assert render_update_button("已同意") == {"replace_name": "已同意"}
    with pytest.raises(ValueError):
        render_update_button(" ")


# -- plain-text fallback --------------------------------------------------------------------


def test_render_text_fallback() -> None:
    card = approval_card(
        status="已驳回 · 王总 11-25 15:10", link=Link("合同详情", "https://crm.example.cn/c/42")
    )
    text = render_text(card)
    assert text.splitlines()[:2] == ["【合同审批：华为 ¥350,000】", "状态：已驳回 · 王总 11-25 15:10"]
    assert "客户：华为" in text and "金额：¥350,000" in text
    assert "「客户要求月底前签约」" in text
    assert "合同详情：https://crm.example.cn/c/42" in text
    assert "approve:42" not in text  # callback keys are ours, never shown


def test_render_text_respects_the_2048_byte_limit() -> None:
    text = render_text(approval_card(description="长" * 1000))
    assert len(text.encode("utf-8")) <= 2048
    assert text.endswith("…")


# -- architecture -------------------------------------------------------------------------


def test_cards_imports_only_stdlib_and_domain() -> None:
    cards_dir = Path(__file__).resolve().parents[2] / "cards"
    for path in cards_dir.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in {"bot", "handlers", "jobs"}, f"{path.name} imports {name}"
