"""The work calendar as data the product owns (#20 pt 3), on SQLite and PostgreSQL.

chinesecalendar knows holidays only to 2026. From 2027-01-01 deadlines and the workday
jobs must agree and keep working: Monday–Friday (minus the law's fixed-date holidays)
with a visible warning until the year's official schedule is loaded as data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import chinese_calendar
import pytest
import yaml
from sqlalchemy import select

from domain import workcalendar
from domain.approval_rules import DEFAULT_RULES
from domain.clock import BUSINESS_TZ, FixedClock
from domain.db import Database
from domain.errors import ValidationFailed
from domain.models import ApprovalStep, Role, User
from domain.services import approvals
from domain.services.customers import create_customer
from domain.services.workcalendar_data import parse, reader, store
from domain.uow import UnitOfWork
from jobs import followups
from jobs.runs import execute
from tests.factories import load_example_org
from tests.scheduling import runs, sh, texts

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_2026 = ROOT / "examples" / "workcalendar" / "2026.yaml"

# A made-up 2027 schedule for the tests (NOT the official one, which was not published in any
# source available here): 1-4 January off, Saturday 1-9 a workday.
TEST_2027 = {
    "year": 2027,
    "source": "测试用安排（非官方）",
    "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-04"}],
    "workdays": ["2027-01-09"],
}


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    """The loaded years live in the process: every test starts and ends without any."""
    workcalendar.install([])
    yield
    workcalendar.install([])
    workcalendar.use_source(None)


@pytest.fixture
def org(db: Database) -> Database:
    load_example_org(db)
    with UnitOfWork(db, FixedClock(sh(2026, 11, 1))) as uow:
        uow.session.add(User(key="admin", name="管理员", role=Role.ADMIN, wecom_userid="Admin"))
        approvals.load_rules(uow, "", {**DEFAULT_RULES, "working_hours": "09:00-18:00"})
        uow.commit()
    return db


def load(db: Database, data: dict[str, object]) -> None:
    with UnitOfWork(db, FixedClock(sh(2026, 12, 1)), actor_label="admin") as uow:
        store(uow, parse(data))
        uow.commit()


def test_the_shipped_2026_file_agrees_with_the_official_package_on_every_day() -> None:
    schedule = parse(yaml.safe_load(EXAMPLE_2026.read_text(encoding="utf-8")))
    workcalendar.install([schedule])
    assert workcalendar.year_source(2026) == "loaded"
    day, differ = date(2026, 1, 1), []
    while day.year == 2026:
        if workcalendar.is_workday(day) != chinese_calendar.is_workday(day):
            differ.append(day)
        day += timedelta(days=1)
    assert differ == []
    assert workcalendar.holiday_name(date(2026, 10, 5)) == "国庆节"


def test_an_unannounced_year_is_monday_to_friday_without_the_fixed_holidays() -> None:
    assert workcalendar.year_source(2027) == "assumed"
    assert not workcalendar.is_workday(date(2027, 1, 1))  # 元旦 is fixed by law, a Friday
    assert workcalendar.is_workday(date(2027, 1, 4))
    assert not workcalendar.is_workday(date(2027, 1, 9))  # a Saturday: no 调休 is guessed
    with pytest.raises(workcalendar.CalendarDataMissing):
        workcalendar.is_workday(date(2027, 1, 4), strict=True)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({**TEST_2027, "workdays": ["2027-01-06"]}, "不是周末"),
        ({**TEST_2027, "holidays": [{"name": "元旦", "from": "2027-01-03", "to": "2027-01-01"}]}, "起止日期不对"),
        ({**TEST_2027, "holidays": [{"name": "春节", "from": "2028-02-01", "to": "2028-02-03"}]}, "不在 2027 年"),
        ({**TEST_2027, "year": "明年"}, "year 应是年份"),
    ],
)
def test_a_wrong_calendar_file_is_refused_with_the_reason(data: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationFailed, match=problem):
        parse(data)


def _submit_on_new_years_eve(db: Database) -> datetime:
    clock = FixedClock(datetime(2026, 12, 31, 15, 0, tzinfo=BUSINESS_TZ))  # Thursday
    with UnitOfWork(db, clock) as uow:
        rep = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert rep is not None
        customer = create_customer(uow, "苏州精工机械有限公司", owner=rep)
        approvals.submit_contract(uow, rep, customer, Decimal("100000"))
        uow.commit()
    with db.sessions() as s:
        step = s.scalar(select(ApprovalStep))
        assert step is not None and step.due_at is not None
        return step.due_at


def test_deadlines_and_workday_jobs_agree_in_2027_and_admins_are_warned(org: Database) -> None:
    # 48 working hours from Thu 12-31 15:00: 3 h that day, 元旦 and the weekend skipped,
    # then 9 h a day from Monday 01-04: due Friday 01-08 18:00 — not Saturday 01-02 15:00.
    assert _submit_on_new_years_eve(org) == datetime(2027, 1, 8, 18, 0, tzinfo=BUSINESS_TZ)

    new_year = execute(org, FixedClock(sh(2027, 1, 1, 9)), followups.SPEC, sh(2027, 1, 1, 9).astimezone(UTC))
    assert new_year.status == "skipped" and "元旦" in new_year.detail["reason"]
    monday = execute(org, FixedClock(sh(2027, 1, 4, 9)), followups.SPEC, sh(2027, 1, 4, 9).astimezone(UTC))
    assert monday.status == "done" and "未载入" in monday.detail["calendar"]
    assert [r.status for r in runs(org, "followups")] == ["skipped", "done"]  # nothing failed
    notices = texts(org, "Admin")  # once a day, saying what is approximate and how to fix it
    assert len(notices) == 2 and all("salesbot calendar load" in n for n in notices)


def test_a_loaded_year_moves_deadlines_and_jobs_together_and_ends_the_warning(org: Database) -> None:
    load(org, TEST_2027)
    workcalendar.install([])  # another process: it reads the loaded year from the database
    workcalendar.use_source(reader(org))
    # 3 h on 12-31; 01-01..01-04 off; 01-05..01-08 = 36 h; the make-up Saturday 01-09 9 h: due 01-09 18:00
    assert _submit_on_new_years_eve(org) == datetime(2027, 1, 9, 18, 0, tzinfo=BUSINESS_TZ)
    off = execute(org, FixedClock(sh(2027, 1, 4, 9)), followups.SPEC, sh(2027, 1, 4, 9).astimezone(UTC))
    assert off.status == "skipped" and "元旦" in off.detail["reason"] and "calendar" not in off.detail
    saturday = execute(org, FixedClock(sh(2027, 1, 9, 9)), followups.SPEC, sh(2027, 1, 9, 9).astimezone(UTC))
    assert saturday.status == "done" and "calendar" not in saturday.detail
    assert texts(org, "Admin") == []
