"""The background worker: drains the inbox (chat), the job queue (ocr) and the outbox (delivery).

It runs inside ``salesbot serve`` (the embedded default: every queue) or as its own
process, ``salesbot worker --queues chat,ocr,delivery`` (``bot/cli_worker.py``), so web,
chat and OCR capacity scale apart. Leases in the database make it safe to run many side
by side (several workers, several machines). A stored event wakes it at once (in the
same process, and through Redis pub/sub in the others when Redis is configured);
otherwise it polls, which is also how rows left behind by a crashed process are picked
up once their lease ends.

Stopping (SIGTERM) is graceful: each loop finishes the event, job or send it holds and
takes no more; the inbox and the job queue lease one row at a time, so nothing else is
held. A process killed outright leaves its one lease to run out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection

from bot.chatfirst import ChatFirst
from bot.delivery import Deliverer
from bot.jobs_runner import JobRunner
from bot.processing import InboxProcessor
from bot.queues import QUEUES
from bot.wakeups import RedisWakeups
from handlers.events import EventKind, InboundEvent

log = logging.getLogger("salesbot.worker")

#: Events whose handling makes the OCR engines on this machine leave a core to chat (bot/chatfirst.py).
#: Not photos: their reply is the 「收到」 acknowledgement, and the rep who sent one waits for the OCR.
CHAT_FIRST_KINDS = frozenset({EventKind.TEXT, EventKind.LOCATION, EventKind.CARD_ACTION, EventKind.ENTER_AGENT})


class BackgroundWorker:
    def __init__(
        self,
        processor: InboxProcessor | None,
        deliverer: Deliverer | None,
        jobs: JobRunner | None = None,
        poll_s: float = 0.5,
        slow_deliverer: Deliverer | None = None,
        wakeups: RedisWakeups | None = None,
        chat_first: ChatFirst | None = None,
    ) -> None:
        self.processor = processor
        self.deliverer = deliverer
        self.jobs = jobs
        # Deliveries to outside systems (ERP webhooks) can hang for seconds: their own thread,
        # so a slow ERP never holds back a chat reply.
        self.slow_deliverer = slow_deliverer
        self.poll_s = poll_s
        self.wakeups = wakeups
        # Told when this process starts handling a chat event, so the OCR engines on this machine leave
        # a core to it and its reply (bot/chatfirst.py).
        self.chat_first = chat_first
        if processor is not None and chat_first is not None:
            processor.on_event = self._chat_event
        self._wake = threading.Event()
        self._wake_delivery = threading.Event()
        self._wake_jobs = threading.Event()
        self._stop = threading.Event()
        # Set once the chat loop has built the customer index and takes events (at once without chat).
        self.ready = threading.Event()
        self._threads: list[threading.Thread] = []
        if processor is not None:
            processor.should_stop = self._stop.is_set
        if jobs is not None:
            jobs.should_stop = self._stop.is_set

    def start(self) -> None:
        self._threads = []
        if self.processor is not None:
            self._threads.append(threading.Thread(target=self._loop, name="salesbot-worker", daemon=True))
        if self.deliverer is not None:
            # Its own thread: a burst of events being handled never delays the replies already written.
            self._threads.append(
                threading.Thread(target=self._delivery_loop, name="salesbot-delivery", daemon=True)
            )
        if self.jobs is not None:
            # Slow jobs (OCR takes seconds) get their own thread so chat replies never wait behind them.
            self._threads.append(threading.Thread(target=self._jobs_loop, name="salesbot-jobs", daemon=True))
        if self.slow_deliverer is not None:
            self._threads.append(threading.Thread(target=self._slow_loop, name="salesbot-erp", daemon=True))
        if self.processor is None:
            self.ready.set()
        for thread in self._threads:
            thread.start()
        if self.wakeups is not None:
            self.wakeups.listen(self._wake_here, self._stop)

    def stop(self, timeout: float = 10) -> bool:
        """Finish what is in hand, take nothing new; True when every loop ended in time."""
        self._stop.set()
        self._wake_here()
        for thread in self._threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in self._threads)

    def wake(self, queues: Collection[str] = QUEUES) -> None:
        """New work was stored in ``queues``: wake the loops serving them, here and in the other
        processes (Redis)."""
        self._wake_here(queues)
        if self.wakeups is not None:
            self.wakeups.publish(queues)

    def wake_chat(self) -> None:
        """An inbound event was stored (the callbacks): only inbox loops need to look."""
        self.wake(("chat",))

    def _chat_event(self, event: InboundEvent) -> None:
        if event.kind in CHAT_FIRST_KINDS and self.chat_first is not None:
            self.chat_first.mark()

    def _wake_here(self, queues: Collection[str] = QUEUES) -> None:
        if "chat" in queues:
            self._wake.set()
        if "delivery" in queues:
            self._wake_delivery.set()
        if "ocr" in queues:
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
                self._wake_delivery.set()  # a job wrote replies: deliver them now
                if self.deliverer is None and self.wakeups is not None:
                    self.wakeups.publish(("delivery",))  # ... in the worker that delivers
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

    def run_once(self) -> int:
        """One pass over the inbox and the outbox (tests use this; jobs run in their own loop)."""
        handled = self.processor.run_once() if self.processor is not None else 0
        if self.deliverer is not None:
            handled += self.deliverer.run_once()
        if self.slow_deliverer is not None:
            handled += self.slow_deliverer.run_once()
        return handled

    def _loop(self) -> None:
        """Inbox events, one line head at a time (bot/processing.py)."""
        assert self.processor is not None
        try:
            self.processor.warm_up()  # before the first event: no rep's message pays for building it
        except Exception:  # noqa: BLE001 - the first message then builds it; the loop must run
            log.exception("customer index warm-up failed")
        self.ready.set()
        while not self._stop.is_set():
            self._wake.clear()
            try:
                busy = self.processor.run_once(limit=1)  # one event, then its replies are sent at once
            except Exception:  # noqa: BLE001 - the loop must survive a bad row or a database hiccup
                log.exception("worker pass failed")
                busy = 0
            if busy:
                self._wake_delivery.set()  # replies were written: send them now
                self._wake_jobs.set()  # the event may have queued a photo
                # ... or let the workers serving those queues know (the event may have queued a photo)
                others = [q for q, here in (("delivery", self.deliverer), ("ocr", self.jobs)) if here is None]
                if others and self.wakeups is not None:
                    self.wakeups.publish(others)
            else:
                self._wake.wait(self.poll_s)

    def _delivery_loop(self) -> None:
        assert self.deliverer is not None
        while not self._stop.is_set():
            self._wake_delivery.clear()
            try:
                # A wake-up during the pass means a reply was just written: end the batch, take it first.
                busy = self.deliverer.run_once(should_yield=self._wake_delivery.is_set)
            except Exception:  # noqa: BLE001
                log.exception("delivery pass failed")
                busy = 0
            if not busy:
                self._wake_delivery.wait(self.poll_s)
