"""Chat first: while chat work is happening on a machine, its OCR engines leave a core to it.

Why: on the 2-vCPU bench VM (bench/workers.py, bench/README.md issue #17) every stage of a chat
reply takes about twice as long while *both* vCPUs are busy -- even when the busy work runs at
``SCHED_IDLE`` and even when it is a bare Python spinner instead of OCR, so no CPU priority can
fix it -- and is not slowed with one vCPU busy. So while a chat event is being worked on, the OCR
workers of the same machine run at most ``cores - 1`` engines at once; the others wait between
two engine steps (detection, the direction probe, each recognition batch: tens to hundreds of
milliseconds apart) until the chat goes quiet or a run permit is free. With no chat nothing
waits, so the photos-per-minute of several workers is what it was.

The signal costs next to nothing on the chat side and loads nothing there:

* a chat worker that takes an inbound event calls ``mark()`` (bot/worker.py, not for photos:
  their reply is an acknowledgement and their sender waits for the OCR): one Redis ``SET … PX``
  (the key lives ``hold_s`` after the last event), at most one per ``MARK_EVERY_S`` per process.
  Web processes do nothing;
* an OCR worker calls ``checkpoint()`` before each engine step: one script call that answers
  "run" when no chat is marked, or when this engine holds (or now gets) one of the machine's
  ``slots`` run permits. Otherwise it waits ``poll_s`` and asks again, for at most
  ``max_pause_s``, then runs the step anyway: OCR is never stalled for long, and it resumes by
  itself when the chat key expires. Redis trouble means "run" (this is only an optimisation), and
  neither side asks Redis again for ``RETRY_AFTER_S``;
* steps are coarse (detection is one model run of 0.3-0.6 s), so while a photo is read a watcher
  thread asks the same question every ``WATCH_S`` and stops the model run in progress when the
  answer turns to "wait" (``Preemption``); the step runs again after the wait.

The keys are per machine (``SALESBOT_MACHINE_ID``, by default the host name), so chat handled
on one machine never pauses OCR on another. Without Redis (the embedded single process) the
same rules run on in-process state; separate processes without Redis do not see each other's
chat, and nothing pauses.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal

log = logging.getLogger("salesbot.chatfirst")

#: How long after a chat event was taken the OCR engines keep a core free: its reply is out in
#: ~20-50 ms on a quiet machine, more under load; a conversation's next message that comes sooner
#: finds the core already free.
CHAT_HOLD_S = 1.0
#: Rate limit of ``mark()`` in one process: the key then lives at least hold − this after any event.
MARK_EVERY_S = 0.2
#: The longest one pause between two engine steps; after it the step runs anyway.
MAX_PAUSE_S = 2.0
#: How often a paused engine asks again whether it may run.
POLL_S = 0.05
#: A run permit not renewed for this long is free again (an OCR worker killed while holding one).
PERMIT_LEASE_S = 5.0
#: After Redis failed, how long neither side asks it again (a down Redis can take seconds a call).
RETRY_AFTER_S = 10.0
#: How often, while a photo is read, its watcher asks whether chat has started (``Preemption``).
WATCH_S = 0.025

#: What ``checkpoint()`` did: ran at once; ran after waiting for the chat to end or a permit;
#: ran after waiting the longest pause allowed.
Outcome = Literal["run", "resumed", "capped"]

# KEYS[1]: the chat key; KEYS[2]: the run permits (sorted set: engine → lease end, ms).
# ARGV[1]: this engine; ARGV[2]: permits while chat is on; ARGV[3]: lease in ms.
_MAY_RUN = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 1
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZSCORE', KEYS[2], ARGV[1]) or redis.call('ZCARD', KEYS[2]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return 1
end
return 0
"""


def default_slots() -> int:
    """Engines allowed to run while chat is on: every core but one (none on a one-core machine).

    The machine's cores, not this process's affinity: a worker pinned to one core is still one of
    the engines sharing the machine."""
    return max((os.cpu_count() or 1) - 1, 0)


