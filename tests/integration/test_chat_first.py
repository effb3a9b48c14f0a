"""Chat first (bot/chatfirst.py): while chat is handled on a machine, its OCR engines leave a core to it.

What a rep would notice: a reply is not slowed by photos being read on the same machine, and
a photo is still read -- never held for long, at full speed when nobody chats. The rules are
checked on both stores (in-process for the embedded single process, Redis across processes),
then through the real worker wake-ups and the real OCR engine. No test asserts a duration
(speed is bench/workers.py's job); the outcomes say whether an engine step ran at once, after
waiting for the chat to end, or after the longest wait allowed.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.chatfirst import ChatFirst, LocalChatFirst, Outcome, Preemption, RedisChatFirst
from bot.runtime import Runtime
from bot.settings import Settings
from domain.services import inbox
from handlers.events import EventKind, InboundEvent

#: Long enough that no test ends a wait by reaching it unless it means to.
LONG = 60.0


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    c = redis.Redis.from_url(redis_url)
    yield c
    c.close()


@pytest.fixture(params=["local", "redis"])
def make(request: pytest.FixtureRequest) -> Callable[..., ChatFirst]:
    """ChatFirst on either store; every object made by one test shares the same machine."""
    if request.param == "local":
        shared: list[LocalChatFirst] = []

        def local(**kw: float) -> ChatFirst:
            # One process: the chat side and every engine share one object (kwargs of the first win).
            if not shared:
                shared.append(LocalChatFirst(**kw))
            return shared[0]

        return local
    c = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    request.addfinalizer(c.close)
    return lambda **kw: RedisChatFirst(c, "machine-a", **kw)


def in_thread(fn: Callable[[], Outcome]) -> Outcome:
    """Run ``fn`` as another engine (an engine is a thread of a process)."""
    out: list[Outcome] = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join(LONG)
    assert out, "the engine step never ran"
    return out[0]


def test_without_chat_no_engine_waits(make: Callable[..., ChatFirst]) -> None:
    gate = make(slots=1, max_pause_s=LONG)
    assert gate.checkpoint() == "run"
    assert in_thread(gate.checkpoint) == "run"  # both engines of a 2-core machine run at full speed


def test_while_chat_goes_on_one_core_is_left_to_it(make: Callable[..., ChatFirst]) -> None:
    gate = make(slots=1, hold_s=LONG, max_pause_s=0.2)
    gate.mark()
    assert gate.checkpoint() == "run"  # the first engine takes the one run permit
    assert gate.checkpoint() == "run"  # ... and keeps it for its next step
    assert in_thread(gate.checkpoint) == "capped"  # the other waits, at most max_pause_s, then runs anyway


def test_a_waiting_engine_resumes_by_itself_when_the_chat_goes_quiet(make: Callable[..., ChatFirst]) -> None:
    gate = make(slots=1, hold_s=0.3, max_pause_s=LONG)
    gate.mark()
    assert gate.checkpoint() == "run"
    assert in_thread(gate.checkpoint) == "resumed"  # nobody marks again: the signal expires


def test_a_finished_photo_hands_its_permit_to_the_waiting_engine(make: Callable[..., ChatFirst]) -> None:
    gate = make(slots=1, hold_s=LONG, max_pause_s=LONG, lease_s=LONG)
    gate.mark()
    assert gate.checkpoint() == "run"
    started = threading.Event()

    def other() -> Outcome:
        started.set()
        return gate.checkpoint()

    out: list[Outcome] = []
    t = threading.Thread(target=lambda: out.append(other()))
    t.start()
    started.wait(LONG)
    gate.release()  # the first engine's photo is done
    t.join(LONG)
    assert out in (["run"], ["resumed"])  # it got the permit (at once if it asked after the release)
    gate.max_pause_s = 0.2
    assert gate.checkpoint() == "capped"  # ... and now the first engine is the one that waits


def test_on_a_one_core_machine_every_engine_waits_for_chat(make: Callable[..., ChatFirst]) -> None:
    gate = make(slots=0, hold_s=0.3, max_pause_s=LONG)
    assert gate.checkpoint() == "run"
    gate.mark()
    assert gate.checkpoint() == "resumed"


def test_chat_on_another_machine_never_pauses_ocr_here(client: redis.Redis) -> None:
    RedisChatFirst(client, "machine-b", hold_s=LONG).mark()
    here = RedisChatFirst(client, "machine-a", slots=0, max_pause_s=LONG)
    assert here.checkpoint() == "run"


def test_without_redis_ocr_runs_and_chat_is_not_disturbed() -> None:
    gone = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    gate = RedisChatFirst(gone, "machine-a", slots=0, max_pause_s=LONG)
    gate.mark()  # no exception reaches the chat side
    assert gate.checkpoint() == "run"
    gate.release()


# ------------------------------------------------------------------ through the chat worker
@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "salesbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _ocr_side(rt: Runtime) -> ChatFirst:
    """The OCR engines' view of the runtime's machine, as on a one-core machine (every engine waits)."""
    gate = rt.chat_first
    assert gate is not None
    gate.slots, gate.max_pause_s = 0, 0.2
    return gate


def _message(rt: Runtime, n: int, kind: EventKind) -> None:
    """A rep's message as a web process stores it (text or photo)."""
    event = InboundEvent(
        "wecom", f"msg-{n}", kind, "ZhangWei", 1764036000 + n, text="帮助" if kind == EventKind.TEXT else None
    )
    with rt.db.sessions() as session:
        inbox.store(
            session,
            platform=event.platform,
            dedupe_key=event.dedupe_key,
            kind=event.kind.value,
            sender_id=event.sender_id,
            payload=event.to_dict(),
            now=rt.clock.now(),
        )


