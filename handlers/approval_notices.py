"""What approvers and submitters are told when an approval moves.

Shared by the tap handlers (a decision), the commands (催办, 撤回, 重新提交,
我的审批), the H5 contract page and the deadline job (reminder, escalation), so
every path shows the same cards and the same words.

One living card per person per flow: the submitter's card (entity
``approval_flow``) and each approver's card (entity ``approval_step``) are
rebuilt from the flow after every change (:func:`refresh_flow_cards`), so every
copy shows the current state until the flow ends. The submitter gets that one
card plus one final message; people who decided earlier get one short line
when the flow ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from cards.approvals import approval_card, flow_state, submitter_card
from cards.model import Card
from domain.clock import local_today
from domain.links import PageLinks
from domain.models import ApprovalFlow, ApprovalStep, Opportunity, User
from domain.money import format_yuan
from domain.services import approvals, cardstate
from domain.services.approvals import Outcome
from domain.services.deals import foreign_owner, opportunity_label, own_open_opportunities
from handlers.replies import Replies, Target, user_targets

ENTITY = "approval_step"
FLOW_ENTITY = "approval_flow"


def _targets(people: list[User]) -> list[Target]:
    seen: set[int] = set()
    out: list[Target] = []
    for person in people:
        if person.id in seen:
            continue
        seen.add(person.id)
        out += user_targets(person)
    return out


def tell(replies: Replies, person: User | None, text: str, *, key: str | None = None) -> None:
    """A short text to one person, where they are (every platform the org knows when unknown)."""
    if person is None:
        return
    for n, target in enumerate(user_targets(person)):
        replies.text(target, text, key=f"{key}:{n}" if key else None)


def approvers_of(session: Session, step: ApprovalStep, today: object) -> list[User]:
    """The assignee, plus whoever they delegated to, plus the escalation manager."""
    assert step.assignee is not None
    people = [step.assignee, *approvals.active_delegates(session, step.assignee, today)]  # type: ignore[arg-type]
    if step.escalated_to is not None:
        people.append(step.escalated_to)
    return people


@dataclass(frozen=True)
class _Facts:
    """What every copy of a flow's cards shows besides the flow itself."""

    owner_name: str | None
    rule_words: str | None
    history: list[str]
    detail_url: str | None
    opportunity: str | None = None  # the submitter's opportunity the contract is on (their card only)
    choices: list[tuple[int, str]] | None = None  # the submitter's open opportunities there (their card only)


def _facts(session: Session, flow: ApprovalFlow, links: PageLinks | None) -> _Facts:
    contract = flow.contract
    owner = foreign_owner(contract.customer, contract.submitter)
    opp = session.get(Opportunity, contract.opportunity_id) if contract.opportunity_id is not None else None
    choices = None
    if flow.status == "pending":
        opens = own_open_opportunities(session, contract.submitter, contract.customer)
        choices = [(o.id, opportunity_label(o, contract.customer)) for o in opens]
    return _Facts(
        owner.name if owner else None,
        approvals.rule_in_words(session, flow),
        approvals.earlier_rounds(session, flow),
        links.contract(flow.contract_id) if links is not None else None,
        f"记入你的商机「{opp.name}」" if opp is not None else None,
        choices,
    )


def _approver_card(
    card_id: str, flow: ApprovalFlow, step: ApprovalStep, facts: _Facts, *, escalated: bool = False
) -> Card:
    return approval_card(
        card_id, flow, step, escalated=escalated, detail_url=facts.detail_url, owner_name=facts.owner_name,
        rule_words=facts.rule_words, history=facts.history,
    )


def _submitter_card(card_id: str, flow: ApprovalFlow, facts: _Facts) -> Card:
    return submitter_card(
        card_id, flow, detail_url=facts.detail_url, owner_name=facts.owner_name, rule_words=facts.rule_words,
        history=[*([facts.opportunity] if facts.opportunity else []), *facts.history], choices=facts.choices,
    )


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
    """The 同意/驳回 card to the step's approver(s) (their delegates, an escalation manager)."""
    session = replies.session
    if to is None:
        to = approvers_of(session, step, local_today(replies.clock))
    card = _approver_card(card_id, flow, step, _facts(session, flow, links), escalated=escalated)
    replies.card_many(_targets(to), card, purpose="approval", entity=(ENTITY, str(step.id)), key=key)


