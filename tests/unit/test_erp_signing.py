"""The webhook signature scheme (what the ERP side implements) and the retry schedules."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from bot.delivery import RETRY_SCHEDULES, backoff, retry_delay
from bot.erp import event_body, sign, verify_signature

SECRET = "yonyou-shared-secret-abcdef"
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TS = str(int(NOW.timestamp()))
BODY = event_body({"id": "contract-approved-7", "type": "contract.approved", "data": {"amount": "380000.00"}})


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    # Spelled out independently of bot.erp, the way the README tells the ERP side to compute it.
    expected = hmac.new(SECRET.encode(), f"{TS}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, TS, BODY) == "sha256=" + expected
    compact = b'{"id":"contract-approved-7","type":"contract.approved","data":{"amount":"380000.00"}}'
    assert compact == BODY


def test_verify_accepts_the_real_thing_within_tolerance() -> None:
    header = sign(SECRET, TS, BODY)
    assert verify_signature(SECRET, TS, BODY, header, NOW)
    assert verify_signature(SECRET, TS, BODY, header, NOW + timedelta(seconds=300))
    assert verify_signature(SECRET, TS, BODY, header, NOW - timedelta(seconds=300))  # receiver's clock behind


def test_verify_refuses_tampering_wrong_secret_replay_and_garbage() -> None:
    header = sign(SECRET, TS, BODY)
    assert not verify_signature(SECRET, TS, BODY.replace(b"380000", b"980000"), header, NOW)
    assert not verify_signature("another-secret-0000000", TS, BODY, header, NOW)
    assert not verify_signature(SECRET, TS, BODY, header, NOW + timedelta(seconds=301))  # replayed later
    assert not verify_signature(SECRET, str(int(TS) + 1), BODY, header, NOW)  # timestamp is signed too
    assert not verify_signature(SECRET, "not-a-number", BODY, header, NOW)
    assert not verify_signature(SECRET, TS, BODY, header.removeprefix("sha256="), NOW)
    assert not verify_signature(SECRET, TS, BODY, "sha256=" + "0" * 64, NOW)
    assert not verify_signature(SECRET, TS, BODY, "", NOW)


def test_chat_keeps_its_short_backoff_and_erp_retries_for_about_a_day() -> None:
    for attempts in range(1, 12):
        assert retry_delay("wecom", attempts) == backoff(attempts)
        assert retry_delay("dingtalk", attempts) == backoff(attempts)
    schedule = RETRY_SCHEDULES["erp"]
    assert [retry_delay("erp", n) for n in range(1, len(schedule) + 1)] == list(schedule)
    assert retry_delay("erp", len(schedule) + 1) is None
    assert schedule[0] == timedelta(minutes=1) and max(schedule) >= timedelta(hours=12)
    assert timedelta(hours=20) < sum(schedule, timedelta()) <= timedelta(hours=24)
