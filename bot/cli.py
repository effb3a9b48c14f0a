"""The ``salesbot`` command line: serve, migrate, org, export, demo."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from bot.cli_approvals import approvals_app
from bot.cli_audit import audit_command
from bot.cli_calendar import calendar_app
from bot.cli_dingtalk import dingtalk_app
from bot.cli_import import import_app
from bot.cli_jobs import jobs_app, scheduler_command
from bot.cli_photos import photos_app
from bot.cli_quote import quote_app
from bot.cli_report import report_app
from bot.cli_webhooks import webhooks_app
from bot.cli_worker import worker_command
from bot.settings import Settings, load_settings

app = typer.Typer(help="salesbot — 企业微信 / 钉钉 销售助手", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
org_app = typer.Typer(help="Org chart: teams, users, roles, managers.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(approvals_app, name="approvals")
app.add_typer(calendar_app, name="calendar")
app.add_typer(quote_app, name="quote", help="Quote photos: OCR extraction (needs the ocr extra).")
app.add_typer(import_app, name="import", help="Import customers, contacts, opportunities from .xlsx / .csv.")
app.add_typer(photos_app, name="photos", help="Stored quote photos: prune by retention.")
app.add_typer(jobs_app, name="jobs")
app.command("scheduler")(scheduler_command)
app.command("audit")(audit_command)
app.command("worker")(worker_command)
app.add_typer(org_app, name="org")
app.add_typer(report_app, name="report")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(dingtalk_app, name="dingtalk")


def _settings() -> Settings:
    return load_settings()


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes (use PostgreSQL + Redis for more than one)."
    ),
    embedded_worker: bool | None = typer.Option(
        None,
        "--worker/--no-worker",
        help="Work the queues inside this process too (default: SALESBOT_WORKER, on). "
        "--no-worker: HTTP only, with `salesbot worker` processes doing the work.",
    ),
) -> None:
    """Run the HTTP service (callbacks, health, pages). Migrates the schema first."""
    import os

    import uvicorn

    if embedded_worker is not None:  # read by each uvicorn worker process's settings
        os.environ["SALESBOT_WORKER"] = "true" if embedded_worker else "false"

    from bot.logs import setup_logging
    from bot.migrate import upgrade

    settings = _settings()
    setup_logging(settings.log_level)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        typer.echo(
            "提示 / note: several workers on SQLite serialise writes; use PostgreSQL for real load.", err=True
        )
    upgrade(settings.database_url)
    stopped_by: list[int] = []
    if workers == 1:
        # uvicorn finishes the requests in flight and the app's shutdown (the embedded worker
        # finishes the event, photo or send it holds), then restores the handlers it found and
        # raises the signal again -- with the default handler the process would die of SIGTERM
        # (exit -15) after a clean stop. Found handlers that only take note make it exit 0.
        import signal

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, _frame: stopped_by.append(signum))
    uvicorn.run("bot.app:app_factory", factory=True, host=host, port=port, workers=workers, log_config=None)
    if stopped_by:
        typer.echo("已停止 / stopped", err=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Create or migrate the schema (SQLite or PostgreSQL)."""
    from bot.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"数据库已是最新结构 / schema is at {revision}")


#: Deactivating more people than this needs ``--prune`` (a file listing one user once deactivated eight).
ORG_PRUNE_WITHOUT_FLAG = 3


@org_app.command("import")
def org_import(
    file: Path = typer.Argument(..., help="Org YAML file, see examples/org.yaml."),
    prune: bool = typer.Option(
        False, "--prune", help=f"允许停用超过 {ORG_PRUNE_WITHOUT_FLAG} 名不在文件中的用户 / allow deactivating more users."
    ),
) -> None:
    """Import the org file: all-or-nothing, safe to repeat. Users missing from the file are deactivated."""
    from bot.orgfile import load_org_file
    from domain.db import Database
    from domain.errors import OrgImportError
    from domain.services.org import import_org
    from domain.uow import UnitOfWork

    settings = _settings()
    db = Database(settings.database_url)
    try:
        spec = load_org_file(file)
        with UnitOfWork(db, actor_label="org-file", cause=f"org-file:{file.name}") as uow:
            result = import_org(uow, spec, max_deactivations=None if prune else ORG_PRUNE_WITHOUT_FLAG)
            uow.commit()
    except OrgImportError as exc:
        raise _fail(exc.message, 1) from None
    finally:
        db.dispose()
    typer.echo(
        f"导入完成 / imported: {result.created} 新建 created, {result.updated} 更新 updated, {result.unchanged} 未变 unchanged"
    )


