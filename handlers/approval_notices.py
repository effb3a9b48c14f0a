"""What approvers and submitters are told when an approval moves.

Shared by the tap handlers (a decision), the commands (催办, 撤回, 我的审批)
and the deadline job (reminder, escalation), so every path shows the same
card and the same words.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from cards.approvals import approval_card
from domain.clock import local_today
from domain.links import PageLinks
from domain.models import ApprovalFlow, ApprovalStep, User
from domain.money import format_yuan
from domain.services import approvals, cardstate
from domain.services.approvals import Outcome
from handlers.replies import Replies, Target, user_target

ENTITY = "approval_step"


def _targets(people: list[User]) -> list[Target]:
    seen: set[int] = set()
    out: list[Target] = []
    for person in people:
        if person.id in seen:
            continue
        seen.add(person.id)
        target = user_target(person)
        if target is not None:
            out.append(target)
    return out


def approvers_of(session: Session, step: ApprovalStep, today: object) -> list[User]:
    """The assignee, plus whoever they delegated to, plus the escalation manager."""
    assert step.assignee is not None
    people = [step.assignee, *approvals.active_delegates(session, step.assignee, today)]  # type: ignore[arg-type]
    if step.escalated_to is not None:
        people.append(step.escalated_to)
    return people


def send_step_card(
    replies: Replies,
    flow: ApprovalFlow,
    step: ApprovalStep,
    card_id: str,
    *,
    to: list[User] | None = None,
    escalated: bool = False,
    key: str | None = None,
    links: PageLinks | None = None,
) -> None:
    """The 同意/驳回 card to the approver(s) and, so they can watch it move, the submitter."""
    session = replies.session
    if to is None:
        to = [*approvers_of(session, step, local_today(replies.clock)), flow.contract.submitter]
    detail = links.contract(flow.contract_id) if links is not None else None
    card = approval_card(card_id, flow, step, escalated=escalated, detail_url=detail)
    replies.card_many(_targets(to), card, purpose="approval", entity=(ENTITY, str(step.id)), key=key)


def refresh_step_cards(
    replies: Replies, flow: ApprovalFlow, step: ApprovalStep, links: PageLinks | None = None
) -> None:
    """Every copy of every card about this step now shows its outcome (atall update)."""
    detail = links.contract(flow.contract_id) if links is not None else None
    for record in cardstate.cards_for_entity(replies.session, ENTITY, str(step.id)):
        if record.status != "open":
            continue
        replies.update_card(approval_card(record.card_id, flow, step, detail_url=detail))


def notify_outcome(replies: Replies, outcome: Outcome, actor: User, links: PageLinks | None = None) -> None:
    """After a decision: cards updated, submitter told, the next approver asked."""
    flow, step = outcome.flow, outcome.step
    contract = flow.contract
    refresh_step_cards(replies, flow, step, links)
    submitter = user_target(contract.submitter)
    head = f"合同 {contract.number}（{contract.customer.name} {format_yuan(contract.amount)}）"
    if step.status == "rejected":
        text = f"❌ {head} 被 {actor.name}（{step.label}）驳回。\n原因：{step.comment or '未填写'}"
    elif outcome.next_step is not None:
        nxt = outcome.next_step
        who = nxt.assignee.name if nxt.assignee else nxt.label
        text = f"✅ {head} {actor.name}（{step.label}）已同意，下一步：{who}（{nxt.label}）审批。"
    else:
        text = f"🎉 {head} 已全部审批通过，合同已批准，商机已标记为成交。"
    if submitter is not None and contract.submitter_id != actor.id:
        replies.text(submitter, text)
    if outcome.next_step is not None:
        send_step_card(replies, flow, outcome.next_step, f"appr-{outcome.next_step.id}-{flow.id}", links=links)


def notify_withdrawn(replies: Replies, flow: ApprovalFlow) -> None:
    contract = flow.contract
    for step in flow.steps:
        for record in cardstate.cards_for_entity(replies.session, ENTITY, str(step.id)):
            if record.status != "open":
                continue
            card = approval_card(record.card_id, flow, step)
            replies.update_card(replace(card, status="已撤回 · 提交人撤回了这份合同"))
        if step.assignee is not None and step.started_at is not None and step.decided_at is None:
            target = user_target(step.assignee)
            if target is not None:
                replies.text(target, f"合同 {contract.number}（{contract.customer.name}）已被 {contract.submitter.name} 撤回，无需再审批。")
