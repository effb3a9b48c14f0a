"""A DingTalk send that leaves some people out (``flowControlledStaffIdList``) is retried for them (#19, pt 4).

The row is ``sent`` for whoever got it; the throttled people get a copy a
minute later, through the same Deliverer, so nothing is lost behind a "sent".
Real HTTP against the fake DingTalk, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.delivery import Deliverer
from bot.dingtalk.channel import DingTalkChannel
from bot.dingtalk.client import DingTalkClient
from bot.fakes.dingtalk_server import AppConfig, FakeDingTalk, ManualClock
from bot.tokens import MemoryTokenStore
from domain.clock import FixedClock
from domain.db import Database
from domain.models import OutboxMessage
from domain.services import outbox

APP = AppConfig(app_key="dingtestapp0009", app_secret="test-secret-0009", robot_code="dingtestapp0009")
APPROVER, SUBMITTER = "0122334455", "0155667788"
START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeDingTalk]:
    server = FakeDingTalk([APP], users=[APPROVER, SUBMITTER], clock=ManualClock(START.timestamp()))
    with server:
        yield server


def test_throttled_people_get_their_copy_later(db: Database, fake: FakeDingTalk) -> None:
    with db.sessions() as s:
        outbox.enqueue(s, dedupe_key="d1", platform="dingtalk", target_kind="user", target=f"{APPROVER}|{SUBMITTER}",
                       msg_type="text", payload={"content": "合同 HT-1 待你审批"}, now=START)  # fmt: skip
        s.commit()
    clock = FixedClock(START)
    with DingTalkClient(
        fake.base_url, fake.base_url, APP.app_key, APP.app_secret, APP.robot_code, MemoryTokenStore(), clock=fake.clock
    ) as client:
        deliverer = Deliverer(db, {"dingtalk": DingTalkChannel(client, template_id=None)}, clock)
        fake.flow_control_next(SUBMITTER)
        deliverer.run_once()
        assert len(fake.inbox_of(APPROVER)) == 1 and fake.inbox_of(SUBMITTER) == []
        clock.set(START + timedelta(seconds=61))
        deliverer.run_once()
    assert len(fake.inbox_of(SUBMITTER)) == 1 and len(fake.inbox_of(APPROVER)) == 1
    with db.sessions() as s:
        rows = [(r.target, r.status) for r in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert rows == [(f"{APPROVER}|{SUBMITTER}", "sent"), (SUBMITTER, "sent")]
