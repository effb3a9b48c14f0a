"""The contract approval page: amounts, the chain with who decided when, the history, and
the same 同意 / 驳回 as the card (through the same service, so a page decision and a card
tap can never both count)."""

from __future__ import annotations

from starlette.responses import Response

from bot.h5.site import Page, PageDenied, PageView, page
from cards.approvals import REJECT_REASONS, discount_text, progress_line
from domain.clock import local_today
from domain.errors import DomainError
from domain.links import customer_path, quote_path
from domain.models import Contract
from domain.money import to_upper_amount
from domain.services import approvals
from domain.services import pages as views
from domain.services.deals import foreign_owner
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
    "contract.resubmit": "重新提交",
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
        (entry, _history_label(entry.action, entry.after))
        for entry in views.contract_history(view.uow, contract)
        if entry.action in ACTION_LABELS
    ]
    rounds = [r for r in approvals.rounds_of(session, contract) if r.id != flow.id]
    owner = foreign_owner(contract.customer, contract.submitter)
    return Page(
        "approval.html",
        f"合同审批 {contract.number}",
        {
            "contract": contract,
            "flow": flow,
            "step": step,
            "upper": to_upper_amount(contract.amount),
            "progress": progress_line(flow),
            "rule_words": approvals.rule_in_words(session, flow),
            "discount": discount_text(contract),
            "owner_name": owner.name if owner else None,
            "rounds": [(r, progress_line(r), next((s for s in r.steps if s.status == "rejected"), None)) for r in rounds],
            "quote_checks": views.quote_checks(contract.quote) if contract.quote is not None else None,
            "photo_url": f"/h5/contracts/{contract.id}/photo"
            if contract.quote is not None and (contract.quote.extracted or {}).get("photo")
            else None,
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


def _history_label(action: str, after: object) -> str:
    label = ACTION_LABELS.get(action, action)
    if isinstance(after, dict):
        if action == "approval.reject" and after.get("comment"):
            return f"{label}：{after['comment']}"
        if action == "approval.start" and (after.get("round") or 1) > 1:
            note = f"：{after['note']}" if after.get("note") else ""
            return f"第 {after['round']} 次提交，{label}{note}"
    return label


@page("/h5/contracts/{contract_id:int}/photo")
def contract_photo(view: PageView, contract_id: int) -> Response:
    """The quote photo for everyone who may see the contract (approvers who cannot open the quote page)."""
    contract = _contract_for(view, contract_id)
    quote = contract.quote
    photo = ((quote.extracted or {}).get("photo") if quote is not None else None) or {}
    channel = view.runtime.channels.get(str(photo.get("platform")))
    if channel is None or not photo.get("media_id"):
        view.not_found("报价单照片")
    try:
        data = channel.download(str(photo["media_id"]))
    except Exception:  # noqa: BLE001 - expired or unknown media (WeCom keeps media 3 days)
        raise PageDenied(404, "照片已过期", "报价单照片只在聊天平台保存 3 天，已经过期；金额和明细见本页。") from None
    kind = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    return Response(data, media_type=kind, headers={"Cache-Control": "private, max-age=600"})


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
