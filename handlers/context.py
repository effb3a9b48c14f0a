"""What a handler gets: the event, the sender as a domain user, the unit of work, replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from domain.links import PageLinks
from domain.models import User
from domain.uow import UnitOfWork
from handlers.conversation import DEFAULT_TIMEOUT, ConversationStore, DatabaseConversations
from handlers.events import InboundEvent
from handlers.replies import Replies, Target, user_target


@dataclass
class HandlerContext:
    event: InboundEvent
    uow: UnitOfWork
    sender: User | None
    replies: Replies
    conversations: ConversationStore = field(default_factory=DatabaseConversations)
    timeout: timedelta = DEFAULT_TIMEOUT
    links: PageLinks | None = None  # signed H5 page links for cards; None when pages are off

    @property
    def state(self) -> dict[str, Any] | None:
        """The pending conversation with the sender, if any (expired ones read as None)."""
        return self.conversations.get(self.uow, self.event.platform, self.event.sender_id)

    def set_state(self, state: dict[str, Any]) -> None:
        self.conversations.set(self.uow, self.event.platform, self.event.sender_id, state, self.timeout)

    def clear_state(self) -> None:
        self.conversations.clear(self.uow, self.event.platform, self.event.sender_id)

    @property
    def me(self) -> Target:
        """The sender's address on the platform the event came from."""
        if self.sender is not None:
            target = user_target(self.sender, self.event.platform)
            if target is not None:
                return target
        return Target(self.event.platform, "user", self.event.sender_id)

    def say(self, content: str) -> None:
        self.replies.text(self.me, content)
