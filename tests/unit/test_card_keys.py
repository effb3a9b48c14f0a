"""Typed card keys: the same wire strings as ever, so cards sent before the change still work when tapped."""

from __future__ import annotations

import dataclasses

import pytest

from cards import keys
from cards.help import HELP_ACTIONS, help_card
from cards.keys import (
    ALL_KEYS,
    ApprovalReject,
    ApprovalRejectConfirm,
    CallbackData,
    HelpTap,
    VisitNewCustomer,
    VisitPick,
    VisitStage,
    VisitsUndo,
    VisitUndo,
    unpack_any,
)
from cards.visits import pick_customer_card
from domain.models import Role, Stage

# Keys exactly as cards sent before typed keys carried them (f-strings in cards/*.py at 7f3ea9a).
SENT_BEFORE = {
    "help:visit": HelpTap("visit"),
    "visit:edit:42": keys.VisitEdit(42),
    "visit:undo:42": VisitUndo(42),
    "visit:stage:7:negotiation": VisitStage(7, Stage.NEGOTIATION),
    "visit:pick:12": VisitPick(12),
    "visit:new": VisitNewCustomer(),
    "visits:undo:3": VisitsUndo(3),
    "quote:confirm:5": keys.QuoteConfirm(5),
    "quote:edit:5": keys.QuoteEdit(5),
    "quote:void:5": keys.QuoteVoid(5),
    "quote:submit:5": keys.QuoteSubmit(5),
    "approval:approve:17": keys.ApprovalApprove(17),
    "approval:reject:17": ApprovalReject(17),
    "approval:reject_confirm:17": ApprovalRejectConfirm(17),
    "approval:reject_cancel:17": keys.ApprovalRejectCancel(17),
    "approval:nudge:4": keys.ApprovalNudge(4),
    "approval:withdraw:4": keys.ApprovalWithdraw(4),
    "approval:resubmit:9": keys.ApprovalResubmit(9),
    # Sent by the deals branch's reminder and contract cards (cards/reminders.py, cards/approvals.py at e05128f).
    "approval:relink:9": keys.ApprovalRelink(9),
    "remind:done:opportunity:42": keys.ReminderTap(keys.ReminderVerb.done, keys.ReminderKind.opportunity, 42),
    "remind:snooze:followup:7": keys.ReminderTap(keys.ReminderVerb.snooze, keys.ReminderKind.followup, 7),
    "remind:done:customer:3": keys.ReminderTap(keys.ReminderVerb.done, keys.ReminderKind.customer, 3),
}


@pytest.mark.parametrize("wire", sorted(SENT_BEFORE))
def test_a_key_from_a_card_sent_before_the_change_unpacks_and_packs_back(wire: str) -> None:
    key = SENT_BEFORE[wire]
    assert unpack_any(wire) == key
    assert type(key).unpack(wire) == key
    assert key.pack() == wire


def test_every_kind_of_key_is_listed_once_and_covered() -> None:
    assert {type(k) for k in SENT_BEFORE.values()} == set(ALL_KEYS)
    assert len({k.prefix for k in ALL_KEYS}) == len(ALL_KEYS)


def test_similar_prefixes_never_take_each_others_keys() -> None:
    assert ApprovalReject.unpack("approval:reject_confirm:17") is None
    assert ApprovalRejectConfirm.unpack("approval:reject:17") is None
    assert VisitUndo.unpack("visits:undo:3") is None
    assert VisitsUndo.unpack("visit:undo:3") is None
    assert VisitNewCustomer.unpack("visit:new:3") is None


@pytest.mark.parametrize(
    "wire",
    ["visit:undo:", "visit:undo:x", "visit:undo:4:5", "visit:undo:-1", "visit:undo:１２", "visit:stage:7:maybe",
     "visit:stage:7", "help:", "help", "approval:approve:1e3", "", "visit:undo:٣"],
)
def test_malformed_keys_are_nobodys(wire: str) -> None:
    assert unpack_any(wire) is None


def test_the_filter_hands_the_typed_key_to_the_handler() -> None:
    class Tap:
        def __init__(self, key: str | None) -> None:
            self.event = type("E", (), {"card_action": type("A", (), {"key": key})() if key else None})()

    check = VisitStage.filter()
    assert check(Tap("visit:stage:7:won")) == {"key": VisitStage(7, Stage.WON)}
    assert check(Tap("visit:undo:7")) is None
    assert check(Tap(None)) is None


def test_packing_refuses_what_could_not_come_back() -> None:
    with pytest.raises(ValueError):
        HelpTap("a:b").pack()
    with pytest.raises(ValueError):
        HelpTap("").pack()

    @dataclasses.dataclass(frozen=True)
    class Long(CallbackData, prefix="long"):
        text: str

    assert Long.unpack(Long("x" * 1000).pack()) == Long("x" * 1000)
    with pytest.raises(ValueError):  # WeCom takes a button key of at most 1,024 bytes
        Long("字" * 400).pack()


def test_cards_carry_typed_keys() -> None:
    for role in Role:
        card = help_card("help-1", "张伟", role.value)
        for button in card.buttons:
            tap = HelpTap.unpack(button.action)
            assert tap is not None and tap.topic in HELP_ACTIONS
    card = pick_customer_card("pick-1", "精工", [(3, "苏州精工机械有限公司"), (4, "精工控股")])
    assert [unpack_any(b.action) for b in card.buttons] == [VisitPick(3), VisitPick(4), VisitNewCustomer()]
