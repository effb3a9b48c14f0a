"""The neutral Card → the public data (cardParamMap) of our DingTalk card template."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.dingtalk.templates import BUTTON_COLORS, BUTTON_STATUSES, declared_variables
from bot.fakes.dingtalk_server import TemplateSpec
from cards.dingtalk import (
    CARD_PARAM_KEYS,
    button_actions,
    render_card_data,
    render_markdown,
    render_text,
    select_spec,
)
from cards.model import Button, Card, Field, Link, Select, SelectOption


def approval_card(**overrides: object) -> Card:
    card = Card(
        title="合同审批 · HT-2026-001",
        card_id="approval-17",
        subtitle="张伟 提交，¥350,000",
        fields=[Field("客户", "华为技术有限公司"), Field("金额", "¥350,000")],
        quote_text="请尽快审批\n客户月底签约",
        buttons=[Button("同意", "approval:approve:17", "primary"), Button("驳回", "approval:reject:17", "danger")],
        link=Link("审批详情", "https://sales.example.com/h5/approvals/17"),
    )
    return replace(card, **overrides)  # type: ignore[arg-type]


def test_every_key_is_a_template_variable_and_every_value_a_string() -> None:
    data = render_card_data(approval_card())
    # tap_token is filled by the channel (per person, bot/dingtalk/cardauth.py), not by the renderer
    declared = declared_variables()
    assert set(data) == set(CARD_PARAM_KEYS) == {name for name, private in declared.items() if not private}
    assert {name for name, private in declared.items() if private} == {"tap_token"}
    assert all(isinstance(v, str) for v in data.values())


def test_live_card_fills_the_slots_and_the_json_lists() -> None:
    data = render_card_data(approval_card())
    assert (data["title"], data["subtitle"], data["source"]) == ("合同审批 · HT-2026-001", "张伟 提交，¥350,000", "销售助手")
    assert (data["btn1_text"], data["btn1_action"], data["btn1_status"]) == ("同意", "approval:approve:17", "normal")
    assert (data["btn2_text"], data["btn2_status"], data["btn3_text"]) == ("驳回", "normal", "")
    assert (data["btn1_color"], data["btn2_color"]) == ("blue", "red")
    assert json.loads(data["buttons"])[1] == {
        "text": "驳回", "action": "approval:reject:17", "status": "normal", "color": "red"
    }


def test_button_looks_are_the_template_buttons_status_and_color() -> None:
    """#18 pt 3: template buttons take status normal/disabled and a separate color (the official
    审批 example export), never the 普通版 card's primary/normal/warning."""
    data = render_card_data(approval_card())
    for n in range(1, 7):
        if data[f"btn{n}_text"]:
            assert data[f"btn{n}_status"] in BUTTON_STATUSES
            assert data[f"btn{n}_color"] in BUTTON_COLORS
    assert json.loads(data["fields"]) == [{"label": "客户", "text": "华为技术有限公司"}, {"label": "金额", "text": "¥350,000"}]
    assert (data["decided"], data["interactive"], data["status"]) == ("false", "true", "")
    assert data["link_url"] == "https://sales.example.com/h5/approvals/17"
    assert data["markdown"].split("\n\n") == [
        "**客户**：华为技术有限公司",
        "**金额**：¥350,000",
        "> 请尽快审批",
        "> 客户月底签约",
        "[审批详情](https://sales.example.com/h5/approvals/17)",
    ]


def test_a_decided_card_hides_buttons_and_shows_the_status_for_everyone() -> None:
    data = render_card_data(approval_card(status="已同意 · 李娜 11-25 14:03"))
    assert data["decided"] == "true" and data["interactive"] == "false"
    assert data["status"] == "已同意 · 李娜 11-25 14:03"
    assert all(data[f"btn{n}_text"] == "" and data[f"btn{n}_action"] == "" for n in range(1, 7))
    assert data["buttons"] == "[]" and data["title"] == "合同审批 · HT-2026-001"
    # The template (as the fake reads it from the card platform export) then shows no button at all.
    assert TemplateSpec.salesbot("t").buttons(data) == {}
    assert TemplateSpec.salesbot("t").buttons(render_card_data(approval_card())) == {
        "approval:approve:17": "btn1",
        "approval:reject:17": "btn2",
    }


