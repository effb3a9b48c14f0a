"""Reading the org file (YAML) into a domain ``OrgSpec``, keeping line numbers.

Errors name the line so an admin can fix the file; the domain checks the
relations (managers, cycles, duplicates) and writes nothing on any error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from domain.errors import OrgImportError
from domain.services.org import OrgSpec, TeamSpec, UserSpec

TEAM_KEYS = {
    "name": "name",
    "wecom_chat_id": "wecom_chat_id",
    "wecom_webhook_key": "wecom_webhook_key",
    "dingtalk_conversation_id": "dingtalk_conversation_id",
    "dingtalk_webhook_url": "dingtalk_webhook_url",
    "dingtalk_webhook_secret": "dingtalk_webhook_secret",
}
USER_KEYS = {"id", "name", "role", "team", "manager", "active", "wecom_userid", "dingtalk_userid"}


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: Node, problems: list[tuple[int | None, str]]) -> Any:
    if not isinstance(node, ScalarNode):
        problems.append((_line(node), "这里应是单个值 / expected a single value"))
        return None
    try:
        return yaml.safe_load(yaml.serialize(node))
    except yaml.YAMLError:
        # e.g. ``!!python/name:os.system``: SafeLoader refuses to construct it; say where.
        problems.append((_line(node), f"不支持的 YAML 标签 {node.tag} / unsupported YAML tag"))
        return None


def _mapping(node: Node, problems: list[tuple[int | None, str]]) -> dict[str, tuple[Node, Any]]:
    out: dict[str, tuple[Node, Any]] = {}
    if not isinstance(node, MappingNode):
        problems.append((_line(node), "这里应是键值对 / expected a mapping"))
        return out
    for k, v in node.value:
        key = str(_scalar(k, problems))
        out[key] = (v, _scalar(v, problems) if isinstance(v, ScalarNode) else None)
    return out


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def parse_org_yaml(text: str) -> OrgSpec:
    """Parse org YAML; raise ``OrgImportError`` listing every problem with its line."""
    problems: list[tuple[int | None, str]] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise OrgImportError(
            [(line, f"YAML 格式错误 / invalid YAML: {getattr(exc, 'problem', exc)}")]
        ) from None
    if root is None:
        raise OrgImportError([(None, "文件为空 / the file is empty")])
    top = _mapping(root, problems)
    spec = OrgSpec()
    unknown_top = set(top) - {"teams", "users"}
    for key in sorted(unknown_top):
        problems.append((_line(top[key][0]), f"未知字段：{key} / unknown key '{key}'"))

    teams_node = top.get("teams", (None, None))[0]
    if isinstance(teams_node, SequenceNode):
        for item in teams_node.value:
            fields = _mapping(item, problems)
            for key in set(fields) - set(TEAM_KEYS):
                problems.append((_line(fields[key][0]), f"未知字段：{key} / unknown key '{key}'"))
            name = _opt_str(fields.get("name", (None, None))[1])
            if not name:
                problems.append((_line(item), "团队缺少 name / team without a name"))
                continue
            spec.teams.append(
                TeamSpec(
                    name=name,
                    line=_line(item),
                    **{
                        attr: _opt_str(fields.get(key, (None, None))[1])
                        for key, attr in TEAM_KEYS.items()
                        if key != "name"
                    },
                )
            )
    elif teams_node is not None:
        problems.append((_line(teams_node), "teams 应是列表 / 'teams' must be a list"))

    users_node = top.get("users", (None, None))[0]
    if isinstance(users_node, SequenceNode):
        for item in users_node.value:
            fields = _mapping(item, problems)
            for key in set(fields) - USER_KEYS:
                problems.append((_line(fields[key][0]), f"未知字段：{key} / unknown key '{key}'"))

            def get(key: str, fields: dict[str, tuple[Node, Any]] = fields) -> Any:
                return fields.get(key, (None, None))[1]

            name = _opt_str(get("name"))
            if not name:
                problems.append((_line(item), "用户缺少 name / user without a name"))
                continue
            active = get("active")
            spec.users.append(
                UserSpec(
                    key=_opt_str(get("id"))
                    or _opt_str(get("wecom_userid"))
                    or _opt_str(get("dingtalk_userid"))
                    or name,
                    name=name,
                    role=_opt_str(get("role")) or "rep",
                    team=_opt_str(get("team")),
                    manager=_opt_str(get("manager")),
                    active=True if active is None else bool(active),
                    wecom_userid=_opt_str(get("wecom_userid")),
                    dingtalk_userid=_opt_str(get("dingtalk_userid")),
                    line=_line(item),
                )
            )
    elif users_node is not None:
        problems.append((_line(users_node), "users 应是列表 / 'users' must be a list"))
    else:
        problems.append((None, "缺少 users 列表 / missing 'users' list"))
    if problems:
        raise OrgImportError(problems)
    return spec


def load_org_file(path: Path) -> OrgSpec:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OrgImportError([(None, f"无法读取文件 / cannot read {path}: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise OrgImportError(
            [(line, "文件不是 UTF-8 编码（可能是 GBK）：请用记事本或编辑器另存为 UTF-8 / the file is not UTF-8")]
        ) from None
    return parse_org_yaml(text)
