"""``salesbot import`` as an admin runs it: a subprocess against a migrated SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import EXAMPLE_ORG

EXAMPLES = EXAMPLE_ORG.parent / "import"


def salesbot(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESBOT_DATABASE_URL": db_url}
    env.pop("SALESBOT_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'salesbot.db'}"
    for args in (("db", "upgrade"), ("org", "import", str(EXAMPLE_ORG))):
        r = salesbot(url, *args)
        assert r.returncode == 0, r.stderr
    return url


def _customers(db_url: str) -> list[dict[str, object]]:
    r = salesbot(db_url, "export", "customers", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows: list[dict[str, object]] = json.loads(r.stdout)
    return rows


def test_dry_run_then_import_then_repeat(db_url: str) -> None:
    sheet = str(EXAMPLES / "customers.xlsx")
    dry = salesbot(db_url, "import", "customers", sheet, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "工作表「客户清单」" in dry.stdout and "表头在第 3 行" in dry.stdout
    assert "+ 苏州精工机械有限公司：负责人 刘洋；别名 精工机械有限责任公司（第 5、6 行）" in dry.stdout
    assert "= 「精工机械有限责任公司」→ 苏州精工机械有限公司（同一客户的不同写法）（第 6 行）" in dry.stdout
    assert "结果：试运行，未写入任何数据" in dry.stdout
    assert _customers(db_url) == []

    real = salesbot(db_url, "import", "customers", sheet)
    assert real.returncode == 0, real.stderr
    assert "客户 新建 4" in real.stdout and "结果：已写入" in real.stdout
    customers = {c["name"]: c for c in _customers(db_url)}
    assert set(customers) == {"华为技术有限公司", "苏州精工机械有限公司", "深圳市大疆创新科技有限公司", "上海宝钢股份有限公司"}
    assert customers["苏州精工机械有限公司"]["aliases"] == "精工机械有限责任公司"
    assert customers["华为技术有限公司"]["owner"] == "张伟"

    for kind, name in (("contacts", "contacts.csv"), ("opportunities", "opportunities.xlsx")):
        r = salesbot(db_url, "import", kind, str(EXAMPLES / name))
        assert r.returncode == 0, r.stdout + r.stderr
    opps = json.loads(salesbot(db_url, "export", "opportunities", "--format", "json").stdout)
    amounts = {o["name"]: (o["stage"], o["amount"], o["expected_close_date"]) for o in opps}
    assert amounts["华为 2027 年产线改造"] == ("谈判", "380000.00", "2026-12-20")

    again = salesbot(db_url, "import", "customers", sheet)
    assert again.returncode == 0
    assert "客户 新建 0、更新 0、未变 4" in again.stdout and "没有需要写入的变化" in again.stdout


def test_a_bad_phone_drops_the_phone_not_the_customer(db_url: str, tmp_path: Path) -> None:
    sheet = tmp_path / "客户.csv"
    sheet.write_bytes(
        "公司名称,负责人,联系人,手机\r\n华为技术有限公司,张伟,王强,13800138000\r\n腾讯科技有限公司,张伟,马明,1380013\r\n".encode(
            "gbk"
        )
    )
    done = salesbot(db_url, "import", "customers", str(sheet))
    assert done.returncode == 0, done.stdout
    assert "第 3 行：手机号格式不正确：「1380013」" in done.stdout and "已略去该值" in done.stdout
    assert sorted(c["name"] for c in _customers(db_url)) == ["华为技术有限公司", "腾讯科技有限公司"]


def test_a_row_without_a_customer_name_is_rejected(db_url: str, tmp_path: Path) -> None:
    sheet = tmp_path / "客户.csv"
    sheet.write_bytes("公司名称,负责人,联系人,手机\r\n华为技术有限公司,张伟,王强,13800138000\r\n,张伟,马明,13800138001\r\n".encode("gbk"))
    refused = salesbot(db_url, "import", "customers", str(sheet))
    assert refused.returncode == 1
    assert "✗ 第 3 行：缺少客户名称" in refused.stdout
    assert "未写入任何数据" in refused.stdout
    assert _customers(db_url) == []

    skipped = salesbot(db_url, "import", "customers", str(sheet), "--skip-invalid")
    assert skipped.returncode == 0
    assert "已跳过被拒绝的 1 行" in skipped.stdout
    assert [c["name"] for c in _customers(db_url)] == ["华为技术有限公司"]


def test_unusable_files_exit_2(db_url: str, tmp_path: Path) -> None:
    old = tmp_path / "客户.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    r = salesbot(db_url, "import", "customers", str(old))
    assert r.returncode == 2 and "另存为 .xlsx" in r.stderr
    headless = tmp_path / "x.csv"
    headless.write_text("名字,电话\n华为,123\n", encoding="utf-8")
    r = salesbot(db_url, "import", "customers", str(headless))
    assert r.returncode == 2 and "找不到必需的列：客户名称" in r.stderr
