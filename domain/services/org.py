"""The org chart: teams, users, roles, managers.

The org file (YAML, parsed in ``bot/``) arrives as an ``OrgSpec`` whose items
carry their line numbers. ``import_org`` checks the whole spec first and
writes nothing unless every item is valid; re-importing the same spec
changes nothing, a changed one updates records in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from domain.errors import OrgImportError
from domain.models import Role, Team, User
from domain.snapshot import snapshot
from domain.uow import UnitOfWork

USER_FIELDS = ("key", "name", "role", "team_id", "manager_id", "active", "wecom_userid", "dingtalk_userid")
TEAM_FIELDS = (
    "name",
    "wecom_chat_id",
    "wecom_webhook_key",
    "dingtalk_conversation_id",
    "dingtalk_webhook_url",
    "dingtalk_webhook_secret",
)


@dataclass
class TeamSpec:
    name: str
    line: int | None = None
    wecom_chat_id: str | None = None
    wecom_webhook_key: str | None = None
    dingtalk_conversation_id: str | None = None
    dingtalk_webhook_url: str | None = None
    dingtalk_webhook_secret: str | None = None


@dataclass
class UserSpec:
    key: str
    name: str
    role: str = "rep"
    team: str | None = None
    manager: str | None = None  # another user's key or name
    active: bool = True
    wecom_userid: str | None = None
    dingtalk_userid: str | None = None
    line: int | None = None


@dataclass
class OrgSpec:
    teams: list[TeamSpec] = field(default_factory=list)
    users: list[UserSpec] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def _validate(spec: OrgSpec) -> dict[str, str | None]:
    """Every problem at once, with lines; returns each user's resolved manager key."""
    problems: list[tuple[int | None, str]] = []
    team_names: set[str] = set()
    for t in spec.teams:
        if not t.name:
            problems.append((t.line, "团队缺少名称 / team without a name"))
        elif t.name in team_names:
            problems.append((t.line, f"团队重复：{t.name} / duplicate team '{t.name}'"))
        team_names.add(t.name)

    roles = {r.value for r in Role}
    by_key: dict[str, UserSpec] = {}
    by_name: dict[str, list[UserSpec]] = {}
    seen_platform: dict[tuple[str, str], UserSpec] = {}
    for u in spec.users:
        if not u.key:
            problems.append((u.line, "用户缺少 id / user without an id"))
            continue
        if u.key in by_key:
            problems.append((u.line, f"用户 id 重复：{u.key} / duplicate user id '{u.key}'"))
        by_key[u.key] = u
        by_name.setdefault(u.name, []).append(u)
        if u.role not in roles:
            problems.append(
                (u.line, f"未知角色：{u.role}（可选 {', '.join(sorted(roles))}）/ unknown role '{u.role}'")
            )
        if u.team and u.team not in team_names:
            problems.append((u.line, f"未知团队：{u.team} / unknown team '{u.team}'"))
        for platform, value in (("wecom", u.wecom_userid), ("dingtalk", u.dingtalk_userid)):
            if value:
                other = seen_platform.get((platform, value))
                if other is not None:
                    problems.append(
                        (
                            u.line,
                            f"{platform} 账号重复：{value}（与第 {other.line} 行相同）"
                            f" / duplicate {platform} user id '{value}'",
                        )
                    )
                seen_platform[(platform, value)] = u

    managers: dict[str, str | None] = {}
    for u in spec.users:
        if not u.key:
            continue
        if not u.manager:
            managers[u.key] = None
            continue
        if u.manager in by_key:
            managers[u.key] = u.manager
        elif len(by_name.get(u.manager, [])) == 1:
            managers[u.key] = by_name[u.manager][0].key
        elif len(by_name.get(u.manager, [])) > 1:
            problems.append(
                (u.line, f"上级「{u.manager}」重名，请写 id / ambiguous manager '{u.manager}', use the id")
            )
        else:
            problems.append((u.line, f"未知上级：{u.manager} / unknown manager '{u.manager}'"))
        if managers.get(u.key) == u.key:
            problems.append((u.line, f"{u.name} 不能是自己的上级 / a user cannot manage themselves"))

    reported: set[str] = set()
    for start in managers:
        seen: list[str] = []
        cur: str | None = start
        while cur is not None and cur not in seen:
            seen.append(cur)
            cur = managers.get(cur)
        if cur is not None and cur == start and len(seen) > 1 and not reported.intersection(seen):
            reported.update(seen)
            names = " → ".join(by_key[k].name for k in [*seen, start])
            problems.append((by_key[start].line, f"上级关系形成循环：{names} / manager cycle: {names}"))
    if problems:
        raise OrgImportError(problems)
    return managers


