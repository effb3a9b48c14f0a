"""A WeCom-only install (no org file) gets its teams from departments (#20 pt 4): `salesbot org sync
wecom`, `salesbot org team-chat`, and the Monday job telling admins about a team with nowhere to post."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC

from sqlalchemy import func, select

from bot.fakes.wecom_server import AppConfig, Department, FakeWeCom
from bot.fakes.wecom_server import User as FakeUser
from domain.clock import FixedClock
from domain.db import Database
from domain.models import OutboxMessage, Role, Team, User
from domain.uow import UnitOfWork
from jobs.leaderboard import SPEC as LEADERBOARD
from jobs.runs import execute
from tests.e2e.wecom_stack import AGENT_ID, CORP_ID, SECRET, wecom_env
from tests.scheduling import sh


def salesbot(db_url: str, api_base: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**wecom_env(db_url, api_base), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def fake_company() -> FakeWeCom:
    return FakeWeCom(
        [AppConfig(corp_id=CORP_ID, corpsecret=SECRET, agent_id=AGENT_ID)],
        departments=[
            Department(1, "苏州示例科技", parentid=0),
            Department(2, "华东销售部", parentid=1, department_leader=["LiNa"]),
            Department(3, "华南销售部", parentid=1, department_leader=["MaChao"]),
            Department(4, "上海组", parentid=2),
        ],
        users=[
            FakeUser("Boss", "周总", department=[1]),
            FakeUser("LiNa", "李娜", department=[2], is_leader_in_dept=[1]),
            FakeUser("ZhangWei", "张伟", department=[4]),
            FakeUser("MaChao", "马超", department=[3], is_leader_in_dept=[1]),
            FakeUser("HeJing", "何静", department=[3]),
        ],
    )


def test_departments_become_teams_chats_are_bound_and_admins_hear_of_the_rest(db_url: str) -> None:
    with fake_company() as fake:
        synced = salesbot(db_url, fake.base_url, "org", "sync", "wecom")
        assert synced.returncode == 0, synced.stderr
        assert "+ 团队 team 华东销售部" in synced.stdout and "+ 团队 team 华南销售部" in synced.stdout
        bound = salesbot(db_url, fake.base_url, "org", "team-chat", "华东销售部", "wrEastChat")
        assert bound.returncode == 0, bound.stderr
        assert "团队「华东销售部」的企业微信群聊已设为 wrEastChat" in bound.stdout
        unknown = salesbot(db_url, fake.base_url, "org", "team-chat", "西北销售部", "wrX")
        assert unknown.returncode == 1 and "没有名为「西北销售部」的团队" in unknown.stderr
        again = salesbot(db_url, fake.base_url, "org", "sync", "wecom")
        assert "团队 team" not in again.stdout  # nothing new; the bound chat is kept

    db = Database(db_url)
    try:
        with db.sessions() as s:
            teams = {t.name: t for t in s.scalars(select(Team))}
            assert set(teams) == {"华东销售部", "华南销售部"}  # level 2; 上海组 is inside 华东销售部
            assert teams["华东销售部"].wecom_chat_id == "wrEastChat"
            team_of = {u.wecom_userid: u.team.name if u.team else None for u in s.scalars(select(User))}
        assert team_of == {"Boss": None, "LiNa": "华东销售部", "ZhangWei": "华东销售部", "MaChao": "华南销售部", "HeJing": "华南销售部"}

        with UnitOfWork(db, FixedClock(sh(2026, 12, 1))) as uow:
            uow.session.add(User(key="admin", name="管理员", role=Role.ADMIN, wecom_userid="Admin"))
            uow.commit()
        monday = sh(2026, 12, 14, 9)
        outcome = execute(db, FixedClock(monday), LEADERBOARD, monday.astimezone(UTC))
        assert outcome.status == "done" and outcome.detail["no_chat"] == ["华南销售部"]
        with db.sessions() as s:
            sent = {(m.target, m.msg_type) for m in s.scalars(select(OutboxMessage))}
            [warning] = [m.payload["content"] for m in s.scalars(select(OutboxMessage).where(OutboxMessage.target == "Admin"))]
        assert ("wrEastChat", "markdown") in sent
        assert ("MaChao", "markdown") in sent  # the manager still gets his team's board
        assert "华南销售部" in warning and "salesbot org team-chat" in warning
    finally:
        db.dispose()


def test_the_team_level_is_a_setting(db_url: str) -> None:
    with fake_company() as fake:
        synced = salesbot(db_url, fake.base_url, "org", "sync", "wecom", SALESBOT_ORG_TEAM_LEVEL="3")
        assert synced.returncode == 0, synced.stderr
    db = Database(db_url)
    try:
        with db.sessions() as s:
            assert [t.name for t in s.scalars(select(Team))] == ["上海组"]
            zhang = s.scalar(select(User).where(User.wecom_userid == "ZhangWei"))
            assert zhang is not None and zhang.team is not None and zhang.team.name == "上海组"
    finally:
        db.dispose()


def test_a_renamed_department_renames_its_team_in_place(db_url: str) -> None:
    """The team follows the department's id: members, its bound chat and its history stay (#20 pt 4)."""
    with fake_company() as fake:
        assert salesbot(db_url, fake.base_url, "org", "sync", "wecom").returncode == 0
        assert salesbot(db_url, fake.base_url, "org", "team-chat", "华东销售部", "wrEastChat").returncode == 0
        fake.add_department(Department(2, "华东大区", parentid=1, department_leader=["LiNa"]))
        again = salesbot(db_url, fake.base_url, "org", "sync", "wecom")
        assert again.returncode == 0, again.stderr
        assert "+ 团队 team" not in again.stdout  # no new team: the same one, renamed
        assert "~ 团队 team 华东销售部 → 华东大区" in again.stdout
        moved = salesbot(db_url, fake.base_url, "org", "team-chat", "华东大区", "wrEastChat2")
        assert moved.returncode == 0, moved.stderr
    db = Database(db_url)
    try:
        with db.sessions() as s:
            teams = {t.name: t for t in s.scalars(select(Team))}
            assert set(teams) == {"华东大区", "华南销售部"}
            assert (teams["华东大区"].wecom_department_id, teams["华东大区"].wecom_chat_id) == (2, "wrEastChat2")
            zhang = s.scalar(select(User).where(User.wecom_userid == "ZhangWei"))
            assert zhang is not None and zhang.team is not None and zhang.team.name == "华东大区"
    finally:
        db.dispose()


