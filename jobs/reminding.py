"""What the three reminder jobs share: one card per item to its person, a few at most.

A person gets a card per item (已跟进 / 明天再提醒 / 打开商机, ``cards/reminders.py``) for
the first ``MAX_CARDS`` items, and the rest in one short list, so a long list never
floods the chat (WeCom takes 30 messages a minute per person). Items the person
snoozed (明天再提醒) are left out until the day they asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cards.model import Card
from cards.reminders import card_id
from cards.serialize import card_from_dict
from domain.models import User
from domain.services import cardstate
from handlers.replies import user_targets
from jobs.base import JobContext
from jobs.text import compose

MAX_CARDS = 5
PURPOSE = "reminder"


@dataclass(frozen=True)
class Item:
    kind: str  # followup / opportunity / customer (domain.services.reminders)
    entity_id: int
    card: Callable[[str], Card]  # card id → the card
    line: str  # the item as one line of the overflow list


def send(ctx: JobContext, person: User, items: Sequence[Item], *, rest_head: str) -> bool:
    """The cards (and the overflow list) for ``person``; False when they cannot be reached."""
    targets = user_targets(person)
    if not targets:
        return False
    for item in items[:MAX_CARDS]:
        cid = card_id(item.kind, item.entity_id, person.id, ctx.occurrence)
        sent = cardstate.get_card(ctx.uow.session, cid)
        # A re-run of this occurrence: the card is out (maybe tapped already); offering it again as
        # it stands writes no new row and counts as already sent in the run log.
        card = card_from_dict(sent.content) if sent is not None else item.card(cid)
        ctx.replies.card_many(
            targets,
            card,
            purpose=PURPOSE,
            entity=(f"reminder:{item.kind}", str(item.entity_id)),
            key=ctx.key(item.kind, item.entity_id, person.id),
        )
    rest = items[MAX_CARDS:]
    if rest:
        text = compose([("", [f"{i}. {it.line}" for i, it in enumerate(rest, 1)])], head=rest_head.format(n=len(rest)))
        for n, target in enumerate(targets):
            ctx.replies.text(target, text, key=ctx.key("rest", person.id, n))
    return True
