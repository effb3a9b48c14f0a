"""The background worker of a serve process: drains the inbox and the outbox.

Every ``salesbot serve`` process runs one. Leases in the database make it
safe to run many side by side (several workers, several machines). A new
inbox row wakes it at once; otherwise it polls, which is also how rows
left behind by a crashed process are picked up once their lease ends.
"""

from __future__ import annotations

import logging
import threading

from bot.delivery import Deliverer
from bot.processing import InboxProcessor

log = logging.getLogger("salesbot.worker")


class BackgroundWorker:
    def __init__(self, processor: InboxProcessor, deliverer: Deliverer, poll_s: float = 0.5) -> None:
        self.processor = processor
        self.deliverer = deliverer
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="salesbot-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> int:
        """One pass over both queues (tests and `salesbot worker --once` use this)."""
        return self.processor.run_once() + self.deliverer.run_once()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                busy = self.run_once()
            except Exception:  # noqa: BLE001 - the loop must survive a bad row or a database hiccup
                log.exception("worker pass failed")
                busy = 0
            if not busy:
                self._wake.wait(self.poll_s)
