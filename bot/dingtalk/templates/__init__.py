"""The DingTalk card template salesbot ships, as the card platform's own export.

``salesbot_card.export.json`` is what an admin imports in the DingTalk card platform
(卡片平台 → 模板 → 更多 → 导入) and publishes (docs/platforms/dingtalk.md "Card template
export").  Its format is the builder's: ``editorData`` (a JSON string: ``variableList``,
``schema.componentsTree``, ``mockData``), ``widgetInfo`` (the compiled layout), ``type``,
``mode`` — as in open-dingtalk/dingtalk-card-examples @ 2201b86.

This module reads the parts salesbot relies on, from ``editorData``:

* the declared variables (name, private) — ``cards/dingtalk.py`` must fill exactly these;
* the buttons of action type ``request`` (回传请求), with their text, status, visibility
  condition and callback params — the fake DingTalk decides what a person can tap from these.

Rule for what is tappable (the official export's own semantics, docs/platforms/dingtalk.md):
a request button is shown when its ``visible`` condition holds and its text is not empty, and
it sends its callback only when its status is ``normal`` (the compiled layout's
``dtConditionalHandler{equal{status,'normal'}, dtSendOutData…}``).  A variable is read from
the person's private data first, then the public data (the layout's private-first reads).
Hand-written because no library reads this format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "BUTTON_COLORS",
    "BUTTON_STATUSES",
    "EXPORT_PATH",
    "TemplateButton",
    "TemplateSelect",
    "declared_variables",
    "local_variables",
    "load_editor_data",
    "load_export",
    "request_buttons",
    "selects",
    "variable_names",
]

EXPORT_PATH = Path(__file__).with_name("salesbot_card.export.json")
# Button status and color values of the card builder's buttons (the official exports' compiled
# layout maps normal_/disabled_ × blue/gray/red; docs/platforms/dingtalk.md "Card template export").
BUTTON_STATUSES = ("normal", "disabled")
BUTTON_COLORS = ("blue", "gray", "red")

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.\[\]]+)\}")


@cache
def load_export(path: Path = EXPORT_PATH) -> dict[str, Any]:
    """The export as the builder writes it (``editorData`` still a JSON string)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def load_editor_data(path: Path = EXPORT_PATH) -> dict[str, Any]:
    """``editorData`` parsed: the template's variables and components."""
    editor: dict[str, Any] = json.loads(load_export(path)["editorData"])
    return editor


def declared_variables(path: Path = EXPORT_PATH) -> dict[str, bool]:
    """Every top-level variable the template declares → whether it is private (``variableList``)."""
    return {str(v["name"]): bool(v.get("private")) for v in load_editor_data(path)["variableList"]}


def local_variables(path: Path = EXPORT_PATH) -> frozenset[str]:
    """The template's local variables (``localList``): set on the device (a select's choice),
    never sent by us; a button param bound to one carries the person's choice."""
    return frozenset(str(v["name"]) for v in load_editor_data(path).get("localList") or [])


def variable_names(path: Path = EXPORT_PATH) -> list[str]:
    """The declared variable names, in the export's order."""
    return list(declared_variables(path))


def _fill(template: str, view: Mapping[str, str]) -> str:
    """A ``dynamicString`` with its ``${var}`` filled from the view."""
    return _PLACEHOLDER.sub(lambda m: view.get(m.group(1), ""), template)


def _value(spec: Any, view: Mapping[str, str]) -> str:
    """A ``dynamicSelect`` / param: fixed value or the variable's value."""
    if isinstance(spec, str):
        return spec
    if spec.get("valueType") == "variable" or spec.get("type") == "variable":
        return view.get(str(spec.get("variable", "")), "")
    return str(spec.get("value", ""))


def _holds(condition: Mapping[str, Any], view: Mapping[str, str]) -> bool:
    """One ``dynamicVisible`` condition group (ops seen in the official exports)."""
    results = []
    for c in condition.get("conditions", []):
        if "conditions" in c:
            results.append(_holds(c, view))
            continue
        value = view.get(str(c["variable"]), "")
        expected = str(c.get("value", ""))
        op = c["op"]
        if op == "equal":
            results.append(value == expected)
        elif op == "notEqual":
            results.append(value != expected)
        elif op == "isNotEmpty":
            results.append(value != "")
        elif op == "isEmpty":
            results.append(value == "")
        elif op == "isTrue":
            results.append(value == "true")
        elif op == "isFalse":
            results.append(value != "true")
        else:  # never guess what an unknown operator means
            raise ValueError(f"unsupported visibility operator {op!r} in the card template")
    return all(results) if condition.get("op", "and") == "and" else any(results)


