"""DingTalk callback JSON → platform-neutral ``InboundEvent`` (docs/platforms/dingtalk.md D1-D4).

Four kinds of payload reach us, all JSON:

* **robot messages** (HTTP robot callback, or the ``data`` of a Stream CALLBACK frame on
  ``/v1.0/im/bot/messages/get``): text, picture, richText, and the kinds we do not
  handle (audio, video, file, unknownMsgType);
* **card callbacks** (``type: actionCallback``; ``content`` is itself a JSON *string*
  holding ``cardPrivateData.actionIds`` and ``params``);
* **event-subscription pushes** after decryption (``{"EventType": "user_add_org", ...}``),
  turned into :class:`OrgEvent`;
* **Stream frames and acks** (``specVersion``/``type``/``headers``/``data``), unwrapped
  here so Stream mode (``bot/dingtalk/stream.py``) reuses everything.

Card taps come out exactly like WeCom's ``template_card_event``: ``EventKind.CARD_ACTION``
with ``CardAction(key=<our button action>, task_id=<outTrackId>)``, so the routers'
typed key filters (``cards.keys``, ``VisitUndo.filter()``) work unchanged.  Our card template binds each
button's callback params as ``{"action": "<Button.action>"}`` (bot/dingtalk/templates).

Unsupported message kinds (audio, video, file, unknown) become ``EventKind.OTHER`` with
``raw_type`` = the msgtype, exactly as the WeCom parser treats voice/video/file.

Everything that reaches the inbox is bounded here: ids ≤ 128 characters (the inbox and
card tables' column sizes), dedupe keys ≤ 300, JSON nesting ≤ 32 levels, no NaN/Infinity.
Anything else is a :class:`MalformedPayloadError` (HTTP 400), never a database error.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.dingtalk.cardauth import TAP_TOKEN_PARAM
from bot.dingtalk.crypto import MalformedPayloadError
from handlers.events import CardAction, EventKind, InboundEvent, Location, SelectedItem

__all__ = [
    "MAX_DEPTH",
    "PLATFORM",
    "ROBOT_TOPIC",
    "CARD_TOPIC",
    "OrgEvent",
    "RichText",
    "StreamAck",
    "StreamFrame",
    "load_json",
    "parse_card_callback",
    "parse_event",
    "parse_payload",
    "parse_rich_text",
    "parse_robot_message",
    "parse_stream_frame",
]

PLATFORM = "dingtalk"
ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
ROBOT_DELEGATE_TOPIC = "/v1.0/im/bot/messages/delegate"
CARD_TOPIC = "/v1.0/card/instances/callback"

MAX_DEPTH = 32
MAX_DEPT_IDS = 1000  # DeptId entries kept from one event push
MAX_ID_CHARS = 128  # inbox.sender_id, cards.card_id
MAX_KEY_CHARS = 300  # inbox.dedupe_key
MAX_PARAMS = 50
MAX_PARAM_CHARS = 4000
# Card taps of one person on one button inside this many seconds are one tap (a retry);
# DingTalk documents no retry schedule for card callbacks (docs/platforms/dingtalk.md).
TAP_DEDUPE_WINDOW_S = 10
ORG_EVENT_TYPES = frozenset({"user_add_org", "user_modify_org", "user_leave_org", "user_active_org"})

# In a group only messages that @ the robot arrive; DingTalk removes the robot's own mention
# but leaves the space after it (" 测试数据"), and clients may keep other leading mentions.
# Only "@name " followed by a space counts ("@张三今天…" is text); a message of mentions alone is empty.
_LEADING_MENTIONS = re.compile(r"^\s*(?:@\S+\s+)+")
_ONLY_MENTIONS = re.compile(r"\s*(?:@\S+\s*)+")
_SLOT_RE = re.compile(r"(?:btn|button)_?(\d+)", re.IGNORECASE)


# --------------------------------------------------------------------------- JSON, safely
def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _depth_ok(value: Any, max_depth: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > max_depth:
                return False
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            if depth > max_depth:
                return False
            stack.extend((v, depth + 1) for v in node)
    return True


def load_json(raw: bytes | str | Mapping[str, Any], *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """Untrusted bytes → a JSON object, or :class:`MalformedPayloadError`.

    Strict UTF-8, no NaN/Infinity, at most ``max_depth`` levels (deep nesting would
    otherwise surface as RecursionError somewhere far from here), top level an object.
    """
    if isinstance(raw, Mapping):
        data: Any = dict(raw)
    else:
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            data = json.loads(text, parse_constant=_reject_constant)
        except RecursionError as exc:
            raise MalformedPayloadError("JSON nested too deeply") from exc
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedPayloadError(f"not JSON: {exc.__class__.__name__}: {exc}"[:200]) from exc
    if not isinstance(data, dict):
        raise MalformedPayloadError("JSON top level is not an object")
    if not _depth_ok(data, max_depth):
        raise MalformedPayloadError(f"JSON nested deeper than {max_depth} levels")
    return data


def _str(data: Mapping[str, Any], name: str, *, required: bool = False, max_chars: int = MAX_ID_CHARS) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise MalformedPayloadError(f"missing {name}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedPayloadError(f"{name} must be a string, got {type(value).__name__}")
    text = str(value)
    if len(text) > max_chars:
        raise MalformedPayloadError(f"{name} longer than {max_chars} characters")
    return text


def _obj(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedPayloadError(f"{name} must be an object, got {type(value).__name__}")
    return value


def _millis_to_seconds(value: Any, fallback: int) -> int:
    """DingTalk's createAt/TimeStamp are milliseconds (sometimes as strings); bad values fall back."""
    if isinstance(value, bool):
        return fallback
    try:
        number = int(value)
    except (TypeError, ValueError):
        return fallback
    if number <= 0:
        return fallback
    return number // 1000 if number >= 100_000_000_000 else number


