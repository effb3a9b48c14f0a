"""What a handler gets: the event, the sender as a domain user, the unit of work, replies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from domain.links import PageLinks
from domain.models import User
from domain.uow import UnitOfWork
from handlers.conversation import DEFAULT_TIMEOUT, ConversationStore, DatabaseConversations
from handlers.events import InboundEvent
from handlers.replies import Replies, Target, user_target

T = TypeVar("T")
_UNREAD = object()


@dataclass
class HandlerContext:
    event: InboundEvent
    uow: UnitOfWork
    sender: User | None
    replies: Replies
    conversations: ConversationStore = field(default_factory=DatabaseConversations)
    timeout: timedelta = DEFAULT_TIMEOUT
    links: PageLinks | None = None  # signed H5 page links for cards; None when pages are off
    _once: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _state: Any = field(default=_UNREAD, init=False, repr=False)

    def once(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()`` at most once per event: what several routes' filters ask (the visit parse) is parsed once."""
        if name not in self._once:
            self._once[name] = compute()
        return self._once[name]

    @property
    def state(self) -> dict[str, Any] | None:
        """The pending conversation with the sender, if any (expired ones read as None).

        Read from the store once per event; what this event sets or clears is what it reads after.
        """
        if self._state is _UNREAD:
            self._state = self.conversations.get(self.uow, self.event.platform, self.event.sender_id)
        return dict(self._state) if self._state is not None else None

    def set_state(self, state: dict[str, Any]) -> None:
        self.conversations.set(self.uow, self.event.platform, self.event.sender_id, state, self.timeout)
        self._state = dict(state)

    def clear_state(self) -> None:
        self.conversations.clear(self.uow, self.event.platform, self.event.sender_id)
        self._state = None

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
