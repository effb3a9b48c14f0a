"""One face for both chat platforms, so a scenario is written once and run on WeCom and DingTalk.

``ChatPlatform`` is what a scenario test needs: people write and tap, and the test reads what
they see (texts, cards in their current state, the team's group chat) through neutral views.
Each adapter wraps its stack (``wecom_stack`` / ``dingtalk_stack``) and speaks to it the way the
platform's own tests do.  People are named by their user key ("zhangwei"); ``person(key)`` is
their id on the platform.

On DingTalk the people involved get a DingTalk id and lose their WeCom id (as in
test_dingtalk_parity.py): a person with both ids is reached on the platform they last wrote
from, else on WeCom, and a DingTalk stack has no WeCom.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from domain.clock import FixedClock
from domain.db import Database
from domain.models import Team, User
from jobs.catalog import all_jobs
from jobs.runs import RunOutcome, execute
from tests.e2e.dingtalk_stack import DingTalkStack, dingtalk_stack
from tests.e2e.test_dingtalk_approvals import DINGTALK_IDS
from tests.e2e.test_dingtalk_parity import _dingtalk_only
from tests.e2e.wecom_stack import WeComStack, wecom_stack

PLATFORMS = ["wecom", "dingtalk"]


@dataclass(frozen=True)
class CardView:
    """A card as one person sees it now."""

    id: str  # WeCom task_id / DingTalk outTrackId
    title: str
    subtitle: str
    fields: dict[str, str]  # label → text
    buttons: list[str]  # texts of the buttons the person can still tap
    decided: str | None  # the grey status line once decided ("已同意 · 王芳"), else None
    quote: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    links: dict[str, str] = field(default_factory=dict)  # link text → the page it opens


@dataclass(frozen=True)
class GroupView:
    markdown: list[str]  # markdown texts, oldest first
    images: int


class ChatPlatform(Protocol):
    name: str

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> FixedClock: ...

    def person(self, key: str) -> str: ...

    def send_text(self, person: str, text: str) -> None: ...

    def send_photo(self, person: str, image: bytes) -> None: ...

    def tap(self, person: str, card: CardView, button: str, selected: Mapping[str, str] | None = None) -> None: ...

    def prepare_tap(self, person: str, card: CardView, button: str) -> Callable[[], int]:
        """Register a tap with the platform now (the card still has the button); the returned
        function posts it to salesbot, once, without retries, and gives the HTTP status."""
        ...

    def texts(self, person: str) -> list[str]: ...

    def cards(self, person: str, title_prefix: str = "") -> list[CardView]: ...

    def group_messages(self, team: str) -> GroupView: ...

    def run_job(self, name: str, at: datetime, *, rerun: bool = False) -> RunOutcome: ...

    def wake(self) -> None: ...

    def make_worker(self) -> Any: ...

    def wait_until(self, condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any: ...


class _Base:
    name: str
    stack: WeComStack | DingTalkStack
    ids: dict[str, str]

    @property
    def db(self) -> Database:
        return self.stack.db

    @property
    def clock(self) -> FixedClock:
        return self.stack.clock

    def person(self, key: str) -> str:
        return self.ids[key]

    def texts(self, person: str) -> list[str]:
        return self.stack.texts_of(person)

    def wake(self) -> None:
        self.stack.runtime_worker_wake()

    def make_worker(self) -> Any:
        """A further outbox/inbox worker, for tests that drive the workers themselves."""
        return self.stack.runtime.make_worker()

    def wait_until(self, condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
        return self.stack.wait_until(condition, timeout, what)

    def run_job(self, name: str, at: datetime, *, rerun: bool = False) -> RunOutcome:
        """What the scheduler does at ``at``: claim the occurrence, run the job, record the run."""
        self.clock.set(at)
        links = self.stack.runtime.page_links  # signed links on the jobs' cards, as the scheduler gives them
        outcome = execute(self.db, self.clock, all_jobs()[name], at, rerun=rerun, links=links)
        self.wake()
        return outcome

    def _team(self, name: str) -> Team:
        with self.db.sessions() as s:
            team = s.scalar(select(Team).where(Team.name == name))
            assert team is not None, name
            s.expunge(team)
            return team

    def _members(self, team: str) -> list[str]:
        with self.db.sessions() as s:
            keys = s.scalars(select(User.key).join(Team, User.team_id == Team.id).where(Team.name == team))
            return [self.ids[k] for k in keys if k in self.ids]


class WeComPlatform(_Base):
    name = "wecom"
    stack: WeComStack

    def __init__(self, stack: WeComStack) -> None:
        self.stack = stack
        with stack.db.sessions() as s:
            self.ids = {u.key: u.wecom_userid for u in s.scalars(select(User)) if u.wecom_userid}
            chats = [(t.name, t.wecom_chat_id) for t in s.scalars(select(Team)) if t.wecom_chat_id]
        for team, chat_id in chats:  # the group chats the org file names exist in WeCom
            stack.fake.add_appchat(chat_id, self._members(team), name=team)

    def send_text(self, person: str, text: str) -> None:
        self.stack.driver.send_text(person, text)

    def send_photo(self, person: str, image: bytes) -> None:
        self.stack.driver.send_image(person, self.stack.fake.add_media(image, "image/jpeg"))

    def _key(self, card: CardView, button: str) -> str:
        return next(b["key"] for b in card.raw.get("button_list", []) if b["text"] == button)

    def tap(self, person: str, card: CardView, button: str, selected: Mapping[str, str] | None = None) -> None:
        chosen = {k: [v] for k, v in selected.items()} if selected else None
        self.stack.driver.tap_card(person, card.id, self._key(card, button), selected=chosen)

    def prepare_tap(self, person: str, card: CardView, button: str) -> Callable[[], int]:
        key = self._key(card, button)
        self.clock.advance(timedelta(seconds=1))  # a distinct tap: WeCom stamps each with its CreateTime
        code = self.stack.fake.click_card(person, card.id, key)
        xml = self.stack.driver.card_event_xml(person, card.id, key, code, "button_interaction", None)
        return lambda: self.stack.driver.post_raw(xml, retry=False).status_code

    def cards(self, person: str, title_prefix: str = "") -> list[CardView]:
        out = []
        for m in self.stack.cards_of(person):
            card: dict[str, Any] = m.card or m.body
            title = card.get("main_title", {}).get("title", "")
            if not title.startswith(title_prefix):
                continue
            record = self.stack.fake.cards.get(m.task_id or "")
            copy = record.copies.get(person) if record is not None else None
            decided = None
            if copy is not None and copy.greyed_out:
                decided = copy.card.get("replace_text") or copy.replace_name
            out.append(
                CardView(
                    id=m.task_id or "",
                    title=title,
                    subtitle=card.get("main_title", {}).get("desc", ""),
                    fields={f["keyname"]: f.get("value", "") for f in card.get("horizontal_content_list", [])},
                    buttons=[] if decided else [b["text"] for b in card.get("button_list", [])],
                    decided=decided,
                    quote=card.get("quote_area", {}).get("quote_text", ""),
                    raw=card,
                    links={
                        f["keyname"]: f["url"] for f in card.get("horizontal_content_list", []) if f.get("type") == 1
                    },
                )
            )
        return out

    def group_messages(self, team: str) -> GroupView:
        chat_id = self._team(team).wecom_chat_id
        assert chat_id is not None
        messages = self.stack.fake.appchat_messages(chat_id)
        return GroupView(
            markdown=[m.body["content"] for m in messages if m.msgtype == "markdown"],
            images=sum(m.msgtype == "image" for m in messages),
        )


class DingTalkPlatform(_Base):
    name = "dingtalk"
    stack: DingTalkStack

    def __init__(self, stack: DingTalkStack) -> None:
        self.stack = stack
        _dingtalk_only(stack, **DINGTALK_IDS)
        self.ids = dict(DINGTALK_IDS)
        with stack.db.sessions() as s:
            groups = [(t.name, t.dingtalk_conversation_id) for t in s.scalars(select(Team)) if t.dingtalk_conversation_id]
        for team, conversation_id in groups:
            stack.fake.add_group(conversation_id, self._members(team))

    def send_text(self, person: str, text: str) -> None:
        assert self.stack.driver.send_text(person, text).status_code == 200

    def send_photo(self, person: str, image: bytes) -> None:
        assert self.stack.driver.send_picture(person, image, "image/jpeg").status_code == 200

    @staticmethod
    def _actions(card: Mapping[str, str]) -> dict[str, str]:
        """Text → action of the buttons the person can tap (btnN_* slots, hidden once decided)."""
        if card.get("decided") == "true":
            return {}
        return {card[f"btn{n}_text"]: card[f"btn{n}_action"] for n in range(1, 7) if card.get(f"btn{n}_text")}

    def tap(self, person: str, card: CardView, button: str, selected: Mapping[str, str] | None = None) -> None:
        # A choice is made in the card's select n (the one asking ``question_key``); the template
        # sends it with the button as ``select<n>``.
        slot = {card.raw.get(f"sel{n}_key"): f"select{n}" for n in range(1, 4)}
        choices = {slot[key]: value for key, value in (selected or {}).items()}
        r = self.stack.driver.tap_card(person, card.id, self._actions(card.raw)[button], choices=choices)
        assert r.status_code == 200

    def prepare_tap(self, person: str, card: CardView, button: str) -> Callable[[], int]:
        action = self._actions(card.raw)[button]
        body = self.stack.driver.tap_body(person, card.id, action)  # the tap is possible: nothing decided yet
        driver = self.stack.driver
        return lambda: driver.post_card(body, {"Content-Type": "application/json"}, retry=False).status_code

    def cards(self, person: str, title_prefix: str = "") -> list[CardView]:
        out = []
        for m in self.stack.cards_of(person):
            card = m.card
            if card is None or not card.get("title", "").startswith(title_prefix):
                continue
            out.append(
                CardView(
                    id=m.out_track_id or "",
                    title=card["title"],
                    subtitle=card.get("subtitle", ""),
                    fields={f["label"]: f["text"] for f in json.loads(card.get("fields") or "[]")},
                    buttons=list(self._actions(card)),
                    decided=card.get("status") if card.get("decided") == "true" else None,
                    quote=card.get("quote", ""),
                    raw=card,
                    links={card["link_text"]: card["link_url"]} if card.get("link_url") else {},
                )
            )
        return out

    def group_messages(self, team: str) -> GroupView:
        conversation_id = self._team(team).dingtalk_conversation_id
        assert conversation_id is not None
        messages = self.stack.fake.group_messages(conversation_id)
        return GroupView(
            markdown=[m.body["text"] for m in messages if m.msgtype == "markdown"],
            images=sum(m.msgtype == "image" for m in messages),
        )


@contextmanager
def open_platform(
    name: str, db_url: str, *, worker: bool = True, h5_secret: str | None = None
) -> Iterator[ChatPlatform]:
    """A running salesbot on the fake ``name`` platform, with the example org loaded
    (``h5_secret``: pages on, so cards carry signed links)."""
    if name == "wecom":
        with wecom_stack(db_url, worker=worker, h5_secret=h5_secret) as w:
            yield WeComPlatform(w)
    elif name == "dingtalk":
        with dingtalk_stack(db_url, worker=worker, h5_secret=h5_secret) as d:
            yield DingTalkPlatform(d)
    else:
        raise ValueError(name)


def said(chat: ChatPlatform, person: str, fragment: str, timeout: float = 10.0) -> str:
    """The first text ``person`` got containing ``fragment`` (waits for it)."""
    text: str = chat.wait_until(
        lambda: next((t for t in chat.texts(person) if fragment in t), None), timeout, what=f"{person}: {fragment}"
    )
    return text


def settle(chat: ChatPlatform, seconds: float = 0.5) -> None:
    """Give the worker a moment to send anything else it would send."""
    chat.wake()
    time.sleep(seconds)
