"""What a handler gets: the event, the sender as a domain user, the unit of work, replies."""

from __future__ import annotations

from dataclasses import dataclass

from domain.models import User
from domain.uow import UnitOfWork
from handlers.events import InboundEvent
from handlers.replies import Replies, Target, user_target


@dataclass
class HandlerContext:
    event: InboundEvent
    uow: UnitOfWork
    sender: User | None
    replies: Replies

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
