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
from bot.jobs_runner import JobRunner
from bot.processing import InboxProcessor

log = logging.getLogger("salesbot.worker")


class BackgroundWorker:
    def __init__(
        self,
        processor: InboxProcessor,
        deliverer: Deliverer,
        jobs: JobRunner | None = None,
        poll_s: float = 0.5,
        slow_deliverer: Deliverer | None = None,
    ) -> None:
        self.processor = processor
        self.deliverer = deliverer
        self.jobs = jobs
        # Deliveries to outside systems (ERP webhooks) can hang for seconds: their own thread,
        # so a slow ERP never holds back a chat reply.
        self.slow_deliverer = slow_deliverer
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._wake_jobs = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._loop, name="salesbot-worker", daemon=True)]
        if self.jobs is not None:
            # Slow jobs (OCR takes seconds) get their own thread so chat replies never wait behind them.
            self._threads.append(threading.Thread(target=self._jobs_loop, name="salesbot-jobs", daemon=True))
        if self.slow_deliverer is not None:
            self._threads.append(threading.Thread(target=self._slow_loop, name="salesbot-erp", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        self._wake_jobs.set()
        for thread in self._threads:
            thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()
        self._wake_jobs.set()

    def _jobs_loop(self) -> None:
        assert self.jobs is not None
        while not self._stop.is_set():
            self._wake_jobs.clear()
            try:
                busy = self.jobs.run_once()
            except Exception:  # noqa: BLE001
                log.exception("job pass failed")
                busy = 0
            if busy:
                self._wake.set()  # a job wrote replies: deliver them now
            else:
                self._wake_jobs.wait(self.poll_s)

    def _slow_loop(self) -> None:
        assert self.slow_deliverer is not None
        while not self._stop.is_set():
            try:
                busy = self.slow_deliverer.run_once()
            except Exception:  # noqa: BLE001
                log.exception("slow delivery pass failed")
                busy = 0
            if not busy:
                self._stop.wait(self.poll_s)

    def _chat_pass(self) -> int:
        return self.processor.run_once() + self.deliverer.run_once()

    def run_once(self) -> int:
        """One pass over every queue (tests and `salesbot worker --once` use this)."""
        handled = self._chat_pass()
        if self.slow_deliverer is not None:
            handled += self.slow_deliverer.run_once()
        return handled

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                busy = self._chat_pass()  # ERP deliveries run in their own thread (_slow_loop)
            except Exception:  # noqa: BLE001 - the loop must survive a bad row or a database hiccup
                log.exception("worker pass failed")
                busy = 0
            if not busy:
                self._wake.wait(self.poll_s)
