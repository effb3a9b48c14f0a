"""DingTalk contacts for the org sync, against the fake DingTalk over real HTTP (no mocks).

Why: user/list answers at most 100 people a page and listsub only one level of the tree;
a company larger than one page or deeper than one level must still come back whole.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.dingtalk.client import DingTalkAPIError, DingTalkClient
from bot.dingtalk.contacts import fetch_org
from bot.fakes.dingtalk_server import AppConfig, FakeDingTalk, ManualClock
from bot.tokens import MemoryTokenStore

APP = AppConfig(app_key="dingtestapp0003", app_secret="test-secret-0003", robot_code="dingtestapp0003")


@pytest.fixture
def fake() -> Iterator[FakeDingTalk]:
    server = FakeDingTalk([APP], clock=ManualClock())
    with server:
        yield server


@pytest.fixture
def client(fake: FakeDingTalk) -> Iterator[DingTalkClient]:
    with DingTalkClient(
        fake.base_url, fake.base_url, APP.app_key, APP.app_secret, APP.robot_code, MemoryTokenStore(), clock=fake.clock
    ) as c:
        yield c


def test_every_page_and_every_level_is_read(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.add_department(2, "销售中心")
    fake.add_department(3, "华东大区", parent_id=2)
    fake.add_department(4, "苏州组", parent_id=3)
    fake.add_user("boss", "老板", departments=[1], leader_in=[1])
    for n in range(5):
        fake.add_user(f"rep{n}", f"销售{n}", departments=[4])
    fake.add_user("lead", "组长", departments=[4, 2], leader_in=[4])

    departments, members = fetch_org(client, page_size=2)

    assert [(d.id, d.parent_id) for d in departments] == [(1, None), (2, 1), (3, 2), (4, 3)]
    assert {d.id: d.leaders for d in departments}[4] == ("lead",)
    assert sorted(m.userid for m in members) == ["boss", "lead", "rep0", "rep1", "rep2", "rep3", "rep4"]
    lead = next(m for m in members if m.userid == "lead")
    assert lead.leader_in == (4,) and lead.departments == (4, 2)
    pages = [q.json["cursor"] for q in fake.requests if q.path == "/topapi/v2/user/list" and q.json["dept_id"] == 4]
    assert pages == [0, 2, 4]  # 6 people in 苏州组, 2 a page


def test_a_refused_call_is_an_error_not_an_empty_org(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.fail_next("/topapi/v2/department/listsub", 60011, "无权限")
    with pytest.raises(DingTalkAPIError):
        fetch_org(client)