@org_app.command("show")
def org_show() -> None:
    """Print the org tree (manager → reports) with roles, teams and platform ids."""
    from domain.db import Database
    from domain.models import ROLE_LABELS, Role
    from domain.services.org import org_tree
    from domain.uow import UnitOfWork

    settings = _settings()
    db = Database(settings.database_url)
    try:
        with UnitOfWork(db) as uow:
            tree = org_tree(uow)
            if not tree:
                typer.echo("组织架构为空，请先运行 salesbot org import FILE / the org is empty")
                return
            for depth, user in tree:
                ids = ", ".join(
                    f"{p}:{v}"
                    for p, v in (("wecom", user.wecom_userid), ("dingtalk", user.dingtalk_userid))
                    if v
                )
                team = f" · {user.team.name}" if user.team else ""
                inactive = " （已停用）" if not user.active else ""
                typer.echo(
                    f"{'    ' * depth}{'└─ ' if depth else ''}{user.name} [{ROLE_LABELS[Role(user.role)]}]{team}"
                    f"{' (' + ids + ')' if ids else ''}{inactive}"
                )
    finally:
        db.dispose()


@org_app.command("sync")
def org_sync(platform: str = typer.Argument(..., help="wecom or dingtalk")) -> None:
    """Pull departments and members from the platform; roles set by the org file are kept.

    The whole department list is read before anything is written, so a team whose department
    is gone from it is retired (as a lost delete event would have done) only when every call
    answered; a read that fails part-way changes nothing."""
    import uuid

    from bot import orgnotices
    from bot.dingtalk import contacts as dingtalk_contacts
    from bot.dingtalk.client import DingTalkError
    from bot.runtime import Runtime
    from bot.wecom import contacts as wecom_contacts
    from bot.wecom.client import WeComError
    from domain.services.orgsync import sync_members
    from domain.uow import UnitOfWork

    if platform not in ("wecom", "dingtalk"):
        raise _fail(f"暂不支持 / not supported yet: {platform} (use: wecom, dingtalk)", 2)
    settings = _settings()
    if platform == "wecom" and not settings.wecom_enabled:
        raise _fail(
            "未配置企业微信 / WeCom is not configured: set SALESBOT_WECOM_CORP_ID, _SECRET, _TOKEN, _AES_KEY",
            2,
        )
    if platform == "dingtalk" and not settings.dingtalk_enabled:
        raise _fail("未配置钉钉 / DingTalk is not configured: set SALESBOT_DINGTALK_APP_KEY, _APP_SECRET", 2)
    rt = Runtime.build(settings)
    # One cause per run: the admin notices' dedupe keys derive from it, and a team retired,
    # revived and retired again over three runs must be told about each time.
    cause = f"org-sync:{platform}:{uuid.uuid4().hex[:12]}"
    try:
        try:
            if platform == "wecom":
                assert rt.wecom_client is not None
                departments, members = wecom_contacts.fetch_org(rt.wecom_client)
            else:
                assert rt.dingtalk_client is not None
                departments, members = dingtalk_contacts.fetch_org(rt.dingtalk_client)
        except (WeComError, DingTalkError) as exc:
            raise _fail(f"读取通讯录失败，未做任何更改 / could not read the contacts, nothing changed: {exc}") from exc
        with UnitOfWork(rt.db, rt.clock, actor_label="org-sync", cause=cause) as uow:
            result = sync_members(
                uow, platform, departments, members, team_level=settings.org_team_level, complete=True
            )
            for dept_id, name in result.teams_retired:
                orgnotices.team_retired(uow, platform, dept_id, name)
            orgnotices.teams_revived(uow, platform, result.teams_revived)
            uow.commit()
    finally:
        rt.close()
    typer.echo(
        f"同步完成 / synced: {len(result.created)} 新建 created, {len(result.updated)} 更新 updated, "
        f"{result.unchanged} 未变 unchanged"
    )
    for name in result.created:
        typer.echo(f"  + {name}")
    for name in result.updated:
        typer.echo(f"  ~ {name}")
    for name in result.teams_created:
        typer.echo(f"  + 团队 team {name}（设置群聊 / set its chat: salesbot org team-chat {name} CHAT_ID）")
    for old_name, new_name in result.teams_renamed:
        typer.echo(f"  ~ 团队 team {old_name} → {new_name}（部门已改名 / department renamed）")
    for name in result.teams_revived:
        typer.echo(f"  + 团队 team {name}（部门已恢复，团队重新启用 / department back, team live again）")
    for dept_id, name in result.teams_retired:
        typer.echo(f"  - 团队 team {name}（部门 {dept_id} 已删除，团队停用 / department deleted, team retired）")
    if result.retire_skipped:
        typer.echo(
            f"  ! 部门列表里没有第 {settings.org_team_level} 级部门，疑为平台答复不全，未停用任何团队 / "
            "no department at the team level in the listing; no team retired",
            err=True,
        )


