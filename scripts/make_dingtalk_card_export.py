"""Write salesbot's DingTalk card template as an export the card platform imports (更多 → 导入).

Why a script and not the builder: the first version of the template has to exist before
anyone can open it in the builder.  This script writes
``bot/dingtalk/templates/salesbot_card.export.json`` in the format of the official examples
(open-dingtalk/dingtalk-card-examples @ 2201b86, e.g. ``examples/审批模板/审批模板.json``,
``examples/交互组件的使用与本地更新/交互组件的使用与本地更新.json``; field by field in
docs/platforms/dingtalk.md "Card template export").  The **export file** is the truth that
the tests and the fake DingTalk read; once the template has been edited in the builder,
commit the builder's own export over it instead of running this again.

    python scripts/make_dingtalk_card_export.py            # (re)write the export
    python scripts/make_dingtalk_card_export.py --check    # exit 1 if the file differs
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bot" / "dingtalk" / "templates" / "salesbot_card.export.json"
BUTTON_SLOTS = 6
SELECT_SLOTS = 3
PACKAGE = "@ali/dxComponent"  # componentsMap package of every official example

# --------------------------------------------------------------------------- variables (variableList)


def _var(name: str, description: str, type_: str = "string", *, private: bool = False, schema: list[Any] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "private": private,
        "type": type_,
        "id": name,
        "description": description,
        "editorVarType": "variables",
    }
    if schema is not None:
        entry["schema"] = schema
    return entry


def _loop_fields(parent: str, fields: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """A loopArray's item schema, ids as the official exports write them (``form_fields[0].name``)."""
    return [
        {"id": f"{parent}[0].{name}", "type": type_, "name": name, "private": False, "editorVarType": "variables"}
        for name, type_ in fields
    ]


def _select_option_fields(parent: str) -> list[dict[str, Any]]:
    """A ``selectOptions`` item: value + text by language (the official loop example's schema)."""
    text = {"id": f"{parent}.text", "type": "object", "name": "text", "private": False, "editorVarType": "variables", "disabled": True,
            "schema": [{"id": f"{parent}.text.zh_CN", "type": "string", "name": "zh_CN", "private": False,
                        "editorVarType": "variables", "disabled": True}]}
    value = {"id": f"{parent}.value", "type": "string", "name": "value", "private": False, "editorVarType": "variables", "disabled": True}
    return [value, text]


def local_variables() -> list[dict[str, Any]]:
    """What a person picks in select n, kept on the device until a button sends it (localList)."""
    return [
        {"name": f"sel{n}_choice", "private": False, "type": "object", "id": f"sel{n}_choice", "description": f"下拉 {n} 的选择",
         "editorVarType": "localList", "disabled": False, "schema": []}
        for n in range(1, SELECT_SLOTS + 1)
    ]


