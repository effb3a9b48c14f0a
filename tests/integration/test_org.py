"""The org file: all-or-nothing import, idempotent re-import, updates in place."""

import pytest
from sqlalchemy import func, select

from bot.orgfile import parse_org_yaml
from domain.db import Database
from domain.errors import OrgImportError
from domain.models import AuditEntry, User
from domain.services.org import find_user_by_platform, import_org, org_tree
from domain.uow import UnitOfWork
from tests.factories import EXAMPLE_ORG, load_example_org

ORG = EXAMPLE_ORG.read_text(encoding="utf-8")


def _import(db: Database, text: str):
    with UnitOfWork(db, actor_label="org-file") as uow:
        result = import_org(uow, parse_org_yaml(text))
        uow.commit()
    return result


def _count(db: Database, model) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_example_org_builds_the_tree(db: Database) -> None:
    result = _import(db, ORG)
    assert result.created == 2 + 8
    with UnitOfWork(db) as uow:
        tree = [(depth, u.name) for depth, u in org_tree(uow)]
        zhang = find_user_by_platform(uow, "wecom", "ZhangWei")
        assert zhang is not None and zhang.manager is not None and zhang.manager.name == "李娜"
        assert zhang.team is not None and zhang.team.wecom_chat_id == "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
        assert find_user_by_platform(uow, "dingtalk", "0155667788") == zhang
    assert tree[0] == (0, "王芳")
    assert (2, "张伟") in tree and (1, "李娜") in tree


def test_reimport_changes_nothing(db: Database) -> None:
    _import(db, ORG)
    audit_before = _count(db, AuditEntry)
    result = _import(db, ORG)
    assert (result.created, result.updated) == (0, 0)
    assert _count(db, AuditEntry) == audit_before


def test_changed_file_updates_in_place(db: Database) -> None:
    _import(db, ORG)
    with db.sessions() as s:
        zhang_id = s.scalar(select(User.id).where(User.key == "zhangwei"))
    changed = ORG.replace("    manager: 李娜\n", "    manager: chenjing\n").replace(
        "  - id: sunli\n    name: 孙丽\n    role: legal\n    wecom_userid: SunLi\n", ""
    )
    result = _import(db, changed)
    assert result.created == 0 and result.updated == 2
    with db.sessions() as s:
        zhang = s.get(User, zhang_id)
        assert zhang is not None and zhang.manager is not None and zhang.manager.key == "chenjing"
        sunli = s.scalar(select(User).where(User.key == "sunli"))
        assert sunli is not None and sunli.active is False  # left the file: deactivated, not deleted


@pytest.mark.parametrize(
    ("edit", "line", "words"),
    [
        (("    manager: 李娜\n", "    manager: 不存在的人\n"), 26, "unknown manager"),
        (("  - id: liuyang\n", "  - id: lina\n"), 33, "duplicate user id"),
        (("    role: finance\n", "    role: boss\n"), 55, "unknown role"),
        (("    wecom_userid: LiuYang\n", "    wecom_userid: ZhangWei\n"), 33, "duplicate wecom user id"),
        (("    role: director\n", "    role: director\n    manager: chenjing\n"), 15, "manager cycle"),
        (("    team: 华南销售部\n", "    team: 西北销售部\n"), 39, "unknown team"),
    ],
)
def test_broken_file_writes_nothing_and_says_where(db: Database, edit, line: int, words: str) -> None:
    broken = ORG.replace(*edit, 1)
    assert broken != ORG
    with pytest.raises(OrgImportError) as err:
        _import(db, broken)
    assert f"第 {line} 行" in err.value.message and words in err.value.message
    assert _count(db, User) == 0 and _count(db, AuditEntry) == 0


def test_broken_change_leaves_previous_org_intact(db: Database) -> None:
    _import(db, ORG)
    with pytest.raises(OrgImportError):
        _import(
            db, ORG.replace("    role: rep\n", "    role: boss\n", 1).replace("name: 张伟", "name: 张伟伟")
        )
    with db.sessions() as s:
        assert s.scalar(select(User.name).where(User.key == "zhangwei")) == "张伟"


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(OrgImportError) as err:
        parse_org_yaml("users:\n  - name: 张三\n    role: [rep\n")
    assert "invalid YAML" in err.value.message and "第 " in err.value.message


def test_audit_names_the_org_file_as_actor(db: Database) -> None:
    load_example_org(db)
    with db.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).first()
        assert entry is not None and entry.actor_label == "org-file" and entry.after is not None
