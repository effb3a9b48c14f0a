"""Who a deal belongs to, and what 成交 means in numbers.

Two rules every report shares (leaderboard, dashboard, 本周业绩, digest, exports):

* **A contract belongs to its submitter.** It is attached to the submitter's own
  open opportunity on the customer (created when there is none), never to a
  colleague's, even when the customer is owned by someone else; the card says
  whose customer it is (:func:`owner_note`).
* **成交金额 is the approved contract amount**, credited to the contract's owner
  (its submitter) in the week the last approver said yes. An opportunity moved to
  成交 by hand with no approved contract still counts with its own amount (the
  demo history and imported wins have no contracts); once a contract on it is
  approved, only the contract's amount counts, so nothing is counted twice.

:func:`won_amounts` is the one query behind every such number, so the places
that show it cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from domain.errors import ValidationFailed
from domain.models import STAGE_LABELS, Contract, Customer, Opportunity, Quote, Stage, StageChange, User
from domain.rules import OPEN_STAGES
from domain.services.opportunities import create_opportunity, open_opportunity_of
from domain.uow import UnitOfWork

CENT = Decimal("0.01")


# ------------------------------------------------------------------ ownership
def foreign_owner(customer: Customer | None, user: User) -> User | None:
    """The colleague who owns ``customer`` when it is not ``user``'s own (None otherwise)."""
    if customer is None or customer.owner is None or customer.owner_id == user.id:
        return None
    return customer.owner


def owner_note(customer: Customer | None, user: User) -> str | None:
    """The line a visit, quote or contract card shows on a colleague's customer."""
    owner = foreign_owner(customer, user)
    if owner is None or customer is None:
        return None
    return f"{customer.name} 是 {owner.name} 的客户，记在你自己名下"


def contract_opportunity(
    uow: UnitOfWork, submitter: User, customer: Customer, amount: Decimal, quote: Quote | None
) -> tuple[Opportunity, bool]:
    """The submitter's own opportunity for a new contract, and whether it was created now.

    The quote's opportunity when it is the submitter's and still open; else the
    submitter's open opportunity on the customer; else a new one (stage 谈判, the
    contract's amount). A colleague's opportunity is never chosen.
    """
    open_values = [s.value for s in OPEN_STAGES]
    if quote is not None and quote.opportunity_id is not None:
        opp = uow.session.get(Opportunity, quote.opportunity_id)
        if opp is not None and opp.owner_id == submitter.id and opp.stage in open_values:
            return opp, False
    opp = open_opportunity_of(uow, customer, owner=submitter)
    if opp is not None:
        return opp, False
    created = create_opportunity(
        uow, customer, submitter, name=f"{customer.name} 合同", amount=amount, stage=Stage.NEGOTIATION
    )
    return created, True


def own_open_opportunities(session: Session, submitter: User, customer: Customer, limit: int = 8) -> list[Opportunity]:
    """The submitter's open opportunities on a customer, oldest first (a stable order for a card's choices)."""
    return list(
        session.scalars(
            select(Opportunity)
            .where(
                Opportunity.customer_id == customer.id,
                Opportunity.owner_id == submitter.id,
                Opportunity.stage.in_([s.value for s in OPEN_STAGES]),
            )
            .order_by(Opportunity.id)
            .limit(limit)
        )
    )


def relink_contract(uow: UnitOfWork, contract: Contract, user: User, opportunity_id: int | None) -> Opportunity:
    """The submitter chooses which of their open opportunities a contract is on (None: a new one).

    Only before approval, only by the submitter, only their own open opportunity on the
    contract's customer: a contract never moves onto a colleague's deal.
    """
    if contract.submitter_id != user.id:
        raise ValidationFailed("只有提交人可以选择合同记入的商机")
    if contract.status not in ("submitted", "rejected"):
        raise ValidationFailed("合同已经审批结束，不能再改记入的商机")
    if opportunity_id is None:
        opp = create_opportunity(
            uow, contract.customer, user, name=f"{contract.customer.name} 合同", amount=contract.amount,
            stage=Stage.NEGOTIATION,
        )
    else:
        found = uow.session.get(Opportunity, opportunity_id)
        if (
            found is None
            or found.owner_id != user.id
            or found.customer_id != contract.customer_id
            or found.stage not in [s.value for s in OPEN_STAGES]
        ):
            raise ValidationFailed("只能选择你自己在这个客户上进行中的商机")
        opp = found
    if contract.opportunity_id != opp.id:
        before = {"opportunity_id": contract.opportunity_id}
        contract.opportunity_id = opp.id
        uow.audit("contract.relink", "contract", contract.id, before, {"opportunity_id": opp.id})
    return opp


def opportunity_label(opp: Opportunity, customer: Customer) -> str:
    """A short name for a choice (WeCom shows 16 characters): the name without the customer, stage, amount."""
    short = opp.name.removeprefix(customer.name).strip(" ·-—") or opp.name
    amount = f" {(opp.amount / 10000).normalize():f}万" if opp.amount else ""
    return f"{short}·{STAGE_LABELS[Stage(opp.stage)]}{amount}"


# -------------------------------------------------------------------- 成交金额
def _money(value: object) -> Decimal:
    # SQLite sums NUMERIC as a float; round to cents so both databases answer the same.
    return Decimal(str(value or 0)).quantize(CENT)


def won_amounts(
    session: Session, rep_ids: Any, windows: Sequence[tuple[datetime, datetime]]
) -> dict[int, list[Decimal]]:
    """成交金额 per rep for each [lo, hi) window: approved contracts + contract-less wins.

    ``rep_ids`` is a list or an SQL subquery of user ids. Two grouped queries
    whatever the number of reps or windows (conditional sums), so the cost does
    not grow with the data beyond the indexes' range scans.
    """
    if not windows:
        return {}
    lo = min(w[0] for w in windows)
    hi = max(w[1] for w in windows)
    out: dict[int, list[Decimal]] = {}

    def add(rows: Any) -> None:
        for row in rows:
            sums = out.setdefault(row[0], [Decimal("0.00")] * len(windows))
            for i, value in enumerate(row[1:]):
                sums[i] += _money(value)

    decided = Contract.decided_at
    add(
        session.execute(
            select(
                Contract.submitter_id,
                *(
                    func.coalesce(func.sum(case((and_(decided >= a, decided < b), Contract.amount), else_=0)), 0)
                    for a, b in windows
                ),
            )
            .where(
                Contract.status == "approved",
                Contract.submitter_id.in_(rep_ids),
                decided >= lo,
                decided < hi,
            )
            .group_by(Contract.submitter_id)
        ).all()
    )

    has_contract = exists().where(Contract.opportunity_id == Opportunity.id, Contract.status == "approved")
    changed = StageChange.changed_at
    amount = func.coalesce(Opportunity.amount, 0)
    add(
        session.execute(
            select(
                Opportunity.owner_id,
                *(
                    func.coalesce(func.sum(case((and_(changed >= a, changed < b), amount), else_=0)), 0)
                    for a, b in windows
                ),
            )
            .select_from(StageChange)
            .join(Opportunity, Opportunity.id == StageChange.opportunity_id)
            .where(
                StageChange.to_stage == Stage.WON.value,
                Opportunity.owner_id.in_(rep_ids),
                changed >= lo,
                changed < hi,
                ~has_contract,
            )
            .group_by(Opportunity.owner_id)
        ).all()
    )
    return out
