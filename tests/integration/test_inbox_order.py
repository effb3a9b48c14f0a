"""One person's events in arrival order, one at a time; different people in parallel.

The inbox leases only the head of a sender's line (``domain/services/inbox.py``).
These tests drive the real lease functions and the real processor; the router is
the test's own (a handler that records what it saw, one that fails on demand).
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.processing import SET_ASIDE, InboxProcessor
from domain.clock import FixedClock, SystemClock
from domain.db import Database
from domain.models import InboxEvent, OutboxMessage
from domain.services import inbox
from handlers.context import HandlerContext
from handlers.events import EventKind, InboundEvent
from handlers.router import Router
from tests.factories import load_example_org


def _store(db: Database, now: datetime, key: str, sender: str, text: str, chat: str | None = None) -> int:
    event = InboundEvent("wecom", key, EventKind.TEXT, sender, 1764036000, text=text, conversation_id=chat)
    with db.sessions() as s:
        row_id = inbox.store(
            s,
            platform="wecom",
            dedupe_key=key,
            kind="text",
            sender_id=sender,
            payload=event.to_dict(),
            now=now,
        )
    assert row_id is not None
    return row_id


def _texts_to(db: Database, user: str) -> list[str]:
    with db.sessions() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.target == user).order_by(OutboxMessage.id))
        return [r.payload.get("content", "") for r in rows]


def test_a_person_s_second_message_waits_while_the_first_is_held_and_others_go_ahead(
    db: Database, clock: FixedClock
) -> None:
    first = _store(db, clock.now(), "m1", "ZhangWei", "今天拜访华为张总")
    second = _store(db, clock.now(), "m2", "ZhangWei", "改成周四跟进")
    other = _store(db, clock.now(), "m3", "LiNa", "你好")
    with db.sessions() as s:
        assert inbox.due_ids(s, clock.now()) == [first, other]  # heads only
        assert inbox.claim(s, second, clock.now()) is None  # not the head of its line
        held = inbox.claim_next(s, clock.now())
        assert held is not None and held[0] == first
        # while the first is in flight, ZhangWei's line is busy; LiNa's is not
        assert inbox.claim_next(s, clock.now()) == (other, held[1])
        assert inbox.claim_next(s, clock.now()) is None
        assert inbox.finish(s, first, held[1], clock.now())
        s.commit()
        nxt = inbox.claim_next(s, clock.now())
        assert nxt is not None and nxt[0] == second


def test_group_events_queue_per_group_chat(db: Database, clock: FixedClock) -> None:
    in_group = _store(db, clock.now(), "g1", "ZhangWei", "群里说一句", chat="chat-1")
    private = _store(db, clock.now(), "p1", "ZhangWei", "私聊一句")
    other_in_group = _store(db, clock.now(), "g2", "LiNa", "群里第二句", chat="chat-1")
    with db.sessions() as s:
        assert inbox.due_ids(s, clock.now()) == [in_group, private]  # LiNa's group line is behind ZhangWei's
        assert s.get(InboxEvent, other_in_group).order_key == "wecom:chat:chat-1"  # type: ignore[union-attr]


def test_a_crashed_worker_s_event_still_goes_first_when_its_lease_runs_out(
    db: Database, clock: FixedClock
) -> None:
    first = _store(db, clock.now(), "m1", "ZhangWei", "一")
    _store(db, clock.now(), "m2", "ZhangWei", "二")
    with db.sessions() as s:
        assert inbox.claim_next(s, clock.now()) is not None  # this worker then dies
        assert inbox.claim_next(s, clock.now()) is None
    clock.advance(inbox.DEFAULT_LEASE + timedelta(seconds=1))
    with db.sessions() as s:
        again = inbox.claim_next(s, clock.now())
        assert again is not None and again[0] == first


def _flaky_router(failures: dict[str, int]) -> Router:
    router = Router("test")

    @router.on(lambda ctx: True)
    def echo(ctx: HandlerContext) -> None:
        text = ctx.event.text or ""
        if failures.get(text, 0) > 0:
            failures[text] -= 1
            raise RuntimeError(f"flaky: {text}")
        ctx.say(f"收到：{text}")

    return router


def test_a_failing_message_holds_back_later_ones_for_a_bounded_time_then_the_person_is_told(
    db: Database, clock: FixedClock
) -> None:
    load_example_org(db, clock)
    failures = {"今天拜访华为张总": 2}
    processor = InboxProcessor(db, _flaky_router(failures), clock, hold=timedelta(seconds=60))
    _store(db, clock.now(), "m1", "ZhangWei", "今天拜访华为张总")
    _store(db, clock.now(), "m2", "ZhangWei", "改成周四跟进")
    _store(db, clock.now(), "m3", "LiNa", "你好")

    processor.run_once()  # the visit fails (retry in 30 s: within the hold), the correction waits
    assert _texts_to(db, "LiNa") == ["收到：你好"]
    assert _texts_to(db, "ZhangWei") == []

    clock.advance(timedelta(seconds=31))
    processor.run_once()  # fails again; the next retry (60 s) would hold the line past 60 s: set aside
    assert _texts_to(db, "ZhangWei") == [
        SET_ASIDE.format(what="「今天拜访华为张总」"),
        "收到：改成周四跟进",
    ]

    clock.advance(timedelta(seconds=61))
    processor.run_once()  # the retry on its own line succeeds
    assert _texts_to(db, "ZhangWei")[-1] == "收到：今天拜访华为张总"
    with db.sessions() as s:
        assert {r.status for r in s.scalars(select(InboxEvent))} == {"done"}


def test_a_short_failure_keeps_the_order_and_tells_nobody(db: Database, clock: FixedClock) -> None:
    load_example_org(db, clock)
    processor = InboxProcessor(db, _flaky_router({"一": 1}), clock, hold=timedelta(seconds=60))
    _store(db, clock.now(), "m1", "ZhangWei", "一")
    _store(db, clock.now(), "m2", "ZhangWei", "二")
    processor.run_once()
    assert _texts_to(db, "ZhangWei") == []
    clock.advance(timedelta(seconds=31))
    processor.run_once()
    assert _texts_to(db, "ZhangWei") == ["收到：一", "收到：二"]


def test_many_workers_handle_each_line_in_order_and_one_at_a_time(db: Database) -> None:
    """Four workers (own connections, like processes) race over 12 people's 6 messages each."""
    clock = SystemClock()
    people = [f"rep{i}" for i in range(12)]
    expected: dict[str, list[int]] = {p: [] for p in people}
    for p in people:  # each person's messages back to back: the oldest rows are all one person's
        for n in range(6):
            expected[p].append(_store(db, clock.now(), f"{p}-{n}", p, f"{n}"))
    seen: list[tuple[str, int, float, float]] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < 1.0:
            with db.sessions() as s:
                claimed = inbox.claim_next(s, clock.now())
                if claimed is None:
                    time.sleep(0.005)
                    continue
                idle_since = time.monotonic()
                row = s.get(InboxEvent, claimed[0])
                assert row is not None
                started = time.monotonic()
                time.sleep(rng.uniform(0, 0.01))  # a handler of varying speed
                ended = time.monotonic()  # before the commit that frees the line
                assert inbox.finish(s, claimed[0], claimed[1], datetime.now(UTC))
                s.commit()
                with lock:
                    seen.append((row.sender_id, claimed[0], started, ended))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(i for _, i, _, _ in seen) == sorted(
        i for ids in expected.values() for i in ids
    )  # each once
    for person in people:
        mine = sorted((s for s in seen if s[0] == person), key=lambda s: s[2])
        assert [i for _, i, _, _ in mine] == expected[person]  # arrival order
        for earlier, later in zip(mine, mine[1:], strict=False):
            assert earlier[3] <= later[2]  # one at a time


