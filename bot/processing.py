"""Inbox processing: one stored event → one handler run → one commit.

The handler's domain changes, its outbox replies and the inbox row's
"done" mark share one transaction, and "done" is only written while our
lease holds. So a crash anywhere before the commit means the event is
processed again later (by us or another worker), and never twice.

A platform hook (``platform_events``, e.g. ``bot/dingtalk/orgevents.py`` for address-book
events) sees the stored payload first, in the same unit of work; when it takes the event,
no handler runs.  It exists because such events need platform APIs, which handlers may not call.

Order: ``inbox.claim_next`` leases only the head of a sender's line (see
``domain/services/inbox.py``), so one person's events run one at a time in
arrival order. An event that fails is retried with backoff and holds its
line meanwhile; once holding on would keep the person's later messages waiting
longer than ``hold`` after it arrived, it is set aside (retried on its own)
and the person is told that the later messages go ahead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from domain.clock import Clock
from domain.db import Database
from domain.errors import DomainError
from domain.links import PageLinks
from domain.services import inbox
from domain.services.customer_index import current_index
from domain.services.org import find_user_by_platform
from domain.uow import UnitOfWork
from handlers.context import HandlerContext
from handlers.conversation import ConversationStore, DatabaseConversations
from handlers.events import InboundEvent
from handlers.replies import Replies
from handlers.root import handle
from handlers.router import Router

log = logging.getLogger("salesbot.inbox")

SORRY = "抱歉，处理你的消息时出错了，我们会尽快修复。请稍后再试。"
SET_ASIDE = "你的消息{what}处理时出错，系统稍后会自动重试；你之后发来的消息先处理，不用等它。"
#: How long a failing event may hold back its sender's later events (after it arrived).
DEFAULT_HOLD = timedelta(seconds=60)

# (unit of work, stored inbox payload) → True when the hook applied the event itself.
PlatformEventHook = Callable[[UnitOfWork, dict[str, Any]], bool]


class InboxProcessor:
    def __init__(
        self,
        db: Database,
        router: Router,
        clock: Clock,
        lease: timedelta = inbox.DEFAULT_LEASE,
        conversations: ConversationStore | None = None,
        links: PageLinks | None = None,
        platform_events: PlatformEventHook | None = None,
        hold: timedelta = DEFAULT_HOLD,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.db = db
        self.hold = hold
        # Checked between events: a stopping worker finishes the event it holds and takes no more.
        self.should_stop = should_stop or (lambda: False)
        self.platform_events = platform_events
        self.router = router
        self.clock = clock
        self.lease = lease
        self.conversations: ConversationStore = conversations or DatabaseConversations()
        self.links = links
        # Told of each event just before its handler runs (the worker's chat-first signal, bot/chatfirst.py).
        self.on_event: Callable[[InboundEvent], None] | None = None

    def warm_up(self) -> None:
        """Build this process's customer index (and its pinyin and abbreviation tables) now,
        so that no rep's first message waits for it (seconds at 100,000 customers)."""
        with self.db.sessions() as session:
            current_index(session)

    def run_once(self, limit: int = 50) -> int:
        """Lease and handle line heads one at a time (each lease only when it is about to run)."""
        handled = 0
        while handled < limit and not self.should_stop():
            with self.db.sessions() as session:
                claimed = inbox.claim_next(session, self.clock.now(), self.lease)
            if claimed is None:
                break
            self._handle(*claimed)
            handled += 1
        return handled

    def process(self, event_id: int) -> bool:
        """Process one inbox row if we can lease it (the head of its line); True if handled now."""
        with self.db.sessions() as session:
            lease_until = inbox.claim(session, event_id, self.clock.now(), self.lease)
        if lease_until is None:
            return False
        return self._handle(event_id, lease_until)

    def _handle(self, event_id: int, lease_until: datetime) -> bool:
        with self.db.sessions() as session:
            row = inbox.load(session, event_id)
            if row is None:
                return False
            payload = dict(row.payload)
            event = InboundEvent.from_dict(payload)
            attempts, received_at, aside = row.attempts, row.received_at, inbox.is_set_aside(row)
        cause = f"{event.platform}:{event.dedupe_key}"
        if self.on_event is not None:
            self.on_event(event)
        try:
            return self._run(event_id, lease_until, event, cause, payload)
        except Exception as exc:  # noqa: BLE001 - any bug must not lose the event
            log.exception("inbox event failed", extra={"inbox_id": event_id, "attempts": attempts})
            retry_at = self.clock.now() + timedelta(seconds=30 * attempts)
            give_up = attempts >= inbox.MAX_ATTEMPTS
            # Holding the line until the retry would keep later messages waiting too long: step aside.
            set_aside = not give_up and not aside and retry_at > received_at + self.hold
            with self.db.sessions() as session:
                inbox.fail(
                    session, event_id, lease_until, repr(exc), None if give_up else retry_at, set_aside=set_aside
                )
            if give_up:
                self._apologise(event_id, event, cause)
            elif set_aside:
                self._tell_set_aside(event, cause)
            return True

    def _run(
        self, event_id: int, lease_until: datetime, event: InboundEvent, cause: str, payload: dict[str, Any]
    ) -> bool:
        with UnitOfWork(self.db, self.clock, cause=cause) as uow:
            if self.platform_events is not None and self.platform_events(uow, payload):
                return self._finish(uow, event_id, lease_until)
            sender = find_user_by_platform(uow, event.platform, event.sender_id)
            uow.act_as(sender, sender.name if sender else f"{event.platform}:{event.sender_id}")
            ctx = HandlerContext(
                event=event,
                uow=uow,
                sender=sender,
                replies=Replies(uow.session, self.clock, cause),
                conversations=self.conversations,
                links=self.links,
            )
            try:
                handle(self.router, ctx)
            except DomainError as exc:
                # The rule said no: undo the handler's changes, tell the user why, and finish.
                # (A full rollback, not a SAVEPOINT: on SQLite a savepoint opens a read snapshot
                # that cannot later be upgraded to a write while another process writes.)
                uow.rollback()
                ctx.replies = Replies(uow.session, self.clock, cause + ":error")
                ctx.say(exc.message)
            return self._finish(uow, event_id, lease_until)

    def _finish(self, uow: UnitOfWork, event_id: int, lease_until: datetime) -> bool:
        """Mark the row done and commit everything with it, only while our lease holds."""
        if not inbox.finish(uow.session, event_id, lease_until, self.clock.now()):
            log.warning("inbox lease lost; another worker owns the event", extra={"inbox_id": event_id})
            return False
        uow.commit()
        return True

    def _apologise(self, event_id: int, event: InboundEvent, cause: str) -> None:
        self._say(event, cause, ":failed", SORRY)

    def _tell_set_aside(self, event: InboundEvent, cause: str) -> None:
        text = (event.text or "").strip()
        what = f"「{text[:20]}{'…' if len(text) > 20 else ''}」" if text else ""
        self._say(event, cause, ":aside", SET_ASIDE.format(what=what))

    def _say(self, event: InboundEvent, cause: str, suffix: str, content: str) -> None:
        with UnitOfWork(self.db, self.clock, cause=cause) as uow:
            sender = find_user_by_platform(uow, event.platform, event.sender_id)
            replies = Replies(uow.session, self.clock, cause + suffix)
            ctx = HandlerContext(event, uow, sender, replies, self.conversations)
            ctx.say(content)
            uow.commit()
