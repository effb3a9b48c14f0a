"""Approval cards: one living card per person per flow.

Each approver gets one card when their step starts; the submitter gets one card
when they submit. Every copy is rebuilt from the flow whenever it moves (a
decision, a withdrawal, a deadline), so all of them show the flow's *current*
state until it ends — never the moment they were sent. The approver's copy
carries 同意 / 驳回 while their step waits; the submitter's carries 撤回 / 催办
(and 重新提交 after a 驳回), because the two act differently on the same flow.

What an approver needs to decide is on the card itself: customer (and whose
customer it is), amount in ¥ and 大写, the discount against the quote when
there is one, the quote's first lines, and the rule in words.
"""

from __future__ import annotations

from decimal import Decimal

from cards.keys import (
    ApprovalApprove,
    ApprovalNudge,
    ApprovalReject,
    ApprovalRejectCancel,
    ApprovalRejectConfirm,
    ApprovalRelink,
    ApprovalResubmit,
    ApprovalWithdraw,
)
from cards.model import Button, Card, Field, Link, Select, SelectOption
from domain.clock import to_local
from domain.models import ApprovalFlow, ApprovalStep, Contract
from domain.money import format_yuan, to_upper_amount

REJECT_REASONS = (
    ("price", "价格或折扣过低"),
    ("payment", "付款条件不符合要求"),
    ("terms", "合同条款需要修改"),
    ("credit", "客户资质或信用存疑"),
    ("missing", "资料不完整"),
)
REASON_TEXT = dict(REJECT_REASONS)
OTHER_REASON = "other"  # the option a typed reason selects (its text shows as the option)
SHOWN_LINES = 3
NEW_OPPORTUNITY = "new"  # the choice 新建商机 on the submitter's card
OPPORTUNITY_QUESTION = "opportunity"

def _when(step: ApprovalStep) -> str:
    return to_local(step.decided_at).strftime("%m-%d %H:%M") if step.decided_at else ""


def progress_line(flow: ApprovalFlow) -> str:
    """✓ 李娜 已同意 → ● 王芳 审批中 → ○ 财务"""
    parts: list[str] = []
    for step in flow.steps:
        name = step.assignee.name if step.assignee else step.label
        if step.status == "approved":
            who = step.decided_by.name if step.decided_by else name
            parts.append(f"✓ {who} 已同意")
        elif step.status == "rejected":
            who = step.decided_by.name if step.decided_by else name
            parts.append(f"✗ {who} 已驳回")
        elif step.status == "pending":
            parts.append(f"● {name} 审批中")
        elif step.status == "skipped":
            parts.append(f"– {step.label}")
        else:
            parts.append(f"○ {step.label}")
    return " → ".join(parts)


def decision_text(step: ApprovalStep) -> str:
    """The status of one decided step, e.g. "已同意 · 李娜 11-26 10:05"."""
    who = step.decided_by.name if step.decided_by else ""
    if step.status == "approved":
        return f"已同意 · {who} {_when(step)}"
    if step.status == "rejected":
        return f"已驳回 · {who} {_when(step)}"
    return "已撤回" if step.flow.status == "withdrawn" else "已结束"


def flow_state(flow: ApprovalFlow) -> str:
    """Where the whole flow stands, in one line every copy shows."""
    when = to_local(flow.decided_at).strftime("%m-%d %H:%M") if flow.decided_at else ""
    if flow.status == "approved":
        return f"已批准 · {when}".strip(" ·")
    if flow.status == "rejected":
        step = next((s for s in flow.steps if s.status == "rejected"), None)
        who = step.decided_by.name if step is not None and step.decided_by else ""
        return f"已驳回 · {who} {when}".strip(" ·")
    if flow.status == "withdrawn":
        return f"已撤回 · 提交人撤回了这份合同 {when}".strip()
    current = next((s for s in flow.steps if s.status == "pending"), None)
    if current is None:
        return "审批中"
    who = current.assignee.name if current.assignee else current.label
    return f"审批中 · 当前：{who}（{current.label}）"


