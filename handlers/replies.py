"""Replies: what a handler or job wants said, written to the outbox.

Handlers never call a platform. They address domain users (or a team chat);
this module turns that into outbox rows for the right platform. Dedupe keys
are derived from the cause (an inbound event, a job occurrence) and a
running number, so processing the same cause again writes nothing new.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from cards.model import Card
from cards.serialize import card_to_dict
from domain.clock import Clock
from domain.models import Team, User
from domain.services import cardstate, outbox


@dataclass(frozen=True)
class Target:
    """Where a message goes on one platform: a user, an app group chat, or a robot webhook."""

    platform: str
    kind: str  # user / chat / webhook
    address: str


def user_target(user: User, platform: str | None = None) -> Target | None:
    """A user's address, on ``platform`` if given, else where they last wrote from, else WeCom, else DingTalk.

    A person with both a WeCom and a DingTalk identity is one user; notices follow them
    to the platform they actually use.
    """
    order = [platform] if platform else [p for p in (user.last_platform, "wecom", "dingtalk") if p]
    for p in order:
        address = user.wecom_userid if p == "wecom" else user.dingtalk_userid
        if address:
            return Target(p, "user", address)
    return None


def user_targets(user: User) -> list[Target]:
    """Where a notice reaches ``user``: the platform they last wrote from, else every one the org knows.

    Someone who never wrote to the bot (``last_platform`` unknown) but is in the org on
    WeCom and DingTalk gets it on both, rather than on a guess or on none.
    """
    if user.last_platform:
        known = user_target(user, user.last_platform)
        if known is not None:
            return [known]
    return [
        Target(p, "user", address)
        for p, address in (("wecom", user.wecom_userid), ("dingtalk", user.dingtalk_userid))
        if address
    ]


def team_targets(team: Team) -> list[Target]:
    """A team's group chats; the app chat is preferred to the robot webhook on each platform."""
    out: list[Target] = []
    if team.wecom_chat_id:
        out.append(Target("wecom", "chat", team.wecom_chat_id))
    elif team.wecom_webhook_key:
        out.append(Target("wecom", "webhook", team.wecom_webhook_key))
    if team.dingtalk_conversation_id:
        out.append(Target("dingtalk", "chat", team.dingtalk_conversation_id))
    elif team.dingtalk_webhook_url:
        out.append(Target("dingtalk", "webhook", team.dingtalk_webhook_url))
    return out