def variables() -> list[dict[str, Any]]:
    """Every variable salesbot's card data fills (public ``cardParamMap``) and ``tap_token`` (private)."""
    out = [
        _var("title", "卡片标题"),
        _var("subtitle", "标题下的一行说明"),
        _var("source", "来源，如「销售助手」"),
        _var("description", "正文段落（已包含在 markdown 中；自定义版式可单独使用）"),
        _var("markdown", "完整正文：说明、**字段**：值、引用、链接、图片", "markdown"),
        _var("fields", "字段列表（已包含在 markdown 中；自定义版式可用循环容器）", "loopArray",
             schema=_loop_fields("fields", [("label", "string"), ("text", "string")])),
        _var("quote", "引用文字（已包含在 markdown 中）"),
        _var("buttons", "当前可点的按钮（与 btnN_* 相同，供循环容器使用）", "loopArray",
             schema=_loop_fields("buttons", [("text", "string"), ("action", "string"), ("status", "string"), ("color", "string")])),
        _var("selects", "当前的下拉选择（与 selN_* 相同）", "loopArray",
             schema=_loop_fields("selects", [("key", "string"), ("title", "string"), ("options", "loopArray"), ("selected", "string")])),
        _var("status", "处理结果，如「已同意 · 李娜 11-25 14:03」；decided 为 true 时显示在按钮的位置"),
        _var("decided", "\"true\"：已处理，隐藏全部按钮，显示 status"),
        _var("interactive", "\"true\"：卡片上有可点的按钮或下拉"),
        _var("link_text", "详情链接文字（已包含在 markdown 中）"),
        _var("link_url", "详情链接地址（已包含在 markdown 中）"),
        _var("image_url", "图片地址（已包含在 markdown 中）"),
    ]
    for n in range(1, BUTTON_SLOTS + 1):
        out += [
            _var(f"btn{n}_text", f"按钮 {n} 文字；为空时不显示"),
            _var(f"btn{n}_action", f"按钮 {n} 回传参数 action（salesbot 的动作 id）"),
            _var(f"btn{n}_status", f"按钮 {n} 状态：normal / disabled"),
            _var(f"btn{n}_color", f"按钮 {n} 颜色：blue / gray / red"),
        ]
    for n in range(1, SELECT_SLOTS + 1):
        out += [
            _var(f"sel{n}_key", f"下拉 {n} 的问题 key"),
            _var(f"sel{n}_title", f"下拉 {n} 标题"),
            _var(f"sel{n}_options", f"下拉 {n} 选项：[{{value, text: {{zh_CN}}}}]", "selectOptions",
                 schema=_select_option_fields(f"sel{n}_options")),
            _var(f"sel{n}_selected", f"下拉 {n} 默认选中的 value"),
        ]
    out.append(_var("tap_token", "回传参数 tap_token：每人私有数据中的凭证，证明是谁点的；不显示", private=True))
    return out


# --------------------------------------------------------------------------- components (componentsTree)


def _visible(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "dynamicVisible",
        "value": True,
        "valueType": "condition" if conditions else "fixed",
        "condition": {"op": "and", "conditions": list(conditions)},
    }


def _cond(variable: str, op: str, value: str = "") -> dict[str, Any]:
    return {
        "value": value,
        "op": op,
        "variable": variable,
        "variableType": "global",
        "type": "variable",
        "valueType": "fixed",
        "valueVariableType": "global",
    }


def _text(content: str) -> dict[str, Any]:
    return {"i18n": False, "type": "dynamicString", "content": content}


def _select_value(variable: str, default: str) -> dict[str, Any]:
    return {"type": "dynamicSelect", "valueType": "variable", "value": default, "variable": variable, "variableType": "global"}


def _node(component: str, node_id: str, title: str, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "componentName": component,
        "id": node_id,
        "props": props,
        "title": title,
        "hidden": False,
        "isLocked": False,
        "condition": True,
        "conditionGroup": "",
    }


def _base_text(node_id: str, content: str, color: str, size: str, *conditions: dict[str, Any]) -> dict[str, Any]:
    props = {
        "text": _text(content),
        "color": color,
        "size": size,
        "marginLeft": 12,
        "marginRight": 12,
        "marginTop": 6,
        "marginBottom": 0,
        "visible": _visible(*conditions),
    }
    return _node("BaseText", node_id, "基础文本", props)


def _button(n: int) -> dict[str, Any]:
    props = {
        "text": _text(f"${{btn{n}_text}}"),
        "status": _select_value(f"btn{n}_status", "normal"),
        "color": _select_value(f"btn{n}_color", "blue"),
        "actionType": "request",  # 回传请求: the tap comes back to us as a card callback (D4.5)
        "actionId": _text(f"btn{n}"),
        "params": [
            {"type": "variable", "variable": f"btn{n}_action", "value": "", "name": "action", "variableType": "global", "id": "1"},
            {"type": "variable", "variable": "tap_token", "value": "", "name": "tap_token", "variableType": "global", "id": "2"},
            *(
                {"type": "variable", "variable": f"sel{k}_choice", "value": "", "name": f"select{k}", "variableType": "global", "id": str(2 + k)}
                for k in range(1, SELECT_SLOTS + 1)
            ),
        ],
        "successToast": _text(""),
        "failureToast": _text(""),
        "visible": _visible(_cond(f"btn{n}_text", "isNotEmpty"), _cond("decided", "notEqual", "true")),
        "marginLeft": 12,
        "marginRight": 12,
        "marginTop": 6,
        "marginBottom": 6,
        "enableClickEvent": True,
    }
    return _node("SingleButton", f"node_salesbot_btn{n}", "单个按钮", props)


