"""A full org sync repairs a lost department-deletion event, and only from a whole listing;
a retired team's name goes to the live department that takes it.

Through the real services on SQLite and PostgreSQL: the example org's two teams are bound to
WeCom departments 2 (华东销售一部) and 3 (华南销售部) by a first full sync, as
``salesbot org sync wecom`` does; then department 3 disappears from the listing with no
``delete_party`` push ever arriving.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ, FixedClock
from domain.db import Database
from domain.models import AuditEntry, Team, User
from domain.services.leaderboard import all_teams, find_team
from domain.services.orgsync import (
    PlatformDepartment,
    PlatformMember,
    SyncResult,
    TeamRetired,
    bind_team_chat,
    retire_department_team,
    sync_members,
    sync_teams,
)
from domain.uow import UnitOfWork
from tests.factories import load_example_org

COMPANY = PlatformDepartment(1, "苏州示例科技", None)
EAST = PlatformDepartment(2, "华东销售一部", 1)
SOUTH = PlatformDepartment(3, "华南销售部", 1)
NEW_SOUTH = PlatformDepartment(7, "华南销售部", 1)  # deleted and created again: a new id, the same name
SOUTH_CHAT = "wrOgQhDgAAcwMTB7YmDkbeBsAAAA"  # 华南销售部's group chat in examples/org.yaml


@pytest.fixture
def bound(db: Database, clock: FixedClock) -> Database:
    clock.set(datetime(2026, 11, 16, 10, tzinfo=BUSINESS_TZ))
    load_example_org(db, clock)
    assert full_sync(db, clock, [COMPANY, EAST, SOUTH]).teams_retired == []
    return db


def full_sync(
    db: Database, clock: FixedClock, departments: list[PlatformDepartment], members: list[PlatformMember] | None = None
) -> SyncResult:
    with UnitOfWork(db, clock, actor_label="org-sync") as uow:
        result = sync_members(uow, "wecom", departments, members or [], complete=True)
        uow.commit()
    return result


def teams(db: Database) -> dict[str, tuple[bool, int | None]]:
    with db.sessions() as s:
        return {t.name: (t.active, t.wecom_department_id) for t in s.scalars(select(Team))}


def audits(db: Database, action: str) -> list[AuditEntry]:
    with db.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_a_full_sync_retires_the_team_of_a_department_gone_from_the_listing(bound: Database, clock: FixedClock) -> None:
    result = full_sync(bound, clock, [COMPANY, EAST])
    assert result.teams_retired == [(3, "华南销售部")] and not result.retire_skipped
    assert teams(bound) == {"华东销售一部": (True, 2), "华南销售部": (False, 3)}
    [entry] = audits(bound, "team.retire")  # the same audit as the delete_party path
    assert entry.actor_label == "org-sync"
    assert entry.after == {"active": False, "name": "华南销售部", "platform": "wecom", "department": 3}
    with UnitOfWork(bound, clock) as uow:
        assert [t.name for t in all_teams(uow)] == ["华东销售一部"]

    assert full_sync(bound, clock, [COMPANY, EAST]).teams_retired == []  # told once, audited once
    assert len(audits(bound, "team.retire")) == 1

    back = full_sync(bound, clock, [COMPANY, EAST, SOUTH])  # the department reappears
    assert back.teams_revived == ["华南销售部"] and back.teams_retired == []
    assert teams(bound) == {"华东销售一部": (True, 2), "华南销售部": (True, 3)}
    assert [e.after for e in audits(bound, "team.revive")] == [{"active": True, "department": 3}]


@pytest.mark.parametrize(
    "listing",
    [
        pytest.param([], id="empty"),  # an error answered as an empty list
        pytest.param([COMPANY], id="no-team-level"),  # only the root came back
    ],
)
def test_a_listing_that_looks_broken_retires_nothing(bound: Database, clock: FixedClock, listing: list[PlatformDepartment]) -> None:
    result = full_sync(bound, clock, listing)
    assert result.retire_skipped and result.teams_retired == []
    assert teams(bound) == {"华东销售一部": (True, 2), "华南销售部": (True, 3)}
    assert audits(bound, "team.retire") == []


def test_an_event_sync_with_part_of_the_org_never_retires(bound: Database, clock: FixedClock) -> None:
    """A create_user / update_user event syncs its people only (``complete`` False): whatever
    departments it read, it is no full sync and retires nothing."""
    with UnitOfWork(bound, clock, actor_label="企业微信通讯录") as uow:
        result = sync_members(uow, "wecom", [COMPANY, EAST], [PlatformMember("ZhangWei", "张伟", (2,))])
        uow.commit()
    assert result.teams_retired == [] and not result.retire_skipped
    assert teams(bound)["华南销售部"] == (True, 3)


def test_a_new_department_with_a_retired_teams_name_gets_the_name(bound: Database, clock: FixedClock) -> None:
    """Department 3 deleted, a new 华南销售部 (id 7) created, both missed: one full sync retires the
    old team and the new department's team is 华南销售部 itself, not 华南销售部（7）."""
    result = full_sync(bound, clock, [COMPANY, EAST, NEW_SOUTH], [PlatformMember("HeLan", "何兰", (7,))])
    assert result.teams_retired == [(3, "华南销售部")] and result.teams_created == ["华南销售部"]
    assert teams(bound) == {"华东销售一部": (True, 2), "华南销售部（已停用）": (False, 3), "华南销售部": (True, 7)}
    [aside] = [e for e in audits(bound, "team.rename") if e.after and e.after.get("retired")]
    assert aside.before == {"name": "华南销售部"}

    with UnitOfWork(bound, clock, actor_label="admin") as uow:
        new = find_team(uow, "华南销售部")  # reports by name: the live team
        assert new.wecom_department_id == 7
        helan = uow.session.scalar(select(User).where(User.wecom_userid == "HeLan"))
        assert helan is not None and helan.team_id == new.id
        assert bind_team_chat(uow, "华南销售部", "wecom", "wrNewSouth").id == new.id
        uow.commit()
    # The org file names 华南销售部 too: a re-import means the live team.
    load_example_org(bound, clock)
    with bound.sessions() as s:
        chen = s.scalar(select(User).where(User.key == "chenjing"))
        assert chen is not None and chen.team is not None
        assert (chen.team.name, chen.team.wecom_department_id) == ("华南销售部", 7)
        old = s.scalar(select(Team).where(Team.wecom_department_id == 3))
        assert old is not None and not old.active and old.wecom_chat_id == SOUTH_CHAT  # its history kept


