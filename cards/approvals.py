"""Approval cards: the contract, the chain's progress, and 同意 / 驳回.

The same card goes to the step's approver and to the submitter (who watches
the chain move); when the step is decided the card is updated for both to
show who decided what, and when.
"""

from __future__ import annotations

from cards.model import Button, Card, Field, Link, Select, SelectOption
from domain.clock import to_local
from domain.models import ApprovalFlow, ApprovalStep
from domain.money import format_yuan, to_upper_amount

REJECT_REASONS = (
    ("price", "价格或折扣过低"),
    ("payment", "付款条件不符合要求"),
    ("terms", "合同条款需要修改"),
    ("credit", "客户资质或信用存疑"),
    ("missing", "资料不完整"),
)
REASON_TEXT = dict(REJECT_REASONS)


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
    """The status a decided card shows, e.g. "已同意 · 李娜 11-26 10:05"."""
    who = step.decided_by.name if step.decided_by else ""
    if step.status == "approved":
        return f"已同意 · {who} {_when(step)}"
    if step.status == "rejected":
        return f"已驳回 · {who} {_when(step)}"
    return "已撤回" if step.flow.status == "withdrawn" else "已结束"


def approval_card(
    card_id: str,
    flow: ApprovalFlow,
    step: ApprovalStep,
    *,
    detail_url: str | None = None,
    escalated: bool = False,
) -> Card:
    """The card for one step. Once the step is no longer pending it shows the decision instead of buttons."""
    contract = flow.contract
    fields = [
        Field("客户", contract.customer.name),
        Field("金额", format_yuan(contract.amount)),
        Field("大写", to_upper_amount(contract.amount)),
        Field("提交人", contract.submitter.name),
        Field("审批步骤", f"第 {step.position}/{len(flow.steps)} 步 · {step.label}"),
    ]
    if contract.quote is not None:
        quote = contract.quote
        fields.append(Field("报价单", f"{quote.number or '无单号'} · {len(quote.lines)} 行"))
    if step.status == "pending":
        due = to_local(step.due_at).strftime("%m-%d %H:%M") if step.due_at else "—"
        subtitle = f"请在 {due} 前审批"
        if escalated and step.assignee is not None:
            subtitle = f"{step.assignee.name} 已超时未审批，你可以代为审批"
        status = None
    else:
        subtitle = None
        status = decision_text(step)
    quote_lines = [progress_line(flow)]
    if step.status == "rejected" and step.comment:
        quote_lines.append(f"驳回原因：{step.comment}")
    return Card(
        title=f"合同审批 · {contract.number}",
        card_id=card_id,
        subtitle=subtitle,
        fields=fields,
        quote_text="\n".join(quote_lines),
        buttons=[
            Button("同意", f"approval:approve:{step.id}", "primary"),
            Button("驳回", f"approval:reject:{step.id}", "danger"),
        ],
        status=status,
        link=Link("审批详情", detail_url) if detail_url else None,
    )


def reject_reason_card(card_id: str, flow: ApprovalFlow, step: ApprovalStep, *, status: str | None = None) -> Card:
    """Asked after 驳回: pick a common reason, or type one as the next message."""
    return Card(
        title=f"驳回合同 · {flow.contract.number}",
        card_id=card_id,
        subtitle="请选择驳回原因后点「确认驳回」，或直接回复文字说明原因",
        fields=[Field("客户", flow.contract.customer.name), Field("金额", format_yuan(flow.contract.amount))],
        selects=[
            Select(
                question_key="reason",
                title="驳回原因",
                options=[SelectOption(key, text) for key, text in REJECT_REASONS],
            )
        ],
        buttons=[
            Button("确认驳回", f"approval:reject_confirm:{step.id}", "danger"),
            Button("取消", f"approval:reject_cancel:{step.id}"),
        ],
        status=status,
    )
