"""ERP webhooks: signed JSON events for the finance system (金蝶 / 用友).

When something the ERP must know about happens (a contract gets its final
approval), the use case calls ``publish`` inside its own unit of work. That
writes one outbox row per active endpoint in the same transaction, so an
approval that rolls back never announces itself and a committed one always
does. The outbox's delivery worker (``bot/erp.py`` behind the channel
interface) signs and POSTs the event and retries it for hours; this module
knows nothing about HTTP.

The event id is the idempotency key twice over: the outbox dedupe key
(``erp:<event id>:<endpoint id>``) makes a repeated ``publish`` a no-op,
and the ERP side sees the same id on every retry of one delivery, so it can
drop a duplicate that a lost response caused.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.clock import format_local
from domain.errors import NotFound, ValidationFailed
from domain.models import AuditEntry, OutboxMessage, WebhookEndpoint
from domain.services import outbox
from domain.snapshot import jsonable, snapshot
from domain.uow import UnitOfWork

PLATFORM = "erp"
TARGET_KIND = "webhook"
MSG_TYPE = "event"
MIN_SECRET_LEN = 16
MAX_EVENT_ID_LEN = 200  # the dedupe key column holds 300 characters
ENDPOINT_FIELDS = ("url", "active", "created_at", "disabled_at", "disabled_reason")


@dataclass(frozen=True)
class DeliveryCounts:
    """Deliveries to one endpoint by state; ``pending`` includes rows being sent right now."""

    pending: int = 0
    sent: int = 0
    failed: int = 0


# ------------------------------------------------------------------ endpoints
def add_endpoint(uow: UnitOfWork, url: str, secret: str) -> WebhookEndpoint:
    """Register an endpoint; the secret is what the ERP side uses to verify our signature."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        raise ValidationFailed(f"地址必须以 http:// 或 https:// 开头 / URL must start with http(s)://: {url}")
    if len(url) > 512:
        raise ValidationFailed("地址过长（最多 512 字符）/ URL longer than 512 characters")
    if len(secret) < MIN_SECRET_LEN or len(secret) > 200:
        raise ValidationFailed(
            f"密钥长度须为 {MIN_SECRET_LEN}–200 字符 / secret must be {MIN_SECRET_LEN}-200 characters"
        )
    existing = uow.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.url == url))
    if existing is not None:
        state = "" if existing.active else "（已停用，可用 webhooks enable 重新启用 / disabled: use webhooks enable）"
        raise ValidationFailed(f"该地址已登记 / endpoint already exists: #{existing.id} {url}{state}")
    endpoint = WebhookEndpoint(url=url, secret=secret, active=True, created_at=uow.clock.now())
    uow.session.add(endpoint)
    uow.flush()
    # The secret never goes into the audit log.
    uow.audit("webhook.add", "webhook_endpoint", endpoint.id, after=snapshot(endpoint, ENDPOINT_FIELDS))
    return endpoint


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def find_endpoint(session: Session, url_or_id: str | int) -> WebhookEndpoint:
    """An endpoint by its number (as the CLI lists it) or its exact URL."""
    if isinstance(url_or_id, int) or url_or_id.strip().isdigit():
        endpoint = session.get(WebhookEndpoint, int(url_or_id))
    else:
        endpoint = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.url == url_or_id.strip()))
    if endpoint is None:
        raise NotFound(f"没有这个 webhook / no such webhook endpoint: {url_or_id}")
    return endpoint


def endpoint_for_url(session: Session, url: str) -> WebhookEndpoint | None:
    """The endpoint an outbox row is addressed to (the row's target is the URL)."""
    return session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.url == url))


def disable_endpoint(
    session: Session, url_or_id: str | int, reason: str, now: datetime, actor_label: str = "system"
) -> WebhookEndpoint:
    """Stop sending to an endpoint (HTTP 410 from the ERP, or an admin).

    Takes a plain session because the delivery worker disables endpoints
    from inside a delivery; the caller commits. Rows already queued for the
    endpoint fail when their turn comes instead of being sent.
    """
    endpoint = find_endpoint(session, url_or_id)
    if not endpoint.active:
        return endpoint
    before = snapshot(endpoint, ENDPOINT_FIELDS)
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    _audit(session, now, actor_label, "webhook.disable", endpoint, before)
    return endpoint


def enable_endpoint(
    session: Session, url_or_id: str | int, now: datetime, actor_label: str = "system"
) -> WebhookEndpoint:
    """Send to an endpoint again.

    Events published while it was off were never queued for it and are not
    replayed; deliveries that failed can be re-queued with ``retry_failed``.
    """
    endpoint = find_endpoint(session, url_or_id)
    if endpoint.active:
        return endpoint
    before = snapshot(endpoint, ENDPOINT_FIELDS)
    endpoint.active = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    _audit(session, now, actor_label, "webhook.enable", endpoint, before)
    return endpoint


