"""Cards for the chat commands: 我的待办, 查客户, 本周业绩."""

from __future__ import annotations

from decimal import Decimal

from cards.model import Card, Field, Link
from domain.clock import to_local
from domain.models import CUSTOMER_STATUS_LABELS, STAGE_LABELS, Contact, CustomerStatus, Stage
from domain.services.reports import CustomerOverview, Todo, WeekNumbers


def yuan(amount: Decimal | None) -> str:
    return "—" if amount is None else f"¥{amount:,.0f}"


def todo_card(card_id: str, todo: Todo, drafts: int) -> Card:
    fields: list[Field] = []
    for f in todo.due_today[:3]:
        fields.append(
            Field("今天跟进", f"{f.customer_name}" + (f"：{f.visit.next_step}" if f.visit.next_step else ""))
        )
    for f in todo.overdue[:2]:
        fields.append(Field("已逾期", f"{f.customer_name}（{f.due.month}月{f.due.day}日）"))
    for step in todo.approvals[:1]:
        fields.append(
            Field("待我审批", f"{step.flow.contract.customer.name} {yuan(step.flow.contract.amount)}")
        )
    summary = (
        f"今天 {len(todo.due_today)} 个跟进，逾期 {len(todo.overdue)} 个，"
        f"待审批 {len(todo.approvals)} 个" + (f"，{drafts} 条拜访待补充" if drafts else "")
    )
    if not fields and not drafts:
        summary = "今天没有待办，去拜访客户吧 💪"
    return Card(title="我的待办", card_id=card_id, subtitle=summary, fields=fields[:6])


def _contact_line(contact: Contact) -> str:
    title = f"（{contact.title}）" if contact.title else ""
    return f"{contact.name}{title}" + (f" {contact.phone}" if contact.phone else "")


def customer_card(card_id: str, view: CustomerOverview, url: str | None = None) -> Card:
    c = view.customer
    fields = [
        Field("负责人", c.owner.name if c.owner else "—"),
    ]
    if view.contacts:
        fields.append(Field("联系人", "、".join(_contact_line(p) for p in view.contacts)))
    fields += [
        Field("级别 / 状态", f"{c.level or '—'} / {CUSTOMER_STATUS_LABELS[CustomerStatus(c.status)]}"),
    ]
    for o in view.opportunities[:2]:
        fields.append(Field("商机", f"{STAGE_LABELS[Stage(o.stage)]} {yuan(o.amount)}"))
    if view.latest_quote is not None:
        fields.append(
            Field("最近报价", f"{view.latest_quote.number or ''} {yuan(view.latest_quote.total)}".strip())
        )
    lines = []
    for v in view.visits:
        when = to_local(v.visited_at)
        lines.append(f"{when.month}月{when.day}日 {v.rep.name}：{v.summary or '拜访'}")
    return Card(
        title=c.name,
        card_id=card_id,
        subtitle="、".join(a.alias for a in c.aliases) or None,
        fields=fields[:6],
        quote_text="最近拜访\n" + "\n".join(lines) if lines else "还没有拜访记录",
        link=Link("客户详情", url) if url else None,
    )


def _change(now: int | Decimal, before: int | Decimal) -> str:
    if now > before:
        return f"↑{now - before:,}" if isinstance(now, int) else f"↑{now - before:,.0f}"
    if now < before:
        return f"↓{before - now:,}" if isinstance(now, int) else f"↓{before - now:,.0f}"
    return "持平"


def week_card(card_id: str, this: WeekNumbers, last: WeekNumbers) -> Card:
    return Card(
        title="本周业绩",
        card_id=card_id,
        subtitle="本周一至今，与上周全周相比",
        fields=[
            Field("拜访", f"{this.visits} 次（{_change(this.visits, last.visits)}）"),
            Field(
                "新商机",
                f"{this.new_opportunities} 个（{_change(this.new_opportunities, last.new_opportunities)}）",
            ),
            Field("成交金额", f"{yuan(this.won_amount)}（{_change(this.won_amount, last.won_amount)}）"),
        ],
    )