def _after(flow: ApprovalFlow, step: ApprovalStep) -> str:
    """What happened to the flow after ``step`` was decided, as the decider's card shows it."""
    if step.status == "rejected":
        return ""
    if flow.status == "approved":
        return "合同已批准"
    if flow.status == "withdrawn":
        return "提交人已撤回"
    if flow.status == "rejected":
        later = next((s for s in flow.steps if s.status == "rejected"), None)
        who = later.decided_by.name if later is not None and later.decided_by else ""
        return f"后续被 {who} 驳回".replace("  ", " ")
    current = next((s for s in flow.steps if s.status == "pending"), None)
    if current is None:
        return ""
    return f"当前：{current.assignee.name if current.assignee else current.label} 审批中"


def discount_text(contract: Contract) -> str | None:
    """The contract against its quote: "较报价 ¥400,000.00 优惠 8.0%（¥32,000.00）"."""
    quote = contract.quote
    if quote is None or quote.total is None or quote.total <= 0:
        return None
    diff = quote.total - contract.amount
    if diff == 0:
        return f"与报价 {format_yuan(quote.total)} 一致"
    rate = (abs(diff) / quote.total * Decimal(100)).quantize(Decimal("0.1"))
    if diff > 0:
        return f"较报价 {format_yuan(quote.total)} 优惠 {rate}%（{format_yuan(diff)}）"
    return f"高于报价 {format_yuan(quote.total)} {rate}%（{format_yuan(-diff)}）"


def quote_lines(contract: Contract, limit: int = SHOWN_LINES) -> list[str]:
    """The quote's first lines, as a card shows them."""
    quote = contract.quote
    if quote is None:
        return []
    shown = []
    for ln in quote.lines[:limit]:
        qty = format(ln.quantity.normalize(), "f") if ln.quantity is not None else "?"
        amount = format_yuan(ln.amount) if ln.amount is not None else "—"
        shown.append(f"{ln.name} {ln.model or ''} × {qty} = {amount}".replace("  ", " "))
    if len(quote.lines) > limit:
        shown.append(f"……另有 {len(quote.lines) - limit} 行，见审批详情")
    return shown


def _facts(flow: ApprovalFlow, owner_name: str | None) -> list[Field]:
    """The key/value lines, most important first (WeCom shows six; the rest go under the title)."""
    contract = flow.contract
    customer = contract.customer.name
    if owner_name:
        customer += f"（{owner_name} 的客户）"
    fields = [
        Field("客户", customer),
        Field("金额", format_yuan(contract.amount)),
        Field("大写", to_upper_amount(contract.amount)),
    ]
    discount = discount_text(contract)
    if discount:
        fields.append(Field("折扣", discount))
    fields.append(Field("提交人", contract.submitter.name))
    if contract.quote is not None:
        quote = contract.quote
        fields.append(Field("报价单", f"{quote.number or '无单号'} · {len(quote.lines)} 行"))
    return fields


def _body(flow: ApprovalFlow, rule_words: str | None, history: list[str] | None) -> str:
    lines = [progress_line(flow)]
    if flow.round > 1:
        lines.append(f"第 {flow.round} 次提交")
    rejected = next((s for s in flow.steps if s.status == "rejected"), None)
    if rejected is not None and rejected.comment:
        lines.append(f"驳回原因：{rejected.comment}")
    if flow.note:
        lines.append(f"提交说明：{flow.note}")
    lines += history or []
    lines += quote_lines(flow.contract)
    if rule_words:
        lines.append(f"规则：{rule_words}")
    return "\n".join(lines)


def approval_card(
    card_id: str,
    flow: ApprovalFlow,
    step: ApprovalStep,
    *,
    detail_url: str | None = None,
    escalated: bool = False,
    owner_name: str | None = None,
    rule_words: str | None = None,
    history: list[str] | None = None,
) -> Card:
    """The approver's copy for ``step``: 同意 / 驳回 while it waits, then the flow's current state."""
    contract = flow.contract
    fields = _facts(flow, owner_name)
    fields.insert(
        len(fields) - (2 if contract.quote is not None else 1),
        Field("审批步骤", f"第 {step.position}/{len(flow.steps)} 步 · {step.label}"),
    )
    status: str | None = None
    subtitle: str | None = None
    if step.status == "pending" and flow.status == "pending":
        due = to_local(step.due_at).strftime("%m-%d %H:%M") if step.due_at else "—"
        subtitle = f"请在 {due} 前审批"
        if escalated and step.assignee is not None:
            subtitle = f"{step.assignee.name} 已超时未审批，你可以代为审批"
    elif step.status in ("approved", "rejected"):
        status = f"{decision_text(step)} · {_after(flow, step)}".rstrip(" ·")
    else:
        status = flow_state(flow)
    return Card(
        title=f"合同审批 · {contract.number}",
        card_id=card_id,
        subtitle=subtitle,
        fields=fields,
        quote_text=_body(flow, rule_words, history),
        buttons=[
            Button("同意", ApprovalApprove(step.id).pack(), "primary"),
            Button("驳回", ApprovalReject(step.id).pack(), "danger"),
        ],
        status=status,
        link=Link("审批详情", detail_url) if detail_url else None,
    )


