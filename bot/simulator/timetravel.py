"""Moving the demo clock: 「+1 小时」「明天 09:00」「下周一 09:00」, then the jobs that fell due.

The scheduled jobs run through the real scheduler (``bot/scheduler.py``,
``JobScheduler.catch_up``): the same plan, the same ``scheduled_runs`` lock and
the same grace window as in production, only the clock was moved. Its replies
go to the outbox like any job's; the caller wakes the worker to deliver them.

Why not the scheduler thread ``salesbot serve`` starts: APScheduler fires on the
wall clock, which the demo clock has left behind after a jump. The demo runs
with ``SALESBOT_SCHEDULER=off`` and a :class:`TimeMachine` looks at every job
on start, after each jump and once a minute -- one at a time, so a jump reports
exactly what it ran.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from domain.clock import BUSINESS_TZ, OffsetClock, to_local

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("salesbot.simulator")

JUMPS = {"hour": "+1 小时", "tomorrow": "明天 09:00", "monday": "下周一 09:00"}
WEEKDAYS = "一二三四五六日"
TICK_S = 60.0


def jump_target(kind: str, now: datetime) -> datetime:
    """Where a jump lands, in business time; ValueError for an unknown kind."""
    local = to_local(now)
    if kind == "hour":
        return now + timedelta(hours=1)
    if kind == "tomorrow":
        day = local.date() + timedelta(days=1)
    elif kind == "monday":
        day = local.date() + timedelta(days=7 - local.weekday())  # always next week's Monday
    else:
        raise ValueError(f"unknown jump {kind!r}")
    return datetime.combine(day, time(9, 0), tzinfo=BUSINESS_TZ)


def clock_label(now: datetime) -> str:
    local = to_local(now)
    return f"{local.month}月{local.day}日 周{WEEKDAYS[local.weekday()]} {local:%H:%M}"


@dataclass(frozen=True)
class JobRun:
    job: str
    occurrence: str
    status: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.job, "occurrence": self.occurrence, "status": self.status, "text": self.text}


class TimeMachine:
    """The demo's clock control and its scheduler: jumps and periodic looks, one at a time."""

    def __init__(self, runtime: Runtime, clock: OffsetClock, wake: Callable[[], None] = lambda: None) -> None:
        self.runtime = runtime
        self.clock = clock
        self.wake = wake
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due_jobs(self) -> list[JobRun]:
        """Run every scheduled job due now (by the demo clock), as the scheduler's catch-up does."""
        from bot.scheduler import JobScheduler

        with self._lock:
            scheduler = JobScheduler.from_settings(self.runtime.db, self.runtime.settings, self.clock)
            outcomes = scheduler.catch_up()
        if any(o.status == "done" for o in outcomes):
            self.wake()
        return [
            JobRun(o.job, to_local(o.occurrence).strftime("%m-%d %H:%M"), o.status, o.describe())
            for o in outcomes
        ]

    def jump(self, kind: str) -> list[JobRun]:
        """Move the clock forward and run what fell due; returns what ran (or was recorded as skipped)."""
        target = jump_target(kind, self.clock.now())
        with self._lock:  # the move and the look together: the background look cannot take the jobs
            if target > self.clock.now():
                self.clock.jump_to(target)
            log.info("demo clock moved", extra={"to": target.isoformat(), "jump": kind})
            return self.run_due_jobs()

    # ------------------------------------------------------------------ the background look
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="salesbot-demo-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due_jobs()
            except Exception:  # noqa: BLE001 - the demo keeps going; the log says what broke
                log.exception("scheduled jobs failed in the demo")
            self._stop.wait(TICK_S)
