"""Pulling the org chart from a platform's contacts (WeCom departments and members).

The org file stays authoritative: for users it manages, sync never changes
role, manager or team, only fills in names and the active flag. Users only the
platform knows are created as reps (department leaders as managers), with
managers taken from ``direct_leader`` or else their department's leader.

Teams come from departments: with ``team_level`` N (``SALESBOT_ORG_TEAM_LEVEL``,
default 2 — the company is level 1, 华东销售部 under it level 2), every department
at level N becomes a team of the same name, and a platform user belongs to the
team of their main department's level-N ancestor (people above that level, e.g.
the CEO, have none). A team follows its department by id, so renaming the
department renames the team. The level applies alike to ``salesbot org sync``
and to address-book events (``bot/dingtalk/orgevents.py``). A team's group chat is set once, by the org file or
``salesbot org team-chat 华东销售部 CHAT_ID``; sync never touches it.

A department deleted on the platform (WeCom ``delete_party``, DingTalk ``org_dept_remove``)
retires its team (:func:`retire_department_team`): ``teams.active`` False, so no leaderboard
and no listing as a team, but the team row, its bound department id, its members and every
sales record stay (where its people went comes with their own address-book events or the
next sync).  The same department id seen again by
:func:`sync_teams` revives the team.  A full sync (``salesbot org sync``, ``complete=True``)
repairs a deletion event that never arrived: a live team whose department id is missing from
the platform's whole department list is retired the same way (:func:`retire_missing_teams`),
but only from a listing that came back whole; an empty listing, or one with no department at
the team level, retires nothing.  A retired team keeps its name until a live department needs
it: then it steps aside as 「名称（已停用）」, so names stay unique and a name means the live team.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from domain.errors import NotFound, ValidationFailed
from domain.models import Role, Team, User
from domain.snapshot import snapshot
from domain.uow import UnitOfWork

log = logging.getLogger(__name__)

SYNC_FIELDS = ("name", "role", "manager_id", "team_id", "active", "wecom_userid", "dingtalk_userid")
DEFAULT_TEAM_LEVEL = 2


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
    teams_created: list[str] = field(default_factory=list)
    teams_renamed: list[tuple[str, str]] = field(default_factory=list)  # (old, new): the department was renamed
    teams_revived: list[str] = field(default_factory=list)  # its deleted department's id came back
    teams_retired: list[tuple[int, str]] = field(default_factory=list)  # (department id, name): gone from the listing
    retire_skipped: bool = False  # a complete sync whose listing looked broken: no team retired


def _chain(dept_id: int | None, depts: dict[int, PlatformDepartment]) -> list[int]:
    """The department and its ancestors, root first (a cycle or an unknown parent ends it)."""
    chain: list[int] = []
    while dept_id is not None and dept_id in depts and dept_id not in chain:
        chain.append(dept_id)
        dept_id = depts[dept_id].parent_id
    return chain[::-1]


def _levels(dept_id: int | None, depts: dict[int, PlatformDepartment]) -> list[int | None]:
    """The chain root first, with None for a parent the app cannot see (e.g. the company's root
    department, id 1 on both platforms, outside the app's visible range): levels stay absolute."""
    chain: list[int | None] = list(_chain(dept_id, depts))
    if chain and depts[chain[0]].parent_id is not None:  # type: ignore[index]
        chain.insert(0, None)
    return chain


def team_department(member: PlatformMember, depts: dict[int, PlatformDepartment], level: int) -> int | None:
    """The level-``level`` department above (or at) the member's main department; None above that level."""
    main = member.main_department or (member.departments[0] if member.departments else None)
    chain = _levels(main, depts)
    return chain[level - 1] if level >= 1 and len(chain) >= level else None


def _team_departments(departments: list[PlatformDepartment], level: int) -> dict[int, str]:
    """The departments at ``level`` with a usable name: id → the team's name."""
    depts = {d.id: d for d in departments}
    return {d.id: d.name.strip()[:100] for d in departments if len(_levels(d.id, depts)) == level and d.name.strip()}


RETIRED_MARK = "（已停用）"


def _step_aside(uow: UnitOfWork, holder: Team) -> None:
    """A retired team gives its name up to a live department of the same name (audited).

    Why rename the old one rather than allow two teams one name: every lookup by name (the org
    file, ``org team-chat``, reports) then means the live team, and the retired team's history
    stays readable under 「名称（已停用）」 (or with its id when that is taken too).
    """
    s = uow.session
    new = holder.name[: 100 - len(RETIRED_MARK)] + RETIRED_MARK
    if s.scalar(select(Team.id).where(Team.name == new)) is not None:
        mark = f"（已停用 {holder.id}）"
        new = holder.name[: 100 - len(mark)] + mark
    before = {"name": holder.name}
    holder.name = new
    uow.flush()
    uow.audit("team.rename", "team", holder.id, before, {"name": new, "retired": True})


def sync_teams(
    uow: UnitOfWork,
    departments: list[PlatformDepartment],
    level: int,
    platform: str = "wecom",
    renamed: list[tuple[str, str]] | None = None,
    revived: list[str] | None = None,
) -> tuple[dict[int, Team], list[str]]:
    """A team for every department at ``level``, by department id (audited).

    A team follows its department by id (``teams.<platform>_department_id``): a renamed
    department renames its team in place (members, chats and history stay), and a team
    retired when its department was deleted is live again (``revived``).  A department
    with no team yet takes the unbound team of its name (the org file's, or one synced before
    teams remembered their department), else a new team is created.
    """
    column = Team.wecom_department_id if platform == "wecom" else Team.dingtalk_department_id
    attr = column.key
    wanted = _team_departments(departments, level)
    s = uow.session
    bound = {getattr(t, attr): t for t in s.scalars(select(Team).where(column.in_(set(wanted))))}
    created: list[str] = []
    out: dict[int, Team] = {}
    for dept_id, name in sorted(wanted.items()):
        team = bound.get(dept_id)
        was_retired = team is not None and not team.active
        if team is not None and not team.active:
            team.active = True
            uow.flush()
            uow.audit("team.revive", "team", team.id, {"active": False}, {"active": True, "department": dept_id})
        if team is not None and team.name != name:
            target = name
            clash = s.scalar(select(Team).where(Team.name == name, Team.id != team.id))
            if clash is not None and not clash.active:
                _step_aside(uow, clash)
                clash = None
            if clash is not None and was_retired:  # back, but a live team took the name meanwhile
                target = f"{name}（{dept_id}）"[:100]
                clash = s.scalar(select(Team).where(Team.name == target, Team.id != team.id))
            if clash is None and team.name != target:
                before = {"name": team.name}
                if renamed is not None:
                    renamed.append((team.name, target))
                team.name = target
                uow.flush()
                uow.audit("team.rename", "team", team.id, before, {"name": target, "department": dept_id})
            elif clash is not None:  # another team already has the new name: keep ours as it is, say so in the log
                log.warning("department %s renamed to %r, a name another team has; team %r kept", dept_id, name, team.name)
        if was_retired and revived is not None and team is not None:
            revived.append(team.name)  # under the name it is live with
        if team is None:
            team = s.scalar(select(Team).where(Team.name == name))
            if team is not None and not team.active:  # a retired team's name: the live department takes it
                _step_aside(uow, team)
                team = None
            elif team is not None and getattr(team, attr) is None:
                setattr(team, attr, dept_id)
                uow.flush()
                uow.audit("team.bind", "team", team.id, {attr: None}, {attr: dept_id})
            elif team is not None:  # the name belongs to another department's team: a new name
                team = None
                name = f"{name}（{dept_id}）"[:100]
        if team is None:
            team = Team(name=name)
            setattr(team, attr, dept_id)
            s.add(team)
            uow.flush()
            uow.audit("team.create", "team", team.id, None, {"name": team.name, "department": dept_id})
            created.append(name)
        out[dept_id] = team
    return out, created


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
    uow: UnitOfWork,
    platform: str,
    departments: list[PlatformDepartment],
    members: list[PlatformMember],
    team_level: int = DEFAULT_TEAM_LEVEL,
    complete: bool = False,
) -> SyncResult:
    """Sync ``members`` (all of them, or one event's people) and the teams of ``departments``.

    ``complete`` says ``departments`` is the platform's whole list, read without an error
    (``salesbot org sync``): only then are teams whose department is missing retired, before
    the teams are synced, so a new department may take a retired team's name in the same run.
    An event's sync passes False: it never retires anything.
    """
    column = "wecom_userid" if platform == "wecom" else "dingtalk_userid"
    s = uow.session
    depts = {d.id: d for d in departments}
    result = SyncResult()
    if complete:
        retired = retire_missing_teams(uow, platform, departments, team_level)
        result.retire_skipped = retired is None
        result.teams_retired = [(dept_id, team.name) for dept_id, team in retired or []]
    teams, result.teams_created = sync_teams(
        uow, departments, team_level, platform, result.teams_renamed, result.teams_revived
    )
    leaders = {u for d in departments for u in d.leaders}
    by_pid: dict[str, User] = {getattr(u, column): u for u in s.scalars(select(User)) if getattr(u, column)}
    keys = set(s.scalars(select(User.key)))
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
        team_dept = team_department(m, depts, team_level)
        if team_dept is not None or m.main_department is not None or m.departments:
            user.team_id = teams[team_dept].id if team_dept in teams else None
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