class Replies:
    """Writes replies for one cause into the outbox of the current transaction."""

    def __init__(self, session: Session, clock: Clock, cause: str) -> None:
        self.session = session
        self.clock = clock
        self.cause = cause
        self._n = 0

    def _key(self, suffix: str | None) -> str:
        self._n += 1
        return f"{self.cause}#{suffix or self._n}"

    def _queue(
        self,
        to: Target,
        msg_type: str,
        payload: dict[str, Any],
        *,
        key: str | None = None,
        card_id: str | None = None,
    ) -> bool:
        """One outbox row for this cause; False when its dedupe key was already written."""
        row = outbox.enqueue(
            self.session,
            dedupe_key=key or self._key(None),
            platform=to.platform,
            target_kind=to.kind,
            target=to.address,
            msg_type=msg_type,
            payload=payload,
            now=self.clock.now(),
            card_id=card_id,
            cause_event=self.cause,
        )
        return row is not None

    def text(self, to: Target, content: str, *, key: str | None = None) -> bool:
        """Queue a text message. ``key`` overrides the dedupe key (e.g. one notice per day)."""
        return self._queue(to, "text", {"content": content}, key=key)

    def markdown(self, to: Target, content: str, *, key: str | None = None) -> bool:
        return self._queue(to, "markdown", {"content": content}, key=key)

    def image(self, to: Target, data: bytes, filename: str = "image.png", *, key: str | None = None) -> bool:
        """Queue a picture (e.g. the leaderboard chart); the channel uploads it as the platform needs."""
        payload = {"data_b64": base64.b64encode(data).decode("ascii"), "filename": filename}
        return self._queue(to, "image", payload, key=key)

    def card(
        self,
        to: Target,
        card: Card,
        *,
        purpose: str,
        entity: tuple[str, str] | None = None,
        key: str | None = None,
    ) -> None:
        """Send a new card and remember it, so a later tap can be recognised and the card updated."""
        content = card_to_dict(card)
        cardstate.record_card(
            self.session,
            card_id=card.card_id,
            platform=to.platform,
            purpose=purpose,
            content=content,
            recipients=[to.address],
            now=self.clock.now(),
            entity_type=entity[0] if entity else None,
            entity_id=entity[1] if entity else None,
        )
        self._queue(to, "card", {"card": content}, card_id=card.card_id, key=key)

    def card_many(
        self,
        targets: list[Target],
        card: Card,
        *,
        purpose: str,
        entity: tuple[str, str] | None = None,
        key: str | None = None,
    ) -> list[str]:
        """One card to several people: one send per platform, so one task_id per platform.

        WeCom refuses a task_id it has seen before, so the copies for everyone on one
        platform go out in a single message (``touser`` "a|b"); an update later changes
        every copy at once. Returns the card ids used (one per platform).
        """
        by_platform: dict[str, list[str]] = {}
        for t in targets:
            addresses = by_platform.setdefault(t.platform, [])
            if t.address not in addresses:
                addresses.append(t.address)
        ids: list[str] = []
        for n, (platform, addresses) in enumerate(sorted(by_platform.items())):
            card_id = card.card_id if n == 0 else f"{card.card_id}-{platform[0]}"
            platform_card = card if card_id == card.card_id else replace(card, card_id=card_id)
            content = card_to_dict(platform_card)
            cardstate.record_card(
                self.session,
                card_id=card_id,
                platform=platform,
                purpose=purpose,
                content=content,
                recipients=addresses,
                now=self.clock.now(),
                entity_type=entity[0] if entity else None,
                entity_id=entity[1] if entity else None,
            )
            to = Target(platform, "user", "|".join(addresses))
            row_key = f"{key}:{platform}" if key else None
            self._queue(to, "card", {"card": content}, card_id=card_id, key=row_key)
            ids.append(card_id)
        return ids

    def revise_unsent_card(self, card: Card, *, status: str = "open") -> bool:
        """Change a card whose first send has not left yet, so its recipients only ever see this version.

        False once a sender has taken the send (or it went out): then ``update_card``, which the
        outbox sends after the card (one recipient's messages leave in the order written).
        """
        record = cardstate.get_card(self.session, card.card_id)
        if record is None:
            raise ValueError(f"unknown card {card.card_id}")
        content = card_to_dict(card)
        if not outbox.revise_unsent_card(self.session, card.card_id, content):
            return False
        cardstate.set_content(self.session, record, content, self.clock.now(), status)
        return True

    def update_card(
        self, card: Card, *, status: str = "decided", best_effort: bool = False, no_fallback: bool = False
    ) -> None:
        """Change a sent card for everyone who received it (WeCom atall=1).

        ``best_effort``: an intermediate state a platform with a limited number of updates
        (WeCom: one per response_code) may skip, keeping its last update for the final state.
        ``no_fallback``: when the card cannot be updated, send nothing instead (the
        recipients are told by another message).
        """
        record = cardstate.get_card(self.session, card.card_id)
        if record is None:
            raise ValueError(f"unknown card {card.card_id}")
        content = card_to_dict(card)
        cardstate.set_content(self.session, record, content, self.clock.now(), status)
        target = Target(record.platform, "card", ",".join(record.recipients))
        payload: dict[str, Any] = {"card": content}
        if best_effort:
            payload["best_effort"] = True
        if no_fallback:
            payload["no_fallback"] = True
        self._queue(target, "card_update", payload, card_id=card.card_id)
