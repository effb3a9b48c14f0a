"""One table of hostile strings against every renderer of user text (issue #19, points 6 and 7).

Each string is what a rep could type as a customer name, a visit note or a
rejection reason. In every output the words must still be there, and none
of them may become markup the reader's client acts on.
"""

from __future__ import annotations

from typing import Any

import pytest

from cards.dingtalk import render_card_data, render_markdown
from cards.model import Button, Card, Field, Link
from cards.wecom import render_template_card, render_text
from domain.safe_text import markdown, spreadsheet_cell, wecom_text

HOSTILE = [
    "[点这里](http://evil.example/a)",
    '<a href="http://evil.example/a">点这里</a>',
    "![点这里](http://evil.example/p.png)",
    "**点这里**\n# 点这里\n> 点这里",
    "点这里 `code` ~~x~~ | a | b |",
    "点这里\x00\x1b[31m",
]
FORMULAS = ['=HYPERLINK("http://evil.example","点这里")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]


def _card(text: str) -> Card:
    return Card(
        title=f"合同审批 · {text}",
        card_id="appr-x",
        subtitle=text,
        description=text,
        fields=[Field("客户", text)],
        quote_text=text,
        buttons=[Button("同意", "approval:approve:1")],
        link=Link("查看详情", "https://salesbot.example/h5/c/1"),
    )


def _no_markup(out: str) -> None:
    assert "点这里" in out
    for live in ("](http://evil", "<a ", "![", "**点这里", "# 点这里", "\x00", "\x1b", "`code`", "~~", "| a |"):
        assert live not in out
    assert "\n#" not in out  # a heading only where we put one (the title, first line)


@pytest.mark.parametrize("text", HOSTILE)
def test_dingtalk_markdown_shows_the_words_not_markup(text: str) -> None:
    for out in (render_markdown(_card(text), with_title=True), render_card_data(_card(text))["markdown"]):
        _no_markup(out)
        assert out.count("](") == 1  # only our own link line
        assert "[查看详情](https://salesbot.example/h5/c/1)" in out


@pytest.mark.parametrize("text", HOSTILE)
def test_wecom_text_fallback_has_no_tag(text: str) -> None:
    out = render_text(_card(text))
    assert "点这里" in out and "<" not in out and "\x00" not in out


def _urls(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "url" and isinstance(v, str)] + [
            u for v in value.values() for u in _urls(v)
        ]
    if isinstance(value, list):
        return [u for v in value for u in _urls(v)]
    return []


@pytest.mark.parametrize("text", HOSTILE)
def test_template_card_links_only_where_we_put_them(text: str) -> None:
    out = render_template_card(_card(text))
    assert set(_urls(out)) == {"https://salesbot.example/h5/c/1"}


@pytest.mark.parametrize("text", HOSTILE)
def test_the_helpers_themselves(text: str) -> None:
    _no_markup(markdown(text))
    assert "\n" not in markdown(text)
    assert "<" not in wecom_text(text) and "点这里" in wecom_text(text)


@pytest.mark.parametrize("text", FORMULAS)
def test_spreadsheet_cells_never_start_a_formula(text: str) -> None:
    assert spreadsheet_cell(text) == "'" + text
    assert spreadsheet_cell("苏州精工") == "苏州精工" and spreadsheet_cell(-5) == -5
