"""The customer index: one per process, current across workers and processes, at a constant cost."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from domain.clock import FixedClock
from domain.db import Database
from domain.models import Customer, User
from domain.names import normalize_name
from domain.services.customers import add_alias, create_customer, find_customers
from domain.uow import UnitOfWork
from tests.factories import EXAMPLE_ORG, load_example_org


@pytest.fixture
def two_workers(db_url: str, clock: FixedClock) -> Iterator[tuple[Database, Database]]:
    """Two Database objects on one database: what two worker processes have (each its own index)."""
    first, second = Database(db_url), Database(db_url)
    load_example_org(first, clock)
    yield first, second
    first.dispose()
    second.dispose()


def _names(db: Database, clock: FixedClock, text: str) -> list[str]:
    with UnitOfWork(db, clock) as uow:
        return [m.customer.name for m in find_customers(uow, text)]


def test_a_customer_added_or_renamed_by_one_worker_is_found_by_the_other(
    two_workers: tuple[Database, Database], clock: FixedClock
) -> None:
    a, b = two_workers
    assert _names(a, clock, "国联") == []  # a's index is built now, before b writes
    with UnitOfWork(b, clock) as uow:
        create_customer(uow, "柳州国联运输集团有限公司")
        uow.commit()
    assert _names(a, clock, "国联") == ["柳州国联运输集团有限公司"]
    with UnitOfWork(b, clock) as uow:
        customer = uow.session.scalar(select(Customer).where(Customer.name == "柳州国联运输集团有限公司"))
        assert customer is not None
        customer.name = "柳州国通运输集团有限公司"
        add_alias(uow, customer, "柳运")
        uow.commit()
    assert _names(a, clock, "国联") == []
    assert _names(a, clock, "国通") == ["柳州国通运输集团有限公司"]
    assert _names(a, clock, "柳运") == ["柳州国通运输集团有限公司"]


def test_an_uncommitted_customer_never_reaches_another_worker(
    two_workers: tuple[Database, Database], clock: FixedClock
) -> None:
    a, b = two_workers
    assert _names(b, clock, "无锡华晟") == []  # b's shared index exists before its own write
    with UnitOfWork(b, clock) as uow:
        create_customer(uow, "无锡华晟汽车零部件有限公司")
        find_customers(uow, "无锡华晟")  # its own transaction may see it; the shared index must not keep it
        # rolled back on exit
    with UnitOfWork(a, clock) as uow:
        create_customer(uow, "常州天合智能装备有限公司")
        uow.commit()
    assert _names(b, clock, "无锡华晟") == []
    assert _names(b, clock, "常州天合") == ["常州天合智能装备有限公司"]


class _Statements:
    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def _bulk_customers(db: Database, clock: FixedClock, start: int, n: int) -> None:
    with UnitOfWork(db, clock) as uow:
        rows = [
            {
                "name": f"测试{i}号客户贸易有限公司",
                "normalized_name": normalize_name(f"测试{i}号客户贸易有限公司"),
                "tags": [],
                "status": "active",
                "created_at": clock.now(),
            }
            for i in range(start, start + n)
        ]
        uow.session.execute(insert(Customer), rows)
        uow.commit()


def test_a_lookup_costs_the_same_statements_with_10_or_2000_customers(
    db: Database, clock: FixedClock
) -> None:
    with UnitOfWork(db, clock) as uow:
        create_customer(uow, "柳州国联运输集团有限公司")
        uow.commit()
    counts = []
    for more in (10, 1990):
        fresh = Database(db.url)  # a new process: its index is built from scratch
        try:
            _bulk_customers(fresh, clock, len(counts) * 10_000, more)
            _names(fresh, clock, "国联")  # builds the index
            statements = _Statements(fresh)
            assert _names(fresh, clock, "国联") == ["柳州国联运输集团有限公司"]
            assert _names(fresh, clock, "测试5号客户") != []
            counts.append(statements.count)
        finally:
            fresh.dispose()
    assert counts[0] == counts[1] <= 4


def test_an_import_in_another_process_is_seen_at_once(db_url: str, db: Database, clock: FixedClock, tmp_path: Path) -> None:
    load_example_org(db, clock)
    assert _names(db, clock, "蓉城") == []
    sheet = tmp_path / "客户.csv"
    sheet.write_text("公司名称,负责人\n成都蓉城医疗器械有限公司,张伟\n", encoding="utf-8")
    env = {**os.environ, "SALESBOT_DATABASE_URL": db_url}
    env.pop("SALESBOT_REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "import", "customers", str(sheet)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _names(db, clock, "成都蓉城医疗") == ["成都蓉城医疗器械有限公司"]
    with UnitOfWork(db, clock) as uow:
        owner = uow.session.scalar(select(User.name).join(Customer, Customer.owner_id == User.id))
    assert owner == "张伟"
    assert EXAMPLE_ORG.exists()
