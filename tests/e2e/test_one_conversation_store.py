"""One conversation store per process: the handlers and the OCR job use the same one.

Before, with SALESBOT_REDIS_URL set, the OCR job wrote the rep's pending question to
Redis while handlers read the database, so 「合计改成 …」 after a quote photo found nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from domain.models import User
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from handlers.conversation import DatabaseConversations
from handlers.quotes import RECEIVED
from tests.e2e.wecom_stack import wecom_stack
from tests.ocr import make_quotes


class SpyConversations:
    """The real database store, recording who asked for what (actor label of the unit of work)."""

    def __init__(self) -> None:
        self.inner = DatabaseConversations()
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []

    def get(self, uow: UnitOfWork, platform: str, user_id: str) -> dict[str, Any] | None:
        state = self.inner.get(uow, platform, user_id)
        self.calls.append((uow.actor_label, "get", state))
        return state

    def set(
        self, uow: UnitOfWork, platform: str, user_id: str, state: dict[str, Any], timeout: timedelta
    ) -> None:
        self.calls.append((uow.actor_label, "set", state))
        self.inner.set(uow, platform, user_id, state, timeout)

    def clear(self, uow: UnitOfWork, platform: str, user_id: str) -> None:
        self.calls.append((uow.actor_label, "clear", None))
        self.inner.clear(uow, platform, user_id)


def test_the_ocr_job_and_the_handlers_share_the_injected_store(db_url: str, redis_url: str) -> None:
    sample = make_quotes.make_quote(3)
    assert sample.truth is not None
    spy = SpyConversations()
    with wecom_stack(db_url, redis_url=redis_url, conversations=spy) as stack:
        with UnitOfWork(stack.db, stack.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            assert zhang is not None
            create_opportunity(uow, create_customer(uow, sample.truth.customer, owner=zhang), zhang)
            uow.commit()
        stack.driver.send_image("ZhangWei", stack.fake.add_media(sample.image, "image/jpeg"))
        stack.wait_until(lambda: RECEIVED in stack.texts_of("ZhangWei"), what="acknowledgement")
        stack.wait_until(lambda: stack.cards_of("ZhangWei"), timeout=60, what="review card")
        stack.driver.send_text("ZhangWei", "合计改成 123456")  # right after the card: the job's state
        stack.wait_until(
            lambda: "已修改：合计 ¥123,456.00" in stack.texts_of("ZhangWei"), timeout=20, what="correction"
        )
    ocr_sets = [state for who, op, state in spy.calls if who == "ocr" and op == "set"]
    assert ocr_sets and ocr_sets[0] is not None and ocr_sets[0]["step"] == "quote_edit"
    handler_reads = [state for who, op, state in spy.calls if who != "ocr" and op == "get" and state]
    assert {"step": "quote_edit", "quote_id": ocr_sets[0]["quote_id"]} in handler_reads