def _select(n: int) -> dict[str, Any]:
    props = {
        "placeholder": _text(f"${{sel{n}_title}}"),
        "options": {"type": "dynamicSelectOptions", "valueType": "variable", "value": [], "variable": f"sel{n}_options", "variableType": "global"},
        "params": [],
        "actionType": "setLocalState",  # the choice stays on the device until a button sends it
        "localVarAction": {"type": "variableValue", "variableType": "global", "variable": f"sel{n}_choice"},
        "visible": _visible(_cond(f"sel{n}_title", "isNotEmpty"), _cond("decided", "notEqual", "true")),
    }
    return _node("SelectBlock", f"node_salesbot_select{n}", "下拉单选", props)


def components() -> list[dict[str, Any]]:
    markdown = _node(
        "Markdown",
        "node_salesbot_markdown",
        "Markdown 内容",
        {
            "mdVer": 0,
            "content": {"type": "dynamicMarkdown", "valueType": "variable", "value": "", "variable": "markdown", "variableType": "global"},
            "marginLeft": 12,
            "marginRight": 12,
            "marginTop": 8,
            "marginBottom": 0,
            "visible": _visible(_cond("markdown", "isNotEmpty")),
        },
    )
    children = [
        _base_text("node_salesbot_source", "${source}", "gray", "small", _cond("source", "isNotEmpty")),
        _base_text("node_salesbot_title", "${title}", "black", "middle"),
        _base_text("node_salesbot_subtitle", "${subtitle}", "gray", "small", _cond("subtitle", "isNotEmpty")),
        markdown,
        *(_select(n) for n in range(1, SELECT_SLOTS + 1)),
        *(_button(n) for n in range(1, BUTTON_SLOTS + 1)),
        _base_text("node_salesbot_status", "${status}", "gray", "middle", _cond("decided", "equal", "true")),
    ]
    root = {
        "componentName": "Card",
        "id": "node_salesbot_card",
        "props": {},
        "fileName": "salesbot_card",
        "dataSource": {"list": []},
        "state": {},
        "lifeCycles": {},
        "methods": {},
        "hidden": False,
        "title": "",
        "isLocked": False,
        "condition": True,
        "conditionGroup": "",
        "children": children,
    }
    return [root]


def _components_map(names: list[str]) -> list[dict[str, Any]]:
    return [
        {"package": PACKAGE, "version": "1.0.0", "exportName": n, "main": "./src/index.tsx", "destructuring": False, "subName": "", "componentName": n}
        for n in names
    ]


# --------------------------------------------------------------------------- widgetInfo (the compiled layout)
# The builder compiles editorData into this layout language when it saves; the official exports
# carry both.  Ours follows their expressions (@data{data.cardData.x}, private-first reads,
# dtSendOutData with params / actionIds) for our components, without their styling details.


def _pub(name: str) -> str:
    return f"@data{{data.cardData.{name}}}"


def _local(name: str) -> str:
    return f"@data{{data.localData.{name}}}"


def _priv_first(name: str) -> str:
    p = f"@data{{data.cardPrivateData.{name}}}"
    return f"@triple{{@greater{{@toLong{{@len{{@toStr{{{p}}}}}}},0}},{p},{_pub(name)}}}"


def _wcond(c: dict[str, Any]) -> str:
    value = f"@toStr{{{_pub(c['variable'])}}}"
    if c["op"] == "isNotEmpty":
        return f"@not{{@equal{{{value}, ''}}}}"
    if c["op"] == "equal":
        return f"@equal{{{value}, @toStr{{'{c['value']}'}}}}"
    if c["op"] == "notEqual":
        return f"@not{{@equal{{{value}, @toStr{{'{c['value']}'}}}}}}"
    raise ValueError(c["op"])


