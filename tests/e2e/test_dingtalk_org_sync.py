"""salesbot org sync dingtalk: DingTalk departments and 主管 update the org; org-file roles survive."""

import json
import subprocess
import sys

from sqlalchemy import select

from bot.fakes.dingtalk_server import AppConfig, FakeDingTalk
from domain.db import Database
from domain.models import AuditEntry, Team, User
from tests.e2e.dingtalk_stack import APP_KEY, APP_SECRET, ROBOT_CODE, WANG, ZHANG, dingtalk_env
from tests.factories import load_example_org

XU, QIAN, MA, HE = "0160000001", "0160000002", "0160000003", "0160000004"


def _sync(db_url: str, api_base: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "org", "sync", "dingtalk"],
        env=dingtalk_env(db_url, api_base),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sync_adds_people_keeps_file_roles_and_follows_department_managers(db_url: str) -> None:
    db = Database(db_url)
    load_example_org(db)
    fake = FakeDingTalk([AppConfig(app_key=APP_KEY, app_secret=APP_SECRET, robot_code=ROBOT_CODE)])
    fake.add_department(2, "华东销售一部")
    fake.add_department(3, "西北销售部")
    fake.add_department(4, "西北销售二组", parent_id=3)
    fake.add_user(WANG, "王芳", departments=[1], leader_in=[1])  # 主管 of the whole company
    fake.add_user(ZHANG, "张伟", departments=[2])
    fake.add_user(QIAN, "钱军", departments=[2], leader_in=[2])
    fake.add_user(XU, "徐明", departments=[2], active=False)  # has not activated DingTalk yet
    fake.add_user(MA, "马超", departments=[3], leader_in=[3])
    fake.add_user(HE, "何静", departments=[4])
    with fake:
        r = _sync(db_url, fake.base_url)
        assert r.returncode == 0, r.stderr
        assert "4 新建 created" in r.stdout and "+ 徐明" in r.stdout
        again = _sync(db_url, fake.base_url)
        assert again.returncode == 0, again.stderr
        assert "0 新建 created, 0 更新 updated" in again.stdout
        called = {q.path for q in fake.requests}
    assert {"/topapi/v2/department/listsub", "/topapi/v2/user/list"} <= called

    with db.sessions() as s:
        users = {u.dingtalk_userid: u for u in s.scalars(select(User)) if u.dingtalk_userid}
        by_id: dict[int | None, str] = {u.id: u.name for u in s.scalars(select(User))}
        assert users[WANG].role == "director"  # the org file's role wins over 主管
        assert by_id[users[ZHANG].manager_id] == "李娜"  # the org file's manager wins
        assert users[QIAN].role == "manager" and by_id[users[QIAN].manager_id] == "王芳"
        assert users[XU].role == "rep" and users[XU].active and by_id[users[XU].manager_id] == "钱军"
        assert users[MA].role == "manager" and by_id[users[MA].manager_id] == "王芳"
        assert by_id[users[HE].manager_id] == "马超"  # no 主管 in 二组: the one above
        # The org file's team of the same name now follows department 2 (teams synced before
        # teams remembered their department are bound by name once); 西北销售部 became a team.
        teams = {t.name: t.dingtalk_department_id for t in s.scalars(select(Team))}
        assert teams["华东销售一部"] == 2 and teams["西北销售部"] == 3
    db.dispose()


def test_sync_without_dingtalk_settings_says_what_is_missing(db_url: str) -> None:
    env = dingtalk_env(db_url, "http://127.0.0.1:9")
    env.pop("SALESBOT_DINGTALK_APP_SECRET")
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "org", "sync", "dingtalk"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and "未配置钉钉" in r.stderr


