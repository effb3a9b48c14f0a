"""The one platform-neutral card.

Handlers and jobs describe *what* a card says (title, key/value lines, buttons with
callback keys, a decision status); ``cards/wecom.py`` (and the DingTalk renderer) decide
*how* each platform shows it. Keep this small: anything a platform cannot show must be
either representable here for every platform or left out.

Only stdlib here; the renderers validate platform limits (button counts, id charsets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Button", "ButtonStyle", "Card", "Field", "Link", "Select", "SelectOption"]

ButtonStyle = Literal["primary", "default", "danger"]


@dataclass(frozen=True)
class Field:
    """One key/value line, e.g. ``Field("客户", "华为")``."""

    label: str
    value: str


@dataclass(frozen=True)
class Button:
    """A callback button. ``action`` comes back verbatim as the tap's key (WeCom EventKey)."""

    text: str
    action: str
    style: ButtonStyle = "default"


@dataclass(frozen=True)
class Link:
    """Where tapping the card (or its link line) leads."""

    text: str
    url: str


@dataclass(frozen=True)
class SelectOption:
    id: str
    text: str


@dataclass(frozen=True)
class Select:
    """A single-choice question (dropdown). The answer comes back as a SelectedItem
    whose ``question_key`` is ours and whose ``option_ids`` holds the chosen ``id``."""

    question_key: str
    title: str
    options: list[SelectOption]
    selected_id: str | None = None  # pre-selected option; platforms default to the first


@dataclass(frozen=True)
class Card:
    """A message card.

    ``status`` set means the card is *decided* (e.g. "已同意 · 李娜 11-25 14:03"): renderers
    show it instead of live buttons. ``card_id`` is the stable id we assign (WeCom task_id,
    DingTalk outTrackId) and must stay the same when the card is updated.

    ``selects``: 0-3 single-choice questions; a card with selects needs at least one button
    (the button that submits the answers).
    """

    title: str
    card_id: str
    subtitle: str | None = None  # one short line under the title
    description: str | None = None  # a paragraph of body text
    fields: list[Field] = field(default_factory=list)
    quote_text: str | None = None  # quoted text, e.g. the rep's remark or a rejection reason
    buttons: list[Button] = field(default_factory=list)
    selects: list[Select] = field(default_factory=list)
    status: str | None = None
    link: Link | None = None
    image_url: str | None = None
    source: str = "销售助手"

    @property
    def decided(self) -> bool:
        return bool(self.status)

    @property
    def interactive(self) -> bool:
        """True when the card carries something a user can tap that calls us back."""
        return bool(self.buttons or self.selects)
