"""Decrypted WeCom callback XML → platform-neutral ``InboundEvent``.

We parse with defusedxml's ElementTree directly instead of ``wechatpy.enterprise.parser``:
wechatpy 1.8.18 feeds untrusted text to plain xmltodict, does not know
``template_card_event``, and xmltodict turns one-vs-many ``SelectedItem``/``OptionId``
into dict-vs-list. ElementTree's ``findall`` treats one and many alike, and registering
a class into wechatpy's global event registry would change behaviour for every other
user of that registry in the process.
"""

from __future__ import annotations

import math
from dataclasses import replace
from xml.etree.ElementTree import Element

from bot.wecom.crypto import MalformedXMLError, parse_xml
from handlers.events import CardAction, EventKind, InboundEvent, Location, SelectedItem

__all__ = ["PLATFORM", "contact_change", "dedupe_key", "parse_message"]

PLATFORM = "wecom"

# Per-event ids that tell apart events which share sender, second and Event (e.g. two
# add-contact events from "sys" in one second). Appended to the event dedupe key only
# when present, so card taps and enter_agent keep the documented 5-part key.
_EXTRA_EVENT_ID_PATHS: tuple[str, ...] = (
    "ChangeType",
    "UserID",
    "ExternalUserID",
    "CalId",
    "ScheduleId",
    "MeetingId",
    "BatchJob/JobId",
    "ApprovalInfo/ThirdNo",
)


def _text(root: Element, path: str) -> str | None:
    """Stripped text of a child element, None when it is absent or empty."""
    value = root.findtext(path)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _required(root: Element, path: str) -> str:
    value = _text(root, path)
    if value is None:
        raise MalformedXMLError(f"missing <{path}>")
    return value


def dedupe_key(root: Element) -> str:
    """Inbox key: MsgId (a string, may be non-numeric) for messages; for events
    ``FromUserName|CreateTime|Event|EventKey|TaskId`` (+ per-event ids when present).

    Coarser keys dropped real events in other projects (two taps in the same second).
    """
    msg_id = _text(root, "MsgId")
    if msg_id is not None:
        return msg_id
    parts = [
        _text(root, name) or "" for name in ("FromUserName", "CreateTime", "Event", "EventKey", "TaskId")
    ]
    extras = [f"{path}={value}" for path in _EXTRA_EVENT_ID_PATHS if (value := _text(root, path)) is not None]
    return "|".join(parts + extras)


def _float(root: Element, path: str) -> float:
    raw = _required(root, path)
    try:
        value = float(raw)
    except ValueError as exc:
        raise MalformedXMLError(f"<{path}> is not a number: {raw!r}") from exc
    if not math.isfinite(value):  # "nan" / "inf" parse as floats but are no coordinate (issue #19)
        raise MalformedXMLError(f"<{path}> is not a finite number: {raw!r}")
    return value


def _optional_int(root: Element, path: str) -> int | None:
    raw = _text(root, path)
    if raw is None:
        return None
    try:
        return int(float(raw))
    except ValueError:
        return None  # Scale is cosmetic; a bad value must not lose the location


def _selected_items(root: Element) -> tuple[SelectedItem, ...]:
    items: list[SelectedItem] = []
    for node in root.findall("SelectedItems/SelectedItem"):
        question_key = _text(node, "QuestionKey") or ""
        option_ids = tuple(
            value.strip()
            for opt in node.findall("OptionIds/OptionId")
            if (value := opt.text) and value.strip()
        )
        items.append(SelectedItem(question_key=question_key, option_ids=option_ids))
    return tuple(items)


def parse_message(plain_xml: str | bytes) -> InboundEvent:
    """Turn one decrypted callback into an InboundEvent.

    Handled kinds: text, image, location message, template_card_event, enter_agent;
    anything else becomes ``EventKind.OTHER`` (logged and acknowledged, never answered).
    Raises MalformedXMLError on bad XML, a DTD, or missing FromUserName/CreateTime/MsgType.
    """
    root = parse_xml(plain_xml)
    if root.tag != "xml":
        raise MalformedXMLError(f"root is <{root.tag}>, expected <xml>")

    sender_id = _required(root, "FromUserName")
    create_time = _required(root, "CreateTime")
    try:
        created_at = int(create_time)
    except ValueError as exc:
        raise MalformedXMLError(f"CreateTime is not an integer: {create_time!r}") from exc
    msg_type = _required(root, "MsgType")

    # Everything starts as OTHER; the branches below refine what we understand.
    base = InboundEvent(
        platform=PLATFORM,
        dedupe_key=dedupe_key(root),
        kind=EventKind.OTHER,
        sender_id=sender_id,
        created_at=created_at,
        raw_type=msg_type,
    )
    kind = msg_type.lower()

    if kind == "text":
        # Content is user text: keep it verbatim (no strip), handlers decide.
        content = root.findtext("Content")
        return replace(base, kind=EventKind.TEXT, text=content or "")

    if kind == "image":
        return replace(
            base, kind=EventKind.IMAGE, media_id=_text(root, "MediaId"), pic_url=_text(root, "PicUrl")
        )

    if kind == "location":
        location = Location(
            lat=_float(root, "Location_X"),
            lng=_float(root, "Location_Y"),
            scale=_optional_int(root, "Scale"),
            label=_text(root, "Label"),
        )
        return replace(base, kind=EventKind.LOCATION, location=location)

    if kind == "event":
        event = _text(root, "Event") or ""
        raw_type = f"event:{event}"
        event_lower = event.lower()
        if event_lower == "template_card_event":
            action = CardAction(
                key=_text(root, "EventKey") or "",
                task_id=_text(root, "TaskId") or "",
                card_type=_text(root, "CardType"),
                response_code=_text(root, "ResponseCode"),
                selected=_selected_items(root),
            )
            return replace(base, kind=EventKind.CARD_ACTION, card_action=action, raw_type=raw_type)
        if event_lower == "enter_agent":
            return replace(base, kind=EventKind.ENTER_AGENT, raw_type=raw_type)
        # Includes the periodic LOCATION report event: not a user sharing a place.
        return replace(base, raw_type=raw_type)

    return base


def contact_change(plain_xml: str | bytes) -> dict[str, str] | None:
    """The ids of a ``change_contact`` event (W10): ``{"change_type", "user_id", "dept_id"}``;
    None for any other message (the XML was already checked by :func:`parse_message`)."""
    root = parse_xml(plain_xml)
    if (_text(root, "MsgType") or "") != "event" or (_text(root, "Event") or "").lower() != "change_contact":
        return None
    return {
        "change_type": _text(root, "ChangeType") or "",
        "user_id": (_text(root, "UserID") or "")[:64],
        "dept_id": (_text(root, "Id") or "")[:32],
    }