def import_org(uow: UnitOfWork, spec: OrgSpec, *, max_deactivations: int | None = None) -> ImportResult:
    """Apply an org spec all-or-nothing; idempotent for an unchanged spec.

    ``max_deactivations`` guards against a file that lists only a few people
    (a draft, the wrong file): if more than that many users would be
    deactivated, nothing is written and the error names them.
    """
    managers = _validate(spec)
    s = uow.session
    created = updated = unchanged = 0

    teams: dict[str, Team] = {t.name: t for t in s.scalars(select(Team))}
    for ts in spec.teams:
        team = teams.get(ts.name)
        values = {f: getattr(ts, f) for f in TEAM_FIELDS}
        if team is None:
            team = Team(**values)
            s.add(team)
            teams[ts.name] = team
            uow.flush()
            uow.audit("team.create", "team", team.id, None, values)
            created += 1
        elif snapshot(team, TEAM_FIELDS) != values:
            before = snapshot(team, TEAM_FIELDS)
            for k, v in values.items():
                setattr(team, k, v)
            uow.flush()
            uow.audit("team.update", "team", team.id, before, values)
            updated += 1
        else:
            unchanged += 1

    existing: dict[str, User] = {u.key: u for u in s.scalars(select(User))}
    users: dict[str, User] = {}
    pending_audit: list[tuple[User, dict[str, Any] | None]] = []
    for us in spec.users:
        found = existing.get(us.key)
        prior_state = snapshot(found, USER_FIELDS) if found is not None else None
        user = found
        if user is None:
            user = User(key=us.key, name=us.name)
            s.add(user)
        user.name = us.name
        user.role = us.role
        user.team = teams[us.team] if us.team else None
        user.active = us.active
        user.wecom_userid = us.wecom_userid
        user.dingtalk_userid = us.dingtalk_userid
        user.managed_by_file = True
        users[us.key] = user
        pending_audit.append((user, prior_state))
    uow.flush()
    for us in spec.users:
        mk = managers.get(us.key)
        users[us.key].manager_id = users[mk].id if mk else None
    uow.flush()
    for user, prior in pending_audit:
        after = snapshot(user, USER_FIELDS)
        if prior is None:
            uow.audit("user.create", "user", user.id, None, after)
            created += 1
        elif prior != after:
            uow.audit("user.update", "user", user.id, prior, after)
            updated += 1
        else:
            unchanged += 1
    # People who left the file leave the org: deactivated, never deleted (records keep their owner).
    leaving = [u for key, u in existing.items() if key not in users and u.managed_by_file and u.active]
    if max_deactivations is not None and len(leaving) > max_deactivations:
        names = "、".join(u.name for u in leaving[:20]) + ("…" if len(leaving) > 20 else "")
        raise OrgImportError(
            [(None, f"此文件会停用 {len(leaving)} 名不在文件中的用户（{names}）；确认无误请加 --prune 再导入"
                    f" / this file would deactivate {len(leaving)} users: re-run with --prune if intended")]
        )  # fmt: skip
    for user in leaving:
        before = snapshot(user, USER_FIELDS)
        user.active = False
        uow.audit("user.deactivate", "user", user.id, before, snapshot(user, USER_FIELDS))
        updated += 1
    return ImportResult(created, updated, unchanged)


def find_user_by_platform(uow: UnitOfWork, platform: str, platform_user_id: str) -> User | None:
    column = User.wecom_userid if platform == "wecom" else User.dingtalk_userid
    return uow.session.scalar(select(User).where(column == platform_user_id, User.active.is_(True)))


def org_tree(uow: UnitOfWork) -> list[tuple[int, User]]:
    """Users in manager order as (depth, user), roots first; for ``salesbot org show``."""
    users = list(uow.session.scalars(select(User).order_by(User.id)))
    children: dict[int | None, list[User]] = {}
    ids = {u.id for u in users}
    for u in users:
        parent = u.manager_id if u.manager_id in ids else None
        children.setdefault(parent, []).append(u)
    out: list[tuple[int, User]] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in children.get(parent, []):
            out.append((depth, child))
            walk(child.id, depth + 1)

    walk(None, 0)
    return out
