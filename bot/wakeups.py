"""Wake-ups across processes over Redis pub/sub: a stored event reaches a worker at once.

Only a hint, never the work itself: the rows are in the database and every worker
polls it anyway (``BackgroundWorker.poll_s``), so a lost wake-up, a Redis restart or
no Redis at all only costs up to one poll interval. Without it a web process and a
``salesbot worker`` on another machine would add that interval to every reply.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("salesbot.wakeups")

CHANNEL = "salesbot:wake"


class RedisWakeups:
    def __init__(self, client: Any, channel: str = CHANNEL) -> None:
        self.client = client  # redis.Redis
        self.channel = channel

    def publish(self) -> None:
        try:
            self.client.publish(self.channel, b"1")
        except Exception:  # noqa: BLE001 - a hint: the pollers will find the work anyway
            log.debug("wake-up publish failed", exc_info=True)

    def listen(self, on_wake: Callable[[], None], stop: threading.Event) -> threading.Thread:
        """A daemon thread calling ``on_wake`` for every wake-up until ``stop`` is set."""

        def run() -> None:
            while not stop.is_set():
                pubsub = None
                try:
                    pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(self.channel)
                    while not stop.is_set():
                        if pubsub.get_message(timeout=1.0) is not None:
                            on_wake()
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
