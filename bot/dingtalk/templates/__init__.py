"""The DingTalk card template salesbot needs (see README "Connecting DingTalk").

``salesbot_card.json`` names the variables ``cards/dingtalk.py`` fills and says which
variables make a button or select tappable; the fake DingTalk reads the same file, so a
renderer change that the template does not know about fails in tests.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATE_PATH = Path(__file__).with_name("salesbot_card.json")


@cache
def load_template_spec() -> dict[str, Any]:
    """The parsed template definition (read once)."""
    data: dict[str, Any] = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return data


def variable_names() -> list[str]:
    """Every variable of the template, with ``{n}`` slots expanded (btn1_text … btn6_status)."""
    names: list[str] = []
    for variable in load_template_spec()["variables"]:
        name = str(variable["name"])
        slots = int(variable.get("slots", 0))
        names += [name.replace("{n}", str(n)) for n in range(1, slots + 1)] if slots else [name]
    return names