def _visibility(props: dict[str, Any]) -> str:
    conditions = props["visible"]["condition"]["conditions"]
    if not conditions:
        return ""
    expr = _wcond(conditions[0]) if len(conditions) == 1 else "@and{" + ",".join(_wcond(c) for c in conditions) + "}"
    shown = "@triple{" + expr + ", 'visible', 'gone'}"
    return f' visibility="{_esc(shown)}"'


def _esc(expr: str) -> str:
    return expr.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#039;").replace("<", "&lt;").replace(">", "&gt;")


def _widget(node: dict[str, Any]) -> str:
    props = node["props"]
    vis = _visibility(props) if props.get("visible") else ""
    if node["componentName"] == "BaseText":
        var = props["text"]["content"][2:-1]
        color = "#171A1D" if props["color"] == "black" else "#8F171A1D"
        size = "15np" if props["size"] == "middle" else "12np"
        return (
            f'  <LinearLayout width="match_parent" height="match_content" orientation="horizontal" marginTop="6np" '
            f'marginLeft="12np" marginRight="12np" userId="{node["id"]}"{vis}>\n'
            f'    <FastTextView text="{_esc("@toStr{" + _pub(var) + "}")}" width="match_content" height="match_content" '
            f'lineBreakMode="end" textGravity="left" maxLines="2" textSize="{size}" textColor="{color}" weight="1"></FastTextView>\n'
            "  </LinearLayout>\n"
        )
    if node["componentName"] == "Markdown":
        return (
            f'  <LinearLayout width="match_parent" height="match_content" orientation="horizontal" marginTop="8np" '
            f'marginLeft="12np" marginRight="12np" userId="{node["id"]}"{vis}>\n'
            f'    <DDRichTextView width="match_parent" height="match_content" attributedText="{_esc(_pub("markdown"))}"></DDRichTextView>\n'
            "  </LinearLayout>\n"
        )
    if node["componentName"] == "SingleButton":
        action_id = props["actionId"]["content"]
        status = _pub(props["status"]["variable"])
        read = {v["name"]: _priv_first if v["private"] else _pub for v in variables()}
        read.update({v["name"]: _local for v in local_variables()})
        params = ", ".join(f"'{p['name']}', {read[p['variable']](p['variable'])}" for p in props["params"])
        send = (
            "@dtMapAppend{null, 'actionType', '0', 'cardInstanceId', @data{data.cardInstanceId}, "
            f"'actionId', '{action_id}', 'actionData', @dtMapAppend{{null, 'context', "
            "@dtMapAppend{@data{data.renderContext}, 'platform', 'im', 'platformBizId', @data{data.renderContext.mid}}, "
            f"'cardPrivateData', @dtMapAppend{{null, 'params', @dtMapAppend{{null, {params}}}, "
            f"'actionIds', @dtArrayAppend{{null, '{action_id}'}}}}}}, "
            f"'requestEventId', 'card_{action_id}_request_status', 'requestStatusKey', 'card_{action_id}_request_status'}}"
        )
        on_tap = (
            f"@dtConditionalHandler{{@equal{{{status},'normal'}}, "
            f"@dtMapAppend{{null,'action','dtSendOutData','args',@dtArrayAppend{{null,{send}}}}}, "
            "@dtMapAppend{null,'action','dtOpenLink','args',@dtArrayAppend{null,''}}}"
        )
        color = _pub(props["color"]["variable"])
        background = (
            "@dict_get{@dtMapAppend{null,'normal_blue','#007FFF','disabled_blue','#7a007fff','normal_gray','#ffffff',"
            "'disabled_gray','#ffffff','normal_red','#FF5219','disabled_red','#7aff5219'},"
            f"@concat{{{status},'_',{color}}}}}"
        )
        text_var = props["text"]["content"][2:-1]
        return (
            f'  <LinearLayout width="match_parent" height="36np" paddingLeft="12ap" paddingRight="12ap" childGravity="center" '
            f'orientation="horizontal" marginTop="6np" marginBottom="6np" marginLeft="12np" marginRight="12np" '
            f'borderWidth="1np" cornerRadius="6np" backgroundColor="{_esc(background)}" userId="{node["id"]}"{vis} '
            f'onTap="{_esc(on_tap)}">\n'
            f'    <FastTextView width="match_content" height="match_content" maxLines="1" lineBreakMode="end" textSize="14np" '
            f'textGravity="center" text="{_esc("@toStr{" + _pub(text_var) + "}")}"></FastTextView>\n'
            "  </LinearLayout>\n"
        )
    if node["componentName"] == "SelectBlock":
        options = _pub(props["options"]["variable"])
        target = props["localVarAction"]["variable"]
        pick = (
            "@dtMapAppend{null,'action','dtSelect','args',@dtArrayAppend{null,@dtMapAppend{null,"
            f"'dataKey','{target}','dataType','localData','options',{options},"
            f"'currentIndex',@data{{data.localData.{target}.index}}}}}}}}"
        )
        placeholder = props["placeholder"]["content"][2:-1]
        return (
            f'  <LinearLayout width="match_parent" height="36np" marginTop="6np" marginLeft="12np" marginRight="12np" '
            f'borderWidth="0.5np" borderColor="#297E868E" cornerRadius="4np" userId="{node["id"]}"{vis} onTap="{_esc(pick)}">\n'
            f'    <FastTextView width="match_content" height="match_content" paddingLeft="8np" textSize="14np" '
            f'text="{_esc("@toStr{" + _pub(placeholder) + "}")}"></FastTextView>\n'
            "  </LinearLayout>\n"
        )
    raise ValueError(node["componentName"])