def test_teams_follow_departments_at_the_set_level_and_renames(db_url: str) -> None:
    """DingTalk departments become teams at SALESBOT_ORG_TEAM_LEVEL; a renamed department renames
    its team in place (#20 pt 4)."""
    fake = FakeDingTalk([AppConfig(app_key=APP_KEY, app_secret=APP_SECRET, robot_code=ROBOT_CODE)])
    fake.add_department(3, "西北销售部")
    fake.add_department(4, "西北销售二组", parent_id=3)
    fake.add_user(MA, "马超", departments=[3], leader_in=[3])
    fake.add_user(HE, "何静", departments=[4])
    with fake:
        env = dingtalk_env(db_url, fake.base_url, SALESBOT_ORG_TEAM_LEVEL="3")
        run = [sys.executable, "-m", "bot.cli", "org", "sync", "dingtalk"]
        first = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        assert "+ 团队 team 西北销售二组" in first.stdout and "团队 team 西北销售部" not in first.stdout
        fake.add_department(4, "西北二组", parent_id=3)
        second = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        assert "+ 团队 team" not in second.stdout and "~ 团队 team 西北销售二组 → 西北二组" in second.stdout
    db = Database(db_url)
    try:
        with db.sessions() as s:
            [team] = s.scalars(select(Team))
            assert (team.name, team.dingtalk_department_id) == ("西北二组", 4)
            he = s.scalar(select(User).where(User.dingtalk_userid == HE))
            assert he is not None and he.team_id == team.id
            ma = s.scalar(select(User).where(User.dingtalk_userid == MA))
            assert ma is not None and ma.team_id is None  # above level 3
            [rename] = s.scalars(select(AuditEntry).where(AuditEntry.action == "team.rename"))
            assert rename.before == {"name": "西北销售二组"} and rename.after is not None and rename.after["name"] == "西北二组"
    finally:
        db.dispose()


def test_a_full_sync_retires_a_team_whose_remove_event_was_missed_and_revives_it(db_url: str) -> None:
    """No org_dept_remove reached us: `salesbot org sync dingtalk` retires the team of the
    department gone from the listing (audited, admins told), but not when the walk fails
    part-way; the same department id listed again revives it."""
    from datetime import datetime

    from domain.clock import BUSINESS_TZ, FixedClock
    from domain.models import OutboxMessage, Role
    from domain.uow import UnitOfWork

    admin = "0169999999"
    fake = FakeDingTalk([AppConfig(app_key=APP_KEY, app_secret=APP_SECRET, robot_code=ROBOT_CODE)])
    fake.add_department(3, "西北销售部")
    fake.add_department(5, "西南销售部")
    fake.add_user(MA, "马超", departments=[3], leader_in=[3])
    fake.add_user(HE, "何静", departments=[5])
    db = Database(db_url)
    try:
        with fake:
            assert _sync(db_url, fake.base_url).returncode == 0
            with UnitOfWork(db, FixedClock(datetime(2026, 12, 1, tzinfo=BUSINESS_TZ))) as uow:
                uow.session.add(User(key="admin", name="管理员", role=Role.ADMIN, dingtalk_userid=admin))
                uow.commit()
            fake.add_user(MA, "马超", departments=[5])
            fake.remove_department(3)

            fake.fail_next("/topapi/v2/user/list", 60011)  # departments read, members not: part-way
            broken = _sync(db_url, fake.base_url)
            assert broken.returncode == 1 and "读取通讯录失败，未做任何更改" in broken.stderr
            with db.sessions() as s:
                assert all(t.active for t in s.scalars(select(Team)))

            synced = _sync(db_url, fake.base_url)
            assert synced.returncode == 0, synced.stderr
            assert "- 团队 team 西北销售部（部门 3 已删除，团队停用" in synced.stdout
            with db.sessions() as s:
                active = {t.name: t.active for t in s.scalars(select(Team))}
                [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "team.retire"))
            assert active == {"西北销售部": False, "西南销售部": True}
            assert entry.after == {"active": False, "name": "西北销售部", "platform": "dingtalk", "department": 3}

            fake.add_department(3, "西北销售部")
            back = _sync(db_url, fake.base_url)
            assert back.returncode == 0, back.stderr
            assert "+ 团队 team 西北销售部（部门已恢复" in back.stdout
        with db.sessions() as s:
            assert all(t.active for t in s.scalars(select(Team)))
            notices = [m.payload for m in s.scalars(select(OutboxMessage).where(OutboxMessage.target == admin))]
        text = json.dumps(notices, ensure_ascii=False)
        assert "钉钉通讯录里的部门（ID 3）已删除，团队「西北销售部」已停用" in text
        assert "团队「西北销售部」的部门又出现了，团队已恢复" in text
    finally:
        db.dispose()
