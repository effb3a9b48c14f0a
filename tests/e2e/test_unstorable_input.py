"""Input the database cannot hold is cleaned or refused before the ack, never acked and then lost (#19, pt 10).

On PostgreSQL a NUL character, a MsgId or FromUserName longer than its
column, or a NaN coordinate used to fail after (or instead of) the ack: the
event was lost, or WeCom got 503 until it gave up. Both databases run.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy import func, select

from domain.clock import BUSINESS_TZ
from domain.models import InboxEvent, User, Visit
from domain.services.customers import create_customer
from domain.uow import UnitOfWork
from tests.e2e.dingtalk_stack import ZHANG, DingTalkStack, dingtalk_stack
from tests.e2e.wecom_stack import WeComStack, wecom_stack

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)


@pytest.fixture
def wecom(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        yield s


@pytest.fixture
def dingtalk(db_url: str) -> Iterator[DingTalkStack]:
    with dingtalk_stack(db_url) as s:
        yield s


def _post(stack: WeComStack, plaintext: str) -> httpx.Response:
    body, params = stack.driver.envelope(plaintext)
    return httpx.post(f"{stack.base_url}/callbacks/wecom", params=params, content=body, timeout=10)


def _inbox(db: object) -> int:
    with db.sessions() as s:  # type: ignore[attr-defined]
        return s.scalar(select(func.count()).select_from(InboxEvent)) or 0


def test_an_overlong_msgid_is_stored_under_its_hash_and_still_deduplicated(wecom: WeComStack) -> None:
    plaintext = wecom.driver.text_xml("ZhangWei", "帮助", msg_id="9" * 1000)
    assert _post(wecom, plaintext).status_code == 200
    wecom.wait_until(lambda: wecom.cards_of("ZhangWei"), what="help card")
    assert _post(wecom, plaintext).status_code == 200  # WeCom's retry: a duplicate, nothing new
    assert _inbox(wecom.db) == 1
    with wecom.db.sessions() as s:
        assert s.scalar(select(InboxEvent.dedupe_key)).startswith("sha256:")


def test_an_overlong_sender_is_acknowledged_and_not_stored(wecom: WeComStack) -> None:
    r = _post(wecom, wecom.driver.text_xml("Z" * 1000, "帮助"))
    assert r.status_code == 200  # not 503: WeCom must stop resending what can never be stored
    assert _inbox(wecom.db) == 0


def test_a_nan_location_is_refused_before_anything_is_written(wecom: WeComStack) -> None:
    r = _post(wecom, wecom.driver.location_xml("ZhangWei", float("nan"), 121.47, "上海"))
    assert r.status_code == 400
    assert _inbox(wecom.db) == 0


def test_a_dingtalk_text_with_nul_is_stored_cleaned_and_the_visit_saved(dingtalk: DingTalkStack) -> None:
    dingtalk.clock.set(NOW)
    with UnitOfWork(dingtalk.db, dingtalk.clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert zhang is not None
        create_customer(uow, "苏州精工机械有限公司", owner=zhang)
        uow.commit()
    r = dingtalk.driver.send_text(ZHANG, "今天拜访苏州精工王总\x00，谈了报价")
    assert r.status_code == 200
    card = dingtalk.wait_until(lambda: dingtalk.cards_of(ZHANG), what="visit card")[-1].card
    assert card["title"] == "已记录拜访"
    with dingtalk.db.sessions() as s:
        visit = s.scalar(select(Visit))
        assert visit is not None and visit.source_text == "今天拜访苏州精工王总，谈了报价"