def _bounded_key(key: str, prefix: str) -> str:
    if len(key) <= MAX_KEY_CHARS:
        return key
    return f"{prefix}|sha1:{hashlib.sha1(key.encode('utf-8')).hexdigest()}"


# --------------------------------------------------------------------------- robot messages (D2)
@dataclass(frozen=True)
class RichText:
    """The parts of a ``richText`` content that matter to us."""

    text: str
    picture_codes: tuple[str, ...]


def parse_rich_text(content: Mapping[str, Any]) -> RichText:
    """``{"richText": [{"text"}, {"type": "picture", "downloadCode"}, ...]}`` → joined text + pictures."""
    parts = content.get("richText")
    if not isinstance(parts, list):
        raise MalformedPayloadError("richText must be a list")
    texts: list[str] = []
    pictures: list[str] = []
    for part in parts:
        if not isinstance(part, dict):
            raise MalformedPayloadError("richText items must be objects")
        text = part.get("text")
        if isinstance(text, str) and text.strip():
            texts.append(text.strip())
        elif text is not None and not isinstance(text, str):
            raise MalformedPayloadError("richText text must be a string")
        if part.get("type") == "picture" or "downloadCode" in part or "pictureDownloadCode" in part:
            code = _str(part, "downloadCode", max_chars=1024) or _str(part, "pictureDownloadCode", max_chars=1024)
            if code:
                pictures.append(code)
    return RichText("\n".join(texts), tuple(pictures))


def _clean_text(text: str, *, group: bool) -> str:
    """Strip spaces (incl. full-width) and, in group chats, the leading @-mentions."""
    if group:
        text = "" if _ONLY_MENTIONS.fullmatch(text) else _LEADING_MENTIONS.sub("", text, count=1)
    return text.strip()


def _location(data: Mapping[str, Any]) -> Location | None:
    """Location messages are not in the official robot docs: UNCONFIRMED field names, read tolerantly."""
    content = data.get("content") if isinstance(data.get("content"), dict) else data.get("location")
    if not isinstance(content, dict):
        return None
    lat = content.get("latitude", content.get("lat"))
    lng = content.get("longitude", content.get("lng", content.get("lon")))
    try:
        lat_f, lng_f = float(lat), float(lng)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180):
        return None
    label = next(
        (str(content[k]) for k in ("title", "address", "name", "label") if isinstance(content.get(k), str)), None
    )
    return Location(lat=lat_f, lng=lng_f, label=label[:200] if label else None)


