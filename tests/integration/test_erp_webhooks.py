"""ERP webhooks end to end on both databases: publish → outbox → Deliverer → a real HTTP receiver.

Retries are driven the way production drives them: the delivery worker's
``run_once`` with the clock moved past each backoff.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.delivery import RETRY_SCHEDULES, Deliverer
from bot.erp import GONE_REASON, ErpWebhookChannel, verify_signature
from domain.clock import FixedClock
from domain.db import Database
from domain.errors import ValidationFailed
from domain.models import AuditEntry, OutboxMessage, WebhookEndpoint
from domain.services import webhooks
from domain.uow import UnitOfWork
from tests.erp_receiver import HANG, ErpReceiver

SECRET = "kingdee-shared-secret-0123456789"
CONTRACT = {
    "contract_id": 7,
    "number": "HT-20261125-001",
    "customer": "华为技术有限公司",
    "amount": Decimal("380000.00"),
    "signed_on": date(2026, 11, 25),
}


@pytest.fixture
def channel() -> Iterator[ErpWebhookChannel]:
    """Short timeouts so a hanging receiver costs the test half a second, not ten."""
    ch = ErpWebhookChannel(timeout=httpx.Timeout(0.5, connect=0.5))
    yield ch
    ch.close()


def add(db: Database, clock: FixedClock, url: str, secret: str = SECRET) -> int:
    with UnitOfWork(db, clock, actor_label="admin") as uow:
        endpoint = webhooks.add_endpoint(uow, url, secret)
        uow.commit()
        return endpoint.id


def publish(db: Database, clock: FixedClock, event_id: str = "contract-approved-7", **data: Any) -> int:
    with UnitOfWork(db, clock, actor_label="财务", cause="wecom:msg-1") as uow:
        written = webhooks.publish(uow, "contract.approved", data or dict(CONTRACT), event_id=event_id)
        uow.commit()
        return written


def rows(db: Database) -> list[OutboxMessage]:
    with db.sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def endpoint(db: Database, endpoint_id: int) -> WebhookEndpoint:
    with db.sessions() as session:
        found = session.get(WebhookEndpoint, endpoint_id)
        assert found is not None
        return found


def test_500_then_timeout_then_200_delivers_once_signed(
    db: Database, clock: FixedClock, channel: ErpWebhookChannel
) -> None:
    deliverer = Deliverer(db, {"erp": channel}, clock)
    with ErpReceiver([500, HANG, 200]) as erp:
        add(db, clock, erp.url)
        assert publish(db, clock) == 1
        published_at = clock.now()

        assert deliverer.run_once() == 1
        [row] = rows(db)
        assert (row.status, row.attempts, row.last_errcode) == ("pending", 1, 500)
        assert row.next_attempt_at == published_at + timedelta(minutes=1)
        clock.advance(timedelta(seconds=59))
        assert deliverer.run_once() == 0  # not due yet

        clock.advance(timedelta(seconds=1))
        assert deliverer.run_once() == 1
        [row] = rows(db)
        assert (row.status, row.attempts, row.last_errcode) == ("pending", 2, None)
        assert row.last_error is not None and row.last_error.startswith("timeout")
        assert row.next_attempt_at == clock.now() + timedelta(minutes=5)

        clock.advance(timedelta(minutes=5))
        assert deliverer.run_once() == 1
        [row] = rows(db)
        assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
        assert row.sent_at == clock.now()
        sent_at = clock.now()

        clock.advance(timedelta(days=2))
        assert deliverer.run_once() == 0
        assert erp.answers == [500, HANG, 200]

    first, _, ok = erp.received
    assert ok.body == first.body  # every retry carries the same event, byte for byte
    assert ok.headers["content-type"] == "application/json"
    assert ok.headers["x-salesbot-event-id"] == "contract-approved-7"
    assert ok.headers["x-salesbot-event-type"] == "contract.approved"
    assert int(ok.headers["x-salesbot-timestamp"]) == int(sent_at.timestamp())
    assert verify_signature(
        SECRET, ok.headers["x-salesbot-timestamp"], ok.body, ok.headers["x-salesbot-signature"], sent_at
    )
    event = json.loads(ok.body.decode("utf-8"))
    assert event == {
        "id": "contract-approved-7",
        "type": "contract.approved",
        "created_at": "2026-11-25T10:00:00+08:00",
        "data": {
            "contract_id": 7,
            "number": "HT-20261125-001",
            "customer": "华为技术有限公司",
            "amount": "380000.00",
            "signed_on": "2026-11-25",
        },
    }
    assert "华为".encode() in ok.body and b" " not in ok.body  # UTF-8, compact


def test_publishing_the_same_event_twice_delivers_once(
    db: Database, clock: FixedClock, channel: ErpWebhookChannel
) -> None:
    with ErpReceiver() as erp:
        add(db, clock, erp.url)
        with UnitOfWork(db, clock, actor_label="财务", cause="wecom:msg-1") as uow:
            event = dict(CONTRACT)
            assert webhooks.publish(uow, "contract.approved", event, event_id="contract-approved-7") == 1
            assert webhooks.publish(uow, "contract.approved", event, event_id="contract-approved-7") == 0
            uow.commit()
        assert publish(db, clock) == 0  # a re-run of the approval transaction
        assert Deliverer(db, {"erp": channel}, clock).run_once() == 1
        assert publish(db, clock) == 0  # even after it was sent
        assert Deliverer(db, {"erp": channel}, clock).run_once() == 0
        assert erp.answers == [200]
    [row] = rows(db)
    assert row.dedupe_key.startswith("erp:contract-approved-7:")
    assert (row.platform, row.target_kind, row.msg_type, row.cause_event) == (
        "erp",
        "webhook",
        "event",
        "wecom:msg-1",
    )
    with db.sessions() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "webhook.publish")).all()
    assert [(a.entity_id, a.actor_label) for a in audit] == [("contract-approved-7", "财务")]


def test_rolled_back_transaction_publishes_nothing(db: Database, clock: FixedClock) -> None:
    add(db, clock, "https://erp.example.com/hook")
    with UnitOfWork(db, clock) as uow:
        assert webhooks.publish(uow, "contract.approved", dict(CONTRACT), event_id="contract-approved-7") == 1
        # the approval fails after publishing: no commit
    assert rows(db) == []


def test_410_disables_the_endpoint_and_later_events_skip_it(
    db: Database, clock: FixedClock, channel: ErpWebhookChannel
) -> None:
    with ErpReceiver([410]) as gone, ErpReceiver() as alive:
        gone_id = add(db, clock, gone.url)
        alive_id = add(db, clock, alive.url)
        assert publish(db, clock, "contract-approved-7") == 2
        assert Deliverer(db, {"erp": channel}, clock).run_once() == 2

        by_target = {r.target: r for r in rows(db)}
        failed = by_target[gone.url]
        assert (failed.status, failed.last_errcode) == ("failed", 410)
        assert failed.last_error is not None and failed.last_error.startswith("HTTP 410 Gone")
        assert by_target[alive.url].status == "sent"
        e = endpoint(db, gone_id)
        assert (e.active, e.disabled_reason, e.disabled_at) == (False, GONE_REASON, clock.now())
        assert endpoint(db, alive_id).active

        clock.advance(timedelta(hours=1))
        assert publish(db, clock, "contract-approved-8") == 1
        assert Deliverer(db, {"erp": channel}, clock).run_once() == 1
        assert gone.answers == [410] and alive.answers == [200, 200]
    with db.sessions() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "webhook.disable")).one()
    assert audit.after is not None
    assert (audit.entity_id, audit.actor_label, audit.after["disabled_reason"]) == (
        str(gone_id),
        "delivery",
        GONE_REASON,
    )


def test_rows_for_an_endpoint_disabled_meanwhile_fail_without_a_request(
    db: Database, clock: FixedClock, channel: ErpWebhookChannel
) -> None:
    with ErpReceiver() as erp:
        endpoint_id = add(db, clock, erp.url)
        publish(db, clock)
        with db.sessions() as session:
            webhooks.disable_endpoint(session, endpoint_id, "ERP 迁移中", clock.now(), actor_label="admin")
            session.commit()
        assert Deliverer(db, {"erp": channel}, clock).run_once() == 1
        assert erp.received == []
    [row] = rows(db)
    assert row.status == "failed" and row.last_error == "webhook 已停用 / endpoint disabled: ERP 迁移中"


@pytest.mark.parametrize(
    ("answer", "status", "errcode"),
    [
        (400, "failed", 400),  # the ERP rejects this event: retrying will not help
        (302, "failed", 302),  # a redirected POST may lose its body: not followed
        (429, "pending", 429),  # rate limited: later
        (503, "pending", 503),
    ],
)
def test_what_each_answer_means(
    db: Database, clock: FixedClock, channel: ErpWebhookChannel, answer: int, status: str, errcode: int
) -> None:
    with ErpReceiver([answer]) as erp:
        endpoint_id = add(db, clock, erp.url)
        publish(db, clock)
        Deliverer(db, {"erp": channel}, clock).run_once()
    [row] = rows(db)
    assert (row.status, row.last_errcode) == (status, errcode)
    assert row.last_error is not None and row.last_error.startswith(f"HTTP {answer}")
    assert endpoint(db, endpoint_id).active  # only 410 disables
    if answer == 400:
        assert '"error":"status 400"' in row.last_error  # the ERP's explanation is kept
    if answer == 302:
        assert "https://erp.example.com/elsewhere" in row.last_error


def test_gives_up_after_the_hours_long_schedule(
    db: Database, clock: FixedClock, channel: ErpWebhookChannel
) -> None:
    schedule = RETRY_SCHEDULES["erp"]
    deliverer = Deliverer(db, {"erp": channel}, clock)
    with ErpReceiver(then=503) as erp:
        add(db, clock, erp.url)
        publish(db, clock)
        started = clock.now()
        for attempt, delay in enumerate(schedule, start=1):
            assert deliverer.run_once() == 1
            [row] = rows(db)
            assert (row.status, row.attempts) == ("pending", attempt)
            assert row.next_attempt_at == clock.now() + delay
            clock.advance(delay)
        assert deliverer.run_once() == 1
        assert len(erp.received) == len(schedule) + 1
    [row] = rows(db)
    assert (row.status, row.last_errcode) == ("failed", 503)
    assert row.last_error is not None
    assert row.last_error.startswith(f"gave up after {len(schedule) + 1} attempts: HTTP 503")
    assert timedelta(hours=20) < clock.now() - started <= timedelta(hours=24)
    with db.sessions() as session:
        assert [r.id for r in webhooks.failures(session)] == [row.id]
        assert webhooks.delivery_counts(session)[erp.url] == webhooks.DeliveryCounts(failed=1)


def test_a_hanging_endpoint_costs_one_timeout_per_pass_not_one_per_event(
    db: Database, clock: FixedClock, channel: ErpWebhookChannel
) -> None:
    with ErpReceiver(then=HANG) as erp:
        add(db, clock, erp.url)
        for n in range(3):
            publish(db, clock, f"contract-approved-{n}")
        assert Deliverer(db, {"erp": channel}, clock).run_once() == 3
        assert len(erp.received) == 1
    first, *others = rows(db)
    assert first.last_error is not None and first.last_error.startswith("timeout")
    for row in others:
        assert row.status == "pending" and row.last_error is not None
        assert row.last_error.startswith("not tried: endpoint unreachable")


def test_failures_lists_retrying_and_failed_and_retry_requeues(
    db: Database, clock: FixedClock, channel: ErpWebhookChannel
) -> None:
    deliverer = Deliverer(db, {"erp": channel}, clock)
    with ErpReceiver([422, 500]) as erp:
        endpoint_id = add(db, clock, erp.url)
        publish(db, clock, "contract-approved-1")
        publish(db, clock, "contract-approved-2")
        publish(db, clock, "contract-approved-3")
        deliverer.run_once()
        with db.sessions() as session:
            listed = webhooks.failures(session)
            assert [(r.payload["id"], r.status) for r in listed] == [
                ("contract-approved-2", "pending"),
                ("contract-approved-1", "failed"),
            ]
            assert webhooks.delivery_counts(session)[erp.url] == webhooks.DeliveryCounts(
                pending=1, sent=1, failed=1
            )
            assert webhooks.retry_failed(session, erp.url, clock.now(), actor_label="admin") == 1
            session.commit()
        clock.advance(timedelta(minutes=1))
        assert deliverer.run_once() == 2
        assert erp.answers == [422, 500, 200, 200, 200]
    assert {r.status for r in rows(db)} == {"sent"}
    with db.sessions() as session:
        assert webhooks.failures(session) == []
        webhooks.disable_endpoint(session, endpoint_id, "off", clock.now())
        with pytest.raises(ValidationFailed):
            webhooks.retry_failed(session, endpoint_id, clock.now())


def test_endpoint_rules(db: Database, clock: FixedClock) -> None:
    assert publish(db, clock) == 0  # no endpoints: nothing queued, nothing audited
    with pytest.raises(ValidationFailed, match="http"):
        add(db, clock, "ftp://erp.example.com/hook")
    with pytest.raises(ValidationFailed, match="secret"):
        add(db, clock, "https://erp.example.com/hook", secret="short")
    endpoint_id = add(db, clock, "https://erp.example.com/hook")
    with pytest.raises(ValidationFailed, match="already exists"):
        add(db, clock, "https://erp.example.com/hook")
    with UnitOfWork(db, clock) as uow, pytest.raises(TypeError):
        webhooks.publish(uow, "contract.approved", {"contract": object()}, event_id="x")
    with db.sessions() as session:
        webhooks.disable_endpoint(session, "https://erp.example.com/hook", "test", clock.now())
        session.commit()
        assert publish(db, clock) == 0
        webhooks.enable_endpoint(session, str(endpoint_id), clock.now())
        session.commit()
        assert publish(db, clock) == 1
        audit = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "webhook_endpoint")).all()
        assert [a.action for a in audit] == ["webhook.add", "webhook.disable", "webhook.enable"]
        assert all("secret" not in (a.after or {}) for a in audit)