class ChatFirst:
    """The chat signal and the OCR engines' run permits of one machine (see the module doc)."""

    def __init__(
        self,
        slots: int | None = None,
        hold_s: float = CHAT_HOLD_S,
        max_pause_s: float = MAX_PAUSE_S,
        poll_s: float = POLL_S,
        lease_s: float = PERMIT_LEASE_S,
    ) -> None:
        self.slots = default_slots() if slots is None else slots
        self.hold_s = hold_s
        self.max_pause_s = max_pause_s
        self.poll_s = poll_s
        self.lease_s = lease_s
        self._last_mark = -1e9
        self._down_until = -1e9  # Redis failed: run and do not mark until then

    # -- chat side -----------------------------------------------------------------
    def mark(self) -> None:
        """Chat work is happening on this machine now (an inbound event was stored or taken)."""
        now = time.monotonic()
        if now - self._last_mark < MARK_EVERY_S or now < self._down_until:
            return
        self._last_mark = now
        try:
            self._mark()
        except Exception:  # noqa: BLE001 - an optimisation: chat goes on without it
            self._failed("chat signal not set")

    # -- OCR side ------------------------------------------------------------------
    def checkpoint(self) -> Outcome:
        """Before an engine step: return when this engine may run (at most ``max_pause_s`` later)."""
        me = _engine_id()
        if self.allows(me):
            return "run"
        deadline = time.monotonic() + self.max_pause_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "capped"
            time.sleep(min(self.poll_s, left))
            if self.allows(me):
                return "resumed"

    def release(self) -> None:
        """The calling engine finished its photo: its run permit goes to an engine that waits."""
        if time.monotonic() < self._down_until:
            return
        try:
            self._release(_engine_id())
        except Exception:  # noqa: BLE001 - the permit's lease runs out instead
            self._failed("run permit not released")

    def allows(self, me: str) -> bool:
        """May engine ``me`` run now (no chat, or it holds or gets a run permit)? Never waits."""
        if time.monotonic() < self._down_until:
            return True
        try:
            return self._may_run(me)
        except Exception:  # noqa: BLE001 - Redis away: OCR runs as if there were no chat
            self._failed("chat signal not readable; OCR runs")
            return True

    def _failed(self, what: str) -> None:
        log.warning("%s; chat first is off for %.0f s", what, RETRY_AFTER_S, exc_info=True)
        self._down_until = time.monotonic() + RETRY_AFTER_S

    # -- storage (in-process here; Redis below) -----------------------------------
    def _mark(self) -> None:
        raise NotImplementedError

    def _may_run(self, me: str) -> bool:
        raise NotImplementedError

    def _release(self, me: str) -> None:
        raise NotImplementedError


class LocalChatFirst(ChatFirst):
    """One process (the embedded default, no Redis): chat and OCR threads share this object."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._chat_until = 0.0
        self._permits: dict[str, float] = {}  # engine → lease end (monotonic)

    def _mark(self) -> None:
        with self._lock:
            self._chat_until = time.monotonic() + self.hold_s

    def _may_run(self, me: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if now >= self._chat_until:
                return True
            self._permits = {k: v for k, v in self._permits.items() if v > now}
            if me in self._permits or len(self._permits) < self.slots:
                self._permits[me] = now + self.lease_s
                return True
            return False

    def _release(self, me: str) -> None:
        with self._lock:
            self._permits.pop(me, None)


class RedisChatFirst(ChatFirst):
    """Processes of one machine (web, chat worker, OCR workers) over Redis keys named after it."""

    def __init__(self, client: Any, machine: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client  # redis.Redis
        self.machine = machine or socket.gethostname()
        base = f"salesbot:chatfirst:{{{self.machine}}}"  # one hash slot: the script's keys on one node
        self.chat_key, self.permits_key = f"{base}:chat", f"{base}:run"
        self._script: Any = None  # registered on first use: a web process never needs it

    def _mark(self) -> None:
        self.client.set(self.chat_key, b"1", px=max(1, int(self.hold_s * 1000)))

    def _may_run(self, me: str) -> bool:
        if self._script is None:
            self._script = self.client.register_script(_MAY_RUN)
        lease_ms = max(1, int(self.lease_s * 1000))
        return bool(self._script(keys=[self.chat_key, self.permits_key], args=[me, self.slots, lease_ms]))

    def _release(self, me: str) -> None:
        self.client.zrem(self.permits_key, me)


class Preemption:
    """While one photo is read: stop the engine's model run in progress as soon as chat starts.

    Steps are coarse -- detection alone is ~60 % of a photo's engine time and one model run
    (0.3-0.6 s on a quiet 2-core machine, seconds under load) -- so waiting at the next step
    boundary came after most replies were out. A watcher thread asks every ``WATCH_S`` (one
    Redis script call, ~0.1 ms) whether this engine may run; when it may not, it stops the run
    (``OcrEngine.abort_step``, ONNX Runtime's terminate flag: within milliseconds), and the engine
    waits in ``between_steps`` and then runs that step again. The work lost is the stopped part of
    one step per chat burst. A step that follows a wait cut short by ``max_pause_s`` is never
    stopped, so a photo always gets on during the longest chat.
    """

    def __init__(self, gate: ChatFirst, abort: Callable[[], bool], every_s: float = WATCH_S) -> None:
        self.gate, self.abort, self.every_s = gate, abort, every_s
        self.me = _engine_id()  # built in the engine's thread: the permit is the engine's, not the watcher's
        self.aborted = 0  # model runs stopped
        self._armed = False  # the step in progress may be stopped
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def between_steps(self) -> Outcome:
        """The engine's ``between_steps``: wait like ``ChatFirst.checkpoint``."""
        self._armed = False
        outcome = self.gate.checkpoint()
        self._armed = outcome != "capped"  # after the longest wait a step always runs to its end
        return outcome

    def __enter__(self) -> Preemption:
        self._thread = threading.Thread(target=self._watch, name="salesbot-ocr-chatfirst", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(self.every_s):
            if self._armed and not self.gate.allows(self.me) and self.abort():
                self._armed = False
                self.aborted += 1


def _engine_id() -> str:
    """An engine is a thread of a process (one photo at a time each)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
