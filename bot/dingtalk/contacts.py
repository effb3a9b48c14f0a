"""DingTalk contacts (department/listsub, user/list) → the domain's neutral org-sync input.

Why two calls only: ``listsub`` walks the department tree one level at a time from the
root (1), and ``user/list`` gives each department's own members with ``leader`` (主管 of
that department), which is all ``domain.services.orgsync`` needs to pick managers.  The
direct manager (``manager_userid``) is only on ``/topapi/v2/user/get``, one call per
person, so it is not read: a member's manager is their department's 主管, else above.

DingTalk lists only people still in the company (those who left are removed, and come as
``user_leave_org`` events), so every listed member is active; ``active`` = false there
means "has not activated DingTalk yet", who can still be reached once they do.
"""

from __future__ import annotations

from typing import Any

from bot.dingtalk.client import USER_LIST_PAGE_SIZE, DingTalkClient
from domain.services.orgsync import PlatformDepartment, PlatformMember

ROOT_DEPARTMENT = 1


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in (values or []))


def fetch_org(
    client: DingTalkClient, page_size: int = USER_LIST_PAGE_SIZE
) -> tuple[list[PlatformDepartment], list[PlatformMember]]:
    """The whole tree visible to the app, departments parents first, members once each."""
    tree: dict[int, tuple[str, int | None]] = {ROOT_DEPARTMENT: ("", None)}
    queue = [ROOT_DEPARTMENT]
    while queue:
        parent = queue.pop(0)
        for d in client.list_sub_departments(parent):
            dept_id = int(d["dept_id"])
            if dept_id in tree:
                continue  # a cycle or a repeat would otherwise loop forever
            tree[dept_id] = (str(d.get("name", "")), int(d["parent_id"]) if d.get("parent_id") else parent)
            queue.append(dept_id)

    leaders: dict[int, list[str]] = {dept_id: [] for dept_id in tree}
    led_by: dict[str, list[int]] = {}
    raw: dict[str, dict[str, Any]] = {}
    for dept_id in tree:
        for u in client.list_department_users(dept_id, page_size):
            userid = str(u["userid"])
            raw.setdefault(userid, u)
            if u.get("leader") and userid not in leaders[dept_id]:
                leaders[dept_id].append(userid)
                led_by.setdefault(userid, []).append(dept_id)

    departments = [
        PlatformDepartment(id=dept_id, name=name, parent_id=parent_id, leaders=tuple(leaders[dept_id]))
        for dept_id, (name, parent_id) in tree.items()
    ]
    members = [
        PlatformMember(
            userid=userid,
            name=str(u.get("name") or userid),
            departments=_ints(u.get("dept_id_list")),
            leader_in=tuple(led_by.get(userid, ())),
        )
        for userid, u in raw.items()
    ]
    return departments, members
