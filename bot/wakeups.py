"""Wake-ups across processes over Redis pub/sub: a stored event reaches a worker at once.

Only a hint, never the work itself: the rows are in the database and every worker
polls it anyway (``BackgroundWorker.poll_s``), so a lost wake-up, a Redis restart or
no Redis at all only costs up to one poll interval. Without it a web process and a
``salesbot worker`` on another machine would add that interval to every reply.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from typing import Any

log = logging.getLogger("salesbot.wakeups")

CHANNEL = "salesbot:wake"


#: A wake-up for every queue (also what a message without a queue list means).
ALL = ("chat", "ocr", "delivery")


class RedisWakeups:
    """The message names the queues that have new work ("chat,ocr"), so a process wakes only
    the loops that serve them: an OCR worker is not sent to look for work after every chat
    reply, nor a chat worker's inbox loop after every send (each needless look is a query)."""

    def __init__(self, client: Any, channel: str = CHANNEL) -> None:
        self.client = client  # redis.Redis
        self.channel = channel

    def publish(self, queues: Collection[str] = ALL) -> None:
        try:
            self.client.publish(self.channel, ",".join(queues).encode())
        except Exception:  # noqa: BLE001 - a hint: the pollers will find the work anyway
            log.debug("wake-up publish failed", exc_info=True)

    @staticmethod
    def queues_of(data: Any) -> tuple[str, ...]:
        """The queues a message names; every queue for anything else (an older process's b"1")."""
        text = data.decode(errors="replace") if isinstance(data, bytes) else str(data)
        named = tuple(q for q in text.split(",") if q in ALL)
        return named or ALL

    def listen(self, on_wake: Callable[[Collection[str]], None], stop: threading.Event) -> threading.Thread:
        """A daemon thread calling ``on_wake(queues)`` for every wake-up until ``stop`` is set."""

        def run() -> None:
            while not stop.is_set():
                pubsub = None
                try:
                    pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(self.channel)
                    while not stop.is_set():
                        message = pubsub.get_message(timeout=1.0)
                        if message is not None:
                            on_wake(self.queues_of(message.get("data")))
                except Exception:  # noqa: BLE001 - Redis away: poll meanwhile, resubscribe later
                    log.warning("wake-up subscription lost; retrying", exc_info=True)
                    stop.wait(2.0)
                finally:
                    if pubsub is not None:
                        try:
                            pubsub.close()
                        except Exception:  # noqa: BLE001
                            log.debug("closing the wake-up subscription failed", exc_info=True)

        thread = threading.Thread(target=run, name="salesbot-wakeups", daemon=True)
        thread.start()
        return thread
