"""``salesbot approvals …``: load and show the approval rules (which chain for which contract).

Registered in ``bot.cli`` as ``app.add_typer(approvals_app, name="approvals")``.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

import typer
import yaml

from bot.cli_db import cli_database
from domain.approval_rules import RuleSet
from domain.db import Database

approvals_app = typer.Typer(help="合同审批规则 / Contract approval rules.", no_args_is_help=True, add_completion=False)


@approvals_app.command("load")
def load(file: Path = typer.Argument(..., help="Rules YAML, see examples/approval_rules.yaml.")) -> None:
    """Validate a rules file and make it the active version (same rules twice: no new version)."""
    from domain.errors import DomainError
    from domain.services.approvals import load_rules
    from domain.uow import UnitOfWork

    source = file.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        typer.echo(f"规则文件不是有效的 YAML / not valid YAML: {exc}", err=True)
        raise typer.Exit(1) from exc
    with cli_database() as db, UnitOfWork(db, actor_label="admin", cause="cli:approvals-load") as uow:
        try:
            row, created = load_rules(uow, source, data)
        except DomainError as exc:
            typer.echo(f"规则有误 / invalid rules: {exc.message}", err=True)
            raise typer.Exit(1) from exc
        uow.commit()
        typer.echo(f"{'loaded new' if created else 'activated existing'} version {row.version}")


@approvals_app.command("show")
def show() -> None:
    """Print the active rules: each rule's condition and chain, and the version flows will record."""
    from domain.services.approvals import active_ruleset

    with cli_database() as db:
        with db.sessions() as session:
            ruleset = active_ruleset(session)
        typer.echo(f"version {ruleset.version} · due {ruleset.due_hours} h · reminder {ruleset.remind_hours} h")
        show_working_hours(db, ruleset)
    for rule in ruleset.rules:
        cond = []
        if rule.amount_over is not None:
            cond.append(f"金额 > {rule.amount_over:,}")
        if rule.amount_at_most is not None:
            cond.append(f"金额 ≤ {rule.amount_at_most:,}")
        if rule.customer_levels:
            cond.append("客户级别 " + "/".join(sorted(rule.customer_levels)))
        if rule.teams:
            cond.append("团队 " + "/".join(sorted(rule.teams)))
        chain = " → ".join(step.label for step in rule.steps)
        typer.echo(f"- {rule.name}: {'，'.join(cond) or '其他所有合同'} ⇒ {chain}")


def show_working_hours(db: Database, ruleset: RuleSet) -> None:
    typer.echo(working_hours_line(ruleset.working_hours))
    if ruleset.working_hours is not None:
        warning = calendar_warning(db)
        if warning:
            typer.echo(f"警告 / warning: {warning}", err=True)


def working_hours_line(window: tuple[time, time] | None) -> str:
    """How the deadlines count: working hours on China's workdays, or plain calendar hours."""
    if window is None:
        return "时限按自然小时计（含夜间、周末和节假日）/ deadlines in calendar hours"
    start, end = (t.strftime("%H:%M") for t in window)
    return (
        f"时限按工作时间计：工作日 {start}-{end}（跳过周末和法定节假日，调休上班日照常计时）"
        f" / deadlines in working hours {start}-{end} on China's workdays"
    )


def calendar_warning(db: Database) -> str | None:
    """The warning for this or next year while it has no official holiday schedule loaded."""
    from domain.clock import SystemClock, local_today
    from domain.services.workcalendar_data import refresh
    from domain.workcalendar import missing_year_warning, year_source

    with db.sessions() as session:
        refresh(session)
    today = local_today(SystemClock())
    for year in [today.year] + ([today.year + 1] if today.month >= 11 else []):
        if year_source(year) == "assumed":
            return missing_year_warning(year)
    return None
