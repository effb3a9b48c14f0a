"""The scheduled reminders: who is told what, once, on the right days — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from domain.clock import FixedClock
from domain.db import Database
from domain.models import AuditEntry, Contract, Customer, CustomerStatus, Role, Stage, User
from domain.services.reports import follow_ups
from domain.uow import UnitOfWork
from jobs import digest, dormant_customers, followups, stale_opportunities
from jobs.runs import execute
from tests.factories import load_example_org
from tests.scheduling import History, cards, outbox, runs, sh, texts


@pytest.fixture
def history(db: Database) -> History:
    load_example_org(db)
    return History(db)


def run_job(db: Database, spec: Any, when: Any, **kwargs: Any) -> Any:
    """Run one occurrence the way the scheduler does (clock = the occurrence)."""
    return execute(db, FixedClock(when), spec, when.astimezone(UTC), **kwargs)


# ---------------------------------------------------------------- 09:00 follow-ups
def test_followups_one_card_per_item_with_due_and_overdue(history: History, db: Database) -> None:
    h = history
    huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 11, 1))
    jinggong = h.customer("苏州精工机械有限公司", "zhangwei", sh(2026, 11, 1))
    hik = h.customer("杭州海康威视数字技术股份有限公司", "zhangwei", sh(2026, 11, 1))
    baosteel = h.customer("上海宝钢股份有限公司", "zhangwei", sh(2026, 11, 1))
    dji = h.customer("深圳市大疆创新科技有限公司", "liuyang", sh(2026, 9, 1))
    h.visit("zhangwei", huawei, sh(2026, 11, 20, 15), date(2026, 11, 25), "发正式报价")
    h.visit("zhangwei", jinggong, sh(2026, 11, 16, 10), date(2026, 11, 23), "确认样机")
    h.visit("zhangwei", hik, sh(2026, 11, 18, 10), date(2026, 11, 25))
    h.visit("liuyang", hik, sh(2026, 11, 24, 10))  # a later visit closes 海康's follow-up
    h.visit("zhangwei", baosteel, sh(2026, 11, 20, 10), date(2026, 11, 26))  # tomorrow: not yet
    h.visit("liuyang", dji, sh(2026, 9, 20, 10), date(2026, 10, 9))  # overdue 47 days: too old to nag
    h.visit("liuyang", None, sh(2026, 11, 21, 10), date(2026, 11, 25), "回电话")

    outcome = run_job(db, followups.SPEC, sh(2026, 11, 25, 9))

    assert outcome.status == "done" and outcome.detail["reps"] == 2
    # 张伟 never wrote to the bot and is on WeCom and DingTalk: his two cards go to both (#16)
    assert (outcome.detail["due_today"], outcome.detail["overdue"], outcome.detail["messages"]) == (2, 1, 5)
    today, late = cards(db, "ZhangWei")  # one card per follow-up, today's first
    assert today.title == "跟进提醒 · 华为技术有限公司" and today.subtitle == "今天要跟进"
    assert {f.label: f.value for f in today.fields}["下一步"] == "发正式报价"
    assert {f.label: f.value for f in today.fields}["上次拜访"] == "11月20日"
    assert [b.text for b in today.buttons] == ["已跟进", "明天再提醒"]
    assert late.title == "跟进提醒 · 苏州精工机械有限公司" and late.subtitle == "已逾期 2 天（应于11月23日跟进）"
    assert texts(db, "ZhangWei") == []  # no text besides the cards
    [liu] = cards(db, "LiuYang")
    assert liu.title == "跟进提醒 · （未指定客户）" and "大疆" not in str(liu)
    assert cards(db, "ZhaoLei") == [] and texts(db, "ZhaoLei") == []
    # the morning message and the 「我的待办」 command agree
    with UnitOfWork(db, FixedClock(sh(2026, 11, 25, 9))) as uow:
        todo = follow_ups(uow, h.user("zhangwei"), date(2026, 11, 25))
        assert [f.customer_name for f in todo.due_today] == ["华为技术有限公司"]
        assert [f.customer_name for f in todo.overdue] == ["苏州精工机械有限公司"]


def test_running_the_same_occurrence_twice_sends_nothing_new(history: History, db: Database) -> None:
    huawei = history.customer("华为技术有限公司", "zhangwei", sh(2026, 11, 1))
    history.visit("zhangwei", huawei, sh(2026, 11, 20, 15), date(2026, 11, 25))
    first = run_job(db, followups.SPEC, sh(2026, 11, 25, 9))
    before = [(m.dedupe_key, m.payload) for m in outbox(db)]
    second = run_job(db, followups.SPEC, sh(2026, 11, 25, 9), rerun=True)
    assert (first.status, first.detail["messages"]) == ("done", 2)  # one card, on WeCom and DingTalk
    assert (second.status, second.detail["messages"]) == ("done", 0)
    assert [(m.dedupe_key, m.payload) for m in outbox(db)] == before
    # without rerun (a second scheduler), the occurrence is simply not run again
    assert run_job(db, followups.SPEC, sh(2026, 11, 25, 9)).status == "lost"
    # the next morning is a new occurrence: the still-open follow-up is sent again
    assert run_job(db, followups.SPEC, sh(2026, 11, 26, 9)).detail["messages"] == 2


# ------------------------------------------------------------- holidays
def test_national_day_is_skipped_and_the_make_up_saturday_runs(history: History, db: Database) -> None:
    huawei = history.customer("华为技术有限公司", "zhangwei", sh(2026, 9, 1))
    history.visit("zhangwei", huawei, sh(2026, 9, 28, 15), date(2026, 9, 30))

    holiday = run_job(db, followups.SPEC, sh(2026, 10, 1, 9))
    weekend = run_job(db, followups.SPEC, sh(2026, 10, 11, 9))  # Sunday after the make-up Saturday
    make_up = run_job(db, followups.SPEC, sh(2026, 10, 10, 9))  # Saturday, 调休上班

    assert holiday.status == "skipped" and "国庆节" in holiday.detail["reason"]
    assert weekend.status == "skipped" and "周末" in weekend.detail["reason"]
    assert make_up.status == "done"
    [card] = cards(db, "ZhangWei")
    assert card.subtitle == "已逾期 10 天（应于9月30日跟进）"
    assert [r.status for r in runs(db, "followups")] == ["skipped", "done", "skipped"]
    # a job that is not workday-only runs on the holiday
    assert run_job(db, dormant_customers.SPEC, sh(2026, 10, 1, 8)).status == "done"
    # and --ignore-calendar runs a workday job anyway
    forced = run_job(db, followups.SPEC, sh(2026, 10, 1, 9), rerun=True, ignore_calendar=True)
    assert forced.status == "done"


def test_a_year_without_holiday_data_runs_monday_to_friday_and_tells_admins(history: History, db: Database) -> None:
    with UnitOfWork(db, FixedClock(sh(2026, 11, 1))) as uow:
        uow.session.add(User(key="admin", name="管理员", role=Role.ADMIN, wecom_userid="Admin"))
        uow.commit()
    outcome = run_job(db, followups.SPEC, sh(2027, 1, 4, 9))
    also = run_job(db, digest.SPEC, sh(2027, 1, 4, 8, 30))
    assert outcome.status == "done" and "2027 年放假安排未载入" in outcome.detail["calendar"]
    assert also.status == "done"
    [notice] = texts(db, "Admin")  # once a day, however many jobs run on the fallback
    assert notice.startswith("【管理员提醒】节假日数据缺失") and "salesbot calendar load" in notice
    assert [r.status for r in runs(db, "followups")] == ["done"]


# ------------------------------------------------------ 10:00 stale opportunities
def test_stale_opportunities_tell_owner_at_7_days_and_manager_at_14(history: History, db: Database) -> None:
    h = history
    huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 10, 1))
    jinggong = h.customer("苏州精工机械有限公司", "zhangwei", sh(2026, 10, 1))
    baosteel = h.customer("上海宝钢股份有限公司", "zhangwei", sh(2026, 10, 1))
    dji = h.customer("深圳市大疆创新科技有限公司", "zhaolei", sh(2026, 10, 1))
    shunyu = h.customer("宁波舜宇光学科技有限公司", "liuyang", sh(2026, 10, 1))
    h.opportunity(huawei, "zhangwei", sh(2026, 11, 1), Stage.NEGOTIATION, 480000)  # 24 days
    h.opportunity(jinggong, "zhangwei", sh(2026, 11, 15), Stage.EVALUATION)  # 10 days
    # two open opportunities; a visit bumps only one, but a visit to the customer counts for both
    h.opportunity(baosteel, "zhangwei", sh(2026, 11, 1))
    h.opportunity(baosteel, "zhangwei", sh(2026, 11, 2))
    h.visit("zhangwei", baosteel, sh(2026, 11, 22))
    # a quote on the customer counts as a touch even before it is confirmed
    h.opportunity(dji, "zhaolei", sh(2026, 11, 1))
    h.quote("zhaolei", dji, sh(2026, 11, 23), 99000, confirmed=False)
    # a stage change touches; closed opportunities are never stale
    recent = h.opportunity(shunyu, "liuyang", sh(2026, 11, 1))
    h.stage(recent, Stage.EVALUATION, sh(2026, 11, 20))
    won = h.opportunity(shunyu, "liuyang", sh(2026, 10, 1))
    h.stage(won, Stage.WON, sh(2026, 10, 2))

    with db.sessions() as session:
        found = stale_opportunities.scan(session, sh(2026, 11, 25, 10).astimezone(UTC), {})
    assert [(s.customer_name, s.days, s.escalate) for s in found] == [
        ("华为技术有限公司", 24, True),
        ("苏州精工机械有限公司", 10, False),
    ]
    outcome = run_job(db, stale_opportunities.SPEC, sh(2026, 11, 25, 10))
    assert outcome.detail == {
        "stale": 2, "escalated": 1, "owners": 1, "managers": 1, "snoozed": 0, "messages": 5
    }  # 张伟's two cards on WeCom and on DingTalk (he never wrote to the bot), 李娜's list
    huawei_card, jinggong_card = cards(db, "ZhangWei")  # stalest first, one card each
    assert huawei_card.title == "商机停滞 · 华为技术有限公司" and huawei_card.subtitle == "24 天未跟进 · 已同时告知李娜"
    assert {f.label: f.value for f in huawei_card.fields} == {
        "客户": "华为技术有限公司", "阶段": "谈判", "金额": "¥480,000.00", "上次跟进": "11月1日"
    }
    assert jinggong_card.subtitle == "10 天未跟进" and [b.text for b in jinggong_card.buttons] == ["已跟进", "明天再提醒"]
    assert texts(db, "ZhangWei") == []
    [manager] = texts(db, "LiNa")
    assert manager.startswith("李娜，你的团队有 1 个商机超过 14 天没有跟进：\n1. 张伟 · 华为技术有限公司")
    assert texts(db, "ZhaoLei") == [] and texts(db, "LiuYang") == [] and texts(db, "ChenJing") == []


def test_stale_thresholds_come_from_options(history: History, db: Database) -> None:
    huawei = history.customer("华为技术有限公司", "zhangwei", sh(2026, 10, 1))
    history.opportunity(huawei, "zhangwei", sh(2026, 11, 20))  # 5 days
    now = sh(2026, 11, 25, 10).astimezone(UTC)
    with db.sessions() as session:
        assert stale_opportunities.scan(session, now, {}) == []
        [stale] = stale_opportunities.scan(session, now, {"stale_remind_days": 3, "stale_escalate_days": 5})
    assert stale.escalate and stale.days == 5


# ---------------------------------------------------------- 08:00 dormant customers
def test_dormant_customers_marked_audited_owner_told_once_and_woken_by_a_visit(
    history: History, db: Database
) -> None:
    h = history
    huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 10, 1))
    jinggong = h.customer("苏州精工机械有限公司", "zhangwei", sh(2026, 10, 1))
    hik = h.customer("杭州海康威视数字技术股份有限公司", "zhangwei", sh(2026, 11, 1))
    baosteel = h.customer("上海宝钢股份有限公司", "liuyang", sh(2026, 10, 1))
    orphan = h.customer("无主客户有限公司", None, sh(2026, 10, 1))
    h.visit("zhangwei", huawei, sh(2026, 11, 1, 15))  # 24 days ago
    h.visit("zhangwei", jinggong, sh(2026, 11, 20, 15))  # 5 days ago
    h.visit("liuyang", baosteel, sh(2026, 11, 12, 9))  # 13 days ago: not yet
    when = sh(2026, 11, 25, 8)

    outcome = run_job(db, dormant_customers.SPEC, when)

    assert outcome.detail["dormant"] == 3 and outcome.detail["without_owner"] == 1
    with db.sessions() as s:
        status = {c.id: (c.status, c.dormant_since) for c in s.scalars(select(Customer))}
        audits = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "customer.dormant")))
    assert status[huawei] == (CustomerStatus.DORMANT, when.astimezone(UTC))
    assert status[hik][0] == status[orphan][0] == CustomerStatus.DORMANT
    assert status[jinggong] == status[baosteel] == (CustomerStatus.ACTIVE, None)
    assert sorted(int(a.entity_id) for a in audits) == sorted([huawei, hik, orphan])
    assert all(a.actor_label == "scheduler" and a.cause_event.startswith("job:dormant_customers:") for a in audits)
    told = {c.title: c for c in cards(db, "ZhangWei")}
    assert sorted(told) == ["客户休眠 · 华为技术有限公司", "客户休眠 · 杭州海康威视数字技术股份有限公司"]
    assert told["客户休眠 · 华为技术有限公司"].subtitle == "已 14 天没有拜访或联系，已标记为「休眠」"
    assert {f.label: f.value for f in told["客户休眠 · 华为技术有限公司"].fields}["上次联系"] == "11月1日"
    assert {f.label: f.value for f in told["客户休眠 · 杭州海康威视数字技术股份有限公司"].fields}["上次联系"] == "从未"
    assert cards(db, "LiuYang") == []

    # the next day 宝钢 turns 14 days; nobody is told twice about the others
    next_day = run_job(db, dormant_customers.SPEC, sh(2026, 11, 26, 8))
    assert (next_day.detail["dormant"], next_day.detail["messages"]) == (1, 1)
    assert len(cards(db, "ZhangWei")) == 2
    [liu] = cards(db, "LiuYang")
    assert liu.title == "客户休眠 · 上海宝钢股份有限公司"
    assert {f.label: f.value for f in liu.fields}["上次联系"] == "11月12日"
    # a visit wakes the customer
    h.visit("zhangwei", huawei, sh(2026, 11, 26, 15))
    with db.sessions() as s:
        c = s.get(Customer, huawei)
        assert c is not None and (c.status, c.dormant_since) == (CustomerStatus.ACTIVE, None)
        wake = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.wake"))
        assert wake is not None and wake.before is not None and wake.before["status"] == "dormant"


# -------------------------------------------------------------- 08:30 manager digest
def test_monday_digest_covers_friday_to_sunday_one_message_per_manager(history: History, db: Database) -> None:
    h = history
    huawei = h.customer("华为技术有限公司", "zhangwei", sh(2026, 11, 1))
    baosteel = h.customer("上海宝钢股份有限公司", "liuyang", sh(2026, 11, 1))
    opp = h.opportunity(huawei, "zhangwei", sh(2026, 11, 10), Stage.EVALUATION)
    h.opportunity(baosteel, "liuyang", sh(2026, 11, 20))  # stuck in 潜在 for 10 days
    h.visit("zhangwei", huawei, sh(2026, 11, 26, 10))  # Thursday: before the period
    h.visit("zhangwei", huawei, sh(2026, 11, 27, 10))  # Friday
    h.visit("zhangwei", huawei, sh(2026, 11, 27, 15))
    h.visit("liuyang", baosteel, sh(2026, 11, 29, 10))  # Sunday
    h.stage(opp, Stage.NEGOTIATION, sh(2026, 11, 28, 11))
    h.quote("zhangwei", huawei, sh(2026, 11, 27, 16), 120000)
    with UnitOfWork(db, FixedClock(sh(2026, 11, 27, 17))) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert zhang is not None
        contract = Contract(
            customer_id=huawei,
            submitter_id=zhang.id,
            amount=120000,
            status="approved",
            number="HT-20261127-001",
            created_at=sh(2026, 11, 26, 9),
            decided_at=sh(2026, 11, 27, 17),
        )
        uow.session.add(contract)
        uow.flush()
        from domain.models import ApprovalFlow

        uow.session.add(
            ApprovalFlow(
                contract_id=contract.id,
                rule_name="test",
                rule_version="1",
                status="approved",
                created_at=sh(2026, 11, 26, 9),
                decided_at=sh(2026, 11, 27, 17),
            )
        )
        uow.commit()

    outcome = run_job(db, digest.SPEC, sh(2026, 11, 30, 8, 30))

    assert outcome.detail["from"] == "2026-11-27" and outcome.detail["to"] == "2026-11-29"
    [text] = texts(db, "LiNa")
    assert text.startswith("李娜，早上好！华东销售一部 关键进展（11月27日–11月29日）：")
    assert "· 拜访 3 次：张伟 2、刘洋 1" in text
    assert "· 确认报价 1 份，合计 ¥120,000" in text
    assert "· 审批完成 1 个：通过 1、驳回 0" in text
    assert "· 阶段变化 1 个：\n  张伟 · 华为技术有限公司：评估→谈判" in text
    assert "· 停滞超过 3 天的商机 1 个，最久的：\n  刘洋 · 上海宝钢股份有限公司（潜在，10 天）" in text
    assert texts(db, "ChenJing") == []  # nothing happened in 陈静's team: no message
    assert outbox(db, "ZhangWei") == []

    # Tuesday covers Monday only
    h.visit("liuyang", baosteel, sh(2026, 11, 30, 10))
    run_job(db, digest.SPEC, sh(2026, 12, 1, 8, 30))
    tuesday = texts(db, "LiNa")[-1]
    assert "昨日关键进展（11月30日）" in tuesday and "拜访 1 次：刘洋 1" in tuesday


def test_digest_after_national_day_covers_the_whole_holiday(history: History, db: Database) -> None:
    huawei = history.customer("华为技术有限公司", "zhangwei", sh(2026, 9, 1))
    history.visit("zhangwei", huawei, sh(2026, 10, 3, 10))
    history.visit("zhangwei", huawei, sh(2026, 10, 6, 10))
    outcome = run_job(db, digest.SPEC, sh(2026, 10, 8, 8, 30))  # first workday after 国庆
    assert (outcome.detail["from"], outcome.detail["to"]) == ("2026-09-30", "2026-10-07")
    assert "拜访 2 次：张伟 2" in texts(db, "LiNa")[0]


# ------------------------------------------------------------ failures
def test_a_failing_job_is_recorded_failed_and_can_be_retried(history: History, db: Database) -> None:
    from jobs.base import JobSpec

    calls: list[int] = []

    def flaky(ctx: Any) -> dict[str, Any]:
        calls.append(1)
        user = ctx.uow.session.scalar(select(User).where(User.key == "zhangwei"))
        from handlers.replies import user_target

        ctx.replies.text(user_target(user), "你好", key=ctx.key("rep", user.id))
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return {}

    spec = JobSpec(name="flaky", run=flaky, cron={"hour": 9, "minute": 0})
    failed = run_job(db, spec, sh(2026, 11, 25, 9))
    assert failed.status == "failed" and "database went away" in failed.detail["error"]
    assert outbox(db) == []  # nothing of a failed run is sent
    retried = run_job(db, spec, sh(2026, 11, 25, 9), rerun=True)
    assert retried.status == "done" and texts(db, "ZhangWei") == ["你好"]
    # the log keeps both: the scheduled run failed, the manual retry (its own entry) sent the message
    assert [(r.run_no, r.status) for r in runs(db, "flaky")] == [(0, "failed"), (1, "done")]


def test_stale_running_row_of_a_dead_process_is_taken_over(history: History, db: Database) -> None:
    from jobs.runs import claim

    occurrence = sh(2026, 11, 25, 9).astimezone(UTC)
    assert claim(db, FixedClock(occurrence), "followups", occurrence, runner="dead:1") == "claimed"
    later = FixedClock(occurrence + timedelta(minutes=5))
    assert claim(db, later, "followups", occurrence, runner="other:2") == "busy"
    much_later = FixedClock(occurrence + timedelta(hours=2))
    assert claim(db, much_later, "followups", occurrence, runner="other:2") == "claimed"
