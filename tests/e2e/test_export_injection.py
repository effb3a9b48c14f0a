"""``salesbot export … --format csv`` never writes a cell Excel would run as a formula (issue #19, point 7)."""

from __future__ import annotations

import csv
import io

from domain.db import Database
from domain.services.customers import create_customer
from domain.uow import UnitOfWork
from tests.e2e.test_cli import salesbot
from tests.factories import EXAMPLE_ORG

NAMES = ['=HYPERLINK("http://evil.example","苏州精工")', "+86 苏州", "-2+3 有限公司", "@SUM(A1) 公司"]


def test_csv_cells_starting_a_formula_are_written_as_text(db_url: str) -> None:
    assert salesbot(db_url, "org", "import", str(EXAMPLE_ORG)).returncode == 0
    db = Database(db_url)
    try:
        with UnitOfWork(db, actor_label="test") as uow:
            for name in NAMES:
                create_customer(uow, name)
            uow.commit()
    finally:
        db.dispose()
    r = salesbot(db_url, "export", "customers", "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout.lstrip("\ufeff"))))
    names = {row[rows[0].index("客户名称")] for row in rows[1:]}
    assert names == {"'" + n for n in NAMES}
    as_json = salesbot(db_url, "export", "customers", "--format", "json").stdout
    assert '"=HYPERLINK' in as_json  # JSON is for scripts: the values as they are