def test_selects_fill_their_slots_and_the_spec_maps_answers_back() -> None:
    card = Card(
        title="驳回合同 · HT-1",
        card_id="reject-1",
        selects=[Select("reason", "驳回原因", [SelectOption("price", "价格过高"), SelectOption("terms", "条款问题")], "terms")],
        buttons=[Button("确认驳回", "approval:reject_confirm:1", "danger"), Button("取消", "approval:reject_cancel:1")],
    )
    data = render_card_data(card)
    assert (data["sel1_key"], data["sel1_title"], data["sel1_selected"]) == ("reason", "驳回原因", "terms")
    assert json.loads(data["sel1_options"]) == [
        {"value": "price", "text": {"zh_CN": "价格过高"}},
        {"value": "terms", "text": {"zh_CN": "条款问题"}},
    ]
    assert data["sel2_key"] == ""
    assert select_spec(card) == [("reason", ["price", "terms"])]
    assert button_actions(card) == ["approval:reject_confirm:1", "approval:reject_cancel:1"]
    decided = render_card_data(replace(card, status="已驳回"))
    assert decided["sel1_key"] == "" and decided["selects"] == "[]"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "title"),
        ({"card_id": ""}, "card_id"),
        ({"card_id": "x" * 129}, "card_id"),
        ({"buttons": [Button(str(i), f"a{i}") for i in range(7)]}, "slots"),
        ({"buttons": [Button("同意", "same"), Button("驳回", "same")]}, "duplicate"),
        ({"buttons": [Button("", "a")]}, "text"),
        ({"buttons": [Button("x", "k" * 1025)]}, "bytes"),
        ({"buttons": [Button("x", "a", "purple")]}, "style"),  # type: ignore[arg-type]
        ({"fields": [Field("", "v")]}, "label"),
        ({"buttons": [], "selects": [Select("q", "t", [SelectOption("a", "A")])]}, "needs a button"),
        ({"selects": [Select("q", "t", [])]}, "options"),
        ({"selects": [Select("q", "t", [SelectOption("a", "A"), SelectOption("a", "B")])]}, "duplicate"),
        ({"selects": [Select("q", "t", [SelectOption("a", "A")], "zzz")]}, "selected_id"),
    ],
)
def test_limits_fail_in_tests_not_at_send_time(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_card_data(approval_card(**overrides))


def test_plain_text_fallback_leads_with_the_status() -> None:
    text = render_text(approval_card(status="已撤销"))
    assert text.splitlines()[:2] == ["【合同审批 · HT-2026-001】", "状态：已撤销"]
    assert len(render_text(approval_card(description="长" * 6000))) == 5000


def test_markdown_with_title_for_robots_that_cannot_show_cards() -> None:
    md = render_markdown(approval_card(status="已同意"), with_title=True)
    assert md.startswith("### 合同审批 · HT-2026-001\n\n**状态：已同意**\n\n张伟 提交")


def test_the_export_binds_our_action_and_the_tap_token_to_every_button() -> None:
    """Each of the six 回传请求 buttons of the export sends {action: btnN_action, tap_token}."""
    from bot.dingtalk.templates import request_buttons

    buttons = request_buttons()
    assert [b.component_id for b in buttons] == [f"btn{n}" for n in range(1, 7)]
    view = {**render_card_data(approval_card()), "tap_token": "tok"}
    assert buttons[0].callback_params(view) == {"action": "approval:approve:17", "tap_token": "tok"}
    assert [b.tappable(view) for b in buttons] == [True, True, False, False, False, False]
    disabled = {**view, "btn1_status": "disabled"}  # a disabled button sends nothing
    assert not buttons[0].tappable(disabled) and buttons[0].shown(disabled)
