"""Taps on reminder cards: 已跟进 records the touch, 明天再提醒 snoozes to the next workday.

The card changes in place for the person who got it (who / when, or when it comes
back); 打开商机 is the card's signed link and needs no handler. The key arrives typed
(``cards.keys.ReminderTap``).
"""

from __future__ import annotations

from cards import reminders as reminder_cards
from cards.keys import ReminderTap, ReminderVerb
from cards.model import Card
from cards.serialize import card_from_dict
from domain.services import cardstate, reminders
from handlers.context import HandlerContext
from handlers.router import Router

router = Router("reminders")

ALREADY = "这条提醒已经处理过了。"
EXPIRED = "这张卡片已失效"


@router.on(ReminderTap.filter())
def on_reminder_tap(ctx: HandlerContext, key: ReminderTap) -> None:
    assert ctx.event.card_action is not None and ctx.sender is not None
    tap = key
    record = cardstate.get_card(ctx.uow.session, ctx.event.card_action.task_id)
    if record is None:
        ctx.say(EXPIRED)
        return
    if record.status != "open":
        ctx.say(ALREADY)
        return
    mine = {a for a in (ctx.sender.wecom_userid, ctx.sender.dingtalk_userid) if a}
    if tap.verb == ReminderVerb.done:
        at = reminders.mark_done(ctx.uow, tap.kind, tap.entity_id, ctx.sender)

        def decide(card: Card) -> Card:
            assert ctx.sender is not None
            return reminder_cards.done(card, ctx.sender.name, at)
    else:
        until = reminders.snooze(ctx.uow, tap.kind, tap.entity_id, ctx.sender)

        def decide(card: Card) -> Card:
            return reminder_cards.snoozed(card, until)

    # Every open card about this item changes: the copy on the other platform, an earlier day's card.
    for other in cardstate.cards_for_entity(ctx.uow.session, f"reminder:{tap.kind}", str(tap.entity_id)):
        if other.status == "open" and (other.card_id == record.card_id or set(other.recipients) & mine):
            ctx.replies.update_card(decide(card_from_dict(other.content)))
