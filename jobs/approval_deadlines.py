"""Hourly: remind approvers at 24 h, escalate at 48 h (the approver's manager may then decide).

Each step is reminded once and escalated once: ``reminded_at`` / ``escalated_at``
are set by a conditional UPDATE, so two schedulers (or a re-run of the same
hour) never send a second reminder.
"""

from __future__ import annotations

from typing import Any

from domain.clock import to_local
from domain.money import format_yuan
from domain.services import approvals
from handlers.approval_notices import send_step_card
from handlers.replies import user_target
from jobs.base import JobContext, JobSpec, register


def run(ctx: JobContext) -> dict[str, Any]:
    session = ctx.uow.session
    now = ctx.occurrence
    ruleset = approvals.active_ruleset(session)
    reminded = escalated = 0
    for step in approvals.steps_to_escalate(session, now):
        won, manager = approvals.escalate(ctx.uow, step)
        if not won:
            continue
        escalated += 1
        contract = step.flow.contract
        head = f"合同 {contract.number}（{contract.customer.name} {format_yuan(contract.amount)}）"
        assignee = step.assignee
        assert assignee is not None
        target = user_target(assignee)
        boss = f"，已通知你的上级 {manager.name}" if manager else ""
        if target is not None:
            ctx.replies.text(target, f"⏰ {head} 已超过审批时限{boss}，请尽快处理。", key=ctx.key("late", step.id))
        if manager is not None:
            send_step_card(
                ctx.replies, step.flow, step, f"appr-{step.id}-esc", to=[manager], escalated=True,
                key=ctx.key("esc-card", step.id),
            )
        submitter = user_target(contract.submitter)
        if submitter is not None:
            who = f"已通知 {assignee.name} 的上级 {manager.name}" if manager else f"已再次提醒 {assignee.name}"
            ctx.replies.text(submitter, f"{head} 审批超时，{who}。", key=ctx.key("late-submitter", step.id))
        approvals.mark_reminded(ctx.uow, step)  # the escalation includes the reminder
    for step in approvals.steps_to_remind(session, now, ruleset):
        if not approvals.mark_reminded(ctx.uow, step):
            continue
        reminded += 1
        contract = step.flow.contract
        assignee = step.assignee
        assert assignee is not None
        due = f"，截止 {to_local(step.due_at):%m-%d %H:%M}" if step.due_at else ""
        for person in [assignee, *approvals.active_delegates(session, assignee, to_local(now).date())]:
            target = user_target(person)
            if target is not None:
                ctx.replies.text(
                    target,
                    f"⏰ 合同 {contract.number}（{contract.customer.name} {format_yuan(contract.amount)}）"
                    f"等你审批已超过 {ruleset.remind_hours} 小时{due}。发「我的审批」查看。",
                    key=ctx.key("remind", step.id, person.id),
                )
    return {"reminded": reminded, "escalated": escalated}


SPEC = register(
    JobSpec(
        name="approval_deadlines",
        run=run,
        cron={"minute": 0},
        description="每小时：审批超过 24 小时提醒审批人，超过 48 小时通知其上级",
    )
)
