"""Cards of visit logging: what was recorded, and the questions we ask."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cards.keys import VisitEdit, VisitNewCustomer, VisitPick, VisitStage, VisitsUndo, VisitUndo
from cards.model import Button, Card, Field
from domain.clock import to_local
from domain.models import STAGE_LABELS, VISIT_CHANNEL_LABELS, Stage, Visit


def day_label(day: date | None) -> str:
    if day is None:
        return "—"
    return f"{day.month}月{day.day}日（周{'一二三四五六日'[day.weekday()]}）"


def visit_card(
    card_id: str,
    visit: Visit,
    *,
    stage_suggestion: tuple[int, Stage] | None = None,
    note: str | None = None,
    status: str | None = None,
    amount: Decimal | None = None,
) -> Card:
    """The confirmation card: saved already, with 修改 / 撤销 and an optional stage button.

    ``amount`` is the money the message named (「预算大概三十五万」): shown so the rep sees it was understood.
    """
    when = to_local(visit.visited_at)
    contact = visit.contact
    fields = [
        Field("客户", visit.customer.name if visit.customer else "—"),
        Field(
            "联系人",
            f"{contact.name}{'（' + contact.title + '）' if contact and contact.title else ''}"
            if contact
            else "—",
        ),
        Field("时间", f"{when.month}月{when.day}日 {when:%H:%M}"),
        Field("下次跟进", day_label(visit.next_follow_up)),
    ]
    if visit.channel != "visit":
        fields.append(Field("方式", VISIT_CHANNEL_LABELS.get(visit.channel, visit.channel)))
    if amount is not None:
        fields.append(Field("金额", f"¥{amount:,.0f}" if amount == amount.to_integral_value() else f"¥{amount:,.2f}"))
    customer = visit.customer
    if customer is not None and customer.owner is not None and customer.owner_id != visit.rep_id:
        # A colleague's customer: say so, so nobody is surprised whose deal it is.
        fields.insert(1, Field("客户归属", f"{customer.owner.name} 的客户（协作拜访）"))
    if visit.location_label or visit.lat is not None:
        fields.append(Field("地点", visit.location_label or f"{visit.lat:.5f}, {visit.lng:.5f}"))
    buttons = [Button("修改", VisitEdit(visit.id).pack()), Button("撤销", VisitUndo(visit.id).pack(), "danger")]
    if stage_suggestion is not None:
        opp_id, stage = stage_suggestion
        buttons.insert(
            0, Button(f"商机改为{STAGE_LABELS[stage]}", VisitStage(opp_id, stage).pack(), "primary")
        )
    return Card(
        title="已记录拜访",
        card_id=card_id,
        subtitle=note or "已自动保存，无需再点确认",
        fields=fields,
        quote_text=visit.summary or None,
        buttons=buttons,
        status=status,
    )


def pick_customer_card(card_id: str, mention: str | None, candidates: list[tuple[int, str]]) -> Card:
    """Several customers match: one button each, plus 新建客户."""
    buttons = [Button(name[:16], VisitPick(cid).pack()) for cid, name in candidates[:5]]
    if mention:
        buttons.append(Button("新建客户", VisitNewCustomer().pack()))
    return Card(
        title="拜访的是哪家客户？",
        card_id=card_id,
        subtitle=f"「{mention}」对应多个客户，请选择" if mention else "请选择客户",
        buttons=buttons[:6],
    )


def several_visits_card(card_id: str, visits: list[Visit], undone: list[str] | None = None) -> Card:
    """One message, several customers: every visit on one card, each with its own 撤销."""
    fields = []
    for visit in visits:
        when = to_local(visit.visited_at)
        contact = visit.contact.name if visit.contact else "—"
        line = f"{when.month}月{when.day}日 {when:%H:%M} · {contact}"
        if visit.next_follow_up is not None:
            line += f" · 下次跟进 {day_label(visit.next_follow_up)}"
        fields.append(Field(visit.customer.name if visit.customer else "—", line))
    note = "一条消息里有几家客户，已分别记录；不对的可以单独撤销"
    if undone:
        note = "已撤销：" + "、".join(undone)
    return Card(
        title=f"已记录 {len(visits)} 条拜访" if visits else "拜访已全部撤销",
        card_id=card_id,
        subtitle=note,
        fields=fields,
        buttons=[
            Button(f"撤销 {(v.customer.name if v.customer else '—')[:8]}", VisitsUndo(v.id).pack(), "danger")
            for v in visits[:5]
        ],
        status=None if visits else "已撤销",
    )