def retire_department_team(uow: UnitOfWork, platform: str, department_id: int) -> Team | None:
    """The platform deleted department ``department_id``: its team is no longer live (audited).

    Only ``teams.active`` changes: the team keeps its name, chats and department id (so the
    id coming back revives it), its members keep their team until their own events or the
    next sync move them, and no user or sales record is touched.  None when no live team
    follows that department (a sub-department below the team level, one never synced, or a
    repeated event), so nothing is audited twice.
    """
    column = Team.wecom_department_id if platform == "wecom" else Team.dingtalk_department_id
    team = uow.session.scalar(select(Team).where(column == department_id, Team.active.is_(True)))
    if team is None:
        return None
    team.active = False
    uow.flush()
    uow.audit(
        "team.retire",
        "team",
        team.id,
        {"active": True},
        {"active": False, "name": team.name, "platform": platform, "department": department_id},
    )
    return team


def retire_missing_teams(
    uow: UnitOfWork, platform: str, departments: list[PlatformDepartment], level: int
) -> list[tuple[int, Team]] | None:
    """Retire every live team whose department id is not in ``departments``, the platform's
    whole department list (a deletion event that was lost); [(department id, team)].

    The caller vouches that the listing is complete (read to the end without an error).  A
    listing that is empty or has no department at the team level at all is taken for a broken
    answer, not for a company that deleted every sales department: None, nothing retired.
    Teams with no department on this platform (the org file's) are never touched, and a
    department still listed but moved off the team level keeps its team.
    """
    if not _team_departments(departments, level):
        log.warning("%s department list has no department at level %s; no team retired", platform, level)
        return None
    column = Team.wecom_department_id if platform == "wecom" else Team.dingtalk_department_id
    listed = {d.id for d in departments}
    gone = uow.session.scalars(
        select(column).where(column.is_not(None), column.not_in(listed), Team.active.is_(True)).order_by(column)
    ).all()
    out: list[tuple[int, Team]] = []
    for dept_id in gone:
        assert dept_id is not None  # the query's is_not(None)
        team = retire_department_team(uow, platform, dept_id)
        if team is not None:
            out.append((dept_id, team))
    return out