def test_wecom_contact_events_follow_people_and_departments(db_url: str) -> None:
    """change_contact pushes (W10) keep teams current between syncs: a new person in a level-2
    department joins its team, a renamed department renames the team in place, a deleted person
    is deactivated (#20 pt 4)."""
    from bot.fakes.wecom_server import Department as FakeDepartment
    from tests.e2e.wecom_stack import wecom_stack

    with wecom_stack(db_url, with_org=False) as stack:
        stack.fake.add_department(FakeDepartment(20, "西北销售部", parentid=1))
        stack.fake.add_user(FakeUser("XuMing", "徐明", department=[20]))
        stack.driver.send_event("sys", "change_contact", ChangeType="create_user", UserID="XuMing")

        def xu() -> User | None:
            with stack.db.sessions() as s:
                user = s.scalar(select(User).where(User.wecom_userid == "XuMing"))
                if user is not None and user.team is not None:
                    _ = user.team.name  # loaded while the session is open
                return user

        stack.wait_until(lambda: (u := xu()) is not None and u.team is not None, what="徐明 in a team")
        user = xu()
        assert user is not None and user.team is not None and user.team.name == "西北销售部"
        team_id = user.team_id

        stack.fake.add_department(FakeDepartment(20, "西北大区", parentid=1))
        stack.driver.send_event("sys", "change_contact", ChangeType="update_party", Id="20", Name="西北大区")

        def renamed() -> bool:
            with stack.db.sessions() as s:
                team = s.get(Team, team_id)
                return team is not None and team.name == "西北大区"

        stack.wait_until(renamed, what="the team renamed")
        stack.driver.send_event("sys", "change_contact", ChangeType="delete_user", UserID="XuMing")
        stack.wait_until(lambda: (u := xu()) is not None and not u.active, what="徐明 deactivated")
        with stack.db.sessions() as s:
            assert [t.name for t in s.scalars(select(Team))] == ["西北大区"]


