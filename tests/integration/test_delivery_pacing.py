"""Per-person pacing counts every message a person receives, whatever the addressing (issue #19, point 4).

WeCom drops a member's 31st message in a minute without an error, so the
outbox must never send it: a card to ``LiNa|ZhangWei`` and a card-update
fallback to ``LiNa,ZhangWei`` count for LiNa as much as a text to LiNa.
Runs the real Deliverer and WeCom channel against the fake WeCom (which
drops over-limit messages the way WeCom does), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.delivery import Deliverer
from bot.fakes.wecom_server import AppConfig, FakeWeCom, ManualClock, User
from bot.tokens import MemoryTokenStore
from bot.wecom.channel import WeComChannel
from bot.wecom.client import WeComClient
from domain.clock import FixedClock
from domain.db import Database
from domain.models import OutboxMessage
from domain.services import outbox

APP = AppConfig(corp_id="ww_pacing", corpsecret="secret", agent_id=1000002)
START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def fake_clock() -> ManualClock:
    return ManualClock(START.timestamp())


@pytest.fixture
def fake(fake_clock: ManualClock) -> Iterator[FakeWeCom]:
    server = FakeWeCom([APP], clock=fake_clock)
    for uid, name in (("LiNa", "李娜"), ("ZhangWei", "张伟"), ("user_1", "甲"), ("userx1", "乙")):
        server.add_user(User(uid, name, department=[1]))
    with server:
        yield server


def _enqueue(db: Database, rows: list[tuple[str, str, str, str]]) -> None:
    with db.sessions() as s:
        for i, (kind, target, msg_type, content) in enumerate(rows):
            outbox.enqueue(
                s, dedupe_key=f"pacing-{i}", platform="wecom", target_kind=kind, target=target,
                msg_type=msg_type, payload={"content": content}, now=START,
            )  # fmt: skip
        s.commit()


def _deliver_for(db: Database, fake: FakeWeCom, fake_clock: ManualClock, seconds: int) -> None:
    clock = FixedClock(START)
    client = WeComClient(fake.base_url, APP.corp_id, APP.corpsecret, APP.agent_id, MemoryTokenStore(), clock=fake_clock)
    deliverer = Deliverer(db, {"wecom": WeComChannel(client, default_url="http://h5.test")}, clock)
    for second in range(seconds):
        clock.set(START + timedelta(seconds=second))
        fake_clock.advance(START.timestamp() + second - fake_clock())
        deliverer.run_once(limit=200)


def _statuses(db: Database) -> dict[str, int]:
    with db.sessions() as s:
        out: dict[str, int] = {}
        for status in s.scalars(select(OutboxMessage.status)):
            out[status] = out.get(status, 0) + 1
        return out


def test_shared_messages_count_for_each_person_and_nothing_is_dropped(
    db: Database, fake: FakeWeCom, fake_clock: ManualClock
) -> None:
    rows = [("user", "LiNa|ZhangWei", "text", f"审批卡片 {i}") for i in range(20)]
    rows += [("user", "LiNa", "text", f"提醒 {i}") for i in range(15)]
    _enqueue(db, rows)
    _deliver_for(db, fake, fake_clock, 30)  # half a minute: LiNa may get 29 at most
    assert fake.dropped == []
    assert len(fake.inbox_of("LiNa")) == 29
    assert _statuses(db) == {"sent": 29, "pending": 6}  # held back, not marked sent


def test_the_next_minute_delivers_the_rest(db: Database, fake: FakeWeCom, fake_clock: ManualClock) -> None:
    rows = [("user", "LiNa|ZhangWei", "text", f"审批卡片 {i}") for i in range(20)]
    rows += [("user", "LiNa", "text", f"提醒 {i}") for i in range(15)]
    _enqueue(db, rows)
    _deliver_for(db, fake, fake_clock, 75)
    assert fake.dropped == []
    assert len(fake.inbox_of("LiNa")) == 35 and len(fake.inbox_of("ZhangWei")) == 20
    assert _statuses(db) == {"sent": 35}


def test_card_update_fallbacks_count_for_each_person(db: Database) -> None:
    with db.sessions() as s:
        for i, (kind, target, msg_type, msgid) in enumerate(
            [("card", "LiNa,ZhangWei", "card_update", "m1"), ("card", "LiNa,ZhangWei", "card_update", None),
             ("user", "ZhangWei|LiNa", "card", "m3"), ("user", "user_1", "text", "m4")]
        ):  # fmt: skip
            row = outbox.enqueue(
                s, dedupe_key=f"count-{i}", platform="wecom", target_kind=kind, target=target,
                msg_type=msg_type, payload={}, now=START,
            )  # fmt: skip
            assert row is not None
            row.status, row.sent_at, row.platform_msgid = "sent", START, msgid
        s.commit()
        since = START - timedelta(seconds=1)
        # the fallback text (m1) and the shared card (m3); the in-place update (no msgid) reached no inbox
        assert outbox.sent_to_since(s, "wecom", "LiNa", since) == 2
        assert outbox.sent_to_since(s, "wecom", "userx1", since) == 0  # "_" in user_1 is not a wildcard
        assert outbox.sent_to_since(s, "wecom", "user_1", since) == 1
