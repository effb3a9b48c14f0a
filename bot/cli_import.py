"""``salesbot import {customers,contacts,opportunities} FILE``: spreadsheets into the sales records.

Registered in ``bot.cli`` as ``app.add_typer(import_app, name="import")``.
Reading the file is ``bot.importing.read``; cleaning, de-duplication,
planning and writing are ``domain.services.importing``. Exit codes: 0 done
(or a dry run that would succeed), 1 rows rejected and nothing written (or
a dry run that would be refused), 2 the file itself cannot be used.
"""

from __future__ import annotations

from pathlib import Path

import typer

import_app = typer.Typer(
    help="从 Excel / CSV 导入客户、联系人、商机（先用 --dry-run 看报告）/ import from spreadsheets.",
    no_args_is_help=True,
    add_completion=False,
)


def _run(
    kind_name: str,
    file: Path,
    dry_run: bool,
    sheet: str | None,
    owner_column: str | None,
    skip_invalid: bool,
    show_all: bool,
) -> None:
    from bot.importing.read import load_table
    from bot.settings import load_settings
    from domain.db import Database
    from domain.services.importing import ImportFileError, ImportKind, run_import
    from domain.uow import UnitOfWork

    kind = ImportKind(kind_name)
    try:
        table, sheet_name = load_table(file, kind, sheet=sheet, owner_column=owner_column)
    except ImportFileError as exc:
        typer.echo(f"无法导入 {file.name}：{exc.message}", err=True)
        raise typer.Exit(2) from None
    settings = load_settings()
    db = Database(settings.database_url)
    try:
        with UnitOfWork(db, actor_label="import", cause=f"import:{kind.value}:{file.name}") as uow:
            report = run_import(uow, table, dry_run=dry_run, skip_invalid=skip_invalid)
            if report.applied:
                uow.commit()
    finally:
        db.dispose()
    where = f"{file.name}" + (f" · 工作表「{sheet_name}」" if file.suffix.lower() in (".xlsx", ".xlsm") else "")
    typer.echo(f"文件：{where}")
    for line in report.render(limit=None if show_all else 50):
        typer.echo(line)
    if report.blocked:
        raise typer.Exit(1)


def _command(kind: str, summary: str, columns: str) -> None:
    # Domain imports stay inside _run: every ``salesbot`` start loads this module (keep start-up instant).
    def command(
        file: Path = typer.Argument(..., help=".xlsx 或 .csv（UTF-8 / GBK）"),
        dry_run: bool = typer.Option(False, "--dry-run", help="只打印报告，不写入任何数据。"),
        sheet: str | None = typer.Option(None, "--sheet", help="工作表名称；默认用第一个能识别表头的工作表。"),
        owner_column: str | None = typer.Option(
            None, "--owner-column", help="哪一列是负责人（表头文字），例如 --owner-column 跟进人。"
        ),
        skip_invalid: bool = typer.Option(
            False, "--skip-invalid", help="跳过被拒绝的行，导入其余的行（默认：有任何被拒绝的行就不写入）。"
        ),
        show_all: bool = typer.Option(False, "--all", help="报告中显示全部明细（默认每类最多 50 条）。"),
    ) -> None:
        _run(kind, file, dry_run, sheet, owner_column, skip_invalid, show_all)

    command.__doc__ = f"{summary}\n\n可识别的列（中英文表头均可，详见 README）：{columns}"
    import_app.command(kind)(command)


_CUSTOMER_COLUMNS = "客户名称/公司名称/customer（必填）、别名/简称、负责人/销售/owner、级别、行业、地区、标签"
_CONTACT_COLUMNS = "联系人/姓名/contact、职务、手机/mobile、电话/座机/phone、邮箱/email"
_command(
    "customers",
    "导入客户（每行一个客户，可带一个联系人）；同一客户的不同写法合并为一个客户并记为别名。",
    f"{_CUSTOMER_COLUMNS}；{_CONTACT_COLUMNS}",
)
_command(
    "contacts",
    "导入联系人（每行一个联系人及其客户）；找不到的客户会新建。",
    f"{_CUSTOMER_COLUMNS}；{_CONTACT_COLUMNS}（联系人必填）",
)
_command(
    "opportunities",
    "导入商机（每行一个商机）；阶段、金额（支持 38万、¥1,234）、预计成交日期（支持 Excel 日期）。",
    f"{_CUSTOMER_COLUMNS}；商机名称/项目名称、阶段/stage、金额/amount、预计成交日期/close date",
)