def test_a_deleted_department_retires_its_team_and_its_id_back_revives_it(db_url: str) -> None:
    """WeCom pushes change_contact / delete_party (W10) once the admin deleted a department: the
    team is no longer live (no Monday board to its chat), people and records stay, the change is
    audited and the admins are told; the same department id created again revives the team."""
    from bot.fakes.wecom_server import Department as FakeDepartment
    from domain.models import AuditEntry
    from tests.e2e.wecom_stack import wecom_stack

    with wecom_stack(db_url, with_org=False) as stack:
        with UnitOfWork(stack.db, FixedClock(sh(2026, 12, 1))) as uow:
            uow.session.add(User(key="admin", name="管理员", role=Role.ADMIN, wecom_userid="Admin"))
            uow.commit()
        stack.fake.add_department(FakeDepartment(20, "西北销售部", parentid=1))
        stack.fake.add_department(FakeDepartment(21, "西南销售部", parentid=1))
        stack.fake.add_user(FakeUser("XuMing", "徐明", department=[20]))
        stack.fake.add_user(FakeUser("HeLan", "何兰", department=[20]))
        stack.driver.send_event("sys", "change_contact", ChangeType="create_user", UserID="XuMing")
        stack.driver.send_event("sys", "change_contact", ChangeType="create_user", UserID="HeLan")

        def team(dept: int) -> Team | None:
            with stack.db.sessions() as s:
                return s.scalar(select(Team).where(Team.wecom_department_id == dept))

        def in_team(userid: str) -> bool:
            with stack.db.sessions() as s:
                return s.scalar(select(User.team_id).where(User.wecom_userid == userid)) is not None

        stack.wait_until(lambda: in_team("XuMing") and in_team("HeLan"), what="both in 西北销售部")
        with stack.db.sessions() as s:
            s.execute(Team.__table__.update().where(Team.wecom_department_id == 20).values(wecom_chat_id="wrNorthWest"))
            s.commit()

        # The admin moves both to 西南销售部 and deletes 西北销售部; 何兰's move is not pushed (a
        # lost event: the next sync moves her), so for now our org still has her in 西北销售部.
        stack.fake.add_user(FakeUser("XuMing", "徐明", department=[21]))
        stack.fake.add_user(FakeUser("HeLan", "何兰", department=[21]))
        stack.driver.send_event("sys", "change_contact", ChangeType="update_user", UserID="XuMing")
        stack.fake.remove_department(20)
        stack.driver.send_event("sys", "change_contact", ChangeType="delete_party", Id="20")
        stack.wait_until(lambda: (t := team(20)) is not None and not t.active, what="西北销售部 retired")

        with stack.db.sessions() as s:
            xu = s.scalar(select(User).where(User.wecom_userid == "XuMing"))
            assert xu is not None and xu.active and xu.team is not None and xu.team.name == "西南销售部"
            he = s.scalar(select(User).where(User.wecom_userid == "HeLan"))
            assert he is not None and he.active and he.team is not None and he.team.name == "西北销售部"
            [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "team.retire"))
            assert entry.actor_label == "企业微信通讯录"
            assert entry.after is not None and (entry.after["department"], entry.after["name"]) == (20, "西北销售部")
            [notice] = [m.payload["content"] for m in s.scalars(select(OutboxMessage).where(OutboxMessage.target == "Admin"))]
        assert "西北销售部" in notice and "ID 20" in notice and "已停用" in notice

        monday = sh(2026, 12, 14, 9)
        outcome = execute(stack.db, FixedClock(monday), LEADERBOARD, monday.astimezone(UTC))
        assert outcome.status == "done" and outcome.detail["teams"] == ["西南销售部"]  # 何兰's old team: no board
        with stack.db.sessions() as s:
            assert s.scalar(select(OutboxMessage).where(OutboxMessage.target == "wrNorthWest")) is None

        # Rare: a department is created again with the same id; the team is live again.
        stack.fake.add_department(FakeDepartment(20, "西北销售部", parentid=1))
        stack.driver.send_event("sys", "change_contact", ChangeType="create_party", Id="20")
        stack.wait_until(lambda: (t := team(20)) is not None and t.active, what="西北销售部 revived")
        with stack.db.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Team)) == 2
            notices = [m.payload["content"] for m in s.scalars(select(OutboxMessage).where(OutboxMessage.target == "Admin"))]
        assert any("西北销售部" in n and "已恢复" in n for n in notices)