@org_app.command("team-chat")
def org_team_chat(
    team: str = typer.Argument(..., help="Team name, e.g. 华东销售部"),
    chat_id: str = typer.Argument(..., help="WeCom appchat chatid or DingTalk openConversationId (cid…)"),
    platform: str | None = typer.Option(None, help="wecom or dingtalk (default: dingtalk for cid…, else wecom)"),
) -> None:
    """Bind a team's group chat: the Monday leaderboard is posted there."""
    from bot.orgchat import bind_chat

    bind_chat(_settings(), team, chat_id, platform)


outbox_app = typer.Typer(help="Outgoing messages.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("list")
def outbox_list(
    failed: bool = typer.Option(False, "--failed", help="Only messages that could not be delivered."),
    limit: int = typer.Option(50, help="How many, newest first."),
) -> None:
    """Show outgoing messages with their status, attempts and the platform's last error."""
    from domain.clock import format_local
    from domain.db import Database
    from domain.services.outbox import listing

    settings = _settings()
    db = Database(settings.database_url)
    try:
        with db.sessions() as session:
            rows = listing(session, failed_only=failed, limit=limit)
            if not rows:
                typer.echo(
                    "没有失败的消息 / no failed messages" if failed else "发件箱为空 / the outbox is empty"
                )
                return
            for r in rows:
                error = (
                    f"  errcode={r.last_errcode} {r.last_error or ''}".rstrip()
                    if r.last_errcode or r.last_error
                    else ""
                )
                typer.echo(
                    f"#{r.id} {format_local(r.created_at)} {r.status:<7} {r.platform}:{r.target_kind}:{r.target} "
                    f"{r.msg_type} attempts={r.attempts}{' msgid=' + r.platform_msgid if r.platform_msgid else ''}{error}"
                )
    finally:
        db.dispose()


class ExportKind(StrEnum):
    customers = "customers"
    contacts = "contacts"
    opportunities = "opportunities"
    visits = "visits"
    quotes = "quotes"
    contracts = "contracts"
    approvals = "approvals"
    audit = "audit"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.command("export")
def export_cmd(
    kind: ExportKind = typer.Argument(..., help="What to export."),
    format: ExportFormat = typer.Option(
        ExportFormat.csv, "--format", help="csv (Excel, UTF-8 with BOM) or json."
    ),
    out: Path | None = typer.Option(None, "--out", help="File to write; standard output if omitted."),
) -> None:
    """Export records: CSV that Excel opens correctly, or JSON with Asia/Shanghai ISO-8601 times."""
    from domain.db import Database
    from domain.services.export import export

    settings = _settings()
    db = Database(settings.database_url)
    try:
        with db.sessions() as session:
            data = export(session, kind.value)
            rows = list(data.rows)
    finally:
        db.dispose()
    if format == ExportFormat.csv:
        from domain.safe_text import spreadsheet_cell

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([header for _, header in data.columns])
        for row in rows:
            writer.writerow([spreadsheet_cell(row[key]) for key, _ in data.columns])  # no formulas
        payload = "\ufeff" + buf.getvalue()
    else:
        payload = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(payload)
    else:
        out.write_text(payload, encoding="utf-8", newline="")
        typer.echo(f"已导出 {len(rows)} 条 / exported {len(rows)} rows to {out}", err=True)


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    database: str = typer.Option("sqlite:///./salesbot-demo.db", help="Database for the demo."),
    seed_only: bool = typer.Option(
        False, "--seed-only", help="Create and seed the demo database, then exit."
    ),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open the simulator in a browser."),
    keep: bool = typer.Option(False, "--keep", help="Keep the demo database of the last run (default: fresh)."),
) -> None:
    """Try salesbot in a browser: a WeCom simulator on PORT backed by a fake WeCom, demo org and history."""
    import os

    from bot.demo import seed_demo
    from bot.migrate import upgrade
    from domain.db import Database

    if seed_only:
        os.environ["SALESBOT_DATABASE_URL"] = database
        upgrade(database)
        db = Database(database)
        try:
            fresh = seed_demo(db)
        finally:
            db.dispose()
        typer.echo("演示数据已就绪 / demo data ready" + ("" if fresh else " (already seeded)"))
        return
    from bot.simulator.cli import run_demo

    run_demo(host=host, port=port, database=database, open_browser=not no_browser, fresh=not keep)


def main() -> None:  # pragma: no cover - console entry point wrapper
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
