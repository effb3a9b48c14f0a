"""CPU priority of OCR worker processes: chat processes on the same machine always win the CPU.

An OCR worker keeps a core busy for about a second per photo; a chat reply needs a few
milliseconds of CPU in several processes (web, chat worker, PostgreSQL, Redis). With
both on one machine, plain ``nice`` still lets the engine hold a core for a scheduler
slice after a chat process wakes up (the reply median doubled on the 2-core bench).
Linux's ``SCHED_IDLE`` policy runs a thread only when no normal thread wants the CPU,
and a waking normal thread preempts it at once. On a machine of its own an OCR worker
loses nothing by it.

Only ``salesbot worker --queues ocr`` processes are lowered, as a whole: in a process
that also handles chat, a starved OCR thread holding Python's GIL would hold the chat
threads back with it.
"""

from __future__ import annotations

import logging
import os
from typing import Literal

log = logging.getLogger("salesbot.priority")

Priority = Literal["normal", "low", "idle"]

#: ``low``: the niceness the OCR worker runs at (and ``idle``'s fallback, at the lowest).
LOW_NICE = 10
IDLE_FALLBACK_NICE = 19


def lower_priority(priority: Priority) -> str:
    """Lower the calling thread (and every thread it starts later) to ``priority``.

    Call it before any other thread is started, so the whole process runs at it.
    Returns what was applied: "normal", "nice N" or "SCHED_IDLE".
    """
    if priority == "normal":
        return "normal"
    if priority == "idle":
        policy = getattr(os, "SCHED_IDLE", None)
        if policy is not None and hasattr(os, "sched_setscheduler"):
            try:
                os.sched_setscheduler(0, policy, os.sched_param(0))
            except OSError as exc:  # e.g. a sandbox that forbids it: nice is the next best
                log.warning("SCHED_IDLE refused (%s); falling back to nice %d", exc, IDLE_FALLBACK_NICE)
            else:
                return "SCHED_IDLE"
        return _nice(IDLE_FALLBACK_NICE)
    return _nice(LOW_NICE)


def _nice(target: int) -> str:
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if current < target:
            os.setpriority(os.PRIO_PROCESS, 0, target)
    except (OSError, AttributeError):  # no setpriority (Windows): run at normal priority
        log.warning("could not lower the CPU priority; running at normal priority")
        return "normal"
    return f"nice {max(current, target)}"