def test_a_full_sync_retires_a_team_whose_delete_event_was_missed(db_url: str) -> None:
    """No delete_party reached us for 华南销售部: `salesbot org sync wecom` notices the department is
    gone, retires the team (audited, admins told), refuses `org team-chat` for it, and gives its
    name to a new 华南销售部; a sync whose contacts read fails changes nothing."""
    from domain.models import AuditEntry

    db = Database(db_url)
    try:
        with fake_company() as fake:
            assert salesbot(db_url, fake.base_url, "org", "sync", "wecom").returncode == 0
            with UnitOfWork(db, FixedClock(sh(2026, 12, 1))) as uow:
                uow.session.add(User(key="admin", name="管理员", role=Role.ADMIN, wecom_userid="Admin"))
                uow.commit()
            fake.add_user(FakeUser("MaChao", "马超", department=[2]))
            fake.add_user(FakeUser("HeJing", "何静", department=[2]))
            fake.remove_department(3)

            fake.fail_next("/cgi-bin/user/list", 60011)  # the listing breaks part-way
            broken = salesbot(db_url, fake.base_url, "org", "sync", "wecom")
            assert broken.returncode == 1 and "读取通讯录失败，未做任何更改" in broken.stderr
            with db.sessions() as s:
                assert all(t.active for t in s.scalars(select(Team)))

            synced = salesbot(db_url, fake.base_url, "org", "sync", "wecom")
            assert synced.returncode == 0, synced.stderr
            assert "- 团队 team 华南销售部（部门 3 已删除，团队停用" in synced.stdout
            refused = salesbot(db_url, fake.base_url, "org", "team-chat", "华南销售部", "wrSouth")
            assert refused.returncode == 1
            assert "团队「华南销售部」已停用" in refused.stderr and "现有团队：华东销售部" in refused.stderr
            assert "is retired" in refused.stderr
            again = salesbot(db_url, fake.base_url, "org", "sync", "wecom")
            assert "团队 team" not in again.stdout  # retired once, told once

            fake.add_department(Department(5, "华南销售部", parentid=1))  # a new department, the old name
            fake.add_user(FakeUser("HeJing", "何静", department=[5]))
            renewed = salesbot(db_url, fake.base_url, "org", "sync", "wecom")
            assert renewed.returncode == 0, renewed.stderr
            assert "+ 团队 team 华南销售部（设置群聊" in renewed.stdout
            bound = salesbot(db_url, fake.base_url, "org", "team-chat", "华南销售部", "wrSouth")
            assert bound.returncode == 0, bound.stderr

        with db.sessions() as s:
            teams = {t.name: (t.active, t.wecom_department_id, t.wecom_chat_id) for t in s.scalars(select(Team))}
            assert teams == {
                "华东销售部": (True, 2, None),
                "华南销售部（已停用）": (False, 3, None),
                "华南销售部": (True, 5, "wrSouth"),
            }
            he = s.scalar(select(User).where(User.wecom_userid == "HeJing"))
            assert he is not None and he.team is not None and he.team.wecom_department_id == 5
            [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "team.retire"))
            assert entry.actor_label == "org-sync" and entry.after is not None and entry.after["department"] == 3
            [notice] = [m.payload["content"] for m in s.scalars(select(OutboxMessage).where(OutboxMessage.target == "Admin"))]
        assert "华南销售部" in notice and "ID 3" in notice and "已停用" in notice
    finally:
        db.dispose()
