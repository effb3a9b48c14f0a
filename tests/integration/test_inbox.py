"""Exactly once in: the inbox's atomic store, leases, crash recovery, and processing into the outbox."""

from datetime import timedelta

from sqlalchemy import func, select

from bot.processing import InboxProcessor
from domain.clock import FixedClock
from domain.db import Database
from domain.models import InboxEvent, OutboxMessage
from domain.services import inbox
from handlers.commands import UNKNOWN_SENDER
from handlers.events import EventKind, InboundEvent
from handlers.root import build_router
from tests.factories import load_example_org


def _event(
    key: str, sender: str = "ZhangWei", text: str = "你好", kind: EventKind = EventKind.TEXT
) -> InboundEvent:
    return InboundEvent("wecom", key, kind, sender, 1764036000, text=text)


def _store(db: Database, clock: FixedClock, event: InboundEvent) -> int | None:
    with db.sessions() as s:
        return inbox.store(
            s,
            platform=event.platform,
            dedupe_key=event.dedupe_key,
            kind=event.kind.value,
            sender_id=event.sender_id,
            payload=event.to_dict(),
            now=clock.now(),
        )


def _outbox(db: Database) -> list[OutboxMessage]:
    with db.sessions() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_retried_callback_is_stored_once(db: Database, clock: FixedClock) -> None:
    assert _store(db, clock, _event("m1")) is not None
    assert _store(db, clock, _event("m1")) is None
    assert _store(db, clock, _event("m2")) is not None
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(InboxEvent)) == 2


def test_only_one_worker_gets_the_lease_and_a_dead_workers_lease_runs_out(
    db: Database, clock: FixedClock
) -> None:
    event_id = _store(db, clock, _event("m1"))
    assert event_id is not None
    with db.sessions() as s:
        first = inbox.claim(s, event_id, clock.now())
        assert first is not None
        assert inbox.claim(s, event_id, clock.now()) is None  # held
        assert inbox.due_ids(s, clock.now()) == []
    clock.advance(timedelta(seconds=61))  # the holder died; its lease ends
    with db.sessions() as s:
        assert inbox.due_ids(s, clock.now()) == [event_id]
        second = inbox.claim(s, event_id, clock.now())
        assert second is not None
        assert inbox.finish(s, event_id, first, clock.now()) is False  # the dead worker can no longer finish
        assert inbox.finish(s, event_id, second, clock.now()) is True
        s.commit()
        assert inbox.due_ids(s, clock.now()) == []


def test_processing_replies_once_even_when_run_twice(db: Database, clock: FixedClock) -> None:
    load_example_org(db, clock)
    event_id = _store(db, clock, _event("m1"))
    assert event_id is not None
    processor = InboxProcessor(db, build_router(), clock)
    assert processor.run_once() == 1
    assert processor.run_once() == 0
    out = _outbox(db)
    assert [(o.msg_type, o.target) for o in out] == [("card", "ZhangWei")]
    assert out[0].payload["card"]["title"] == "销售助手可以帮你"
    assert out[0].cause_event == "wecom:m1"
    with db.sessions() as s:
        row = s.get(InboxEvent, event_id)
        assert row is not None and row.status == "done" and row.attempts == 1


def test_unknown_sender_gets_one_polite_notice_per_day(db: Database, clock: FixedClock) -> None:
    load_example_org(db, clock)
    processor = InboxProcessor(db, build_router(), clock)
    for key in ("s1", "s2", "s3"):
        _store(db, clock, _event(key, sender="Stranger"))
    processor.run_once()
    clock.advance(timedelta(days=1))
    _store(db, clock, _event("s4", sender="Stranger"))
    processor.run_once()
    notices = [o for o in _outbox(db) if o.target == "Stranger"]
    assert [o.payload["content"] for o in notices] == [UNKNOWN_SENDER, UNKNOWN_SENDER]
    assert len({o.dedupe_key for o in notices}) == 2


def test_events_we_do_not_understand_are_acknowledged_without_reply(db: Database, clock: FixedClock) -> None:
    load_example_org(db, clock)
    _store(db, clock, _event("e1", kind=EventKind.OTHER, text=None))
    assert InboxProcessor(db, build_router(), clock).run_once() == 1
    assert _outbox(db) == []
