"""The delivery worker: due outbox rows → the recipient's platform, paced and retried.

Each row is leased before sending, so several processes can deliver
side by side without sending anything twice. Per-recipient pacing keeps
WeCom's 30-messages-per-minute rule (the excess is silently dropped by the
platform, so we must never exceed it ourselves).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import timedelta

from bot.channels import Channel, TryLater, Undeliverable
from domain.clock import Clock
from domain.db import Database
from domain.services import outbox

log = logging.getLogger("salesbot.delivery")

#: WeCom's "task_id has been used" (PITFALLS.md, Cards): on a resend it proves the first send arrived.
TASK_ID_USED = 42014
PER_MINUTE = 29  # WeCom allows 30 per member per minute; keep one in hand
BACKOFF_CAP = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** max(0, attempts - 1)), BACKOFF_CAP)


# Receivers that may be down for hours (an ERP's nightly maintenance) get a fixed, longer schedule:
# the wait after each failed attempt. When it runs out the row fails (7 attempts, the last about
# 24 h after the first) and shows up in `salesbot webhooks failures`.
RETRY_SCHEDULES: dict[str, tuple[timedelta, ...]] = {
    "erp": (
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
        timedelta(hours=15),
    ),
}


def retry_delay(platform: str, attempts: int) -> timedelta | None:
    """The wait after failed attempt number ``attempts``; None means give up now."""
    schedule = RETRY_SCHEDULES.get(platform)
    if schedule is None:
        return backoff(attempts)  # chat platforms: short exponential backoff (outbox caps attempts)
    if attempts > len(schedule):
        return None
    return schedule[max(1, attempts) - 1]


class Deliverer:
    def __init__(
        self,
        db: Database,
        channels: dict[str, Channel],
        clock: Clock,
        per_minute: int = PER_MINUTE,
        *,
        only: Collection[str] | None = None,
        exclude: Collection[str] = (),
        lease: timedelta = outbox.SEND_LEASE,
    ) -> None:
        self.lease = lease  # SALESBOT_OUTBOX_LEASE_S: a send cut by a crash is tried again after this
        self.db = db
        self.channels = channels
        self.clock = clock
        self.per_minute = per_minute
        self.only = only
        self.exclude = exclude

    def run_once(self, limit: int = 50, should_yield: Callable[[], bool] | None = None) -> int:
        """Deliver what is due now; returns how many rows were handled.

        ``should_yield``: checked after each row; True (new rows were written meanwhile, e.g. a
        reply to a tap) ends the pass early, so the next pass picks the new reply first
        (``outbox.due_ids`` puts replies before the jobs' bulk) instead of after the whole batch.
        """
        with self.db.sessions() as session:
            ids = outbox.due_ids(session, self.clock.now(), limit, only=self.only, exclude=self.exclude)
        handled = 0
        for message_id in ids:
            if self.deliver_one(message_id):
                handled += 1
            if should_yield is not None and should_yield():
                break
        return handled

    def deliver_one(self, message_id: int) -> bool:
        with self.db.sessions() as session:
            now = self.clock.now()
            # "sending" when its lease ran out: the sender holding it stopped mid-send (SIGKILL, a crash).
            taken_over = outbox.status_of(session, message_id) == "sending"
            row = outbox.claim(session, message_id, now, self.lease)
            if row is None:
                return False
            note = None
            if taken_over:
                # The platform may have shown the first send. WeCom hides a resent text, markdown or image
                # (duplicate check, bot/wecom/channel.py) and refuses a card's used task_id; elsewhere
                # (DingTalk robot messages have no idempotency key) the row says so for `outbox list`.
                note = outbox.TAKEN_OVER
                log.warning(
                    "outbox send taken over",
                    extra={"outbox_id": row.id, "platform": row.platform, "msg_type": row.msg_type},
                )
            channel = self.channels.get(row.platform)
            if channel is None:
                # A notice for someone the org knows on a platform this install has no account for
                # (handlers.replies.user_targets writes one row per platform they are on): it can never
                # be sent, so it ends failed at once, visible in `salesbot outbox list`, instead of
                # being retried every minute for ever. Their copy on the configured platform goes out.
                log.warning("outbox row for an unconfigured platform", extra={"outbox_id": row.id, "platform": row.platform})
                outbox.mark_failed(session, row, None, f"no {row.platform} channel configured: not sent")
                return True
            if self.per_minute:
                # Every person the row reaches counts, also each of a card's "a|b" or a fallback's "a,b":
                # one of them at the limit holds the whole row back (WeCom would drop it silently).
                since = now - timedelta(seconds=60)
                for person in outbox.recipients(row):
                    if outbox.sent_to_since(session, row.platform, person, since) >= self.per_minute:
                        outbox.release(session, row, now + timedelta(seconds=3))
                        return False
            try:
                msgid = channel.deliver(session, row, now)
            except TryLater as exc:
                delay = retry_delay(row.platform, row.attempts)
                if delay is None:
                    log.error("outbox gave up", extra={"outbox_id": row.id, "errcode": exc.errcode})
                    outbox.mark_failed(
                        session, row, exc.errcode, f"gave up after {row.attempts} attempts: {exc.message}"
                    )
                    return True
                log.warning("outbox retry later", extra={"outbox_id": row.id, "errcode": exc.errcode})
                outbox.postpone(session, row, now + delay, exc.errcode, exc.message)
                return True
            except Undeliverable as exc:
                if exc.errcode == TASK_ID_USED and row.msg_type == "card" and row.attempts > 1:
                    # A resent card whose first send went through (its answer was lost): delivered.
                    outbox.mark_sent(session, row, self.clock.now(), None)
                    return True
                log.error(
                    "outbox failed", extra={"outbox_id": row.id, "errcode": exc.errcode, "error": exc.message}
                )
                outbox.mark_failed(session, row, exc.errcode, exc.message)
                return True
            outbox.mark_sent(session, row, self.clock.now(), msgid, note)
            return True
