"""Importing customers, contacts and opportunities from spreadsheets, with de-duplication.

The domain side of ``salesbot import``: it takes plain rows (a grid of cell
values, or dicts), never files; ``bot/importing`` reads .xlsx and .csv.

    table = read_table(grid, ImportKind.CUSTOMERS)      # columns.py: find the header, map columns
    with UnitOfWork(db, actor_label="import", cause="import:customers.xlsx") as uow:
        report = run_import(uow, table, dry_run=False)
        if report.applied:
            uow.commit()

Modules: ``cleaning`` (one cell), ``rows`` (one row), ``dedupe`` (rows → customers),
``plan`` (checks against the file and the database; reads only), ``apply``
(writes, with audit), ``report`` (what the user reads).
"""

from __future__ import annotations

from domain.services.importing.apply import apply_plan
from domain.services.importing.columns import (
    FIELD_LABELS,
    HEADERS,
    Field,
    ImportFileError,
    ImportKind,
    Table,
    read_table,
    table_from_records,
)
from domain.services.importing.plan import ImportPlan, plan_import
from domain.services.importing.report import ImportReport
from domain.uow import UnitOfWork

__all__ = [
    "FIELD_LABELS",
    "HEADERS",
    "Field",
    "ImportFileError",
    "ImportKind",
    "ImportPlan",
    "ImportReport",
    "Table",
    "apply_plan",
    "plan_import",
    "read_table",
    "run_import",
    "table_from_records",
]


def run_import(uow: UnitOfWork, table: Table, *, dry_run: bool = False, skip_invalid: bool = False) -> ImportReport:
    """Plan the import and, unless it is a dry run or blocked by rejected rows, write it.

    All or nothing: with any rejected row and no ``skip_invalid`` nothing is
    written. The caller commits when ``report.applied`` (one transaction).
    Running the same table twice changes nothing the second time.
    """
    plan = plan_import(uow.session, table, skip_invalid=skip_invalid)
    report = plan.report
    report.dry_run = dry_run
    if dry_run or report.blocked:
        return report
    apply_plan(uow, plan)
    report.applied = True
    return report
