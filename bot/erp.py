"""ERP webhooks behind the channel interface: outbox rows (platform "erp") → signed HTTP POSTs.

``domain.services.webhooks.publish`` queues one row per endpoint; the
delivery worker hands each to ``ErpWebhookChannel.deliver``, which signs the
event with the endpoint's secret and POSTs it. What the answer means:

* 2xx: delivered.
* 410 Gone: the ERP side says the hook is gone for good: the endpoint is
  disabled (reason "HTTP 410 Gone") and the row fails.
* 408, 425, 429, 5xx, timeouts, connection errors: ``TryLater``; the
  deliverer retries on the hours-long "erp" schedule in ``bot/delivery.py``.
* any other status (4xx, and 3xx: redirects are not followed, since
  a redirected POST may lose its body): ``Undeliverable``, recorded on the row.

The signature scheme, for whoever writes the receiving side (README
"ERP webhooks"): ``X-Salesbot-Signature: sha256=<hex>`` where ``<hex>`` is
HMAC-SHA256 with the endpoint secret over ``f"{timestamp}.".encode() + body``,
``timestamp`` being the ``X-Salesbot-Timestamp`` header (Unix seconds). The
timestamp bounds replays; the event id header makes retries idempotent.
``verify_signature`` is the reference check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session

from bot.channels import TryLater, Undeliverable
from domain.models import OutboxMessage
from domain.services import webhooks

log = logging.getLogger("salesbot.erp")

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SIGNATURE_PREFIX = "sha256="
GONE_REASON = "HTTP 410 Gone"
# Answers that mean "not now" rather than "never": request timeout, too early, rate limited.
RETRYABLE_4XX = frozenset({408, 425, 429})
# After a timeout or refused connection, other rows for the same URL wait this long without a
# request: the worker thread that delivers also answers chat, and must not sit through one
# connect timeout per queued event while an ERP is down.
UNREACHABLE_PAUSE = timedelta(seconds=60)
ERROR_BODY_CHARS = 300


def event_body(payload: dict[str, Any]) -> bytes:
    """The bytes we POST and sign: compact UTF-8 JSON (Chinese stays readable, not \\u-escaped)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Salesbot-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(
    secret: str, timestamp: str, body: bytes, header: str, now: datetime, tolerance: int = 300
) -> bool:
    """The receiving side's check: right secret, untouched body, sent within ``tolerance`` seconds of ``now``.

    ``timestamp`` and ``header`` are the raw ``X-Salesbot-Timestamp`` and
    ``X-Salesbot-Signature`` values; ``body`` the raw request bytes (verify
    before parsing JSON). Compares in constant time.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now.timestamp() - sent_at) > tolerance:
        return False
    if not header.startswith(SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), header.strip())


class ErpWebhookChannel:
    """Delivers ``platform="erp"`` outbox rows; cheap to build, so every runtime has one."""

    platform = "erp"

    def __init__(
        self, timeout: httpx.Timeout = DEFAULT_TIMEOUT, user_agent: str = "salesbot-webhooks/1"
    ) -> None:
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": user_agent})
        self._unreachable_until: dict[str, datetime] = {}

    def close(self) -> None:
        self._http.close()

    def download(self, media_id: str) -> bytes:
        raise NotImplementedError("ERP webhooks do not receive media")

    def deliver(self, session: Session, row: OutboxMessage, now: datetime) -> str | None:
        endpoint = webhooks.endpoint_for_url(session, row.target)
        if endpoint is None:
            raise Undeliverable(None, "没有这个 webhook / no webhook endpoint with this URL")
        if not endpoint.active:
            reason = endpoint.disabled_reason or "no reason given"
            raise Undeliverable(None, f"webhook 已停用 / endpoint disabled: {reason}")
        paused = self._unreachable_until.get(row.target)
        if paused is not None and now < paused:
            raise TryLater(None, f"not tried: endpoint unreachable moments ago (until {paused:%H:%M:%S} UTC)")

        body = event_body(row.payload)
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "X-Salesbot-Event-Id": str(row.payload["id"]),
            "X-Salesbot-Event-Type": str(row.payload["type"]),
            "X-Salesbot-Timestamp": str(timestamp),
            "X-Salesbot-Signature": sign(endpoint.secret, timestamp, body),
        }
        try:
            response = self._http.post(row.target, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            self._unreachable_until[row.target] = now + UNREACHABLE_PAUSE
            raise TryLater(None, f"timeout: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:  # connection refused, DNS, TLS, protocol errors
            self._unreachable_until[row.target] = now + UNREACHABLE_PAUSE
            raise TryLater(None, f"{type(exc).__name__}: {exc}") from exc
        self._unreachable_until.pop(row.target, None)

        status = response.status_code
        if 200 <= status < 300:
            return None
        detail = f"HTTP {status} {response.reason_phrase}".rstrip()
        snippet = response.text[:ERROR_BODY_CHARS].strip()
        message = f"{detail}: {snippet}" if snippet else detail
        if status == 410:
            webhooks.disable_endpoint(session, endpoint.id, GONE_REASON, now, actor_label="delivery")
            log.warning("webhook endpoint gone, disabled", extra={"endpoint_id": endpoint.id})
            raise Undeliverable(status, message)
        if status >= 500 or status in RETRYABLE_4XX:
            raise TryLater(status, message)
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            raise Undeliverable(
                status, f"{detail}: redirects are not followed, register the final URL {location}".rstrip()
            )
        raise Undeliverable(status, message)
