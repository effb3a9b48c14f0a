"""How long ``salesbot import`` takes for 10,000 spreadsheet rows, on SQLite and PostgreSQL.

Run: ``.venv/bin/python bench/import_bench.py [--rows 10000] [--db sqlite|postgres|both]``

Goal (issue #10): 10,000 rows in under 30 s. Two sheets are generated as
.xlsx, like the messy ones sales teams keep: a customers sheet (one row per
contact, each company written two or three ways — 有限公司 / 有限责任公司,
with and without the city, stray spaces, full-width letters, an occasional
short name), then an opportunities sheet for the same companies with "38万"
amounts, Excel date cells and stage words from other CRMs. Each is imported
into a fresh, migrated database with the example org (the same code path
as the CLI: read the file → plan → write → commit) and the seconds are
printed per phase. A second run of the same file is timed as well: it must
write nothing.

PostgreSQL is used when reachable at postgresql://postgres@127.0.0.1:5432/test
(set BENCH_PG_URL for another server); a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
GOAL_SECONDS = 30.0

CITIES = ["苏州", "上海", "深圳", "杭州", "南京", "无锡", "宁波", "广州", "成都", "武汉", "青岛", "厦门"]
SYLLABLES = list("华宏鑫盛泰恒瑞德信达通昌隆兴源丰嘉禾博远创新立凯腾飞翔宇辰星明光海川峰")
TRADES = ["机械", "精密机械", "电子", "自动化", "新材料", "包装", "环保设备", "物流", "纺织", "医疗器械", "化工", "模具"]
OWNERS = ["张伟", "刘洋", "zhangwei", "LiuYang", "赵磊", "ZhaoLei", "李娜", "陈静"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂")
STAGES = ["初步接触", "潜在", "方案", "评估", "商务谈判", "谈判", "赢单", "输单"]


def companies(n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """``n`` distinct companies as (city, core, trade); cores are 3 syllables, so none abbreviates another."""
    seen: set[str] = set()
    out = []
    while len(out) < n:
        core = "".join(rng.sample(SYLLABLES, 3))
        if core in seen:
            continue
        seen.add(core)
        out.append((rng.choice(CITIES), core, rng.choice(TRADES)))
    return out


def spelling(city: str, core: str, trade: str, rng: random.Random) -> str:
    """One of the ways people write the company's name."""
    variant = rng.random()
    if variant < 0.55:
        return f"{city}{core}{trade}有限公司"
    if variant < 0.70:
        return f"{core}{trade}有限责任公司"
    if variant < 0.80:
        return f"{city}市 {core}{trade} 有限公司"
    if variant < 0.90:
        return f"{core}{trade}（{city}）有限公司"
    return f"{city}{core}{trade}有限公司".replace("有限公司", "有限公司 ")


def mobile(rng: random.Random) -> str:
    number = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    style = rng.random()
    if style < 0.6:
        return number
    if style < 0.8:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    return f"+86 {number[:3]} {number[3:7]} {number[7:]}"


