"""Reminder cards: one card per item, with 已跟进 / 明天再提醒 and a link 打开商机.

The 09:00 follow-ups, the 10:00 stale opportunities and the 08:00 dormant customers
each send their owner one card per item (a few; the rest as one list). The tap keys
are typed in ``cards.keys.ReminderTap`` and built here (:func:`action`), so the handler
(``handlers/reminders.py``) and the jobs never spell them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from cards.keys import ReminderKind, ReminderTap, ReminderVerb
from cards.model import Button, Card, Field, Link
from domain.clock import to_local
from domain.money import format_yuan

DONE = ReminderVerb.done
SNOOZE = ReminderVerb.snooze
KIND_CODES = {"followup": "fu", "opportunity": "op", "customer": "cu"}  # short, for card ids
WEEKDAYS = "一二三四五六日"


def action(verb: ReminderVerb, kind: str, entity_id: int) -> str:
    """The tap key of a reminder button, e.g. ``remind:done:opportunity:42`` (``cards.keys.ReminderTap``)."""
    return ReminderTap(verb, ReminderKind(kind), entity_id).pack()


def card_id(kind: str, entity_id: int, user_id: int, occurrence: datetime) -> str:
    """A task_id unique per item, person and job run (WeCom never accepts one twice)."""
    return f"rem-{KIND_CODES[kind]}{entity_id}-u{user_id}-{to_local(occurrence):%Y%m%d%H%M}"


def md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def day_text(day: date) -> str:
    return f"{md(day)}（周{WEEKDAYS[day.weekday()]}）"


def _buttons(kind: str, entity_id: int) -> list[Button]:
    return [
        Button("已跟进", action(DONE, kind, entity_id), "primary"),
        Button("明天再提醒", action(SNOOZE, kind, entity_id)),
    ]


def followup_card(
    cid: str,
    *,
    visit_id: int,
    customer_name: str,
    due: date,
    today: date,
    visited_on: date,
    next_step: str | None,
    url: str | None,
) -> Card:
    late = (today - due).days
    fields = [Field("客户", customer_name)]
    if next_step:
        fields.append(Field("下一步", next_step))
    fields += [Field("上次拜访", md(visited_on)), Field("跟进日期", day_text(due))]
    return Card(
        title=f"跟进提醒 · {customer_name}",
        card_id=cid,
        subtitle="今天要跟进" if late <= 0 else f"已逾期 {late} 天（应于{md(due)}跟进）",
        fields=fields,
        description="跟进后点「已跟进」，或记录一次拜访，提醒就会消失。",
        buttons=_buttons("followup", visit_id),
        link=Link("打开商机", url) if url else None,
    )


def stale_card(
    cid: str,
    *,
    opportunity_id: int,
    name: str,
    customer_name: str,
    stage: str,
    amount: Decimal | None,
    touched: date,
    days: int,
    manager_told: str | None,
    url: str | None,
) -> Card:
    fields = [Field("客户", customer_name)]
    if name != f"{customer_name} 商机":
        fields.append(Field("商机", name))
    fields.append(Field("阶段", stage))
    if amount is not None:
        fields.append(Field("金额", format_yuan(amount)))
    fields.append(Field("上次跟进", md(touched)))
    subtitle = f"{days} 天未跟进" + (f" · 已同时告知{manager_told}" if manager_told else "")
    return Card(
        title=f"商机停滞 · {customer_name}",
        card_id=cid,
        subtitle=subtitle,
        fields=fields,
        description="拜访客户、更新报价或推进阶段都算跟进；已经联系过就点「已跟进」。",
        buttons=_buttons("opportunity", opportunity_id),
        link=Link("打开商机", url) if url else None,
    )


def dormant_card(
    cid: str, *, customer_id: int, customer_name: str, days: int, last_contact: date | None, url: str | None
) -> Card:
    return Card(
        title=f"客户休眠 · {customer_name}",
        card_id=cid,
        subtitle=f"已 {days} 天没有拜访或联系，已标记为「休眠」",
        fields=[Field("客户", customer_name), Field("上次联系", md(last_contact) if last_contact else "从未")],
        description="联系过客户就点「已跟进」，客户恢复为活跃；拜访一次也可以。",
        buttons=_buttons("customer", customer_id),
        link=Link("打开客户", url) if url else None,
    )


def done(card: Card, who: str, at: datetime) -> Card:
    """The card after 已跟进: who and when, no buttons left."""
    return replace(card, status=f"已跟进 · {who} {to_local(at):%m-%d %H:%M}")


def snoozed(card: Card, until: datetime) -> Card:
    """The card after 明天再提醒: the day it comes back.

    Only the day: a snooze holds until that day's first reminder run, whose hour differs by job
    (the dormant sweep runs at 08:00, follow-ups later), so an hour on the card would be wrong for some.
    """
    return replace(card, status=f"明天再提醒 · {day_text(to_local(until).date())}")

