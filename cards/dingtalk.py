"""Render the neutral ``Card`` as the public data of a DingTalk card instance (docs/platforms/dingtalk.md D4).

A DingTalk interactive card (高级版) is an instance of a *template* built and published in
the developer console; what we send is only its data, ``cardData.cardParamMap``: a flat map
of **string** values (lists go JSON-encoded).  Our one template, shipped as the card
platform's export ``bot/dingtalk/templates/salesbot_card.export.json`` (docs/platforms/dingtalk.md
"Card template export"), declares exactly these variables (a test holds us to it):

=================  ==============================================================
``title``          card title                      ``subtitle``  one line under it
``source``         small header text               ``markdown``  the whole body as DingTalk markdown
``description``    paragraph                        ``quote``     quoted text
``fields``         JSON ``[{"label","text"}]`` for a loop list (the official
                   example's ``contents`` shape)
``btn1_*..btn6_*`` ``_text``, ``_action``, ``_status`` (normal/disabled), ``_color``; a slot with
                   empty text is hidden; the button's callback params are
                   ``{"action": "${btnN_action}", "tap_token": "${tap_token}"}`` → ``CardAction.key``
``buttons``        the same as JSON ``[{"text","action","status","color"}]``
``sel1_*..sel3_*`` ``_key``, ``_title``, ``_options`` (JSON ``[{"value","text":{"zh_CN"}}]``), ``_selected``;
                   the choice comes back as ``params["select<i>"]`` = ``{"index": i}``
``status``         the decision ("已同意 · 李娜 11-25 14:03"); ``decided`` = "true" hides the
                   buttons and selects and shows ``status`` in their place (WeCom's replace_text)
``interactive``    "true" when the card has buttons or selects
``link_text``, ``link_url``, ``image_url``
=================  ==============================================================

Every key is always present (empty string when unused), so an update merged by key
(``updateCardDataByKey``) never leaves a stale button or status behind.

Pure: card in, dict out.  Limits raise ``ValueError`` so a bad card fails in tests.
"""

from __future__ import annotations

import json
from typing import Any

from cards.model import Card
from cards.plain import plain_text
from domain import safe_text

__all__ = [
    "BUTTON_COLOR",
    "BUTTON_STATUS",
    "CARD_PARAM_KEYS",
    "MAX_BUTTONS",
    "MAX_OUT_TRACK_ID_CHARS",
    "MAX_SELECTS",
    "TEXT_MAX_CHARS",
    "render_card_data",
    "render_markdown",
    "render_text",
    "select_spec",
    "button_actions",
]

MAX_BUTTONS = 6  # slots in our template
MAX_SELECTS = 3
MAX_OPTIONS = 20
MAX_ACTION_BYTES = 1024
MAX_OUT_TRACK_ID_CHARS = 128  # cards.card_id column; DingTalk's own limit is not documented
TEXT_MAX_CHARS = 5000  # robot sampleText content: UNCONFIRMED limit, kept conservative

# Template (高级版) buttons have a ``status`` (normal / disabled) and a separate ``color``; the
# 普通版 card's primary/normal/warning do not apply (docs/platforms/dingtalk.md, "Card template":
# open-dingtalk/dingtalk-card-examples examples/审批模板/审批模板.json @ 2201b86 uses status
# normal/disabled with color gray/blue/red).
BUTTON_STATUS: dict[str, str] = {"primary": "normal", "default": "normal", "danger": "normal"}
BUTTON_COLOR: dict[str, str] = {"primary": "blue", "default": "gray", "danger": "red"}

_SCALAR_KEYS = (
    "title",
    "subtitle",
    "source",
    "description",
    "markdown",
    "fields",
    "quote",
    "buttons",
    "selects",
    "status",
    "decided",
    "interactive",
    "link_text",
    "link_url",
    "image_url",
)
CARD_PARAM_KEYS: tuple[str, ...] = (
    _SCALAR_KEYS
    + tuple(f"btn{i}_{part}" for i in range(1, MAX_BUTTONS + 1) for part in ("text", "action", "status", "color"))
    + tuple(f"sel{i}_{part}" for i in range(1, MAX_SELECTS + 1) for part in ("key", "title", "options", "selected"))
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _validate(card: Card) -> None:
    if not card.title:
        raise ValueError("card title must not be empty")
    if not card.card_id or len(card.card_id) > MAX_OUT_TRACK_ID_CHARS:
        raise ValueError(f"card_id (outTrackId) must be 1-{MAX_OUT_TRACK_ID_CHARS} characters")
    if len(card.buttons) > MAX_BUTTONS:
        raise ValueError(f"our DingTalk template has {MAX_BUTTONS} button slots, got {len(card.buttons)}")
    if len(card.selects) > MAX_SELECTS:
        raise ValueError(f"our DingTalk template has {MAX_SELECTS} select slots, got {len(card.selects)}")
    if card.selects and not card.buttons:
        raise ValueError("a card with selects needs a button to submit the answer")
    keys = [b.action for b in card.buttons] + [s.question_key for s in card.selects]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"duplicate button action / select question key: {duplicates}")
    for button in card.buttons:
        if not button.text:
            raise ValueError("button text must not be empty")
        if not button.action or len(button.action.encode("utf-8")) > MAX_ACTION_BYTES:
            raise ValueError(f"button action {button.action[:40]!r} must be 1-{MAX_ACTION_BYTES} bytes")
        if button.style not in BUTTON_STATUS:
            raise ValueError(f"unknown button style {button.style!r}")
    for select in card.selects:
        if not select.question_key:
            raise ValueError("select question_key must not be empty")
        if not 1 <= len(select.options) <= MAX_OPTIONS:
            raise ValueError(f"a select needs 1-{MAX_OPTIONS} options, got {len(select.options)}")
        ids = [o.id for o in select.options]
        if len(set(ids)) != len(ids) or not all(ids):
            raise ValueError(f"select {select.question_key!r} has empty or duplicate option ids")
        if select.selected_id is not None and select.selected_id not in ids:
            raise ValueError(f"selected_id {select.selected_id!r} is not an option of {select.question_key!r}")
    for item in card.fields:
        if not item.label:
            raise ValueError("field label must not be empty")


