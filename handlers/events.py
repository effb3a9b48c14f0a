"""The platform-neutral inbound event.

Every platform adapter under ``bot/`` turns its callback payload into one
``InboundEvent``; the inbox stores it (as JSON) and the router dispatches it.
Handlers never see WeCom XML or DingTalk JSON, so adding a platform never
touches a handler.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    LOCATION = "location"
    CARD_ACTION = "card_action"
    ENTER_AGENT = "enter_agent"
    OTHER = "other"  # logged and acknowledged, never answered


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float
    scale: int | None = None
    label: str | None = None


@dataclass(frozen=True)
class SelectedItem:
    """One answered question of a vote / multiple-choice card."""

    question_key: str
    option_ids: tuple[str, ...]


@dataclass(frozen=True)
class CardAction:
    """A tap on an interactive card.

    ``key`` is the button / submit key we put on the card, ``task_id`` the
    card's id (WeCom task_id, DingTalk outTrackId). ``response_code`` is
    WeCom's single-use code for updating this user's copy.
    """

    key: str
    task_id: str
    card_type: str | None = None
    response_code: str | None = None
    selected: tuple[SelectedItem, ...] = ()
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InboundEvent:
    """One thing a user did in chat, as the platform told us.

    ``dedupe_key`` is unique per platform: WeCom MsgId for messages, or
    FromUserName+CreateTime+Event+EventKey+TaskId for events.
    ``created_at`` is the platform's timestamp (unix seconds, UTC).
    """

    platform: str  # "wecom" | "dingtalk"
    dedupe_key: str
    kind: EventKind
    sender_id: str  # platform user id (WeCom UserID, DingTalk staffId)
    created_at: int
    text: str | None = None
    media_id: str | None = None  # WeCom MediaId / DingTalk downloadCode
    pic_url: str | None = None
    location: Location | None = None
    card_action: CardAction | None = None
    conversation_id: str | None = None  # group chat id, None for one-to-one
    raw_type: str | None = None  # platform MsgType / Event, for logs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InboundEvent:
        loc = data.get("location")
        act = data.get("card_action")
        card_action = None
        if act:
            card_action = CardAction(
                key=act["key"],
                task_id=act["task_id"],
                card_type=act.get("card_type"),
                response_code=act.get("response_code"),
                selected=tuple(
                    SelectedItem(s["question_key"], tuple(s["option_ids"])) for s in act.get("selected", ())
                ),
                params=dict(act.get("params") or {}),
            )
        return cls(
            platform=data["platform"],
            dedupe_key=data["dedupe_key"],
            kind=EventKind(data["kind"]),
            sender_id=data["sender_id"],
            created_at=int(data["created_at"]),
            text=data.get("text"),
            media_id=data.get("media_id"),
            pic_url=data.get("pic_url"),
            location=Location(**loc) if loc else None,
            card_action=card_action,
            conversation_id=data.get("conversation_id"),
            raw_type=data.get("raw_type"),
        )
