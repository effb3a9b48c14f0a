"""Careless and hostile org files get messages, not tracebacks; a file that would empty the org needs --prune (#19, pt 12)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import salesbot
from tests.factories import EXAMPLE_ORG

ONE_USER = """users:
  - id: zhangwei
    name: 张伟
    role: rep
"""


def test_gbk_org_file_is_refused_with_the_encoding_named(db_url: str, tmp_path: Path) -> None:
    gbk = tmp_path / "org.yaml"
    gbk.write_bytes(EXAMPLE_ORG.read_text(encoding="utf-8").encode("gbk"))
    r = salesbot(db_url, "org", "import", str(gbk))
    assert r.returncode == 1
    assert "不是 UTF-8 编码" in r.stderr and "Traceback" not in r.stderr


def test_python_tag_is_refused_with_its_line(db_url: str, tmp_path: Path) -> None:
    tagged = tmp_path / "org.yaml"
    tagged.write_text("users:\n  - id: x\n    name: !!python/name:os.system\n", encoding="utf-8")
    r = salesbot(db_url, "org", "import", str(tagged))
    assert r.returncode == 1
    assert "第 3 行" in r.stderr and "不支持的 YAML 标签" in r.stderr and "Traceback" not in r.stderr


def test_a_file_that_would_deactivate_most_users_needs_prune(db_url: str, tmp_path: Path) -> None:
    assert salesbot(db_url, "org", "import", str(EXAMPLE_ORG)).returncode == 0
    short = tmp_path / "org.yaml"
    short.write_text(ONE_USER, encoding="utf-8")
    refused = salesbot(db_url, "org", "import", str(short))
    assert refused.returncode == 1
    assert "此文件会停用 7 名" in refused.stderr and "--prune" in refused.stderr
    assert "李娜" in salesbot(db_url, "org", "show").stdout  # nothing written
    pruned = salesbot(db_url, "org", "import", "--prune", str(short))
    assert pruned.returncode == 0, pruned.stderr
    assert "8 更新 updated"  # 7 deactivated, 张伟 loses his team in pruned.stdout