def render_markdown(card: Card, *, with_title: bool = False) -> str:
    """The card's body as DingTalk markdown (also the card's ``markdown`` variable)."""
    md = safe_text.markdown  # every piece of card text may hold user text: shown as typed, never as markup
    lines: list[str] = []
    if with_title:
        lines.append(f"### {md(card.title)}")
        if card.status:
            lines.append(f"**状态：{md(card.status)}**")
        if card.subtitle:
            lines.append(md(card.subtitle))
    if card.description:
        lines += [md(line) for line in card.description.splitlines() if line.strip()]
    lines += [f"**{md(f.label)}**：{md(f.value)}" for f in card.fields]
    if card.quote_text:
        lines += [f"> {md(line)}" for line in card.quote_text.splitlines() if line.strip()]
    if card.link is not None:
        lines.append(f"[{md(card.link.text)}]({card.link.url})")
    if card.image_url:
        lines.append(f"![图片]({card.image_url})")
    return "\n\n".join(lines)


def render_card_data(card: Card) -> dict[str, str]:
    """The public ``cardParamMap`` for createAndDeliver and ``PUT /v1.0/card/instances``.

    A decided card (``status`` set) keeps title, fields and text, clears every button and
    select slot and sets ``decided`` = "true": the template then shows the status where the
    buttons were, for everyone (public data).
    """
    _validate(card)
    data = dict.fromkeys(CARD_PARAM_KEYS, "")
    data.update(
        title=card.title,
        subtitle=card.subtitle or "",
        source=card.source or "",
        description=card.description or "",
        markdown=render_markdown(card),
        fields=_dumps([{"label": f.label, "text": f.value} for f in card.fields]),
        quote=card.quote_text or "",
        status=card.status or "",
        decided="true" if card.decided else "false",
        interactive="true" if card.interactive and not card.decided else "false",
        link_text=card.link.text if card.link else "",
        link_url=card.link.url if card.link else "",
        image_url=card.image_url or "",
    )
    live_buttons = [] if card.decided else card.buttons
    data["buttons"] = _dumps(
        [
            {"text": b.text, "action": b.action, "status": BUTTON_STATUS[b.style], "color": BUTTON_COLOR[b.style]}
            for b in live_buttons
        ]
    )
    for i, button in enumerate(live_buttons, start=1):
        data[f"btn{i}_text"] = button.text
        data[f"btn{i}_action"] = button.action
        data[f"btn{i}_status"] = BUTTON_STATUS[button.style]
        data[f"btn{i}_color"] = BUTTON_COLOR[button.style]
    live_selects = [] if card.decided else card.selects
    data["selects"] = _dumps(
        [
            {
                "key": s.question_key,
                "title": s.title,
                "options": [{"value": o.id, "text": o.text} for o in s.options],
                "selected": s.selected_id or "",
            }
            for s in live_selects
        ]
    )
    for i, select in enumerate(live_selects, start=1):
        data[f"sel{i}_key"] = select.question_key
        data[f"sel{i}_title"] = select.title
        # selectOptions items as the card builder's select takes them: text by language
        # (docs/platforms/dingtalk.md "Card template export", the official loop example).
        data[f"sel{i}_options"] = _dumps([{"value": o.id, "text": {"zh_CN": o.text}} for o in select.options])
        data[f"sel{i}_selected"] = select.selected_id or ""
    return data


def button_actions(card: Card) -> list[str]:
    """Button actions by slot (``btn1`` is index 0), to read a tap that names only its slot."""
    return [b.action for b in card.buttons]


def select_spec(card: Card) -> list[tuple[str, list[str]]]:
    """(question_key, option ids) by slot, to turn a tap's select params into answers."""
    return [(s.question_key, [o.id for o in s.options]) for s in card.selects]


def render_text(card: Card, limit: int = TEXT_MAX_CHARS) -> str:
    """Plain-text version of the card (``cards/plain.py``), cut to DingTalk's text limit."""
    text = plain_text(card)
    return text if len(text) <= limit else text[: limit - 1] + "…"