def make_sheets(rows: int, workdir: Path, seed: int = 10) -> tuple[Path, Path, int]:
    """The customers and opportunities .xlsx files, and how many distinct companies they name."""
    import openpyxl

    rng = random.Random(seed)
    firms = companies(max(1, rows * 2 // 5), rng)
    owner_of = {core: rng.choice(OWNERS) for _, core, _ in firms}

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["客户清单（基准测试）"])
    ws.merge_cells("A1:H1")
    ws.append(["客户名称", "负责人", "级别", "行业", "联系人", None, None, "地区"])
    ws.append([None, None, None, None, "姓名", "手机", "邮箱", None])
    for col in "ABCDH":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("E2:G2")
    people: set[tuple[str, str]] = set()
    for i in range(rows):
        city, core, trade = firms[i % len(firms)] if i < len(firms) else rng.choice(firms)
        name = f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(GIVEN)}"
        while (core, name) in people:
            name = f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(GIVEN)}"
        people.add((core, name))
        ws.append(
            [
                spelling(city, core, trade, rng),
                owner_of[core],
                rng.choice(["A", "B", "C", None]) if i < len(firms) else None,
                trade if i < len(firms) else None,
                name,
                mobile(rng),
                f"c{i}@example.com" if rng.random() < 0.4 else None,
                city if i < len(firms) else None,
            ]
        )
        if rng.random() < 0.01:
            ws.append([None] * 8)  # stray blank rows
    customers = workdir / "customers.xlsx"
    wb.save(customers)

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["客户名称", "商机名称", "负责人", "阶段", "金额", "预计成交日期"])
    base = datetime(2026, 12, 1)
    for i in range(rows):
        city, core, trade = rng.choice(firms)
        amount: Any = rng.choice([f"{rng.randint(5, 300)}万", f"¥{rng.randint(10_000, 3_000_000):,}.00", rng.randint(10_000, 900_000)])
        ws.append(
            [
                spelling(city, core, trade, rng),
                f"{core} 项目 {i:05d}",
                owner_of[core],
                rng.choice(STAGES),
                amount,
                base + timedelta(days=rng.randint(0, 200)),
            ]
        )
    opportunities = workdir / "opportunities.xlsx"
    wb.save(opportunities)
    return customers, opportunities, len(firms)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run(url: str, label: str, sheets: list[tuple[str, Path]]) -> bool:
    from bot.importing.read import load_table
    from domain.clock import SystemClock
    from domain.db import Database
    from domain.services.importing import ImportKind, run_import
    from domain.uow import UnitOfWork
    from tests.factories import load_example_org

    db = Database(url)
    ok = True
    try:
        load_example_org(db)
        for kind_name, path in sheets:
            kind = ImportKind(kind_name)
            for attempt in ("first", "again"):
                read_s, (table, _) = timed(lambda p=path, k=kind: load_table(p, k))

                def work(t: Any = table, k: str = kind_name) -> Any:
                    with UnitOfWork(db, SystemClock(), actor_label="import", cause=f"bench:{k}") as uow:
                        report = run_import(uow, t, skip_invalid=True)
                        uow.commit()
                    return report

                import_s, report = timed(work)
                total = read_s + import_s
                ok = ok and total < GOAL_SECONDS
                if attempt == "again":
                    ok = ok and report.changes == 0
                print(
                    f"{label:<8} {kind_name:<13} {attempt:<5} rows={len(table.rows):>6}  read {read_s:6.2f} s  "
                    f"plan+write {import_s:6.2f} s  total {total:6.2f} s   "
                    f"customers +{len(report.customers.created)} ~{len(report.customers.updated)}  "
                    f"contacts +{len(report.contacts.created)}  opportunities +{len(report.opportunities.created)}"
                    f" ~{len(report.opportunities.updated)}  rejected {len(report.rejected)}",
                    flush=True,
                )
    finally:
        db.dispose()
    return ok


def postgres_reachable() -> bool:
    parsed = urlparse(PG_ADMIN_URL)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()

    from bot.migrate import upgrade

    ok = True
    with tempfile.TemporaryDirectory(prefix="salesbot-import-bench-") as tmp:
        workdir = Path(tmp)
        gen_s, (customers, opportunities, firms) = timed(lambda: make_sheets(args.rows, workdir))
        print(f"generated 2 × {args.rows} rows naming {firms} companies in {gen_s:.1f} s (not counted)")
        sheets = [("customers", customers), ("opportunities", opportunities)]
        if args.db in ("sqlite", "both"):
            url = f"sqlite:///{workdir / 'bench.db'}"
            upgrade(url)
            ok = run(url, "sqlite", sheets) and ok
        if args.db in ("postgres", "both"):
            if not postgres_reachable():
                print(f"postgres: not reachable at {PG_ADMIN_URL}, skipped")
            else:
                import psycopg

                name = f"salesbot_bench_{uuid.uuid4().hex[:8]}"
                admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                try:
                    url = admin.rsplit("/", 1)[0] + "/" + name
                    upgrade(url)
                    ok = run(url, "postgres", sheets) and ok
                finally:
                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"goal: each import of {args.rows} rows < {GOAL_SECONDS:.0f} s, repeat writes nothing — {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
