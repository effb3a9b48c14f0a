"""A department deleted on the platform retires its team; the same department id revives it.

Built through the real services on SQLite and PostgreSQL: the example org's two teams are
bound to WeCom departments 2 and 3 by ``sync_teams`` (as ``salesbot org sync wecom`` does),
then department 3 (华南销售部) is deleted.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from domain.clock import BUSINESS_TZ, FixedClock
from domain.db import Database
from domain.errors import NotFound
from domain.models import AuditEntry, Customer, OutboxMessage, Team, User, Visit
from domain.services.customers import create_customer
from domain.services.leaderboard import all_teams, find_team
from domain.services.orgsync import PlatformDepartment, retire_department_team, sync_teams
from domain.services.visits import log_visit
from domain.uow import UnitOfWork
from handlers.replies import Replies
from jobs.base import JobContext, cause_for
from jobs.catalog import all_jobs
from tests.factories import load_example_org

SOUTH_CHAT = "wrOgQhDgAAcwMTB7YmDkbeBsAAAA"  # 华南销售部's group chat in examples/org.yaml
DEPARTMENTS = [
    PlatformDepartment(1, "苏州示例科技", None),
    PlatformDepartment(2, "华东销售一部", 1),
    PlatformDepartment(3, "华南销售部", 1),
]


def sh(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BUSINESS_TZ)


@pytest.fixture
def bound(db: Database, clock: FixedClock) -> Database:
    clock.set(sh(11, 16))
    load_example_org(db, clock)
    with UnitOfWork(db, clock, actor_label="org-sync") as uow:
        sync_teams(uow, DEPARTMENTS, 2, "wecom")
        for key, at in (("zhaolei", sh(11, 17)), ("zhangwei", sh(11, 18))):
            rep = uow.session.scalar(select(User).where(User.key == key))
            assert rep is not None
            log_visit(uow, rep, create_customer(uow, f"{key}的客户有限公司"), visited_at=at)
        uow.commit()
    return db


def run_leaderboard(db: Database, clock: FixedClock, occurrence: datetime) -> dict[str, object]:
    cause = cause_for("leaderboard", occurrence)
    clock.set(occurrence)
    with UnitOfWork(db, clock, actor_label="scheduler", cause=cause) as uow:
        result = all_jobs()["leaderboard"].run(JobContext(uow, Replies(uow.session, clock, cause), occurrence))
        uow.commit()
    return result


def south(db: Database) -> Team:
    with db.sessions() as s:
        team = s.scalar(select(Team).where(Team.wecom_department_id == 3))
        assert team is not None
        return team


def counts(db: Database) -> tuple[int, int, int]:
    with db.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(User).where(User.active.is_(True))) or 0,
            s.scalar(select(func.count()).select_from(Visit)) or 0,
            s.scalar(select(func.count()).select_from(Customer)) or 0,
        )


def test_a_deleted_department_retires_its_team_but_keeps_people_and_records(bound: Database, clock: FixedClock) -> None:
    before = counts(bound)
    with UnitOfWork(bound, clock, actor_label="企业微信通讯录") as uow:
        team = retire_department_team(uow, "wecom", 3)
        assert team is not None and team.name == "华南销售部"
        assert retire_department_team(uow, "wecom", 3) is None  # a repeated event changes nothing
        assert retire_department_team(uow, "wecom", 99) is None  # a department no team follows
        uow.commit()

    team = south(bound)
    assert not team.active and team.name == "华南销售部" and team.wecom_chat_id == SOUTH_CHAT
    assert counts(bound) == before  # nobody deactivated, no visit or customer gone
    with bound.sessions() as s:
        zhaolei = s.scalar(select(User).where(User.key == "zhaolei"))
        assert zhaolei is not None and zhaolei.active and zhaolei.team_id == team.id  # the next sync moves him
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "team.retire"))
    assert entry.entity_id == str(team.id) and entry.actor_label == "企业微信通讯录"
    assert entry.after == {"active": False, "name": "华南销售部", "platform": "wecom", "department": 3}

    # The Monday job posts only the live team: nothing to 华南's chat or its manager 陈静.
    result = run_leaderboard(bound, clock, sh(11, 23, 9))
    assert result["teams"] == ["华东销售一部"]
    with bound.sessions() as s:
        targets = set(s.scalars(select(OutboxMessage.target)))
    assert "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA" in targets and "LiNa" in targets
    assert SOUTH_CHAT not in targets and "ChenJing" not in targets

    # Nor is it a team in reports.
    with UnitOfWork(bound, clock) as uow:
        assert [t.name for t in all_teams(uow)] == ["华东销售一部"]
        with pytest.raises(NotFound, match="华南销售部.*已停用.*现有团队：华东销售一部"):
            find_team(uow, "华南销售部")


def test_the_same_department_id_back_revives_the_team(bound: Database, clock: FixedClock) -> None:
    with UnitOfWork(bound, clock, actor_label="企业微信通讯录") as uow:
        retire_department_team(uow, "wecom", 3)
        uow.commit()
    revived: list[str] = []
    with UnitOfWork(bound, clock, actor_label="企业微信通讯录") as uow:
        teams, created = sync_teams(uow, DEPARTMENTS, 2, "wecom", revived=revived)
        uow.commit()
    assert revived == ["华南销售部"] and created == []
    team = south(bound)
    assert team.active and teams[3].id == team.id  # the same team, with its chat and history
    with bound.sessions() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "team.revive"))
        assert entry.entity_id == str(team.id) and entry.after == {"active": True, "department": 3}
        assert s.scalar(select(func.count()).select_from(Team)) == 2

    result = run_leaderboard(bound, clock, sh(11, 23, 9))
    assert result["teams"] == ["华东销售一部", "华南销售部"]
    with bound.sessions() as s:
        assert SOUTH_CHAT in set(s.scalars(select(OutboxMessage.target)))
