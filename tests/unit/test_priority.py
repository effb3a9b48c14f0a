"""OCR worker processes give way to chat processes (bot/priority.py): SCHED_IDLE, else nice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.wakeups import ALL, RedisWakeups

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import os, threading
from bot.priority import lower_priority
applied = lower_priority({priority!r})
seen = []
t = threading.Thread(target=lambda: seen.append((os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0))))
t.start(); t.join()
print(applied, os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0), *seen[0])
"""


def _probe(priority: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(priority=priority)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling policies")
def test_idle_puts_the_process_and_the_threads_it_starts_at_sched_idle() -> None:
    applied, policy, _nice, thread_policy, _thread_nice = _probe("idle")
    assert applied == "SCHED_IDLE"
    assert int(policy) == int(thread_policy) == os.SCHED_IDLE  # the engine's threads inherit it


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="POSIX priorities")
def test_low_is_nice_10_and_normal_changes_nothing() -> None:
    expected = max(10, os.getpriority(os.PRIO_PROCESS, 0))
    word, applied_nice, policy, nice, _thread_policy, thread_nice = _probe("low")
    assert (word, int(applied_nice), int(nice), int(thread_nice)) == ("nice", expected, expected, expected)
    assert int(policy) == os.SCHED_OTHER
    applied, policy, nice, *_ = _probe("normal")
    assert applied == "normal" and int(policy) == os.SCHED_OTHER and int(nice) == os.getpriority(os.PRIO_PROCESS, 0)


def test_a_wake_up_names_its_queues_and_an_old_one_wakes_every_queue() -> None:
    assert RedisWakeups.queues_of(b"chat") == ("chat",)
    assert RedisWakeups.queues_of(b"delivery,ocr") == ("delivery", "ocr")
    assert RedisWakeups.queues_of(b"1") == ALL  # a process of the previous release
