"""Which of the submitter's opportunities a contract is on: the choice on their contract card.

With several open opportunities on the customer, the submitter's card offers them and
新建商机 (``cards.approvals.submitter_card``); 改记所选商机 re-links the contract before
approval (``domain.services.deals.relink_contract``) and every copy of the card is rebuilt.
"""

from __future__ import annotations

from cards.approvals import NEW_OPPORTUNITY, OPPORTUNITY_QUESTION
from cards.keys import ApprovalRelink
from domain.errors import DomainError
from domain.models import Contract
from domain.services import approvals
from domain.services.deals import relink_contract
from handlers.approval_notices import refresh_flow_cards
from handlers.context import HandlerContext
from handlers.router import Router

router = Router("deals")

CHOOSE_FIRST = "请先在卡片上选择要记入的商机。"


@router.on(ApprovalRelink.filter())
def on_relink_tap(ctx: HandlerContext, key: ApprovalRelink) -> None:
    """The submitter picks which of their opportunities the contract is on (or 新建商机), before approval."""
    assert ctx.event.card_action is not None and ctx.sender is not None
    contract = ctx.uow.session.get(Contract, key.contract_id)
    if contract is None:
        ctx.say("这张卡片已失效")
        return
    flow = approvals.flow_of(ctx.uow.session, contract)
    chosen = next((i for i in ctx.event.card_action.selected if i.question_key == OPPORTUNITY_QUESTION), None)
    option = chosen.option_ids[0] if chosen and chosen.option_ids else None
    if option is None or not (option == NEW_OPPORTUNITY or option.isdigit()):
        ctx.say(CHOOSE_FIRST)
        return
    try:
        relink_contract(ctx.uow, contract, ctx.sender, None if option == NEW_OPPORTUNITY else int(option))
    except DomainError as exc:
        ctx.say(exc.message)
        return
    refresh_flow_cards(ctx.replies, flow, ctx.links)  # the card now names the chosen opportunity
