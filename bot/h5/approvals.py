"""The contract approval page: amounts, the chain with who decided when, the history, and
the same 同意 / 驳回 as the card (through the same service, so a page decision and a card
tap can never both count)."""

from __future__ import annotations

from starlette.responses import Response

from bot.h5.site import Page, PageView, page
from cards.approvals import REJECT_REASONS, progress_line
from domain.clock import local_today
from domain.errors import DomainError
from domain.links import customer_path, quote_path
from domain.models import Contract
from domain.money import to_upper_amount
from domain.services import approvals
from domain.services import pages as views
from handlers.approval_notices import notify_outcome

ACTION_LABELS = {
    "contract.submit": "提交合同",
    "approval.start": "开始审批",
    "approval.approve": "同意",
    "approval.reject": "驳回",
    "approval.nudge": "催办",
    "approval.escalate": "超时上报",
    "contract.approved": "合同已批准",
    "contract.rejected": "合同已驳回",
    "contract.withdrawn": "合同已撤回",
}


def _contract_for(view: PageView, contract_id: int) -> Contract:
    contract = view.uow.session.get(Contract, contract_id)
    if contract is None:
        view.not_found("合同")
    if not views.can_see_contract(view.uow, view.viewer, contract):
        view.deny("这份合同不是你提交、审批或管理的。")
    return contract


def _page(view: PageView, contract: Contract, *, error: str | None = None, status: int = 200) -> Page:
    session = view.uow.session
    flow = approvals.flow_of(session, contract)
    step = approvals.current_step(flow)
    can_decide = step is not None and approvals.may_decide(session, step, view.viewer, local_today(view.uow.clock))
    history = [
        (entry, ACTION_LABELS.get(entry.action, entry.action))
        for entry in views.contract_history(view.uow, contract)
        if entry.action in ACTION_LABELS
    ]
    return Page(
        "approval.html",
        f"合同审批 {contract.number}",
        {
            "contract": contract,
            "flow": flow,
            "step": step,
            "upper": to_upper_amount(contract.amount),
            "progress": progress_line(flow),
            "status_label": approvals.STATUS_LABELS.get(contract.status, contract.status),
            "can_decide": can_decide,
            "reasons": [text for _, text in REJECT_REASONS],
            "history": history,
            "quote_link": quote_path(contract.quote.id)
            if contract.quote is not None and views.can_see_quote(view.uow, view.viewer, contract.quote)
            else None,
            "customer_link": customer_path(contract.customer_id)
            if views.can_see_customer(view.uow, view.viewer, contract.customer)
            else None,
            "done": view.query.get("done"),
            "error": error,
        },
        status,
    )


@page("/h5/contracts/{contract_id:int}")
def contract_detail(view: PageView, contract_id: int) -> Page:
    return _page(view, _contract_for(view, contract_id))


@page("/h5/contracts/{contract_id:int}", methods=("POST",))
def contract_decide(view: PageView, contract_id: int) -> Page | Response:
    """同意 / 驳回 from the page: the same decision as a card tap, and the cards in chat follow."""
    contract = _contract_for(view, contract_id)
    flow = approvals.flow_of(view.uow.session, contract)
    step = approvals.current_step(flow)
    action = view.form.get("action", "")
    if step is None or str(step.id) != view.form.get("step_id", ""):
        return _page(view, contract, error="这一步已经处理过了，页面已刷新。", status=409)
    if action not in ("approve", "reject"):
        return _page(view, contract, error="请点「同意」或「驳回」。", status=400)
    reason = (view.form.get("reason_text") or view.form.get("reason") or "").strip()
    try:
        outcome = approvals.decide(view.uow, step.id, view.viewer, approve=action == "approve", reason=reason or None)
        notify_outcome(view.replies(f"contract:{contract.id}"), outcome, view.viewer, view.links)
        view.uow.commit()
    except DomainError as exc:
        view.uow.rollback()
        return _page(view, contract, error=exc.message, status=409)
    view.wake()
    return view.back_here(done=action)
