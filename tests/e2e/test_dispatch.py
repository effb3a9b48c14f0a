"""One dispatch step (issue #15 pt 6), on WeCom and on DingTalk: commands with or without a slash,
and card keys on the wire exactly as cards sent before typed keys carried them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ
from domain.models import User, Visit
from domain.services.customers import create_customer
from domain.uow import UnitOfWork
from tests.e2e.chat_platforms import PLATFORMS, ChatPlatform, open_platform, said

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)  # a Wednesday
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the platform matrix, kept small


@pytest.fixture(params=PLATFORMS)
def chat(request: pytest.FixtureRequest, db_url: str) -> Iterator[ChatPlatform]:
    with open_platform(request.param, db_url) as platform:
        platform.clock.set(NOW)
        with UnitOfWork(platform.db, platform.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            assert zhang is not None
            create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["苏州精工"])
            uow.commit()
        yield platform


def _keys(card: Mapping[str, Any]) -> dict[str, str]:
    """Button text → the key the platform hands back when it is tapped (WeCom ``key``, DingTalk ``action``)."""
    if "button_list" in card:
        return {b["text"]: b["key"] for b in card["button_list"]}
    return {card[f"btn{n}_text"]: card[f"btn{n}_action"] for n in range(1, 7) if card.get(f"btn{n}_text")}


def _visits(chat: ChatPlatform) -> list[int]:
    with chat.db.sessions() as s:
        return list(s.scalars(select(Visit.id).order_by(Visit.id)))


@SQLITE
def test_slash_commands_and_card_keys_as_they_always_were(chat: ChatPlatform) -> None:
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "／我的审批")  # full-width slash
    said(chat, zhang, "目前没有等你审批的合同")

    chat.send_text(zhang, "今天拜访苏州精工，见了刘工，聊了报价")
    card = chat.wait_until(lambda: chat.cards(zhang, "已记录拜访"), what="visit card")[-1]
    [visit_id] = _visits(chat)
    # The wire strings of cards sent before typed keys: a card already in a chat keeps working.
    assert _keys(card.raw) == {"修改": f"visit:edit:{visit_id}", "撤销": f"visit:undo:{visit_id}"}

    chat.tap(zhang, card, "修改")
    said(chat, zhang, "请直接回复要修改的内容")
    chat.send_text(zhang, "/算了")  # a slash before any command, not only before 取消
    said(chat, zhang, "好的，已取消。")

    chat.tap(zhang, card, "撤销")
    said(chat, zhang, "已撤销这条拜访记录。")
    assert _visits(chat) == []
