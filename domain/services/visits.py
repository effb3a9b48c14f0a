"""Visits: what a rep did at a customer, and when to follow up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.models import Contact, Customer, User, Visit
from domain.services.customers import touch_customer
from domain.services.opportunities import open_opportunity_of, touch_opportunity
from domain.snapshot import snapshot
from domain.uow import UnitOfWork

VISIT_FIELDS = (
    "customer_id",
    "contact_id",
    "rep_id",
    "visited_at",
    "lat",
    "lng",
    "location_label",
    "summary",
    "next_step",
    "next_follow_up",
)


@dataclass(frozen=True)
class Place:
    lat: float
    lng: float
    label: str | None = None


def log_visit(
    uow: UnitOfWork,
    rep: User,
    customer: Customer | None,
    *,
    visited_at: datetime | None = None,
    contact: Contact | None = None,
    place: Place | None = None,
    summary: str | None = None,
    next_step: str | None = None,
    next_follow_up: date | None = None,
    source_text: str | None = None,
) -> Visit:
    """Record a visit; it touches the customer (waking a dormant one) and its open opportunity."""
    now = uow.clock.now()
    visit = Visit(
        customer_id=customer.id if customer else None,
        contact_id=contact.id if contact else None,
        rep_id=rep.id,
        visited_at=visited_at or now,
        lat=place.lat if place else None,
        lng=place.lng if place else None,
        location_label=place.label if place else None,
        summary=summary,
        next_step=next_step,
        next_follow_up=next_follow_up,
        source_text=source_text,
        created_at=now,
    )
    uow.session.add(visit)
    if customer is not None:
        touch_customer(uow, customer)
        opp = open_opportunity_of(uow, customer)
        if opp is not None:
            touch_opportunity(uow, opp)
    uow.flush()
    uow.audit("visit.create", "visit", visit.id, None, snapshot(visit, VISIT_FIELDS))
    return visit