def test_a_person_s_replies_leave_in_the_order_written_even_when_one_is_postponed(
    db: Database, clock: FixedClock
) -> None:
    from domain.services import outbox

    def reply(key: str, to: str) -> int:
        with db.sessions() as s:
            row = outbox.enqueue(
                s,
                dedupe_key=key,
                platform="wecom",
                target_kind="user",
                target=to,
                msg_type="text",
                payload={"content": key},
                now=clock.now(),
            )
            s.commit()
            assert row is not None
            return row.id

    first, second, other = reply("a1", "ZhangWei"), reply("a2", "ZhangWei"), reply("b1", "LiNa")
    with db.sessions() as s:
        assert outbox.due_ids(s, clock.now()) == [first, other]  # a2 waits for a1
        row = outbox.claim(s, first, clock.now())
        assert row is not None
        outbox.postpone(s, row, clock.now() + timedelta(seconds=5), -1, "system busy")
        assert outbox.due_ids(s, clock.now()) == [other]  # still waits: a1 is not sent yet
    clock.advance(timedelta(seconds=6))
    with db.sessions() as s:
        row = outbox.claim(s, first, clock.now())
        assert row is not None
        outbox.mark_sent(s, row, clock.now(), "msg-1")
        assert outbox.due_ids(s, clock.now()) == [second, other]
