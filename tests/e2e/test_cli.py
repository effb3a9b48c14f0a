"""The salesbot command as an admin uses it, on SQLite and PostgreSQL."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import EXAMPLE_ORG


def salesbot(db_url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESBOT_DATABASE_URL": db_url}
    env.pop("SALESBOT_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_db_upgrade_on_an_empty_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    r = salesbot(url, "db", "upgrade")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "fresh.db").exists()


def test_org_import_show_reimport(db_url: str) -> None:
    r = salesbot(db_url, "org", "import", str(EXAMPLE_ORG))
    assert r.returncode == 0, r.stderr
    assert "10 新建 created" in r.stdout
    shown = salesbot(db_url, "org", "show").stdout.splitlines()
    assert shown[0].startswith("王芳 [区域总监]")
    assert any(line.strip().startswith("└─ 张伟 [销售] · 华东销售一部") for line in shown)
    again = salesbot(db_url, "org", "import", str(EXAMPLE_ORG))
    assert "0 新建 created, 0 更新 updated, 10 未变 unchanged" in again.stdout


def test_broken_org_file_exits_nonzero_and_names_the_line(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "org.yaml"
    bad.write_text(
        EXAMPLE_ORG.read_text(encoding="utf-8").replace("manager: 李娜", "manager: 查无此人"),
        encoding="utf-8",
    )
    r = salesbot(db_url, "org", "import", str(bad))
    assert r.returncode == 1
    assert "第 26 行" in r.stderr and "unknown manager '查无此人'" in r.stderr
    assert "组织架构为空" in salesbot(db_url, "org", "show").stdout


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    r = salesbot(url, "demo", "--seed-only", "--database", url)
    assert r.returncode == 0, r.stderr
    return url


def test_csv_export_opens_in_excel(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "customers.csv"
    r = salesbot(demo_db, "export", "customers", "--out", str(out))
    assert r.returncode == 0, r.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "客户名称", "别名"]
    assert rows[1][1:3] == ["华为技术有限公司", "华为"]


def test_json_export_has_shanghai_times_and_full_names(demo_db: str) -> None:
    r = salesbot(demo_db, "export", "visits", "--format", "json")
    assert r.returncode == 0, r.stderr
    visits = json.loads(r.stdout)
    assert visits and "华为技术有限公司" in {v["customer"] for v in visits}  # full names, not aliases
    assert all(v["visited_at"].endswith("+08:00") for v in visits)
    opps = json.loads(salesbot(demo_db, "export", "opportunities", "--format", "json").stdout)
    assert {o["stage"] for o in opps} >= {"谈判", "评估", "潜在"}


@pytest.mark.parametrize("kind", ["contacts", "quotes", "contracts", "approvals"])
def test_every_export_kind_works(demo_db: str, kind: str) -> None:
    r = salesbot(demo_db, "export", kind, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert isinstance(json.loads(r.stdout), list)
