"""Render the neutral ``Card`` as a WeCom ``template_card`` (docs/platforms/wecom.md W4/W5).

Pure functions: card in, JSON-ready dict out. The result goes under ``"template_card"``
in ``message/send`` and ``message/update_template_card`` alike.

Which WeCom card type:

* no buttons, no selects → ``text_notice`` (needs ``card_action``: the card's link or the
  caller's ``default_url``);
* buttons → ``button_interaction``; with exactly one select it becomes the card's
  ``button_selection`` dropdown, so key/value lines, quote and text still show;
* 2-3 selects → ``multiple_interaction`` with the single button as ``submit_button``.
  WeCom shows only the title, the dropdowns and the submit button on that type, so a
  card with fields/description/quote/link/image is refused rather than silently cut.
  (``vote_interaction`` is not used: it has the same restriction and one question only.)

A *decided* card (``status`` set) keeps its type and task_id and adds ``replace_text``,
which WeCom shows as one grey, untappable button in place of the live ones (selects are
also disabled). This is meant for ``update_template_card``; a decided notice card shows the
status as its first key/value line.

Limits enforced here raise ``ValueError`` so a bad card fails in tests, not at send time:
≤6 buttons, button/submit/question keys unique and ≤1024 bytes, task_id
``[0-9A-Za-z_-@]`` ≤128 bytes, ≤3 selects of 1-10 options with ids ≤128 bytes.
Lines beyond the 6 ``horizontal_content_list`` slots move to ``sub_title_text``, which is
cut with "…" at 112 characters (WeCom's documented guideline).
"""

from __future__ import annotations

import re
from typing import Any

from cards.model import Button, Card, Select
from cards.plain import plain_text
from domain import safe_text

__all__ = [
    "BUTTON_TEXT_MAX_CHARS",
    "MAX_BUTTONS",
    "MAX_HORIZONTAL_ITEMS",
    "MAX_KEY_BYTES",
    "MAX_TASK_ID_BYTES",
    "OPTION_TEXT_MAX_CHARS",
    "SUB_TITLE_MAX_CHARS",
    "STYLE_CODES",
    "render_template_card",
    "render_text",
    "render_update_button",
    "validate_task_id",
]

MAX_BUTTONS = 6
MAX_HORIZONTAL_ITEMS = 6
MAX_KEY_BYTES = 1024
MAX_TASK_ID_BYTES = 128
MAX_SELECTS = 3
MAX_OPTIONS = 10
MAX_OPTION_ID_BYTES = 128
# Limits from WeCom's 发送应用消息 page, template_card fields (docs/platforms/wecom.md, "template_card"):
SUB_TITLE_MAX_CHARS = 160  # sub_title_text: "建议不超过160个字"
BUTTON_TEXT_MAX_CHARS = 16  # button_list.text: at most 16 characters (10 suggested)
OPTION_TEXT_MAX_CHARS = 16  # option_list.text (selects, checkboxes): at most 16 characters
TEXT_MAX_BYTES = 2048  # message/send text content limit

# WeCom accepts style 1-4 (default 1). The docs show the looks only as a picture;
# 1 = highlighted (blue) and 3 = warning (red) is our reading, not a confirmed fact.
STYLE_CODES: dict[str, int] = {"primary": 1, "default": 2, "danger": 3}

_TASK_ID_RE = re.compile(r"[0-9A-Za-z_\-@]+")
_ELLIPSIS = "…"
_VIEW = "点击查看"


def validate_task_id(task_id: str) -> str:
    """WeCom task_id: ``[0-9A-Za-z_-@]``, 1-128 bytes, unique per app (never reuse → 42014)."""
    if not _TASK_ID_RE.fullmatch(task_id) or len(task_id.encode("utf-8")) > MAX_TASK_ID_BYTES:
        raise ValueError(f"invalid WeCom task_id {task_id!r}: use [0-9A-Za-z_-@], at most 128 bytes")
    return task_id


