"""The channel interface: one adapter per platform behind it (WeCom now, DingTalk next).

The delivery worker hands each due outbox row to the channel of its
platform. A channel sends it and returns the platform's message id, or says
why not: ``TryLater`` (busy, rate limited, network) or ``Undeliverable``
(a permanent error, recorded with its errcode on the row).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from domain.models import OutboxMessage


class TryLater(Exception):
    def __init__(self, errcode: int | None, message: str) -> None:
        super().__init__(message)
        self.errcode = errcode
        self.message = message


class Undeliverable(Exception):
    def __init__(self, errcode: int | None, message: str) -> None:
        super().__init__(message)
        self.errcode = errcode
        self.message = message


class Channel(Protocol):
    platform: str

    def download(self, media_id: str) -> bytes:
        """Bytes of a picture or file the user sent (raises on expired or unknown media)."""
        ...

    def deliver(self, session: Session, row: OutboxMessage, now: datetime) -> str | None:
        """Send one outbox row; may write card state to ``session`` (the caller commits)."""
        ...
