"""Every conversation state, typed: the one place that lists them all (like aiogram's ``StatesGroup``).

A conversation state is a small JSON dict whose ``"step"`` names what the bot is waiting for
(``handlers/conversation.py``). The step is stored as the plain string it has always been
(``"ask_customer"``…), so states already saved in the database or Redis keep working; code names
it by its typed member, builds it with :func:`new_state` and routes on it with :func:`state_is`, which
hands the handler the state dict as ``state``.

StrEnum rather than aiogram's ``State`` objects: aiogram stores ``"Group:name"``, which would
orphan the rows written before; a StrEnum member *is* the stored string.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from handlers.context import HandlerContext
from handlers.router import Filter, FilterResult


class VisitStates(StrEnum):
    ask_customer = "ask_customer"  # 「拜访的是哪家客户？」 asked as text; the draft waits
    pick_customer = "pick_customer"  # the which-customer card is out; the draft waits
    recorded = "recorded"  # a visit was just logged: 「改成下周四跟进」 corrects it


class QuoteStates(StrEnum):
    edit = "quote_edit"  # the review card is out (or 修改 tapped): 「合计改成10万」 corrects it


class ApprovalStates(StrEnum):
    reject_reason = "approval_reject"  # 驳回 tapped: the next message is the reason
    resubmit = "contract_resubmit"  # 重新提交 tapped: the next message carries the corrections


Step = VisitStates | QuoteStates | ApprovalStates
ALL_STATES: tuple[type[Step], ...] = (VisitStates, QuoteStates, ApprovalStates)
_BY_VALUE: dict[str, Step] = {member.value: member for group in ALL_STATES for member in group}

# A visit draft waits for its customer: another intent recognised meanwhile drops it.
PENDING_VISIT = (VisitStates.ask_customer, VisitStates.pick_customer)


def new_state(step: Step, **data: Any) -> dict[str, Any]:
    """The dict to store: ``{"step": "<the plain string>", **data}``."""
    return {"step": step.value, **data}


def step_of(current: Mapping[str, Any] | None) -> Step | None:
    """The typed step of a stored state (None when there is none or it is unknown)."""
    raw = (current or {}).get("step")
    return _BY_VALUE.get(raw) if isinstance(raw, str) else None


def in_state(ctx: HandlerContext, *steps: Step) -> bool:
    """Whether the sender's pending conversation is at one of ``steps``."""
    return step_of(ctx.state) in steps


def state_is(*steps: Step) -> Filter:
    """Match when the sender's conversation is at one of ``steps``; hands over ``state`` (the dict)."""

    def check(ctx: HandlerContext) -> FilterResult:
        current = ctx.state
        return {"state": current} if current is not None and step_of(current) in steps else None

    return check
