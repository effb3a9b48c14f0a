"""A correction typed before the visit's card reached the rep: the rep sees one card, corrected.

With busy workers (tests/e2e/test_many_workers.py) 「改成周四跟进」 can be handled before the
visit's card was sent, so no WeCom response_code exists yet to update it. The correction
then changes the card still waiting in the outbox, or, when a sender is already sending it,
updates it right after with the code that send brings -- never a second card.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import event, select

from domain.clock import BUSINESS_TZ
from domain.models import OutboxMessage, User
from domain.services import outbox
from domain.services.customers import create_customer
from domain.uow import UnitOfWork
from tests.conftest import _truncate_all
from tests.e2e.wecom_stack import WeComStack, wecom_stack

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)  # a Wednesday: 周四 is 11月26日


def _stack_at_now(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url, worker=False) as s:  # the test decides when events are handled and sent
        s.clock.set(NOW)
        with UnitOfWork(s.db, s.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            assert zhang is not None
            create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["苏州精工"])
            uow.commit()
        yield s


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    yield from _stack_at_now(db_url)


def _handle(stack: WeComStack) -> None:
    """Handle what arrived (the chat queue only: nothing is sent)."""
    processor = stack.runtime.make_worker(("chat",)).processor
    assert processor is not None
    while processor.run_once():
        pass


def _deliver(stack: WeComStack) -> None:
    deliverer = stack.runtime.make_worker(("delivery",)).deliverer
    assert deliverer is not None
    while deliverer.run_once():
        pass


def _visit_cards(stack: WeComStack) -> list[dict]:
    return [
        m.card for m in stack.cards_of("ZhangWei") if m.card and m.card["main_title"]["title"] == "已记录拜访"
    ]


def _follow_up(card: dict) -> str:
    return {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}["下次跟进"]


def _card_row(stack: WeComStack) -> int:
    with stack.db.sessions() as s:
        row_id = s.scalar(select(OutboxMessage.id).where(OutboxMessage.msg_type == "card"))
        assert row_id is not None
        return row_id


def test_a_correction_before_the_card_left_changes_the_card_waiting_in_the_outbox(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访苏州精工，见了刘工，聊了交期，下周三再跟进")
    _handle(stack)
    stack.driver.send_text("ZhangWei", "改成周四跟进")  # before anything was sent
    _handle(stack)
    _deliver(stack)

    [card] = _visit_cards(stack)  # one card ...
    assert _follow_up(card) == "11月26日（周四）"  # ... already corrected
    assert "已修改：下次跟进改为11月26日" in json.dumps(card, ensure_ascii=False)
    assert [t for t in stack.texts_of("ZhangWei") if t.startswith("已修改")] == ["已修改：下次跟进改为11月26日"]
    with stack.db.sessions() as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.card_id.is_not(None))))
        assert [(r.msg_type, r.status) for r in rows] == [("card", "sent")]  # one send, no update needed

    # The card kept its own code: the next correction updates it in place, still one card.
    stack.driver.send_text("ZhangWei", "改成下周一跟进")
    _handle(stack)
    _deliver(stack)
    [card] = _visit_cards(stack)
    assert _follow_up(card) == "11月30日（周一）"


def test_a_correction_while_the_card_is_being_sent_updates_it_right_after(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访苏州精工，见了刘工，聊了交期，下周三再跟进")
    _handle(stack)
    row_id = _card_row(stack)
    with stack.db.sessions() as sender:  # a sender has leased the card and is sending it ...
        row = outbox.claim(sender, row_id, stack.clock.now())
        assert row is not None
        stack.driver.send_text("ZhangWei", "改成周四跟进")  # ... when the correction is handled
        _handle(stack)
        msgid = stack.runtime.channels["wecom"].deliver(sender, row, stack.clock.now())
        outbox.mark_sent(sender, row, stack.clock.now(), msgid)
    _deliver(stack)

    [card] = _visit_cards(stack)  # one card, updated in place with the code its send brought
    assert _follow_up(card) == "11月26日（周四）"
    assert not [t for t in stack.texts_of("ZhangWei") if "已记录拜访" in t]  # no plain-text copy either


@pytest.fixture
def pg_stack(postgres_database: str) -> Iterator[WeComStack]:
    """The stack on the real PostgreSQL: two connections interleave there as they do between workers."""
    _truncate_all(postgres_database)
    yield from _stack_at_now(postgres_database)


def test_a_send_finishing_while_the_correction_is_handled_still_gives_one_card(pg_stack: WeComStack) -> None:
    """The sender commits the card's send (and its code) between the correction's two looks at it.

    Seen in tests/e2e/test_many_workers.py: the correction found no code yet, then found the send
    no longer pending or sending, and sent the rep a second 「已记录拜访」 card.
    """
    stack = pg_stack
    stack.driver.send_text("ZhangWei", "今天拜访苏州精工，见了刘工，聊了交期，下周三再跟进")
    _handle(stack)
    row_id = _card_row(stack)
    sender = stack.db.sessions()
    row = outbox.claim(sender, row_id, stack.clock.now())  # a sender has leased the card ...
    assert row is not None
    fired: list[str] = []

    def finish_send(conn, cursor, statement: str, parameters, context, executemany) -> None:
        # ... and its answer comes back right after the correction looked for the card's codes.
        if fired or "FROM outbox" not in statement or "card_id" not in statement:
            return
        fired.append(statement)
        msgid = stack.runtime.channels["wecom"].deliver(sender, row, stack.clock.now())
        outbox.mark_sent(sender, row, stack.clock.now(), msgid)

    stack.driver.send_text("ZhangWei", "改成周四跟进")
    event.listen(stack.db.engine, "before_cursor_execute", finish_send)
    try:
        _handle(stack)
    finally:
        event.remove(stack.db.engine, "before_cursor_execute", finish_send)
        sender.close()
    assert fired  # the send really finished in the middle of the correction
    _deliver(stack)

    [card] = _visit_cards(stack)  # one card, updated in place with the code its send brought
    assert _follow_up(card) == "11月26日（周四）"
