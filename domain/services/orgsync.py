"""Pulling the org chart from a platform's contacts (WeCom departments and members).

The org file stays authoritative: for users it manages, sync never changes
role or manager, only fills in names and the active flag. Users only the
platform knows are created as reps (department leaders as managers), with
managers taken from ``direct_leader`` or else their department's leader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from domain.models import Role, User
from domain.snapshot import snapshot
from domain.uow import UnitOfWork

SYNC_FIELDS = ("name", "role", "manager_id", "active", "wecom_userid", "dingtalk_userid")


@dataclass(frozen=True)
class PlatformDepartment:
    id: int
    name: str
    parent_id: int | None
    leaders: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformMember:
    userid: str
    name: str
    departments: tuple[int, ...] = ()
    main_department: int | None = None
    leader_in: tuple[int, ...] = ()  # departments this member leads
    direct_leaders: tuple[str, ...] = ()
    active: bool = True


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def _manager_of(member: PlatformMember, depts: dict[int, PlatformDepartment]) -> str | None:
    if member.direct_leaders:
        return member.direct_leaders[0]
    dept_id = member.main_department or (member.departments[0] if member.departments else None)
    seen: set[int] = set()
    while dept_id is not None and dept_id in depts and dept_id not in seen:
        seen.add(dept_id)
        leaders = [u for u in depts[dept_id].leaders if u != member.userid]
        if leaders and member.userid not in depts[dept_id].leaders:
            return leaders[0]
        dept_id = depts[dept_id].parent_id  # the member leads this department: their manager is above
    return None


def sync_members(
    uow: UnitOfWork, platform: str, departments: list[PlatformDepartment], members: list[PlatformMember]
) -> SyncResult:
    column = "wecom_userid" if platform == "wecom" else "dingtalk_userid"
    s = uow.session
    depts = {d.id: d for d in departments}
    leaders = {u for d in departments for u in d.leaders}
    by_pid: dict[str, User] = {getattr(u, column): u for u in s.scalars(select(User)) if getattr(u, column)}
    keys = set(s.scalars(select(User.key)))
    result = SyncResult()
    before: dict[str, dict[str, object] | None] = {}

    for m in members:
        user = by_pid.get(m.userid)
        before[m.userid] = snapshot(user, SYNC_FIELDS) if user else None
        if user is None:
            key = m.userid if m.userid not in keys else f"{platform}:{m.userid}"
            keys.add(key)
            user = User(key=key, name=m.name, role=Role.REP, active=m.active, managed_by_file=False)
            setattr(user, column, m.userid)
            s.add(user)
            by_pid[m.userid] = user
        user.name = m.name or user.name
        user.active = m.active
        if not user.managed_by_file and (m.leader_in or m.userid in leaders) and user.role == Role.REP:
            user.role = Role.MANAGER
    uow.flush()
    for m in members:
        user = by_pid[m.userid]
        if user.managed_by_file:
            continue  # the org file decides managers and roles
        manager_pid = _manager_of(m, depts)
        manager = by_pid.get(manager_pid) if manager_pid else None
        user.manager_id = manager.id if manager is not None and manager.id != user.id else None
    uow.flush()
    for m in members:
        user = by_pid[m.userid]
        after = snapshot(user, SYNC_FIELDS)
        prior = before[m.userid]
        if prior is None:
            uow.audit("user.create", "user", user.id, None, after)
            result.created.append(user.name)
        elif prior != after:
            uow.audit("user.sync", "user", user.id, prior, after)
            result.updated.append(user.name)
        else:
            result.unchanged += 1
    return result


def deactivate_platform_user(uow: UnitOfWork, platform: str, userid: str) -> User | None:
    """Someone left the company on the platform (e.g. DingTalk ``user_leave_org``): deactivate,
    never delete, so their customers and records keep an owner.  Only the active flag changes;
    org-file-managed users keep their file role and manager.  None when nobody active has
    that platform id (already gone, or never synced), so a repeated event changes nothing."""
    column = User.wecom_userid if platform == "wecom" else User.dingtalk_userid
    user = uow.session.scalar(select(User).where(column == userid, User.active.is_(True)))
    if user is None:
        return None
    before = snapshot(user, SYNC_FIELDS)
    user.active = False
    uow.flush()
    uow.audit("user.deactivate", "user", user.id, before, snapshot(user, SYNC_FIELDS))
    return user
