"""What a person does with a reminder card: 已跟进 (done) or 明天再提醒 (snooze).

The follow-up, stale-opportunity and dormant-customer jobs send one card per item;
a tap lands here. 已跟进 records the touch the way the rest of the system reads it:
an opportunity's ``last_touched_at`` (no longer stale), a customer's interaction
(``touch_customer``: no longer dormant), a follow-up closed by a ``done`` mark (the
follow-up rule, "open until a later visit", gains "or until marked done").
明天再提醒 keeps the item out of its job until the next workday: every run of that day shows it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from domain.clock import BUSINESS_TZ, to_local
from domain.errors import DomainError
from domain.models import Customer, Opportunity, ReminderMark, User, Visit
from domain.services.customers import touch_customer
from domain.services.opportunities import touch_opportunity
from domain.uow import UnitOfWork
from domain.workcalendar import is_workday

FOLLOWUP = "followup"
OPPORTUNITY = "opportunity"
CUSTOMER = "customer"
KINDS = (FOLLOWUP, OPPORTUNITY, CUSTOMER)
SNOOZE_TIME = time(9, 0)


def next_workday_morning(now: datetime) -> datetime:
    """The next workday after ``now``'s business date, at 09:00 business time (aware, UTC)."""
    day = to_local(now).date() + timedelta(days=1)
    for _ in range(60):  # the longest run of days off is far shorter
        if is_workday(day):
            break
        day += timedelta(days=1)
    return datetime.combine(day, SNOOZE_TIME, tzinfo=BUSINESS_TZ).astimezone(UTC)


def _mark(uow: UnitOfWork, kind: str, entity_id: int, user: User) -> ReminderMark:
    if kind not in KINDS:
        raise ValueError(kind)
    mark = uow.session.scalar(
        select(ReminderMark).where(
            ReminderMark.kind == kind, ReminderMark.entity_id == entity_id, ReminderMark.user_id == user.id
        )
    )
    if mark is None:
        mark = ReminderMark(kind=kind, entity_id=entity_id, user_id=user.id, updated_at=uow.clock.now())
        uow.session.add(mark)
    return mark


def subject(uow: UnitOfWork, kind: str, entity_id: int) -> Visit | Opportunity | Customer:
    """The record a reminder item is about (raises the user-facing error when it is gone)."""
    model = {FOLLOWUP: Visit, OPPORTUNITY: Opportunity, CUSTOMER: Customer}[kind]
    found = uow.session.get(model, entity_id)
    if found is None:
        raise DomainError("这条提醒对应的记录已不存在")
    return found  # type: ignore[return-value]


def mark_done(uow: UnitOfWork, kind: str, entity_id: int, user: User) -> datetime:
    """已跟进: record the touch; the item leaves its reminders (and 我的待办)."""
    record = subject(uow, kind, entity_id)
    now = uow.clock.now()
    if isinstance(record, Opportunity):
        touch_opportunity(uow, record)
        touch_customer(uow, record.customer)
    elif isinstance(record, Customer):
        touch_customer(uow, record)
    elif record.customer is not None:
        touch_customer(uow, record.customer)
    mark = _mark(uow, kind, entity_id, user)
    mark.done_at = now
    mark.snoozed_until = None
    mark.updated_at = now
    uow.audit("reminder.done", kind, entity_id, None, {"by": user.name, "at": now.isoformat()})
    return now


def snooze(uow: UnitOfWork, kind: str, entity_id: int, user: User) -> datetime:
    """明天再提醒: out of the reminders until the next workday, 09:00. Returns that moment."""
    subject(uow, kind, entity_id)
    now = uow.clock.now()
    until = next_workday_morning(now)
    mark = _mark(uow, kind, entity_id, user)
    mark.snoozed_until = until
    mark.updated_at = now
    uow.audit("reminder.snooze", kind, entity_id, None, {"by": user.name, "until": until.isoformat()})
    return until


def snoozed_on(occurrence: datetime) -> datetime:
    """Snoozes ending after this bound still hold at a job run of ``occurrence``.

    A snooze is to a *day* (the next workday): every job run on that day sees the item
    again, whatever its hour (the dormant sweep runs at 08:00, before 09:00).
    """
    day: date = to_local(occurrence).date() + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=BUSINESS_TZ).astimezone(UTC)


def snoozed_items(session: Session, kind: str, occurrence: datetime) -> set[tuple[int, int]]:
    """(entity id, user id) of the items of ``kind`` snoozed at a run of ``occurrence``."""
    rows = session.execute(
        select(ReminderMark.entity_id, ReminderMark.user_id).where(
            ReminderMark.kind == kind, ReminderMark.snoozed_until >= snoozed_on(occurrence)
        )
    )
    return {(e, u) for e, u in rows}


def followup_done(visit_id: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """SQL: a follow-up marked 已跟进 (by anyone)."""
    return exists().where(
        and_(ReminderMark.kind == FOLLOWUP, ReminderMark.entity_id == visit_id, ReminderMark.done_at.is_not(None))
    )


def marks_of(session: Session, kind: str, entity_ids: Iterable[int]) -> list[ReminderMark]:
    ids = list(entity_ids)
    if not ids:
        return []
    return list(session.scalars(select(ReminderMark).where(ReminderMark.kind == kind, ReminderMark.entity_id.in_(ids))))
