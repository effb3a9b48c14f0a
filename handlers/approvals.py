"""Contract approvals in chat: submit, 同意 / 驳回 taps, reasons, 催办, 撤回, 委托, 我的审批, 审批进度.

Every decision goes through ``domain.services.approvals.decide``, which lets
exactly one tap per step win; this module only turns taps and words into
those calls and says what happened.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from cards.approvals import REASON_TEXT, reject_reason_card
from cards.keys import (
    ApprovalApprove,
    ApprovalNudge,
    ApprovalReject,
    ApprovalRejectCancel,
    ApprovalRejectConfirm,
    ApprovalResubmit,
    ApprovalWithdraw,
    QuoteSubmit,
)
from cards.quotes import review_card
from cards.serialize import card_from_dict
from domain.clock import local_today, to_local
from domain.errors import DomainError
from domain.models import ApprovalFlow, ApprovalStep, Contract, Customer, Quote, User
from domain.money import find_amount, format_yuan
from domain.services import approvals, cardstate
from domain.services.pages import can_see_contract
from handlers.approval_notices import (
    notify_outcome,
    notify_withdrawn,
    refresh_flow_cards,
    send_step_card,
    start_flow,
    tell,
)
from handlers.commands import card_id_for, one_customer
from handlers.context import HandlerContext
from handlers.events import EventKind
from handlers.replies import user_target
from handlers.router import FilterResult, Router, command, command_body, command_match, kind
from handlers.states import PENDING_VISIT, ApprovalStates, in_state, new_state, state_is
from handlers.understand.timeexpr import resolve

router = Router("approvals")

SUBMIT_RX = re.compile(r"^(?:提交合同|提交审批|合同审批|发起审批)\s*[:：]?\s*(?P<rest>.+)$")
NUMBER_RX = re.compile(r"HT-\d{8}-\d{3,}", re.IGNORECASE)
PROGRESS_RX = re.compile(r"^(?:审批进度|合同进度|进度)\s*[:：]?\s*(?P<number>\S*)$")
NUDGE_RX = re.compile(r"^(?:催办|催一下|催审批)\s*[:：]?\s*(?P<number>\S*)$")
WITHDRAW_RX = re.compile(r"^(?:撤回|撤回合同|撤销合同)\s*[:：]?\s*(?P<number>\S*)$")
DELEGATE_RX = re.compile(r"^委托\s*[:：]?\s*(?P<name>[^\s至到]+)\s*(?:至|到|直到)\s*(?P<until>.+)$")
MINE_WORDS = {"我的审批", "待我审批", "待审批", "审批", "我的待审批"}
SUBMIT_HINT = "提交合同可以这样说：\n提交合同 苏州精工 38万\n或在已确认的报价单卡片上点「提交审批」"


def _step(ctx: HandlerContext, step_id: int) -> ApprovalStep | None:
    return ctx.uow.session.get(ApprovalStep, step_id)


# ----------------------------------------------------------------- submit
def _submit(ctx: HandlerContext, customer: Customer, amount: Decimal, quote: Quote | None) -> ApprovalFlow | None:
    """Submit, then the submitter's one card (state, 催办 / 撤回) and the first approver's card.

    No separate "已提交" text: the submitter sees one card for the flow, updated in
    place, and one final message when it ends.
    """
    assert ctx.sender is not None
    try:
        flow = approvals.submit_contract(ctx.uow, ctx.sender, customer, amount, quote)
    except DomainError as exc:
        ctx.say(exc.message)
        return None
    start_flow(ctx.replies, flow, ctx.links)
    return flow


def _parse_amount(text: str) -> tuple[str, Decimal | None]:
    """"苏州精工 38万" → ("苏州精工", 380000); every unit read by ``domain.money``."""
    found = find_amount(text)
    if found is None:
        return text, None
    start, _end, value = found
    return text[:start].strip(" ，,"), value


def _own_quote_by_number(ctx: HandlerContext, number: str) -> Quote | None:
    assert ctx.sender is not None
    return ctx.uow.session.scalar(
        select(Quote)
        .where(func.upper(Quote.number) == number.upper(), Quote.rep_id == ctx.sender.id)
        .order_by(Quote.id.desc())
        .limit(1)
    )


@router.on(command_match(SUBMIT_RX))  # "/提交合同 …" too
def on_submit_text(ctx: HandlerContext, match: re.Match[str]) -> None:
    rest = match.group("rest").strip()
    quote = _own_quote_by_number(ctx, rest)
    if quote is not None:
        if quote.customer is None or quote.total is None:
            ctx.say("这张报价单缺少客户或合计金额，请先在报价单卡片上修改。")
            return
        _submit(ctx, quote.customer, quote.total, quote)
        return
    name, amount = _parse_amount(rest)
    if amount is None or not name:
        ctx.say(f"没看懂要提交的合同。{SUBMIT_HINT}")
        return
    customer = one_customer(
        ctx, name, not_found=f"没有找到客户「{name}」，请先记一次拜访或检查名称。", ambiguous="请写全称再提交。"
    )
    if customer is not None:
        _submit(ctx, customer, amount, None)


RESUBMIT_RX = re.compile(r"(?:重新提交|重提|再提交一?[下次遍]|重新发起|重新送审|重新审批)", re.IGNORECASE)


def _is_resubmit(ctx: HandlerContext) -> FilterResult:
    """「重新提交一下HT-…」, 「重新提交合同」, 「/重新提交」 — but not a visit report that says
    「他让我们重新提交报价」 (no contract number, not a command).

    Hands over ``text`` (the message without a leading slash) and ``number`` (the contract number's match, or None).
    """
    text = command_body(ctx.event.text)
    if ctx.event.kind != EventKind.TEXT or len(text) > 200 or RESUBMIT_RX.search(text) is None:
        return None
    number = NUMBER_RX.search(text)
    if number or re.match(r"^(?:请|帮我|麻烦)?(?:把)?(?:合同)?" + RESUBMIT_RX.pattern, text):
        return {"text": text, "number": number}
    return None


@router.on(_is_resubmit)
def on_resubmit(ctx: HandlerContext, text: str, number: re.Match[str] | None) -> None:
    """「付款条件已经和客户改好了，重新提交一下HT-…」: a rejected or withdrawn contract goes through
    the approval flow again as a new round of the same contract (``resubmit_contract``); anything
    else is answered with what its state allows."""
    assert ctx.sender is not None
    if in_state(ctx, *PENDING_VISIT):
        ctx.clear_state()  # the rep moved on from the pending visit question
    if number is not None:
        contract = approvals.find_contract(ctx.uow.session, number.group(0))
    else:
        contract = next(iter(approvals.submitted_by(ctx.uow.session, ctx.sender, limit=1)), None)
    if contract is None:
        wanted = number.group(0).upper() if number else ""
        ctx.say(f"没有找到合同 {wanted}，请带上合同号，例如：重新提交 HT-20261126-001".replace("  ", " "))
        return
    if contract.submitter_id != ctx.sender.id:
        ctx.say(f"合同 {contract.number} 不是你提交的，只有提交人可以重新提交。")
        return
    if contract.status == "submitted":
        ctx.say(f"合同 {contract.number} 还在审批中，不用重新提交。可以发「审批进度 {contract.number}」查看。")
        return
    # The same contract starts a new round (its earlier rounds and reasons kept); the rest of the
    # message carries the corrections (amount, quote number) and the note.
    rest = re.sub(RESUBMIT_RX.pattern + r"(?:一下|下)?(?:合同)?", " ", text)
    resubmit_contract(ctx, contract, rest.strip(" ，,。"))


@router.on(QuoteSubmit.filter())
def on_submit_quote_tap(ctx: HandlerContext, key: QuoteSubmit) -> None:
    assert ctx.event.card_action is not None and ctx.sender is not None
    quote = ctx.uow.session.get(Quote, key.quote_id)
    if quote is None or quote.rep_id != ctx.sender.id:
        ctx.say("这张卡片已失效")
        return
    if quote.customer is None or quote.total is None:
        ctx.say("这张报价单缺少客户或合计金额，无法提交审批。")
        return
    flow = _submit(ctx, quote.customer, quote.total, quote)
    record = cardstate.get_card(ctx.uow.session, ctx.event.card_action.task_id)
    if flow is not None and record is not None and record.status == "open":
        ctx.replies.update_card(review_card(record.card_id, quote, status=f"已提交审批 · {flow.contract.number}"))


# --------------------------------------------------------------- decisions
def _decide(ctx: HandlerContext, step_id: int, approve: bool, reason: str | None = None) -> bool:
    assert ctx.sender is not None
    try:
        outcome = approvals.decide(ctx.uow, step_id, ctx.sender, approve=approve, reason=reason)
    except DomainError as exc:
        ctx.say(exc.message)
        return False
    notify_outcome(ctx.replies, outcome, ctx.sender, ctx.links)
    verdict = "已同意" if approve else "已驳回"
    ctx.say(f"{verdict}合同 {outcome.flow.contract.number}。")
    return True


@router.on(ApprovalApprove.filter())
def on_approve(ctx: HandlerContext, key: ApprovalApprove) -> None:
    step = _step(ctx, key.step_id)
    if step is None:
        ctx.say("这张卡片已失效")
        return
    _decide(ctx, step.id, True)


@router.on(ApprovalReject.filter())
def on_reject_tap(ctx: HandlerContext, key: ApprovalReject) -> None:
    """驳回 needs a reason: offer the common ones, or take the next message as the reason."""
    assert ctx.sender is not None
    step = _step(ctx, key.step_id)
    if step is None:
        ctx.say("这张卡片已失效")
        return
    try:
        approvals.ensure_pending(step)
    except DomainError as exc:
        ctx.say(exc.message)
        return
    if not approvals.may_decide(ctx.uow.session, step, ctx.sender, local_today(ctx.uow.clock)):
        name = step.assignee.name if step.assignee else "其他人"
        ctx.say(f"你不是当前审批人（当前审批人：{name}）")
        return
    card = reject_reason_card(card_id_for(ctx, f"rej{step.id}"), step.flow, step)
    ctx.replies.card(ctx.me, card, purpose="approval_reason", entity=("approval_reason", str(step.id)))
    ctx.set_state(new_state(ApprovalStates.reject_reason, step_id=step.id))


def _close_reason_cards(ctx: HandlerContext, step_id: int, status: str, reason: str | None = None) -> None:
    """The reason card shows what was decided; its dropdown shows the reason actually given."""
    step = ctx.uow.session.get(ApprovalStep, step_id)
    for record in cardstate.cards_for_entity(ctx.uow.session, "approval_reason", str(step_id)):
        if record.status != "open":
            continue
        if step is not None:
            card = reject_reason_card(record.card_id, step.flow, step, status=status, typed_reason=reason)
        else:
            card = replace(card_from_dict(record.content), status=status)
        ctx.replies.update_card(card)


@router.on(ApprovalRejectConfirm.filter())
def on_reject_confirm(ctx: HandlerContext, key: ApprovalRejectConfirm) -> None:
    assert ctx.event.card_action is not None
    step = _step(ctx, key.step_id)
    if step is None:
        ctx.say("这张卡片已失效")
        return
    chosen = next((i for i in ctx.event.card_action.selected if i.question_key == "reason"), None)
    option = chosen.option_ids[0] if chosen and chosen.option_ids else None
    reason = REASON_TEXT.get(option or "")
    if reason is None:
        ctx.say("请先选择驳回原因，或直接回复文字说明原因。")
        return
    if _decide(ctx, step.id, False, reason):
        _close_reason_cards(ctx, step.id, f"已驳回：{reason}", reason)
        ctx.clear_state()


@router.on(ApprovalRejectCancel.filter())
def on_reject_cancel(ctx: HandlerContext, key: ApprovalRejectCancel) -> None:
    step = _step(ctx, key.step_id)
    if step is not None:
        _close_reason_cards(ctx, step.id, "已取消驳回")
    ctx.clear_state()
    ctx.say("已取消驳回，审批卡片仍然有效。")


@router.on(kind(EventKind.TEXT), state_is(ApprovalStates.reject_reason))
def on_reason_text(ctx: HandlerContext, state: dict[str, Any]) -> None:
    step_id = int(state["step_id"])
    reason = (ctx.event.text or "").strip()
    if command_body(reason) in {"取消", "算了", "不用了"}:  # the 取消驳回 button, typed
        _close_reason_cards(ctx, step_id, "已取消驳回")
        ctx.clear_state()
        ctx.say("已取消驳回，审批卡片仍然有效。")
        return
    if len(reason) > 500:
        ctx.say("原因太长了，请控制在 500 字以内。")
        return
    ctx.clear_state()
    if _decide(ctx, step_id, False, reason):
        _close_reason_cards(ctx, step_id, f"已驳回：{reason[:30]}", reason)


# ------------------------------------------------------------------ commands
def _contract_for(ctx: HandlerContext, number: str, *, pending_only: bool) -> Contract | None:
    """The named contract, or the sender's latest (pending) one when no number is given."""
    assert ctx.sender is not None
    session = ctx.uow.session
    if number:
        contract = approvals.find_contract(session, number)
        if contract is None:
            ctx.say(f"没有找到合同 {number.upper()}，合同号形如 HT-20261126-001。")
        return contract
    for contract in approvals.submitted_by(session, ctx.sender):
        if not pending_only or contract.status == "submitted":
            return contract
    ctx.say("你还没有提交过合同。" if not pending_only else "你没有审批中的合同。")
    return None


def _named_contract(
    ctx: HandlerContext, match: re.Match[str], *, pending_only: bool
) -> tuple[Contract, ApprovalFlow] | None:
    """The contract a command names (``催办 HT-…``), or the sender's latest; None after saying why."""
    contract = _contract_for(ctx, match.group("number"), pending_only=pending_only)
    if contract is None:
        return None
    return contract, approvals.flow_of(ctx.uow.session, contract)


def _progress_text(flow: ApprovalFlow) -> str:
    from cards.approvals import progress_line

    contract = flow.contract
    lines = [
        f"合同 {contract.number}：{contract.customer.name} {format_yuan(contract.amount)}",
        f"状态：{approvals.STATUS_LABELS.get(contract.status, contract.status)}（规则「{flow.rule_name}」）",
        progress_line(flow),
    ]
    step = approvals.current_step(flow)
    if step is not None and step.due_at is not None:
        lines.append(f"当前：{step.label} · 截止 {to_local(step.due_at):%m-%d %H:%M}")
    rejected = next((s for s in flow.steps if s.status == "rejected"), None)
    if rejected is not None:
        lines.append(f"驳回原因：{rejected.comment or '未填写'}")
    return "\n".join(lines)


@router.on(command_match(PROGRESS_RX))
def on_progress(ctx: HandlerContext, match: re.Match[str]) -> None:
    assert ctx.sender is not None
    found = _named_contract(ctx, match, pending_only=False)
    if found is None:
        return
    contract, flow = found
    if not can_see_contract(ctx.uow, ctx.sender, contract):
        ctx.say("你没有权限查看这份合同的审批进度。")
        return
    ctx.say(_progress_text(flow))


def nudge_flow(ctx: HandlerContext, flow: ApprovalFlow) -> None:
    """催办 (text or the submitter card's button): one line to the current approver(s)."""
    assert ctx.sender is not None
    contract = flow.contract
    try:
        step = approvals.nudge(ctx.uow, flow, ctx.sender)
    except DomainError as exc:
        ctx.say(exc.message)
        return
    assert step.assignee is not None
    approvers = [step.assignee, *([step.escalated_to] if step.escalated_to else [])]
    for person in approvers:
        tell(
            ctx.replies, person,
            f"⏰ {ctx.sender.name} 催办合同 {contract.number}（{contract.customer.name} "
            f"{format_yuan(contract.amount)}），请在审批卡片上处理，或发「我的审批」查看。",
        )
    ctx.say(f"已提醒 {step.assignee.name} 审批合同 {contract.number}。4 小时内不能重复催办。")


def withdraw_flow(ctx: HandlerContext, flow: ApprovalFlow) -> None:
    """撤回 (text or the submitter card's button): every copy shows 已撤回."""
    assert ctx.sender is not None
    try:
        approvals.withdraw(ctx.uow, flow, ctx.sender)
    except DomainError as exc:
        ctx.say(exc.message)
        return
    notify_withdrawn(ctx.replies, flow, ctx.links)
    ctx.say(f"已撤回合同 {flow.contract.number}。")


@router.on(command_match(NUDGE_RX))
def on_nudge(ctx: HandlerContext, match: re.Match[str]) -> None:
    found = _named_contract(ctx, match, pending_only=True)
    if found is not None:
        nudge_flow(ctx, found[1])


@router.on(command_match(WITHDRAW_RX))
def on_withdraw(ctx: HandlerContext, match: re.Match[str]) -> None:
    found = _named_contract(ctx, match, pending_only=True)
    if found is not None:
        withdraw_flow(ctx, found[1])


def _own_flow(ctx: HandlerContext, flow_id: int) -> ApprovalFlow | None:
    assert ctx.sender is not None
    flow = ctx.uow.session.get(ApprovalFlow, flow_id)
    if flow is None or flow.contract.submitter_id != ctx.sender.id:
        ctx.say("这张卡片已失效")
        return None
    return flow


@router.on(ApprovalNudge.filter())
def on_nudge_tap(ctx: HandlerContext, key: ApprovalNudge) -> None:
    flow = _own_flow(ctx, key.flow_id)
    if flow is not None:
        nudge_flow(ctx, flow)


@router.on(ApprovalWithdraw.filter())
def on_withdraw_tap(ctx: HandlerContext, key: ApprovalWithdraw) -> None:
    flow = _own_flow(ctx, key.flow_id)
    if flow is not None:
        withdraw_flow(ctx, flow)


# ------------------------------------------------------------------ 重新提交
RESUBMIT_HINT = (
    "请回复要修改的内容后重新提交，例如：\n35万 已按报价调整付款条件\n"
    "或带上新的报价单号；直接回复「确定」按原样重新提交，回复「取消」放弃。"
)


def parse_resubmit(ctx: HandlerContext, text: str) -> tuple[Decimal | None, Quote | None, str | None]:
    """The corrections in free text: an amount (any way people type it), a quote number, the rest as the note."""
    rest = NUMBER_RX.sub(" ", text).strip()
    amount: Decimal | None = None
    quote: Quote | None = None
    found = find_amount(rest)
    if found is not None:
        amount = found[2]
        rest = (rest[: found[0]] + " " + rest[found[1]:]).strip()
    words = rest.split()
    for word in list(words):
        candidate = _own_quote_by_number(ctx, word.strip("，,。"))
        if candidate is not None:
            quote = candidate
            words.remove(word)
            break
    note = " ".join(words).strip(" ，,。") or None
    if note in {"确定", "确认", "好", "好的", "原样"}:
        note = None
    return amount, quote, note


def resubmit_contract(ctx: HandlerContext, contract: Contract, text: str = "") -> ApprovalFlow | None:
    """重新提交 a rejected contract with the corrections in ``text`` (amount, quote number, note).

    The entry point for the card button's follow-up message, the 「重新提交 HT-…」 command
    and any other router that recognises a resubmission in free text.
    """
    assert ctx.sender is not None
    amount, quote, note = parse_resubmit(ctx, text)
    old_flow = approvals.flow_of(ctx.uow.session, contract)
    try:
        flow = approvals.resubmit(ctx.uow, contract, ctx.sender, amount=amount, quote=quote, note=note)
    except DomainError as exc:
        ctx.say(exc.message)
        return None
    refresh_flow_cards(ctx.replies, old_flow, ctx.links)  # the old round's cards: 已重新提交
    start_flow(ctx.replies, flow, ctx.links)
    return flow


RESUBMIT_COMMAND_RX = re.compile(r"^(?:重新提交|再次提交|重新提交合同|重提)\s*[:：]?\s*(?P<rest>.*)$")


@router.on(command_match(RESUBMIT_COMMAND_RX))
def on_resubmit_text(ctx: HandlerContext, match: re.Match[str]) -> None:
    assert ctx.sender is not None
    rest = match.group("rest").strip()
    number = NUMBER_RX.search(rest)
    contract: Contract | None = None
    if number is not None:
        contract = approvals.find_contract(ctx.uow.session, number.group(0))
        if contract is None:
            ctx.say(f"没有找到合同 {number.group(0).upper()}。")
            return
    else:
        contract = next(
            (c for c in approvals.submitted_by(ctx.uow.session, ctx.sender) if c.status in ("rejected", "withdrawn")),
            None,
        )
        if contract is None:
            ctx.say("你没有被驳回或撤回的合同。重新提交这样说：重新提交 HT-20261206-001 35万 说明")
            return
    resubmit_contract(ctx, contract, rest)


@router.on(ApprovalResubmit.filter())
def on_resubmit_tap(ctx: HandlerContext, key: ApprovalResubmit) -> None:
    """重新提交 on the submitter's card: the next message carries the corrections (or 确定)."""
    assert ctx.sender is not None
    contract = ctx.uow.session.get(Contract, key.contract_id)
    if contract is None or contract.submitter_id != ctx.sender.id:
        ctx.say("这张卡片已失效")
        return
    if contract.status not in ("rejected", "withdrawn"):
        ctx.say(f"合同 {contract.number} {approvals.STATUS_LABELS.get(contract.status, contract.status)}，无需重新提交。")
        return
    ctx.set_state(new_state(ApprovalStates.resubmit, contract_id=contract.id))
    ctx.say(f"重新提交合同 {contract.number}（当前金额 {format_yuan(contract.amount)}）。{RESUBMIT_HINT}")


@router.on(kind(EventKind.TEXT), state_is(ApprovalStates.resubmit))
def on_resubmit_reply(ctx: HandlerContext, state: dict[str, Any]) -> None:
    text = (ctx.event.text or "").strip()
    contract_id = int(state.get("contract_id") or 0)
    ctx.clear_state()
    if command_body(text) in {"取消", "算了", "不用了"}:  # 「/取消」 too
        ctx.say("已取消重新提交。")
        return
    contract = ctx.uow.session.get(Contract, contract_id)
    if contract is None:
        ctx.say("这份合同已不存在。")
        return
    resubmit_contract(ctx, contract, text)


def _find_user(ctx: HandlerContext, name: str) -> User | None:
    return ctx.uow.session.scalar(select(User).where(User.name == name, User.active.is_(True)))


@router.on(command_match(DELEGATE_RX))
def on_delegate(ctx: HandlerContext, match: re.Match[str]) -> None:
    assert ctx.sender is not None
    delegate = _find_user(ctx, match.group("name"))
    if delegate is None:
        ctx.say(f"没有找到同事「{match.group('name')}」，请写全名，例如：委托 王芳 至 12月5日")
        return
    until = resolve(match.group("until"), ctx.uow.clock.now())
    if until is None:
        ctx.say("没看懂截止日期，例如：委托 王芳 至 12月5日")
        return
    ends_on = until.date() if isinstance(until, datetime) else until
    assert isinstance(ends_on, date)
    try:
        approvals.delegate(ctx.uow, ctx.sender, delegate, ends_on)
    except DomainError as exc:
        ctx.say(exc.message)
        return
    ctx.say(f"已委托 {delegate.name} 代你审批，至 {ends_on:%m月%d日}（含）。发「取消委托」可提前结束。")
    target = user_target(delegate)
    if target is not None:
        ctx.replies.text(target, f"{ctx.sender.name} 委托你代为审批合同，至 {ends_on:%m月%d日}。发「我的审批」查看待办。")


@router.on(command("取消委托", "结束委托"))
def on_revoke(ctx: HandlerContext) -> None:
    assert ctx.sender is not None
    n = approvals.revoke_delegations(ctx.uow, ctx.sender)
    ctx.say("已取消委托。" if n else "你目前没有委托。")


@router.on(command(*MINE_WORDS))
def on_mine(ctx: HandlerContext) -> None:
    assert ctx.sender is not None
    steps = approvals.waiting_for(ctx.uow.session, ctx.sender, local_today(ctx.uow.clock))
    if not steps:
        ctx.say("目前没有等你审批的合同。👍")
        return
    lines = [f"等你审批的合同（{len(steps)} 份）："]
    for step in steps:
        contract = step.flow.contract
        due = f"截止 {to_local(step.due_at):%m-%d %H:%M}" if step.due_at else ""
        lines.append(f"· {contract.number} {contract.customer.name} {format_yuan(contract.amount)} {step.label} {due}")
    ctx.say("\n".join(lines))
    for step in steps[:3]:
        send_step_card(ctx.replies, step.flow, step, card_id_for(ctx, f"appr{step.id}"), to=[ctx.sender],
                       links=ctx.links)
