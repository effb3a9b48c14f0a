"""salesbot org sync wecom: platform contacts update the org; roles from the org file survive."""

import subprocess
import sys

from sqlalchemy import select

from bot.fakes.wecom_server import AppConfig, Department, FakeWeCom
from bot.fakes.wecom_server import User as FakeUser
from domain.db import Database
from domain.models import User
from tests.e2e.wecom_stack import AGENT_ID, CORP_ID, SECRET, wecom_env
from tests.factories import load_example_org


def _sync(db_url: str, api_base: str) -> subprocess.CompletedProcess[str]:
    env = wecom_env(db_url, api_base)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "org", "sync", "wecom"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sync_adds_people_keeps_file_roles_and_follows_leaders(db_url: str) -> None:
    db = Database(db_url)
    load_example_org(db)
    fake = FakeWeCom(
        [AppConfig(corp_id=CORP_ID, corpsecret=SECRET, agent_id=AGENT_ID)],
        departments=[
            Department(2, "华东销售一部", parentid=1, department_leader=["LiNa"]),
            Department(3, "西北销售部", parentid=1, department_leader=["MaChao"]),
        ],
        users=[
            FakeUser("LiNa", "李娜", department=[2], is_leader_in_dept=[1]),
            FakeUser("ZhangWei", "张伟", department=[2]),
            FakeUser("SunLi", "孙丽（法务）", department=[2]),
            FakeUser("XuMing", "徐明", department=[2]),
            FakeUser("MaChao", "马超", department=[3], is_leader_in_dept=[1]),
            FakeUser("HeJing", "何静", department=[3]),
            FakeUser("LiuYang", "刘洋", department=[2], status=5),
        ],
    )
    with fake:
        r = _sync(db_url, fake.base_url)
        assert r.returncode == 0, r.stderr
        assert "3 新建 created" in r.stdout
        again = _sync(db_url, fake.base_url)
        assert "0 新建 created, 0 更新 updated" in again.stdout

    with db.sessions() as s:
        users = {u.wecom_userid: u for u in s.scalars(select(User))}
        ids = {u.id: u.wecom_userid for u in users.values()}
        assert users["SunLi"].role == "legal" and users["SunLi"].name == "孙丽（法务）"  # file role kept
        assert ids[users["ZhangWei"].manager_id] == "LiNa"  # file manager kept
        assert users["XuMing"].role == "rep" and ids[users["XuMing"].manager_id] == "LiNa"
        assert users["MaChao"].role == "manager" and users["MaChao"].manager_id is None
        assert ids[users["HeJing"].manager_id] == "MaChao"
        assert users["LiuYang"].active is False  # left the company in WeCom
    db.dispose()
