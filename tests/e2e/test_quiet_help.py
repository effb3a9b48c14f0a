"""Quiet, role-aware help through the fake WeCom; notices reach people where they are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ
from domain.models import User
from handlers.replies import Target, user_targets
from tests.e2e.wecom_stack import WeComStack, wecom_stack


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url, h5_secret="h5-secret-for-help-0123456789") as s:
        yield s


def _help_cards(stack: WeComStack, user: str) -> list[dict[str, Any]]:
    return [m.card or m.body for m in stack.cards_of(user) if (m.card or m.body)["main_title"]["title"] == "销售助手可以帮你"]


def test_the_welcome_card_comes_once_a_day_on_entering_the_chat(stack: WeComStack) -> None:
    # a morning: the stack's clock starts at the real time, and six openings half an hour apart from 21:00 would
    # cross midnight (the test failed when run in the evening, Beijing time)
    tomorrow = (datetime.now(BUSINESS_TZ) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    stack.clock.set(tomorrow)
    for _ in range(6):  # the chat opened six times in a morning
        stack.driver.send_enter_agent("ZhangWei")
        stack.clock.advance(timedelta(minutes=30))
    stack.wait_until(lambda: _help_cards(stack, "ZhangWei"), what="the welcome card")
    stack.driver.send_text("ZhangWei", "我的待办")  # a later reply proves the worker caught up
    stack.wait_until(lambda: len(stack.cards_of("ZhangWei")) >= 2, what="todo card")
    assert len(_help_cards(stack, "ZhangWei")) == 1
    stack.clock.advance(timedelta(days=1))
    stack.driver.send_enter_agent("ZhangWei")
    stack.wait_until(lambda: len(_help_cards(stack, "ZhangWei")) == 2, what="the next day's welcome card")


def test_the_help_card_fits_the_role_and_lists_every_command(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "帮助")
    stack.driver.send_text("SunLi", "帮助")
    rep = stack.wait_until(lambda: _help_cards(stack, "ZhangWei"), what="rep's help")[0]
    legal = stack.wait_until(lambda: _help_cards(stack, "SunLi"), what="legal's help")[0]
    assert [b["text"] for b in rep["button_list"]] == ["记拜访", "拍报价单", "提交合同", "我的待办"]
    assert [b["text"] for b in legal["button_list"]] == ["我的审批", "委托"]  # 法务 logs no visits
    for command in ("提交合同", "重新提交", "撤回", "催办", "审批进度", "本周业绩", "查客户"):
        assert command in rep["sub_title_text"], command
    for command in ("我的审批", "委托", "取消委托"):
        assert command in legal["sub_title_text"], command
    assert "记拜访" not in legal["sub_title_text"] and "拍报价单" not in legal["sub_title_text"]
    stack.driver.tap_card("SunLi", legal["task_id"], "help:delegate")
    assert any("委托 王芳 至" in t for t in stack.wait_until(lambda: stack.texts_of("SunLi"), what="hint"))


def test_a_link_that_leads_nowhere_is_a_readable_page_not_json(stack: WeComStack) -> None:
    with httpx.Client(base_url=stack.base_url) as client:
        for path in ("/h5/customers/abc", "/h5/nothing-here", "/h5/contracts/99999/extra"):
            page = client.get(path)
            assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
            assert "找不到页面" in page.text and '"error"' not in page.text


def test_a_notice_goes_where_the_person_last_wrote_else_to_every_platform_they_are_on(stack: WeComStack) -> None:
    with stack.db.sessions() as s:
        wang = s.scalar(select(User).where(User.key == "wangfang"))  # WeCom and DingTalk ids, never wrote
        li = s.scalar(select(User).where(User.key == "lina"))  # WeCom only
        assert wang is not None and li is not None
        assert user_targets(wang) == [Target("wecom", "user", "WangFang"), Target("dingtalk", "user", "0122334455")]
        assert user_targets(li) == [Target("wecom", "user", "LiNa")]
        wang.last_platform = "dingtalk"
        assert user_targets(wang) == [Target("dingtalk", "user", "0122334455")]
        wang.last_platform = "wecom"
        assert user_targets(wang) == [Target("wecom", "user", "WangFang")]