def retired_team_notice(platform: str, department_id: int, team_name: str) -> str:
    """What admins are told when a deleted department retired a team (Simplified Chinese)."""
    where = "企业微信" if platform == "wecom" else "钉钉"
    return (
        f"【管理员提醒】{where}通讯录里的部门（ID {department_id}）已删除，团队「{team_name}」已停用："
        "不再向它的群聊发送周排行榜，也不再作为团队出现在排行榜和报表里。"
        "成员和全部销售记录都保留，成员所属团队以平台的调整和下次同步为准。"
        "若同一 ID 的部门重新出现，团队会自动恢复。"
    )


def revived_team_notice(platform: str, team_name: str) -> str:
    where = "企业微信" if platform == "wecom" else "钉钉"
    return f"【管理员提醒】{where}通讯录里团队「{team_name}」的部门又出现了，团队已恢复，周排行榜照常发送。"


class TeamRetired(ValidationFailed):
    """``org team-chat`` named a team retired with its deleted department."""

    code = "team_retired"

    def __init__(self, team_name: str, live_names: str) -> None:
        super().__init__(
            f"团队「{team_name}」已停用（它的部门已在平台上删除），不能设置群聊。"
            f"现有团队：{live_names or '（还没有团队）'}"
        )
        self.team_name = team_name


def bind_team_chat(uow: UnitOfWork, team_name: str, platform: str, chat_id: str) -> Team:
    """Set the group chat the team's Monday leaderboard goes to (``salesbot org team-chat``), audited.

    Only a live team: a retired one gets no leaderboard, so binding its chat would look done
    and do nothing (:class:`TeamRetired`)."""
    if platform not in ("wecom", "dingtalk"):
        raise ValidationFailed(f"平台只能是 wecom 或 dingtalk，不是「{platform}」")
    chat_id = chat_id.strip()
    if not chat_id or len(chat_id) > 128:
        raise ValidationFailed("群聊 ID 不能为空，且不超过 128 个字符")
    team = uow.session.scalar(select(Team).where(Team.name == team_name.strip()))
    names = "、".join(uow.session.scalars(select(Team.name).where(Team.active.is_(True)).order_by(Team.name)))
    if team is None:
        raise NotFound(f"没有名为「{team_name}」的团队。现有团队：{names or '（还没有团队）'}")
    if not team.active:  # its board is never posted: a chat bound now would silently get nothing
        raise TeamRetired(team.name, names)
    column = "wecom_chat_id" if platform == "wecom" else "dingtalk_conversation_id"
    before = {column: getattr(team, column)}
    setattr(team, column, chat_id)
    uow.flush()
    uow.audit("team.chat", "team", team.id, before, {column: chat_id})
    return team