def test_the_event_path_too_and_the_old_department_back_takes_another_name(bound: Database, clock: FixedClock) -> None:
    """delete_party then create_party (sync_teams): the same hand-over; and if the old id ever
    comes back while the new 华南销售部 is live, the revived team is 华南销售部（3）, not 「已停用」."""
    with UnitOfWork(bound, clock, actor_label="企业微信通讯录") as uow:
        assert retire_department_team(uow, "wecom", 3) is not None
        _teams, created = sync_teams(uow, [COMPANY, EAST, NEW_SOUTH], 2, "wecom")
        uow.commit()
    assert created == ["华南销售部"]
    assert teams(bound) == {"华东销售一部": (True, 2), "华南销售部（已停用）": (False, 3), "华南销售部": (True, 7)}

    revived: list[str] = []
    with UnitOfWork(bound, clock, actor_label="企业微信通讯录") as uow:
        sync_teams(uow, [COMPANY, EAST, SOUTH, NEW_SOUTH], 2, "wecom", revived=revived)
        uow.commit()
    assert revived == ["华南销售部（3）"]
    assert teams(bound) == {"华东销售一部": (True, 2), "华南销售部（3）": (True, 3), "华南销售部": (True, 7)}


def test_team_chat_refuses_a_retired_team(bound: Database, clock: FixedClock) -> None:
    full_sync(bound, clock, [COMPANY, EAST])
    refused = pytest.raises(TeamRetired, match="华南销售部」已停用.*不能设置群聊。现有团队：华东销售一部$")
    with UnitOfWork(bound, clock, actor_label="admin") as uow, refused:
        bind_team_chat(uow, "华南销售部", "wecom", "wrOther")
    with bound.sessions() as s:
        old = s.scalar(select(Team).where(Team.wecom_department_id == 3))
        assert old is not None and old.wecom_chat_id == SOUTH_CHAT