def parse_robot_message(raw: bytes | str | Mapping[str, Any], *, now: int) -> InboundEvent:
    """One robot message (HTTP callback body or Stream ``data``) → InboundEvent.

    ``now`` (unix seconds) stands in for a missing ``createAt`` (the Stream doc sample
    misspells it ``createA``).  Dedupe key: ``msgId`` (DingTalk's own id, a string).
    """
    data = load_json(raw)
    msg_id = _str(data, "msgId", required=True, max_chars=256)
    assert msg_id is not None
    msgtype = _str(data, "msgtype", required=True, max_chars=64)
    assert msgtype is not None
    sender = _str(data, "senderStaffId") or _str(data, "senderId")
    if sender is None:
        raise MalformedPayloadError("missing senderStaffId/senderId")
    conversation_type = _str(data, "conversationType", max_chars=8) or "1"
    group = conversation_type == "2"
    conversation_id = _str(data, "conversationId", max_chars=256) if group else None
    base = InboundEvent(
        platform=PLATFORM,
        dedupe_key=_bounded_key(msg_id, "msg"),
        kind=EventKind.OTHER,
        sender_id=sender,
        created_at=_millis_to_seconds(data.get("createAt"), now),
        conversation_id=conversation_id,
        raw_type=msgtype,
    )
    kind = msgtype.lower()

    if kind == "text":
        text_obj = _obj(data, "text")
        content = text_obj.get("content", "")
        if not isinstance(content, str):
            raise MalformedPayloadError("text.content must be a string")
        return replace(base, kind=EventKind.TEXT, text=_clean_text(content, group=group))

    if kind == "picture":
        content_obj = _obj(data, "content")
        code = _str(content_obj, "downloadCode", max_chars=1024) or _str(
            content_obj, "pictureDownloadCode", max_chars=1024
        )
        if code is None:
            raise MalformedPayloadError("picture without downloadCode")
        return replace(base, kind=EventKind.IMAGE, media_id=code)

    if kind == "richtext":
        rich = parse_rich_text(_obj(data, "content"))
        text = _clean_text(rich.text, group=group)
        if rich.picture_codes:
            return replace(base, kind=EventKind.IMAGE, media_id=rich.picture_codes[0], text=text or None)
        return replace(base, kind=EventKind.TEXT, text=text)

    if kind == "location":
        location = _location(data)
        if location is not None:
            return replace(base, kind=EventKind.LOCATION, location=location)

    # audio, video, file, unknownMsgType, …: acknowledged and logged, like WeCom's voice/video.
    return base


# --------------------------------------------------------------------------- card callbacks (D4.5)
def _param_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(text) > MAX_PARAM_CHARS:
        raise MalformedPayloadError(f"card param longer than {MAX_PARAM_CHARS} characters")
    return text


def _option_ids(value: Any, options: Sequence[str]) -> tuple[str, ...]:
    """A select's answer as option ids: a string id, an index, ``{"value"|"id"|"index"}`` or a list."""
    if isinstance(value, list):
        return tuple(i for v in value for i in _option_ids(v, options))
    if isinstance(value, dict):
        for name in ("value", "id", "key"):
            if isinstance(value.get(name), str | int) and not isinstance(value.get(name), bool):
                return _option_ids(str(value[name]), options)
        if "index" in value:
            return _option_ids(value["index"], options)
        return ()
    if isinstance(value, bool) or value is None:
        return ()
    if isinstance(value, int):
        return (options[value],) if 0 <= value < len(options) else (str(value),)
    text = str(value)
    return (text,) if text else ()


