"""WeCom contacts (department/list, user/list) → the domain's neutral org-sync input."""

from __future__ import annotations

from typing import Any

from bot.wecom.client import WeComClient
from domain.services.orgsync import PlatformDepartment, PlatformMember

ACTIVE_STATUSES = {1, 4}  # 1 activated, 4 not yet activated; 2 disabled, 5 left


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in (values or []))


def fetch_org(client: WeComClient) -> tuple[list[PlatformDepartment], list[PlatformMember]]:
    raw_depts = client.list_departments()
    departments = [
        PlatformDepartment(
            id=int(d["id"]),
            name=str(d.get("name", "")),
            parent_id=int(d["parentid"]) if d.get("parentid") else None,
            leaders=tuple(d.get("department_leader") or ()),
        )
        for d in raw_depts
    ]
    members: dict[str, PlatformMember] = {}
    for dept in departments:
        for u in client.list_users(dept.id):
            if u["userid"] in members:
                continue
            depts = _ints(u.get("department"))
            flags = list(u.get("is_leader_in_dept") or [])
            members[u["userid"]] = PlatformMember(
                userid=str(u["userid"]),
                name=str(u.get("name") or u["userid"]),
                departments=depts,
                main_department=int(u["main_department"]) if u.get("main_department") else None,
                leader_in=tuple(d for d, flag in zip(depts, flags, strict=False) if flag),
                direct_leaders=tuple(u.get("direct_leader") or ()),
                active=int(u.get("status", 1)) in ACTIVE_STATUSES,
            )
    return departments, list(members.values())
