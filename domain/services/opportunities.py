"""Opportunities: stages with allowed transitions, amounts, and optimistic versions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from domain.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from domain.models import STAGE_LABELS, Customer, Opportunity, Stage, StageChange, User
from domain.rules import CLOSED_STAGES, OPEN_STAGES, can_transition
from domain.snapshot import snapshot
from domain.uow import UnitOfWork

OPP_FIELDS = ("name", "stage", "amount", "expected_close_date", "owner_id", "version")


def create_opportunity(
    uow: UnitOfWork,
    customer: Customer,
    owner: User,
    name: str | None = None,
    amount: Decimal | None = None,
    expected_close_date: date | None = None,
    stage: Stage = Stage.LEAD,
) -> Opportunity:
    if amount is not None and amount < 0:
        raise ValidationFailed("金额不能为负数")
    now = uow.clock.now()
    opp = Opportunity(
        customer_id=customer.id,
        name=name or f"{customer.name} 商机",
        stage=stage,
        amount=amount,
        expected_close_date=expected_close_date,
        owner_id=owner.id,
        created_at=now,
        updated_at=now,
        last_touched_at=now,
        closed_at=now if stage in CLOSED_STAGES else None,
    )
    opp.history.append(
        StageChange(from_stage=None, to_stage=stage, changed_at=now, changed_by_id=uow.actor_id)
    )
    uow.session.add(opp)
    uow.flush()
    uow.audit("opportunity.create", "opportunity", opp.id, None, snapshot(opp, OPP_FIELDS))
    return opp


def get_opportunity(uow: UnitOfWork, opportunity_id: int, expected_version: int | None = None) -> Opportunity:
    """Load an opportunity; with ``expected_version`` refuse a stale view at once."""
    opp = uow.session.get(Opportunity, opportunity_id)
    if opp is None:
        raise NotFound(f"找不到商机 #{opportunity_id}")
    if expected_version is not None and opp.version != expected_version:
        raise Conflict("该商机刚被其他人修改过，请刷新后重试")
    return opp


def open_opportunity_of(uow: UnitOfWork, customer: Customer, owner: User | None = None) -> Opportunity | None:
    """The customer's most recently touched open opportunity, if any (only ``owner``'s when given).

    Whoever records work on a shared customer passes themselves as ``owner``, so a
    visit, quote or contract never moves a colleague's opportunity.
    """
    query = select(Opportunity).where(
        Opportunity.customer_id == customer.id, Opportunity.stage.in_([s.value for s in OPEN_STAGES])
    )
    if owner is not None:
        query = query.where(Opportunity.owner_id == owner.id)
    return uow.session.scalar(
        query
        .order_by(Opportunity.last_touched_at.desc(), Opportunity.id.desc())
        .limit(1)
    )


def change_stage(uow: UnitOfWork, opp: Opportunity, target: Stage) -> StageChange:
    current = Stage(opp.stage)
    if current == target:
        raise InvalidTransition(f"商机已经处于「{STAGE_LABELS[target]}」阶段")
    if not can_transition(current, target):
        raise InvalidTransition(f"商机不能从「{STAGE_LABELS[current]}」改为「{STAGE_LABELS[target]}」")
    before = snapshot(opp, OPP_FIELDS)
    now = uow.clock.now()
    opp.stage = target
    opp.updated_at = now
    opp.last_touched_at = now
    opp.closed_at = now if target in CLOSED_STAGES else None
    change = StageChange(from_stage=current, to_stage=target, changed_at=now, changed_by_id=uow.actor_id)
    opp.history.append(change)
    uow.flush()
    uow.audit("opportunity.stage", "opportunity", opp.id, before, snapshot(opp, OPP_FIELDS))
    return change


def update_opportunity(
    uow: UnitOfWork,
    opp: Opportunity,
    *,
    amount: Decimal | None = None,
    expected_close_date: date | None = None,
    name: str | None = None,
) -> Opportunity:
    if amount is not None and amount < 0:
        raise ValidationFailed("金额不能为负数")
    before = snapshot(opp, OPP_FIELDS)
    if amount is not None:
        opp.amount = amount
    if expected_close_date is not None:
        opp.expected_close_date = expected_close_date
    if name is not None:
        opp.name = name
    now = uow.clock.now()
    opp.updated_at = now
    opp.last_touched_at = now
    uow.flush()
    uow.audit("opportunity.update", "opportunity", opp.id, before, snapshot(opp, OPP_FIELDS))
    return opp


def touch_opportunity(uow: UnitOfWork, opp: Opportunity) -> None:
    """A visit or a quote counts as touching the opportunity (for 7/14-day reminders)."""
    opp.last_touched_at = uow.clock.now()