def parse_card_callback(
    raw: bytes | str | Mapping[str, Any],
    *,
    now: int,
    button_actions: Sequence[str] = (),
    selects: Sequence[tuple[str, Sequence[str]]] = (),
) -> InboundEvent:
    """A card ``actionCallback`` → the same CARD_ACTION event a WeCom tap produces.

    * ``content`` (or ``value``, in older descriptions) is a JSON string; ``params`` may sit
      inside ``cardPrivateData`` (doc prose) or next to it (doc example) — both are read.
    * key: ``params.action`` (our template's binding); else ``actionIds[0]`` mapped through
      ``button_actions`` when it names a slot (``btn2`` → the second button), else as is.
    * ``selects`` (question_key, option ids) of the stored card turn ``params[question_key]``
      or ``params["select<i>"]`` into SelectedItems; without it, every other string param is one.
    * ``params.tap_token`` (cardauth.py) is proof, not an answer: kept out of the answers.
    * dedupe key ``card|outTrackId|key|userId|<tap>`` (+ a hash of the answers when there are
      any).  DingTalk's HTTP card callback carries no id or time of its own
      (docs/platforms/dingtalk.md, "Card callbacks"), and whether a Stream redelivery keeps
      its ``messageId`` is not documented either, so ``<tap>`` is the ``TAP_DEDUPE_WINDOW_S``
      time bucket the tap arrived in: a retry inside the bucket collapses, a deliberate
      second tap later is a new event (handlers are idempotent for the rare retry that
      straddles two buckets: one decision per step is one conditional UPDATE).
    """
    data = load_json(raw)
    if data.get("type") not in (None, "actionCallback"):
        raise MalformedPayloadError(f"unsupported card callback type {data.get('type')!r}")
    out_track_id = _str(data, "outTrackId", required=True)
    user_id = _str(data, "userId", required=True)
    assert out_track_id is not None and user_id is not None
    raw_content = data.get("content", data.get("value"))
    if isinstance(raw_content, str | dict):
        content = load_json(raw_content)
    elif raw_content is None:
        content = {}
    else:
        raise MalformedPayloadError("card callback content must be a JSON string")
    private = _obj(content, "cardPrivateData")
    action_ids = private.get("actionIds", [])
    if not isinstance(action_ids, list) or not all(isinstance(a, str) for a in action_ids):
        raise MalformedPayloadError("cardPrivateData.actionIds must be a list of strings")
    params: dict[str, Any] = {**_obj(content, "params"), **_obj(private, "params")}
    if len(params) > MAX_PARAMS:
        raise MalformedPayloadError("too many card params")

    key = params.get("action") if isinstance(params.get("action"), str) else None
    if not key and action_ids:
        first = action_ids[0]
        slot = _SLOT_RE.fullmatch(first)
        index = int(slot.group(1)) - 1 if slot else -1
        key = button_actions[index] if 0 <= index < len(button_actions) else first
    key = key or ""
    if len(key) > 1024:
        raise MalformedPayloadError("card action longer than 1024 characters")

    selected: list[SelectedItem] = []
    if selects:
        for i, (question_key, options) in enumerate(selects, start=1):
            answer = params.get(question_key, params.get(f"select{i}"))
            ids = _option_ids(answer, list(options)) if answer is not None else ()
            if ids:
                selected.append(SelectedItem(question_key, ids))
    else:
        for name, value in params.items():
            if name in ("action", TAP_TOKEN_PARAM):
                continue
            ids = _option_ids(value, [])
            if ids and all(len(i) <= MAX_PARAM_CHARS for i in ids):
                selected.append(SelectedItem(str(name), ids))

    string_params = {str(k): _param_value(v) for k, v in params.items()}
    tap = f"t{now // TAP_DEDUPE_WINDOW_S}"
    dedupe = f"card|{out_track_id}|{key}|{user_id}|{tap}"
    answers = {k: v for k, v in string_params.items() if k not in ("action", TAP_TOKEN_PARAM)}
    if answers:
        digest = hashlib.sha1(json.dumps(answers, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        dedupe += f"|{digest[:16]}"
    space_type = _str(data, "spaceType", max_chars=32)
    conversation_id = _str(data, "spaceId", max_chars=256) if space_type == "IM_GROUP" else None
    action = CardAction(
        key=key,
        task_id=out_track_id,
        card_type=space_type,
        response_code=None,
        selected=tuple(selected),
        params=string_params,
    )
    return InboundEvent(
        platform=PLATFORM,
        dedupe_key=_bounded_key(dedupe, "card"),
        kind=EventKind.CARD_ACTION,
        sender_id=user_id,
        created_at=now,
        card_action=action,
        conversation_id=conversation_id,
        raw_type="actionCallback",
    )


# --------------------------------------------------------------------------- event subscription (D1, D3)
@dataclass(frozen=True)
class OrgEvent:
    """A decrypted event push: address-book changes (user_add_org, …), check_url, or any other.

    Stored in the inbox as ``EventKind.OTHER`` (the handlers ignore it) with the details
    kept beside the event, for the org sync that will consume them.
    """

    event_type: str
    dedupe_key: str
    user_ids: tuple[str, ...] = ()
    corp_id: str | None = None
    timestamp: str | None = None
    event_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    dept_ids: tuple[int, ...] = ()  # org_dept_* events' ``DeptId`` list

    @property
    def is_check_url(self) -> bool:
        return self.event_type == "check_url"

    @property
    def is_org_change(self) -> bool:
        return self.event_type in ORG_EVENT_TYPES

    def to_inbound(self, now: int) -> InboundEvent:
        return InboundEvent(
            platform=PLATFORM,
            dedupe_key=self.dedupe_key,
            kind=EventKind.OTHER,
            sender_id="sys",
            created_at=_millis_to_seconds(self.timestamp, now),
            raw_type=f"event:{self.event_type}",
        )

    def details(self) -> dict[str, Any]:
        """What the inbox keeps beside the InboundEvent (``payload["dingtalk_event"]``)."""
        return {
            "event_type": self.event_type,
            "user_ids": list(self.user_ids),
            "corp_id": self.corp_id,
            "timestamp": self.timestamp,
            "event_id": self.event_id,
            "dept_ids": list(self.dept_ids),
        }


def _first(data: Mapping[str, Any], *names: str) -> Any:
    return next((data[n] for n in names if data.get(n) not in (None, "")), None)


def parse_event(
    raw: bytes | str | Mapping[str, Any],
    *,
    event_type: str | None = None,
    event_id: str | None = None,
    corp_id: str | None = None,
) -> OrgEvent:
    """A decrypted HTTP event push (``{"EventType": ...}``) or a Stream EVENT's ``data``.

    Stream frames carry type and id in their headers, so they are passed in. Dedupe key:
    ``event|<eventId>`` when there is one, else ``event|type|TimeStamp|sha1(payload)``.
    """
    data = load_json(raw)
    kind = event_type or _first(data, "EventType", "eventType")
    if not isinstance(kind, str) or not kind or len(kind) > 64:
        raise MalformedPayloadError("event without a valid EventType")
    users_raw = _first(data, "UserId", "userId", "UserIds", "userIds")
    if users_raw is None:
        user_ids: tuple[str, ...] = ()
    elif isinstance(users_raw, str):
        user_ids = (users_raw,)
    elif isinstance(users_raw, list) and all(isinstance(u, str | int) and not isinstance(u, bool) for u in users_raw):
        user_ids = tuple(str(u) for u in users_raw)
    else:
        raise MalformedPayloadError("event UserId must be a string or a list of strings")
    if any(len(u) > MAX_ID_CHARS for u in user_ids):
        raise MalformedPayloadError("event UserId too long")
    depts_raw = _first(data, "DeptId", "deptId")
    dept_list = depts_raw if isinstance(depts_raw, list) else [depts_raw] if depts_raw is not None else []
    # Department ids are integers (sent as numbers, sometimes as strings); anything else is dropped.
    dept_ids = tuple(
        int(d)
        for d in dept_list[:MAX_DEPT_IDS]
        if (isinstance(d, int) and not isinstance(d, bool))
        or (isinstance(d, str) and d.isascii() and d.isdigit() and len(d) <= 18)
    )
    timestamp = _first(data, "TimeStamp", "timeStamp", "timestamp")
    ts_text = str(timestamp) if isinstance(timestamp, str | int) and not isinstance(timestamp, bool) else None
    corp = corp_id or _first(data, "CorpId", "corpId")
    if event_id:
        key = f"event|{event_id}"
    else:
        digest = hashlib.sha1(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        key = f"event|{kind}|{ts_text or ''}|{digest[:20]}"
    return OrgEvent(
        event_type=kind,
        dedupe_key=_bounded_key(key, "event"),
        user_ids=user_ids,
        corp_id=str(corp)[:128] if isinstance(corp, str) else None,
        timestamp=ts_text,
        event_id=event_id,
        data=data,
        dept_ids=dept_ids,
    )


# --------------------------------------------------------------------------- Stream frames (D3)
@dataclass(frozen=True)
class StreamFrame:
    """A server→client Stream frame; ``event``/``org_event`` set for robot, card and EVENT frames."""

    type: str  # SYSTEM / EVENT / CALLBACK
    topic: str
    message_id: str | None
    headers: dict[str, str]
    data: dict[str, Any]
    event: InboundEvent | None = None
    org_event: OrgEvent | None = None


@dataclass(frozen=True)
class StreamAck:
    """A client→server ack (``code``/``headers.messageId``/``data``), as in the protocol samples."""

    code: int
    message_id: str | None
    message: str
    data: dict[str, Any] | None


def parse_stream_frame(raw: bytes | str | Mapping[str, Any], *, now: int) -> StreamFrame:
    """Unwrap a Stream frame; its ``data`` is a JSON string (the doc's EVENT sample calls
    ``headers`` ``header``: both are accepted)."""
    frame = load_json(raw)
    frame_type = _str(frame, "type", required=True, max_chars=16)
    assert frame_type is not None
    if frame_type not in ("SYSTEM", "EVENT", "CALLBACK"):
        raise MalformedPayloadError(f"unknown stream frame type {frame_type!r}")
    headers_raw = frame.get("headers", frame.get("header")) or {}
    if not isinstance(headers_raw, dict):
        raise MalformedPayloadError("stream frame headers must be an object")
    headers = {str(k): str(v) for k, v in headers_raw.items() if isinstance(v, str | int)}
    raw_data = frame.get("data")
    data = load_json(raw_data) if isinstance(raw_data, str | dict) else {}
    topic = headers.get("topic", "")
    result = StreamFrame(frame_type, topic, headers.get("messageId"), headers, data)
    if frame_type == "CALLBACK" and topic in (ROBOT_TOPIC, ROBOT_DELEGATE_TOPIC):
        return replace(result, event=parse_robot_message(data, now=now))
    if frame_type == "CALLBACK" and topic == CARD_TOPIC:
        return replace(result, event=parse_card_callback(data, now=now))
    if frame_type == "EVENT":
        org = parse_event(
            data,
            event_type=headers.get("eventType"),
            event_id=headers.get("eventId"),
            corp_id=headers.get("eventCorpId"),
        )
        return replace(result, org_event=org)
    return result


def _parse_ack(data: Mapping[str, Any]) -> StreamAck:
    code = data.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        raise MalformedPayloadError("ack code must be an integer")
    headers = _obj(data, "headers")
    raw_data = data.get("data")
    parsed = load_json(raw_data) if isinstance(raw_data, str | dict) else None
    message = data.get("message")
    return StreamAck(code, _str(headers, "messageId"), str(message) if message is not None else "", parsed)


# --------------------------------------------------------------------------- any payload
def parse_payload(
    raw: bytes | str | Mapping[str, Any], *, now: int
) -> InboundEvent | OrgEvent | StreamFrame | StreamAck | RichText:
    """Recognise any DingTalk JSON we may meet (tests run every sample file through this)."""
    data = load_json(raw)
    if "specVersion" in data or ("type" in data and ("headers" in data or "header" in data)):
        return parse_stream_frame(data, now=now)
    if "code" in data and "headers" in data:
        return _parse_ack(data)
    if "msgtype" in data and "msgId" in data:
        return parse_robot_message(data, now=now)
    if data.get("type") == "actionCallback" or ("outTrackId" in data and "userId" in data):
        return parse_card_callback(data, now=now)
    if "EventType" in data or "eventType" in data:
        return parse_event(data)
    if "richText" in data:
        return parse_rich_text(data)
    raise MalformedPayloadError("not a DingTalk payload we know")
