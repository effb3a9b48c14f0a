"""Visits: what a rep did at a customer, and when to follow up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

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
    "channel",
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
    channel: str = "visit",
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
        channel=channel,
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


def get_visit(uow: UnitOfWork, visit_id: int) -> Visit | None:
    return uow.session.get(Visit, visit_id)


def update_visit(
    uow: UnitOfWork,
    visit: Visit,
    *,
    customer: Customer | None = None,
    contact: Contact | None = None,
    visited_at: datetime | None = None,
    next_follow_up: date | None = None,
    place: Place | None = None,
) -> Visit:
    """Correct a recorded visit (the rep's "改成下周四跟进"); every change is audited."""
    before = snapshot(visit, VISIT_FIELDS)
    if customer is not None:
        visit.customer_id = customer.id
        visit.customer = customer
        touch_customer(uow, customer)
    if contact is not None:
        visit.contact_id = contact.id
        visit.contact = contact
    if visited_at is not None:
        visit.visited_at = visited_at
    if next_follow_up is not None:
        visit.next_follow_up = next_follow_up
    if place is not None:
        visit.lat, visit.lng, visit.location_label = place.lat, place.lng, place.label
    uow.flush()
    uow.audit("visit.update", "visit", visit.id, before, snapshot(visit, VISIT_FIELDS))
    return visit


def undo_visit(uow: UnitOfWork, visit: Visit) -> None:
    """The rep's 撤销: the visit is removed, and the audit log keeps what it was."""
    before = snapshot(visit, VISIT_FIELDS)
    uow.session.delete(visit)
    uow.flush()
    uow.audit("visit.undo", "visit", visit.id, before, None)


def recent_visit(uow: UnitOfWork, rep: User, since: datetime) -> Visit | None:
    """The rep's latest visit recorded since ``since`` (a location shared right after typing it)."""
    return uow.session.scalar(
        select(Visit)
        .where(Visit.rep_id == rep.id, Visit.created_at >= since)
        .order_by(Visit.created_at.desc())
        .limit(1)
    )