def widget_info(tree: list[dict[str, Any]]) -> str:
    root = tree[0]
    body = "".join(_widget(child) for child in root["children"])
    return (
        f'<LinearLayout width="@data{{width}}" height="match_content" userId="{root["id"]}" orientation="vertical" '
        f'cornerRadius="6np" backgroundColor="#FFFFFF">\n{body}</LinearLayout>\n'
    )


# --------------------------------------------------------------------------- the export


def mock_card_data(declared: list[dict[str, Any]]) -> dict[str, str]:
    """Preview data for the builder: a visit card as salesbot renders it."""
    sys.path.insert(0, str(ROOT))
    from cards.dingtalk import render_card_data
    from cards.model import Button, Card, Field

    card = Card(
        title="拜访记录 · 华为技术有限公司",
        card_id="visit-preview",
        subtitle="张伟 · 12-07 10:30",
        source="销售助手",
        fields=[Field("联系人", "李经理"), Field("下一步", "周三前发报价")],
        buttons=[Button("确认", "visit:confirm:1", "primary"), Button("撤销", "visit:undo:1", "danger")],
    )
    data = render_card_data(card)
    return {v["name"]: data.get(v["name"], "") for v in declared if not v["private"]}


def build() -> dict[str, Any]:
    declared = variables()
    tree = components()
    used = sorted({c["componentName"] for c in tree[0]["children"]} | {"Card"})
    editor = {
        "schemaVersion": "3.0.0",
        "schema": {"version": "1.0.0", "componentsMap": _components_map(used), "componentsTree": tree, "i18n": {}},
        "mockData": {
            "cardData": mock_card_data(declared),
            "cardPrivateData": {"tap_token": "preview"},
            "localData": {},
            "richTextData": {},
        },
        "editVersion": 0,
        "customWidgetInfo": "",
        "useCustomWidgetInfo": False,
        "variableList": declared,
        "formList": [],
        "expList": [],
        "localList": local_variables(),
        "hsfList": [],
        "lwpList": [],
        "extension": {
            "extendType": "NORMAL",
            "fileTypeList": [{"fileName": "event_chain", "fileSource": "{}", "fileType": "json"}],
        },
    }
    return {
        "editorData": json.dumps(editor, ensure_ascii=False, separators=(",", ":")),
        "widgetInfo": widget_info(tree),
        "type": "im",
        "mode": "card",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed export differs")
    args = parser.parse_args()
    text = json.dumps(build(), ensure_ascii=False, indent=2) + "\n"
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT} differs from what this script writes")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
