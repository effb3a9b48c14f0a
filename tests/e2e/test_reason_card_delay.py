"""Issue #16: after 驳回 the reason card took 18 s to appear in the simulator.

The cause: the delivery worker sends the outbox oldest first in batches of up to 50, and a
burst written by a scheduled job just before (a Monday's charts and reminder cards, after the
simulator's 下周一 09:00 jump) went first, one platform call each — the approver's reason card,
written a moment later, waited for the whole burst (a wake-up cannot help: the worker is busy
with the batch). Now replies to someone who just wrote or tapped go before the jobs' bulk
(``outbox.due_ids``), and a wake-up during a batch ends it so the new reply goes next
(``Deliverer.run_once(should_yield=)``). Each person's own messages keep their order.

No wall-clock assertions: the tests drive the worker pass by pass.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from domain.clock import FixedClock
from domain.models import OutboxMessage, User
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from handlers.replies import Replies, Target
from tests.e2e.chat_platforms import PLATFORMS, CardView, ChatPlatform, open_platform

BURST = 60  # more than one delivery batch (50)


@pytest.fixture(params=PLATFORMS)
def chat(request: pytest.FixtureRequest, db_url: str) -> Iterator[ChatPlatform]:
    with open_platform(request.param, db_url, worker=False) as platform:
        yield platform


def _drain(worker: object) -> None:
    while worker.run_once():  # type: ignore[attr-defined]
        pass


def _approval_card(chat: ChatPlatform, worker: object) -> CardView:
    with UnitOfWork(chat.db, chat.clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert zhang is not None
        create_opportunity(uow, create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["苏州精工"]), zhang)
        uow.commit()
    chat.send_text(chat.person("zhangwei"), "提交合同 苏州精工 28万")
    _drain(worker)
    [card] = chat.cards(chat.person("lina"), "合同审批")
    return card


def _job_burst(chat: ChatPlatform, n: int = BURST) -> None:
    """What a scheduled job writes in one go (as the Monday jump does): rows to many other people.

    Each person's rows leave in order, so one delivery batch holds at most one row per person;
    a burst delays others only when it reaches many people — here more than a batch holds.
    """
    with UnitOfWork(chat.db, chat.clock) as uow:
        replies = Replies(uow.session, FixedClock(chat.clock.now()), "job:leaderboard:2026-12-14T01:00:00+00:00")
        for i in range(n):
            replies.text(Target(chat.name, "user", f"colleague{i:03d}"), f"第 {i + 1} 条周报", key=f"burst:{i}")
        uow.commit()


def test_the_reason_card_goes_out_in_the_pass_that_handles_the_tap_despite_a_burst(chat: ChatPlatform) -> None:
    worker = chat.make_worker()
    card = _approval_card(chat, worker)
    _job_burst(chat)
    li = chat.person("lina")
    chat.tap(li, card, "驳回")  # stored; nothing handled yet (no background worker)
    assert chat.cards(li, "驳回合同") == []

    worker.run_once()  # ONE pass: the tap is handled, then one delivery batch
    assert [c.title for c in chat.cards(li, "驳回合同")] == ["驳回合同 · " + card.title.split(" · ")[1]]
    with chat.db.sessions() as s:  # the burst was not lost, only not in front: the rest goes next
        left = s.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "pending").limit(1))
    assert left is not None
    _drain(worker)
    with chat.db.sessions() as s:  # every row went to the platform (the fake has no such colleagues)
        assert "pending" not in set(s.scalars(select(OutboxMessage.status)))


def test_a_wake_up_during_a_batch_lets_the_new_reply_go_next(chat: ChatPlatform) -> None:
    """The delivery loop passes its wake-up flag as ``should_yield``: set → the batch ends after
    the row in hand and the next pass starts with the reply, not with the rest of the burst."""
    worker = chat.make_worker()
    card = _approval_card(chat, worker)
    _job_burst(chat)
    li = chat.person("lina")
    deliverer = worker.deliverer
    processor = worker.processor
    assert deliverer is not None and processor is not None
    woken = {"flag": False}

    def tap_meanwhile() -> bool:
        # While the first burst row is being delivered, 李娜 taps 驳回 and the chat loop handles it.
        if not woken["flag"]:
            chat.tap(li, card, "驳回")
            assert processor.run_once() == 1
            woken["flag"] = True  # the chat loop's wake-up of the delivery loop
            return True
        return False

    assert deliverer.run_once(should_yield=tap_meanwhile) == 1  # the batch ended after one row
    assert chat.cards(li, "驳回合同") == []
    assert deliverer.run_once(limit=1) == 1  # the very next row sent is the reason card
    assert len(chat.cards(li, "驳回合同")) == 1
