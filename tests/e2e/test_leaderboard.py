"""Monday's leaderboard as the team sees it in WeCom: text and chart in the group chat and in the managers' chats."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ
from domain.models import Stage, User
from domain.services.customers import create_customer
from domain.services.opportunities import change_stage, create_opportunity, get_opportunity
from domain.services.visits import log_visit
from domain.uow import UnitOfWork
from jobs.catalog import all_jobs
from jobs.runs import RunOutcome, execute
from tests.e2e.wecom_stack import WeComStack, wecom_stack

EAST_CHAT = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"  # 华东销售一部 (examples/org.yaml)
SOUTH_CHAT = "wrOgQhDgAAcwMTB7YmDkbeBsAAAA"  # 华南销售部
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=BUSINESS_TZ)


def sh(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=BUSINESS_TZ)


def _user(uow: UnitOfWork, key: str) -> User:
    user = uow.session.scalar(select(User).where(User.key == key))
    assert user is not None
    return user


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        s.fake.add_appchat(EAST_CHAT, ["LiNa", "ZhangWei", "LiuYang"], name="华东销售一部")
        s.fake.add_appchat(SOUTH_CHAT, ["ChenJing", "ZhaoLei"], name="华南销售部")
        # Last week (2026-W47): 张伟 wins ¥120,000 and visits twice; 刘洋 visits once; 赵磊 does nothing.
        s.clock.set(sh(16))
        with UnitOfWork(s.db, s.clock) as uow:
            zhang, liu = _user(uow, "zhangwei"), _user(uow, "liuyang")
            uow.act_as(zhang)
            huawei = create_customer(uow, "华为技术有限公司", owner=zhang)
            opp = create_opportunity(uow, huawei, zhang, amount=Decimal(120_000))
            log_visit(uow, zhang, huawei, visited_at=sh(16))
            log_visit(uow, zhang, huawei, visited_at=sh(18))
            log_visit(uow, liu, huawei, visited_at=sh(19))
            uow.commit()
        s.clock.set(sh(20))
        with UnitOfWork(s.db, s.clock) as uow:
            uow.act_as(_user(uow, "zhangwei"))
            change_stage(uow, get_opportunity(uow, opp.id), Stage.WON)
            uow.commit()
        yield s


def run_monday_job(s: WeComStack, rerun: bool = False) -> RunOutcome:
    """What the scheduler does at Monday 09:00 (claim the occurrence, run the job, record the run)."""
    s.clock.set(MONDAY_9)
    outcome = execute(s.db, s.clock, all_jobs()["leaderboard"], MONDAY_9, rerun=rerun)
    s.runtime_worker_wake()
    return outcome


def _png_of(s: WeComStack, media_id: str) -> bytes:
    media = s.fake.media(media_id)
    assert media is not None, "the chart was not uploaded"
    return media.data


def test_group_chat_and_managers_get_the_board_and_the_chart(stack: WeComStack) -> None:
    outcome = run_monday_job(stack)
    assert outcome.status == "done", outcome.detail
    assert outcome.detail["week"] == "2026-W47"
    # 华东: text and chart to the WeCom group, the DingTalk group and 李娜;
    # 华南 (nobody did anything): text only, to the WeCom group and 陈静
    assert outcome.detail["messages"] == 8

    east = stack.wait_until(
        lambda: (m := stack.fake.appchat_messages(EAST_CHAT)) and len(m) >= 2 and m,
        what="the leaderboard in 华东销售一部's group chat",
    )
    kinds = sorted(m.msgtype for m in east)
    assert kinds == ["image", "markdown"]
    text = next(m for m in east if m.msgtype == "markdown").body["content"]
    assert text.startswith("## 华东销售一部 · 周排行榜")
    assert "2026-W47（11月16日—11月22日）" in text
    assert "🥇 **张伟** 成交 ¥120,000 ↑¥120,000 · 拜访 2 ↑2" in text
    assert "— 刘洋 本周暂无成交 · 拜访 1 ↑1" in text and "赢单率 —" in text  # no 成交: unranked (#16)
    png = _png_of(stack, next(m for m in east if m.msgtype == "image").body["media_id"])
    assert png.startswith(b"\x89PNG") and 5_000 < len(png) < 200 * 1024

    lina = stack.wait_until(lambda: len(stack.seen_by("LiNa")) >= 2 and stack.seen_by("LiNa"), what="李娜's copy")
    assert sorted(m.msgtype for m in lina) == ["image", "markdown"]
    assert next(m for m in lina if m.msgtype == "markdown").body["content"] == text
    assert _png_of(stack, next(m for m in lina if m.msgtype == "image").body["media_id"]) == png

    south = stack.wait_until(lambda: stack.fake.appchat_messages(SOUTH_CHAT), what="华南's group chat")
    assert [m.msgtype for m in south] == ["markdown"]  # nobody did anything: no chart of empty bars
    assert "赵磊：这一周暂无记录，新的一周加油！💪" in south[0].body["content"]
    chen = stack.wait_until(lambda: stack.seen_by("ChenJing"), what="陈静's copy")
    assert [m.msgtype for m in chen] == ["markdown"]
    # reps get it in the group chat, not privately
    assert stack.seen_by("ZhangWei") == [] and stack.seen_by("ZhaoLei") == []


def test_running_the_same_monday_twice_shows_nothing_twice(stack: WeComStack) -> None:
    run_monday_job(stack)
    stack.wait_until(lambda: len(stack.fake.appchat_messages(EAST_CHAT)) >= 2, what="first delivery")
    stack.wait_until(lambda: len(stack.seen_by("LiNa")) >= 2, what="first delivery")
    assert run_monday_job(stack).status == "lost"  # a second scheduler: the occurrence is taken
    again = run_monday_job(stack, rerun=True)  # `salesbot jobs run` by hand: runs, sends nothing new
    assert again.status == "done" and again.detail["messages"] == 0
    stack.runtime_worker_wake()
    time.sleep(0.5)
    assert len(stack.fake.appchat_messages(EAST_CHAT)) == 2
    assert len(stack.seen_by("LiNa")) == 2