def _check_key(key: str, what: str) -> str:
    if not key:
        raise ValueError(f"{what} must not be empty")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError(f"{what} {key[:40]!r}… exceeds {MAX_KEY_BYTES} bytes")
    return key


def _truncate_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def _truncate_utf8(text: str, limit_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit_bytes:
        return text
    budget = limit_bytes - len(_ELLIPSIS.encode("utf-8"))
    return data[:budget].decode("utf-8", errors="ignore") + _ELLIPSIS


def _render_buttons(buttons: list[Button]) -> list[dict[str, Any]]:
    if len(buttons) > MAX_BUTTONS:
        raise ValueError(f"WeCom cards take at most {MAX_BUTTONS} buttons, got {len(buttons)}")
    seen: set[str] = set()
    rendered: list[dict[str, Any]] = []
    for button in buttons:
        if not button.text:
            raise ValueError("button text must not be empty")
        _check_key(button.action, "button action")
        if button.action in seen:
            raise ValueError(f"duplicate button action {button.action!r}")
        seen.add(button.action)
        if button.style not in STYLE_CODES:
            raise ValueError(f"unknown button style {button.style!r}")
        text = _truncate_chars(button.text, BUTTON_TEXT_MAX_CHARS)
        rendered.append({"text": text, "style": STYLE_CODES[button.style], "key": button.action})
    return rendered


def _render_select(select: Select, *, disabled: bool) -> dict[str, Any]:
    _check_key(select.question_key, "select question_key")
    if not 1 <= len(select.options) <= MAX_OPTIONS:
        raise ValueError(f"a select needs 1-{MAX_OPTIONS} options, got {len(select.options)}")
    ids: set[str] = set()
    options: list[dict[str, str]] = []
    for option in select.options:
        if not option.id or len(option.id.encode("utf-8")) > MAX_OPTION_ID_BYTES:
            raise ValueError(f"select option id {option.id!r} must be 1-{MAX_OPTION_ID_BYTES} bytes")
        if option.id in ids:
            raise ValueError(f"duplicate option id {option.id!r} in {select.question_key!r}")
        ids.add(option.id)
        options.append({"id": option.id, "text": _truncate_chars(option.text, OPTION_TEXT_MAX_CHARS)})
    if select.selected_id is not None and select.selected_id not in ids:
        raise ValueError(f"selected_id {select.selected_id!r} is not an option of {select.question_key!r}")
    rendered: dict[str, Any] = {"question_key": select.question_key, "title": select.title}
    if select.selected_id is not None:
        rendered["selected_id"] = select.selected_id
    rendered["option_list"] = options
    if disabled:
        rendered["disable"] = True
    return rendered


def _header(card: Card, card_type: str) -> dict[str, Any]:
    if not card.title:
        raise ValueError("card title must not be empty")
    out: dict[str, Any] = {"card_type": card_type}
    if card.source:
        out["source"] = {"desc": card.source}
    main_title: dict[str, str] = {"title": card.title}
    if card.subtitle:
        main_title["desc"] = card.subtitle
    out["main_title"] = main_title
    return out


def _body(card: Card, *, status_line: bool) -> dict[str, Any]:
    """quote_area, sub_title_text and horizontal_content_list (text_notice / button_interaction)."""
    out: dict[str, Any] = {}
    if card.quote_text:
        out["quote_area"] = {"type": 0, "quote_text": card.quote_text}

    tail: list[dict[str, Any]] = []  # link/image lines keep their slot: they are the only way to reach them
    if card.link is not None:
        tail.append({"type": 1, "keyname": card.link.text, "value": _VIEW, "url": card.link.url})
    if card.image_url:
        tail.append({"type": 1, "keyname": "图片", "value": _VIEW, "url": card.image_url})
    head: list[dict[str, Any]] = []
    if status_line and card.status:
        head.append({"keyname": "状态", "value": card.status})

    slots = MAX_HORIZONTAL_ITEMS - len(head) - len(tail)
    for item in card.fields:
        if not item.label:
            raise ValueError("field label must not be empty")
    shown, overflow = card.fields[:slots], card.fields[slots:]
    items = head + [{"keyname": f.label, "value": f.value} for f in shown] + tail
    if items:
        out["horizontal_content_list"] = items

    sub_lines = [card.description] if card.description else []
    sub_lines += [f"{f.label}：{f.value}" for f in overflow]
    if sub_lines:
        out["sub_title_text"] = _truncate_chars("\n".join(sub_lines), SUB_TITLE_MAX_CHARS)
    return out


def render_template_card(card: Card, *, default_url: str | None = None) -> dict[str, Any]:
    """The ``template_card`` object for message/send or update_template_card.

    ``default_url`` is the card_action target for notice cards without a link (WeCom
    requires one on text_notice), e.g. the H5 page of the record the card is about.
    """
    if card.selects and not card.buttons:
        raise ValueError("a card with selects needs a button to submit the answer")
    if len(card.selects) > MAX_SELECTS:
        raise ValueError(f"WeCom cards take at most {MAX_SELECTS} selects, got {len(card.selects)}")
    keys = [b.action for b in card.buttons] + [s.question_key for s in card.selects]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        # WeCom wants unique button keys; we also keep question keys apart so a tap is unambiguous.
        raise ValueError(f"duplicate button action / select question key: {duplicates}")

    if not card.interactive:
        url = card.link.url if card.link is not None else default_url
        if not url:
            raise ValueError("a text_notice card needs card.link or default_url for card_action")
        out = _header(card, "text_notice")
        out.update(_body(card, status_line=True))
        out["card_action"] = {"type": 1, "url": url}
        return out

    if len(card.selects) >= 2:
        return _render_multiple(card)

    out = _header(card, "button_interaction")
    out.update(_body(card, status_line=False))
    if card.selects:
        out["button_selection"] = _render_select(card.selects[0], disabled=card.decided)
    out["button_list"] = _render_buttons(card.buttons)
    if card.link is not None:
        out["card_action"] = {"type": 1, "url": card.link.url}
    out["task_id"] = validate_task_id(card.card_id)
    if card.decided:
        out["replace_text"] = card.status
    return out


def _render_multiple(card: Card) -> dict[str, Any]:
    unsupported = [
        name
        for name, value in (
            ("description", card.description),
            ("fields", card.fields),
            ("quote_text", card.quote_text),
            ("link", card.link),
            ("image_url", card.image_url),
        )
        if value
    ]
    if unsupported:
        raise ValueError(
            "WeCom multiple_interaction shows only title, subtitle and selects; "
            f"cannot render {', '.join(unsupported)} (use one select with buttons instead)"
        )
    if len(card.buttons) != 1:
        raise ValueError("a card with several selects takes exactly one (submit) button")
    submit = card.buttons[0]
    if not submit.text:
        raise ValueError("button text must not be empty")
    out = _header(card, "multiple_interaction")
    out["select_list"] = [_render_select(s, disabled=card.decided) for s in card.selects]
    out["submit_button"] = {"text": submit.text, "key": _check_key(submit.action, "button action")}
    out["task_id"] = validate_task_id(card.card_id)
    if card.decided:
        out["replace_text"] = card.status
    return out


def render_update_button(replace_name: str) -> dict[str, str]:
    """The ``button`` object of update_template_card: grey out the buttons with this text."""
    if not replace_name or not replace_name.strip():
        raise ValueError("replace_name must not be empty")
    return {"replace_name": replace_name}


def render_text(card: Card) -> str:
    """Plain-text version of the card (``cards/plain.py``), cut to WeCom's 2048-byte text limit."""
    return _truncate_utf8(safe_text.wecom_text(plain_text(card)), TEXT_MAX_BYTES)  # no <a href> from user text
