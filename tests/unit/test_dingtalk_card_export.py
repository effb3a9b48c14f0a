"""The DingTalk card template ships as the card platform's own export (#18 pt 2).

The format is the one of the official exports in open-dingtalk/dingtalk-card-examples @ 2201b86
(``examples/审批模板/审批模板.json``, ``examples/helloworld/helloworld.json``,
``examples/交互组件的使用与本地更新/交互组件的使用与本地更新.json``): a JSON object with
``editorData`` (a JSON *string*), ``widgetInfo`` (the compiled layout), ``type`` and ``mode``
(docs/platforms/dingtalk.md "Card template export").
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.dom.minidom
from pathlib import Path
from typing import Any

import pytest

from bot.dingtalk.templates import (
    EXPORT_PATH,
    declared_variables,
    load_editor_data,
    load_export,
    local_variables,
    request_buttons,
)
from bot.fakes.dingtalk_server import CardNotClickable, TemplateSpec
from cards.dingtalk import CARD_PARAM_KEYS, render_card_data
from cards.model import Button, Card, Select, SelectOption

ROOT = Path(__file__).resolve().parents[2]
# The keys every official 3.0.0 export's editorData has (the examples cited above).
OFFICIAL_EDITOR_KEYS = {
    "schemaVersion", "schema", "mockData", "editVersion", "customWidgetInfo", "useCustomWidgetInfo",
    "variableList", "formList", "expList", "localList", "hsfList", "lwpList", "extension",
}
OFFICIAL_VARIABLE_KEYS = {"name", "private", "type", "id", "description", "editorVarType"}


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("children") or [] for n in _nodes(child))]


def test_the_export_has_the_official_shape() -> None:
    export = load_export()
    assert set(export) == {"editorData", "widgetInfo", "type", "mode"}
    assert (export["type"], export["mode"]) == ("im", "card") and isinstance(export["editorData"], str)
    editor = load_editor_data()
    assert set(editor) == OFFICIAL_EDITOR_KEYS and editor["schemaVersion"] == "3.0.0"
    assert set(editor["schema"]) == {"version", "componentsMap", "componentsTree", "i18n"}
    for variable in editor["variableList"]:
        assert set(variable) >= OFFICIAL_VARIABLE_KEYS and variable["id"] == variable["name"]
        assert variable["editorVarType"] == "variables"
    [root] = editor["schema"]["componentsTree"]
    used = {n["componentName"] for n in _nodes(root)}
    assert {c["componentName"] for c in editor["schema"]["componentsMap"]} == used
    # widgetInfo is well-formed and lays out every component of the tree.
    layout = xml.dom.minidom.parseString(export["widgetInfo"])
    user_ids = {e.getAttribute("userId") for e in layout.getElementsByTagName("LinearLayout") if e.getAttribute("userId")}
    assert user_ids == {n["id"] for n in _nodes(root)}


def test_every_binding_names_a_declared_variable() -> None:
    """A component bound to a variable the template does not declare would show nothing."""
    editor = load_editor_data()
    declared = set(declared_variables())
    text = json.dumps(editor["schema"]["componentsTree"], ensure_ascii=False)
    bound = set(re.findall(r"\$\{(\w+)\}", text)) | set(re.findall(r'"variable": "(\w+)"', text))
    assert bound and bound <= declared | local_variables()
    assert local_variables() == {"sel1_choice", "sel2_choice", "sel3_choice"}
    assert set(editor["mockData"]["cardData"]) | set(editor["mockData"]["cardPrivateData"]) == declared


def test_our_card_data_fills_exactly_the_declared_variables() -> None:
    """Public data: every declared variable that is not private, nothing else; tap_token is the
    private one (each person's own, bot/dingtalk/cardauth.py)."""
    declared = declared_variables()
    public = {name for name, private in declared.items() if not private}
    card = Card(title="拜访记录", card_id="v1", buttons=[Button("撤销", "visit:undo:1", "danger")])
    assert set(render_card_data(card)) == set(CARD_PARAM_KEYS) == public
    assert {name for name, private in declared.items() if private} == {"tap_token"}


def test_the_fake_reads_what_is_tappable_from_the_export() -> None:
    spec = TemplateSpec.salesbot("tpl")
    assert [b.component_id for b in spec.buttons_def] == [b.component_id for b in request_buttons()]
    live = {**render_card_data(Card(title="t", card_id="c", buttons=[Button("撤销", "visit:undo:1")])), "tap_token": "k"}
    assert spec.buttons(live) == {"visit:undo:1": "btn1"}
    assert spec.params_for("btn1", live) == {"action": "visit:undo:1", "tap_token": "k"}
    assert spec.buttons({**live, "decided": "true"}) == {}


def test_a_select_choice_goes_back_only_through_the_template() -> None:
    """The reason select: the choice is kept on the device (local variable) and sent by the button
    as {"index": i}, the shape the official 交互组件 example reads."""
    card = Card(
        title="驳回合同 · HT-1",
        card_id="reject-1",
        selects=[Select("reason", "驳回原因", [SelectOption("price", "价格过高"), SelectOption("terms", "条款问题")])],
        buttons=[Button("确认驳回", "approval:reject_confirm:1", "danger"), Button("取消", "approval:reject_cancel:1")],
    )
    view = {**render_card_data(card), "tap_token": "k"}
    spec = TemplateSpec.salesbot("tpl")
    assert spec.params_for("btn1", view, {"select1": "terms"}) == {
        "action": "approval:reject_confirm:1", "tap_token": "k", "select1": {"index": 1},
    }
    assert spec.params_for("btn1", view) == {"action": "approval:reject_confirm:1", "tap_token": "k"}
    with pytest.raises(CardNotClickable):
        spec.params_for("btn1", view, {"select1": "weather"})  # not an option
    with pytest.raises(CardNotClickable):
        spec.params_for("btn1", view, {"select2": "terms"})  # no second select on this card
    with pytest.raises(CardNotClickable):
        spec.params_for("btn1", view, {"reason": "terms"})  # no button param of that name


def test_an_export_in_the_official_button_list_form_is_read_the_same_way(tmp_path: Path) -> None:
    """The official 审批模板 export puts its buttons in a ButtonList with fixed params and hides the
    list by a condition on ``status``; the fake reads that form too (a template edited in the
    builder may use it)."""
    button = {
        "id": "2",
        "text": {"i18n": False, "type": "dynamicString", "content": "同意"},
        "status": "normal",
        "color": "blue",
        "visible": {"type": "dynamicVisible", "value": True, "valueType": "fixed", "condition": {"op": "and", "conditions": []}},
        "actionType": "request",
        "actionId": {"i18n": False, "type": "dynamicString", "content": "agree"},
        "params": [{"type": "fixed", "variable": "", "value": "agree", "name": "action", "variableType": "global", "id": "1"}],
    }
    hidden_when_decided = {
        "type": "dynamicVisible",
        "value": True,
        "valueType": "condition",
        "condition": {"op": "and", "conditions": [
            {"value": "agree", "op": "notEqual", "variable": "status", "variableType": "global", "type": "variable"},
        ]},
    }
    tree = [{"componentName": "Card", "id": "root", "props": {}, "children": [
        {"componentName": "ButtonList", "id": "list", "props": {"buttons": {"type": "button", "list": [button]}, "visible": hidden_when_decided}},
    ]}]
    editor = {"schema": {"componentsTree": tree}, "variableList": [{"name": "status", "private": False}]}
    path = tmp_path / "approval.json"
    path.write_text(json.dumps({"editorData": json.dumps(editor), "widgetInfo": "", "type": "im", "mode": "card"}))
    spec = TemplateSpec.from_export("t", path)
    assert spec.buttons({"status": ""}) == {"agree": "agree"}
    assert spec.buttons({"status": "agree"}) == {}


def test_the_script_that_made_the_export_still_makes_it() -> None:
    """scripts/make_dingtalk_card_export.py wrote the first export; until the template is edited in
    the builder (then the builder's export is committed instead, and this test goes), both agree."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_dingtalk_card_export.py"), "--check"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert EXPORT_PATH.exists()