@dataclass(frozen=True)
class TemplateButton:
    """One 回传请求 button of the template."""

    component_id: str  # actionId (what the callback names), else single_button_<node id>
    node_id: str
    text: str  # dynamicString content, e.g. "${btn1_text}"
    status: Any
    visible: Mapping[str, Any]
    params: tuple[Mapping[str, Any], ...]
    local_vars: frozenset[str] = frozenset()

    def shown(self, view: Mapping[str, str]) -> bool:
        return _visible(self.visible, view) and bool(_fill(self.text, view).strip())

    def tappable(self, view: Mapping[str, str]) -> bool:
        """Shown and ``normal``: a tap sends the callback (a disabled button sends nothing)."""
        return self.shown(view) and (_value(self.status, view) or "normal") == "normal"

    def local_param(self, name: str) -> str | None:
        """The local variable (a select's choice) param ``name`` carries, if it carries one."""
        for p in self.params:
            if p.get("name") == name and p.get("type") == "variable" and p.get("variable") in self.local_vars:
                return str(p["variable"])
        return None

    def callback_params(self, view: Mapping[str, str], local: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``params`` the tap sends back: fixed values, variables filled from the view, and
        local variables (what the person chose on the device; an unset one is left out)."""
        out: dict[str, Any] = {}
        for p in self.params:
            if not p.get("name"):
                continue
            if p.get("type") == "variable" and p.get("variable") in self.local_vars:
                if local and p["variable"] in local:
                    out[str(p["name"])] = local[p["variable"]]
                continue
            out[str(p["name"])] = _value(p, view)
        return out


@dataclass(frozen=True)
class TemplateSelect:
    """A ``SelectBlock`` whose options come from a variable and whose choice goes to a local
    variable (``localVarAction``); a button param bound to that local variable sends it as
    ``{"index": i}`` (the official 交互组件 example's Python reads ``params["select"]["index"]``)."""

    node_id: str
    options_variable: str
    local_variable: str
    visible: Mapping[str, Any]

    def shown(self, view: Mapping[str, str]) -> bool:
        return _visible(self.visible, view) and bool(self.options(view))

    def options(self, view: Mapping[str, str]) -> list[str]:
        """The option values shown (the options variable is a JSON list of ``{value, text}``)."""
        try:
            items = json.loads(view.get(self.options_variable, "") or "[]")
        except ValueError:
            return []
        return [str(i.get("value")) for i in items if isinstance(i, dict) and "value" in i]


def _visible(visible: Mapping[str, Any] | None, view: Mapping[str, str]) -> bool:
    visible = visible or {}
    if visible.get("valueType") == "condition" and not _holds(visible.get("condition") or {}, view):
        return False
    return not (visible.get("valueType") == "fixed" and visible.get("value") is False)


def _walk(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    nodes = [node]
    for child in node.get("children") or []:
        if isinstance(child, Mapping):
            nodes += _walk(child)
    return nodes


def selects(path: Path = EXPORT_PATH) -> list[TemplateSelect]:
    """Every ``SelectBlock`` with variable options that stores its choice in a local variable."""
    out: list[TemplateSelect] = []
    for root in load_editor_data(path)["schema"]["componentsTree"]:
        for node in _walk(root):
            props = node.get("props") or {}
            options = props.get("options")
            target = (props.get("localVarAction") or {}).get("variable")
            if node.get("componentName") != "SelectBlock" or not isinstance(options, Mapping) or not target:
                continue
            if options.get("valueType") == "variable":
                out.append(TemplateSelect(str(node["id"]), str(options["variable"]), str(target), props.get("visible") or {}))
    return out


def request_buttons(path: Path = EXPORT_PATH) -> list[TemplateButton]:
    """Every 回传请求 button (SingleButton, or an item of a ButtonList), in layout order."""
    local_vars = local_variables(path)
    out: list[TemplateButton] = []
    for root in load_editor_data(path)["schema"]["componentsTree"]:
        for node in _walk(root):
            props = node.get("props") or {}
            if node.get("componentName") == "SingleButton":
                items = [(props, f"single_button_{node['id']}")]
            elif node.get("componentName") == "ButtonList":
                buttons = (props.get("buttons") or {}).get("list") or []
                items = [(b, f"{node['id']}_{b.get('id')}") for b in buttons]
            else:
                continue
            for item, default_id in items:
                if item.get("actionType") != "request":
                    continue
                action_id = str((item.get("actionId") or {}).get("content") or "") or default_id
                list_visible = props.get("visible") if node.get("componentName") == "ButtonList" else None
                visible = item.get("visible") or {}
                if list_visible and list_visible.get("valueType") == "condition":
                    # a ButtonList's own condition applies to each of its buttons too
                    conditions = [list_visible["condition"], (visible.get("condition") or {"op": "and", "conditions": []})]
                    visible = {"valueType": "condition", "condition": {"op": "and", "conditions": conditions}}
                out.append(
                    TemplateButton(
                        component_id=action_id,
                        node_id=str(node["id"]),
                        text=str((item.get("text") or {}).get("content", "")),
                        status=item.get("status", "normal"),
                        visible=visible,
                        params=tuple(item.get("params") or ()),
                        local_vars=local_vars,
                    )
                )
    return out