def send_submitter_card(replies: Replies, flow: ApprovalFlow, card_id: str, links: PageLinks | None = None) -> None:
    """The submitter's one card for the flow: its state, 催办 / 撤回."""
    card = _submitter_card(card_id, flow, _facts(replies.session, flow, links))
    replies.card_many(
        _targets([flow.contract.submitter]), card, purpose="approval_submitter", entity=(FLOW_ENTITY, str(flow.id))
    )


def start_flow(replies: Replies, flow: ApprovalFlow, links: PageLinks | None = None) -> None:
    """A flow just started (submitted or resubmitted): the submitter's card and the first approver's."""
    first = approvals.current_step(flow)
    send_submitter_card(replies, flow, f"apps-{flow.id}", links)
    if first is not None:
        send_step_card(replies, flow, first, f"appr-{first.id}-{flow.id}", links=links)


def refresh_flow_cards(
    replies: Replies, flow: ApprovalFlow, links: PageLinks | None = None, *, decided: ApprovalStep | None = None
) -> None:
    """Every open copy of every card of this flow now shows the flow as it stands.

    The decided step's cards must change at once (their buttons go); other copies
    show an intermediate state as a best effort (WeCom allows one update per
    response_code, and the last one is kept for the final state). Nobody gets a text
    copy of a card that could not be updated: everyone involved is told by message.
    """
    session = replies.session
    facts = _facts(session, flow, links)
    ended = flow.status != "pending"
    for step in flow.steps:
        for record in cardstate.cards_for_entity(session, ENTITY, str(step.id)):
            if record.status != "open":
                continue
            escalated = record.card_id.endswith("-esc")
            card = _approver_card(record.card_id, flow, step, facts, escalated=escalated)
            must = ended or (decided is not None and step.id == decided.id)
            # Open until the flow ends: a later change (the next step, a 驳回) must reach it again.
            replies.update_card(card, status="decided" if ended else "open", best_effort=not must, no_fallback=True)
    for record in cardstate.cards_for_entity(session, FLOW_ENTITY, str(flow.id)):
        if record.status != "open":
            continue
        card = _submitter_card(record.card_id, flow, facts)
        done = ended and flow.contract.status != "rejected"
        replies.update_card(card, status="decided" if done else "open", best_effort=not ended, no_fallback=True)


def _head(flow: ApprovalFlow) -> str:
    contract = flow.contract
    return f"合同 {contract.number}（{contract.customer.name} {format_yuan(contract.amount)}）"


def _tell_earlier(replies: Replies, flow: ApprovalFlow, actor: User | None) -> None:
    """When the flow ends: one short line to everyone who decided earlier (not the one who just did)."""
    told: set[int] = {flow.contract.submitter_id}
    if actor is not None:
        told.add(actor.id)
    for step in flow.steps:
        person = step.decided_by
        if person is None or person.id in told:
            continue
        told.add(person.id)
        tell(replies, person, f"{_head(flow)} 最终结果：{flow_state(flow)}。", key=f"end:{flow.id}:{person.id}")


def notify_outcome(replies: Replies, outcome: Outcome, actor: User, links: PageLinks | None = None) -> None:
    """After a decision: every card updated, the next approver asked; at the end the submitter told once."""
    flow, step = outcome.flow, outcome.step
    contract = flow.contract
    refresh_flow_cards(replies, flow, links, decided=step)
    if outcome.next_step is not None:
        send_step_card(replies, flow, outcome.next_step, f"appr-{outcome.next_step.id}-{flow.id}", links=links)
        return
    if step.status == "rejected":
        text = (
            f"❌ {_head(flow)} 被 {actor.name}（{step.label}）驳回。\n原因：{step.comment or '未填写'}\n"
            f"修改后可在卡片上点「重新提交」，或回复「重新提交 {contract.number} 金额 说明」。"
        )
    else:
        text = f"🎉 {_head(flow)} 已全部审批通过，合同已批准，商机已标记为成交。"
    if contract.submitter_id != actor.id:
        tell(replies, contract.submitter, text, key=f"final:{flow.id}")
    _tell_earlier(replies, flow, actor)


def notify_withdrawn(replies: Replies, flow: ApprovalFlow, links: PageLinks | None = None) -> None:
    """撤回: every copy shows it; the approver who was waiting is told."""
    contract = flow.contract
    refresh_flow_cards(replies, flow, links)
    for step in flow.steps:
        if step.assignee is not None and step.started_at is not None and step.decided_at is None:
            tell(
                replies, step.assignee,
                f"合同 {contract.number}（{contract.customer.name}）已被 {contract.submitter.name} 撤回，无需再审批。",
            )