def _audit(
    session: Session,
    now: datetime,
    actor_label: str,
    action: str,
    endpoint: WebhookEndpoint,
    before: dict[str, Any],
) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor_id=None,
            actor_label=actor_label,
            action=action,
            entity_type="webhook_endpoint",
            entity_id=str(endpoint.id),
            before=before,
            after=snapshot(endpoint, ENDPOINT_FIELDS),
        )
    )


# ------------------------------------------------------------------ events
def publish(uow: UnitOfWork, event_type: str, data: dict[str, Any], event_id: str) -> int:
    """Queue the event for every active endpoint, in the caller's transaction; returns rows written.

    ``data`` is made JSON-safe the way exports are (Decimal → "380000.00",
    datetimes → ISO-8601 in business time); anything else that JSON cannot
    carry raises ``TypeError`` here rather than in the delivery worker.
    Publishing an event id again writes nothing for endpoints that already
    have it (an endpoint added in between does get it).
    """
    if not event_id or len(event_id) > MAX_EVENT_ID_LEN:
        raise ValueError(f"event_id must be 1-{MAX_EVENT_ID_LEN} characters, got {event_id!r}")
    if not event_type:
        raise ValueError("event_type must not be empty")
    now = uow.clock.now()
    payload = {"id": event_id, "type": event_type, "created_at": format_local(now), "data": jsonable(data)}
    json.dumps(payload, ensure_ascii=False)  # fail now, inside the use case, not at delivery
    written: list[int] = []
    for endpoint in uow.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)).order_by(WebhookEndpoint.id)
    ):
        row = outbox.enqueue(
            uow.session,
            dedupe_key=f"erp:{event_id}:{endpoint.id}",
            platform=PLATFORM,
            target_kind=TARGET_KIND,
            target=endpoint.url,
            msg_type=MSG_TYPE,
            payload=payload,
            now=now,
            cause_event=uow.cause,
        )
        if row is not None:
            written.append(endpoint.id)
    if written:
        uow.audit("webhook.publish", "event", event_id, after={"type": event_type, "endpoints": written})
    return len(written)


# ------------------------------------------------------------------ deliveries
def _erp_rows() -> Any:
    return select(OutboxMessage).where(OutboxMessage.platform == PLATFORM)


def delivery_counts(session: Session) -> dict[str, DeliveryCounts]:
    """Per endpoint URL: how many deliveries are pending (or retrying), sent, failed."""
    raw: dict[str, dict[str, int]] = defaultdict(dict)
    for target, status, count in session.execute(
        select(OutboxMessage.target, OutboxMessage.status, func.count())
        .where(OutboxMessage.platform == PLATFORM)
        .group_by(OutboxMessage.target, OutboxMessage.status)
    ):
        raw[target][status] = count
    return {
        target: DeliveryCounts(
            pending=by_status.get("pending", 0) + by_status.get("sending", 0),
            sent=by_status.get("sent", 0),
            failed=by_status.get("failed", 0),
        )
        for target, by_status in raw.items()
    }


def failures(session: Session, limit: int = 100) -> list[OutboxMessage]:
    """Deliveries that failed for good, and those still retrying after an error; newest first."""
    query = (
        _erp_rows()
        .where(
            (OutboxMessage.status == "failed")
            | (OutboxMessage.status.in_(("pending", "sending")) & OutboxMessage.last_error.is_not(None))
        )
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def retry_failed(session: Session, url_or_id: str | int, now: datetime, actor_label: str = "system") -> int:
    """Queue an endpoint's failed deliveries again from the start of the retry schedule.

    For after an outage longer than the schedule, or a 4xx the ERP side has
    since fixed. The endpoint must be active. Returns how many rows were re-queued.
    """
    endpoint = find_endpoint(session, url_or_id)
    if not endpoint.active:
        raise ValidationFailed(
            f"webhook #{endpoint.id} 已停用，请先 enable / is disabled, enable it first "
            f"({endpoint.disabled_reason})"
        )
    rows = list(
        session.scalars(
            _erp_rows().where(OutboxMessage.target == endpoint.url, OutboxMessage.status == "failed")
        )
    )
    for row in rows:
        row.status = "pending"
        row.attempts = 0
        row.next_attempt_at = now
    if rows:
        session.add(
            AuditEntry(
                at=now,
                actor_id=None,
                actor_label=actor_label,
                action="webhook.retry",
                entity_type="webhook_endpoint",
                entity_id=str(endpoint.id),
                after={"outbox_ids": [row.id for row in rows]},
            )
        )
    return len(rows)