@pytest.mark.parametrize("with_redis", [True, False], ids=["processes-over-redis", "embedded"])
def test_a_chat_worker_handling_a_message_pauses_ocr_and_a_photo_does_not(
    sqlite_url: str, request: pytest.FixtureRequest, with_redis: bool
) -> None:
    redis_url = request.getfixturevalue("redis_url") if with_redis else None
    settings = Settings(database_url=sqlite_url, redis_url=redis_url, machine_id="machine-a")
    chat_rt = Runtime.build(settings)
    ocr_rt = Runtime.build(settings) if with_redis else chat_rt  # another process of the machine, or the same one
    try:
        gate = _ocr_side(ocr_rt)
        worker = chat_rt.make_worker(("chat",))
        assert worker.processor is not None
        _message(chat_rt, 1, EventKind.IMAGE)
        assert worker.processor.run_once() == 1  # a quote photo: 「收到」, and its sender waits for the OCR
        assert gate.checkpoint() == "run"
        _message(chat_rt, 2, EventKind.TEXT)
        assert worker.processor.run_once() == 1  # a question: its reply goes first
        assert gate.checkpoint() == "capped"
    finally:
        chat_rt.close()
        if ocr_rt is not chat_rt:
            ocr_rt.close()


def test_switched_off_no_engine_waits_for_chat(sqlite_url: str, redis_url: str) -> None:
    settings = Settings(database_url=sqlite_url, redis_url=redis_url, ocr_chat_first=False)
    rt = Runtime.build(settings)
    try:
        assert rt.chat_first is None
        worker = rt.make_worker(("chat",))
        assert worker.processor is not None
        _message(rt, 1, EventKind.TEXT)
        assert worker.processor.run_once() == 1
        on = RedisChatFirst(rt.redis, settings.machine_id, slots=0, max_pause_s=LONG)
        assert on.checkpoint() == "run"  # nothing was marked
    finally:
        rt.close()


# ------------------------------------------------------------------ through the real engine
def test_a_photo_read_while_chat_goes_on_is_read_the_same_and_every_wait_is_capped() -> None:
    from bot.ocr.engines import DEFAULT_ENGINE, get_engine
    from tests.ocr import make_quotes

    engine = get_engine(DEFAULT_ENGINE)
    photo = make_quotes.make_quote(1002, template="classic").image
    quiet: list[Outcome] = []
    gate = LocalChatFirst(slots=0, hold_s=LONG, max_pause_s=0.01)
    alone = engine.recognize(photo, between_steps=lambda: quiet.append(gate.checkpoint()))
    assert len(quiet) >= 3 and set(quiet) == {"run"}  # detection, the direction probe, the batches

    busy: list[Outcome] = []
    gate.mark()  # a chat that never ends: each step waits the longest allowed, then runs
    during_chat = engine.recognize(photo, between_steps=lambda: busy.append(gate.checkpoint()))
    assert len(busy) == len(quiet) and set(busy) == {"capped"}
    assert [(b.text, b.box) for b in during_chat] == [(b.text, b.box) for b in alone]


def test_chat_starting_mid_step_stops_the_engine_run_and_the_photo_is_still_read_right(
    client: redis.Redis,
) -> None:
    from bot.ocr.engines import DEFAULT_ENGINE, get_engine
    from tests.ocr import make_quotes

    engine = get_engine(DEFAULT_ENGINE)
    photo = make_quotes.make_quote(1002, template="classic").image
    alone = engine.recognize(photo)

    gate = RedisChatFirst(client, "machine-a", slots=1, max_pause_s=0.2, lease_s=LONG)
    RedisChatFirst(client, "machine-a", hold_s=LONG).mark()  # the chat worker of the machine
    assert in_thread(gate.checkpoint) == "run"  # the other engine of the machine holds the one permit
    client.delete(gate.chat_key)  # ... and the chat pauses, so this engine starts its photo at full speed
    first_step = threading.Event()
    outcomes: list[Outcome] = []

    def between_steps() -> None:
        outcomes.append(watcher.between_steps())
        if not first_step.is_set():
            first_step.set()
            RedisChatFirst(client, "machine-a", hold_s=LONG).mark()  # a rep writes as detection starts

    watcher = Preemption(gate, engine.abort_step)
    with watcher:
        during_chat = engine.recognize(photo, between_steps=between_steps)
    assert watcher.aborted >= 1  # detection was stopped, not finished first
    assert outcomes[0] == "run" and "capped" in outcomes  # ... waited, then ran again
    assert [(b.text, b.box) for b in during_chat] == [(b.text, b.box) for b in alone]