def submitter_card(
    card_id: str,
    flow: ApprovalFlow,
    *,
    detail_url: str | None = None,
    owner_name: str | None = None,
    rule_words: str | None = None,
    history: list[str] | None = None,
    choices: list[tuple[int, str]] | None = None,
) -> Card:
    """The submitter's copy: the flow as it stands, with 撤回 / 催办 (重新提交 after a 驳回).

    ``choices``: the submitter's open opportunities on the customer (id, short label);
    with more than one, the card asks which the contract is on (or 新建商机) until approval.
    """
    contract = flow.contract
    fields = _facts(flow, owner_name)
    status: str | None = None
    buttons: list[Button] = []
    selects: list[Select] = []
    subtitle = flow_state(flow)
    if flow.status == "pending":
        buttons = [
            Button("催办", ApprovalNudge(flow.id).pack(), "primary"),
            Button("撤回", ApprovalWithdraw(flow.id).pack(), "danger"),
        ]
        if choices and len(choices) > 1:
            options = [SelectOption(str(i), label) for i, label in choices]
            options.append(SelectOption(NEW_OPPORTUNITY, "新建商机"))
            chosen = str(contract.opportunity_id) if contract.opportunity_id in {i for i, _ in choices} else None
            selects = [Select(OPPORTUNITY_QUESTION, "记入商机", options, selected_id=chosen)]
            buttons.append(Button("改记所选商机", ApprovalRelink(contract.id).pack()))
    elif flow.status == "rejected" and contract.status == "rejected":
        subtitle = f"{flow_state(flow)} · 可修改后点「重新提交」，或回复「重新提交 {contract.number} 金额」"
        buttons = [Button("重新提交", ApprovalResubmit(contract.id).pack(), "primary")]
    else:
        status = flow_state(flow)
        if flow.status in ("rejected", "withdrawn") and contract.status != flow.status:
            status += " · 已重新提交"
        buttons = [Button("催办", ApprovalNudge(flow.id).pack())]  # shown as the status once ended
    return Card(
        title=f"我的合同 · {contract.number}",
        card_id=card_id,
        subtitle=subtitle,
        fields=fields,
        quote_text=_body(flow, rule_words, history),
        buttons=buttons,
        selects=selects,
        status=status,
        link=Link("审批详情", detail_url) if detail_url else None,
    )


def reject_reason_card(
    card_id: str,
    flow: ApprovalFlow,
    step: ApprovalStep,
    *,
    status: str | None = None,
    typed_reason: str | None = None,
) -> Card:
    """Asked after 驳回: pick a common reason, or type one as the next message.

    Once the reason is known the dropdown shows *that* reason (a typed one as its
    own option), so the closed card never says something nobody chose.
    """
    options = [SelectOption(key, text) for key, text in REJECT_REASONS]
    selected: str | None = None
    if typed_reason:
        known = next((key for key, text in REJECT_REASONS if text == typed_reason), None)
        if known is None:
            options = [SelectOption(OTHER_REASON, typed_reason[:30]), *options]
            selected = OTHER_REASON
        else:
            selected = known
    return Card(
        title=f"驳回合同 · {flow.contract.number}",
        card_id=card_id,
        subtitle="请选择驳回原因后点「确认驳回」，或直接回复文字说明原因",
        fields=[Field("客户", flow.contract.customer.name), Field("金额", format_yuan(flow.contract.amount))],
        selects=[Select(question_key="reason", title="驳回原因", options=options, selected_id=selected)],
        buttons=[
            Button("确认驳回", ApprovalRejectConfirm(step.id).pack(), "danger"),
            Button("取消", ApprovalRejectCancel(step.id).pack()),
        ],
        status=status,
    )
