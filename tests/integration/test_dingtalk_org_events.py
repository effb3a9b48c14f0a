"""DingTalk address-book events pushed through the fake change the org (once, audited)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from domain.models import AuditEntry, InboxEvent, OutboxMessage, Role, Team, User
from tests.e2e.dingtalk_stack import ZHANG, DingTalkStack, dingtalk_stack

XU = "0160000001"


@pytest.fixture
def stack(db_url: str) -> Iterator[DingTalkStack]:
    with dingtalk_stack(db_url) as s:
        yield s


def _user(stack: DingTalkStack, userid: str) -> User | None:
    with stack.db.sessions() as s:
        return s.scalar(select(User).where(User.dingtalk_userid == userid))


def _audits(stack: DingTalkStack, action: str) -> list[AuditEntry]:
    with stack.db.sessions() as s:
        return list(
            s.scalars(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.actor_label == "钉钉通讯录"))
        )


def _all_done(stack: DingTalkStack, count: int) -> bool:
    with stack.db.sessions() as s:
        done = s.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "done"))
        return done == count


def test_a_leave_event_deactivates_the_user_once_and_keeps_the_file_role(stack: DingTalkStack) -> None:
    before = _user(stack, ZHANG)
    assert before is not None and before.active and before.managed_by_file
    event = {"EventType": "user_leave_org", "TimeStamp": "1700000000000", "UserId": [ZHANG]}
    body, params = stack.driver.event_envelope(event)
    first = stack.driver.post_event(body, params)
    assert first.status_code == 200 and stack.driver.decrypt_event_reply(first) == "success"
    stack.wait_until(lambda: _all_done(stack, 1), what="the leave event processed")
    after = _user(stack, ZHANG)
    assert after is not None and not after.active
    assert (after.role, after.manager_id, after.name) == (before.role, before.manager_id, before.name)
    [entry] = _audits(stack, "user.deactivate")
    assert entry.entity_type == "user" and entry.entity_id == str(after.id) and entry.actor_label == "钉钉通讯录"
    assert entry.before is not None and entry.before["active"] is True
    assert entry.after is not None and entry.after["active"] is False

    # DingTalk pushes the same event again (a retry): one inbox row, nothing changes.
    again = stack.driver.post_event(body, params)
    assert again.status_code == 200 and stack.driver.decrypt_event_reply(again) == "success"
    # A second, distinct leave for someone already gone changes nothing either.
    stack.driver.send_event("user_leave_org", UserId=[ZHANG])
    stack.wait_until(lambda: _all_done(stack, 2), what="the second leave event processed")
    assert len(_audits(stack, "user.deactivate")) == 1
    with stack.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(InboxEvent)) == 2


def test_add_and_modify_events_read_the_person_from_contacts(stack: DingTalkStack) -> None:
    stack.fake.add_user(XU, "徐明", departments=[1])
    stack.driver.send_event("user_add_org", UserId=[XU])
    stack.wait_until(lambda: _user(stack, XU) is not None, what="the new user")
    added = _user(stack, XU)
    assert added is not None and added.name == "徐明" and added.active and not added.managed_by_file
    assert [e.entity_id for e in _audits(stack, "user.create")] == [str(added.id)]

    stack.fake.add_user(XU, "徐明明", departments=[1])  # renamed in DingTalk
    stack.driver.send_event("user_modify_org", UserId=[XU])
    stack.wait_until(lambda: (u := _user(stack, XU)) is not None and u.name == "徐明明", what="the new name")
    assert len(_audits(stack, "user.sync")) == 1


def test_events_put_people_in_teams_at_the_set_level_and_follow_renames(db_url: str) -> None:
    """An add event syncs teams at SALESBOT_ORG_TEAM_LEVEL (not a fixed level 2), and a later
    change after the department was renamed renames the same team (#20 pt 4)."""
    with dingtalk_stack(db_url, org_team_level=3) as stack:
        stack.fake.add_department(30, "西北销售部")
        stack.fake.add_department(31, "西北一组", parent_id=30)
        stack.fake.add_user(XU, "徐明", departments=[31])
        stack.driver.send_event("user_add_org", UserId=[XU])
        stack.wait_until(lambda: (u := _user(stack, XU)) is not None and u.team_id is not None, what="the team")
        with stack.db.sessions() as s:
            [team] = s.scalars(select(Team).where(Team.dingtalk_department_id.is_not(None)))
            assert (team.name, team.dingtalk_department_id) == ("西北一组", 31)
            first_id = team.id
        # The department is renamed: DingTalk pushes org_dept_modify; the same team takes the name.
        stack.fake.add_department(31, "西北先锋组", parent_id=30)
        stack.driver.send_event("org_dept_modify", DeptId=[31])

        def renamed() -> bool:
            with stack.db.sessions() as s:
                team = s.get(Team, first_id)
                return team is not None and team.name == "西北先锋组"

        stack.wait_until(renamed, what="the team renamed")
        # A later change to the person keeps them in that same team.
        stack.fake.add_user(XU, "徐明明", departments=[31])
        stack.driver.send_event("user_modify_org", UserId=[XU])
        stack.wait_until(lambda: (u := _user(stack, XU)) is not None and u.name == "徐明明", what="the change")
        with stack.db.sessions() as s:
            names = set(s.scalars(select(Team.name)))
            xu = s.scalar(select(User).where(User.dingtalk_userid == XU))
            assert xu is not None and xu.team_id == first_id
            assert "西北先锋组" in names and "西北一组" not in names and "西北销售部" not in names
            [rename] = s.scalars(select(AuditEntry).where(AuditEntry.action == "team.rename"))
            assert rename.actor_label == "钉钉通讯录"


def test_a_removed_department_retires_its_team_and_its_id_back_revives_it(stack: DingTalkStack) -> None:
    """org_dept_remove (``DeptId`` list, like org_dept_modify): the team is no longer live, its
    people and records stay, the change is audited and the admins are told; the department id
    created again revives the same team."""
    admin = "0100000009"
    with stack.db.sessions() as s:
        s.add(User(key="admin", name="管理员", role=Role.ADMIN, dingtalk_userid=admin))
        s.commit()
    stack.fake.add_department(40, "西北销售部")
    stack.fake.add_department(41, "西南销售部")
    stack.fake.add_user(XU, "徐明", departments=[40])
    stack.driver.send_event("user_add_org", UserId=[XU])
    stack.wait_until(lambda: (u := _user(stack, XU)) is not None and u.team_id is not None, what="徐明 in a team")

    def team(dept: int) -> Team | None:
        with stack.db.sessions() as s:
            return s.scalar(select(Team).where(Team.dingtalk_department_id == dept))

    northwest = team(40)
    assert northwest is not None and northwest.active and northwest.name == "西北销售部"

    # The admin deletes 西北销售部 (its people were moved first; that move is not pushed here).
    stack.fake.add_user(XU, "徐明", departments=[41])
    stack.fake.remove_department(40)
    stack.driver.send_event("org_dept_remove", DeptId=[40])
    stack.wait_until(lambda: (t := team(40)) is not None and not t.active, what="西北销售部 retired")

    xu = _user(stack, XU)
    assert xu is not None and xu.active and xu.team_id == northwest.id  # kept until their own event / sync
    [entry] = _audits(stack, "team.retire")
    assert entry.entity_id == str(northwest.id)
    assert entry.after == {"active": False, "name": "西北销售部", "platform": "dingtalk", "department": 40}
    with stack.db.sessions() as s:
        [notice] = [m.payload["content"] for m in s.scalars(select(OutboxMessage).where(OutboxMessage.target == admin))]
        assert s.scalar(select(func.count()).select_from(User).where(User.active.is_(False))) == 0
    assert notice.startswith("【管理员提醒】钉钉通讯录里的部门（ID 40）已删除，团队「西北销售部」已停用")

    # 徐明's own change arrives: he joins 西南销售部; the retired team is not brought back.
    stack.driver.send_event("user_modify_org", UserId=[XU])
    stack.wait_until(lambda: (u := _user(stack, XU)) is not None and u.team_id != northwest.id, what="徐明 moved")
    retired = team(40)
    assert retired is not None and not retired.active

    # The same id again (rare): the same team is live again, and the admins hear of it.
    stack.fake.add_department(40, "西北销售部")
    stack.driver.send_event("org_dept_create", DeptId=[40])
    stack.wait_until(lambda: (t := team(40)) is not None and t.active, what="西北销售部 revived")
    assert [e.entity_id for e in _audits(stack, "team.revive")] == [str(northwest.id)]
    with stack.db.sessions() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.target == admin).order_by(OutboxMessage.id))
        notices = [m.payload["content"] for m in rows]
    assert len(notices) == 2 and "「西北销售部」的部门又出现了，团队已恢复" in notices[1]
