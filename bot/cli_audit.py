"""``salesbot audit``: the audit trail, readable (who changed what, when, before → after).

Registered in ``bot.cli`` as ``app.command("audit")(audit_command)``; the same rows
as a file with ``salesbot export audit``.
"""

from __future__ import annotations

import json
from datetime import datetime, time

import typer


def audit_command(
    customer: str | None = typer.Option(None, "--customer", help="A customer's name: it and its visits, deals, quotes, contracts."),
    contract: str | None = typer.Option(None, "--contract", help="A contract's number (HT-…) or id, with its approvals."),
    user: str | None = typer.Option(None, "--user", help="What one person did (their key or name)."),
    since: str | None = typer.Option(None, "--since", help="From this day (YYYY-MM-DD, business time)."),
    limit: int = typer.Option(200, help="At most this many entries (the newest)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per entry."),
) -> None:
    """Who changed what and when, oldest first: e.g. `salesbot audit --customer 苏州精工 --since 2026-12-01`."""
    from sqlalchemy import or_, select

    from bot.settings import load_settings
    from domain.clock import BUSINESS_TZ, format_local
    from domain.db import Database
    from domain.models import Contract, User
    from domain.services import audit_trail
    from domain.services.customers import find_customers
    from domain.uow import UnitOfWork

    settings = load_settings()
    start = None
    if since:
        try:
            start = datetime.combine(datetime.strptime(since, "%Y-%m-%d").date(), time(0), BUSINESS_TZ)
        except ValueError:
            raise typer.BadParameter(f"--since 应写成 2026-12-01，不是 {since!r}") from None
    db = Database(settings.database_url)
    try:
        with UnitOfWork(db, actor_label="admin") as uow:
            s = uow.session
            entities = None
            actor_id = None
            if customer:
                matches = [m for m in find_customers(uow, customer) if m.score >= 0.95]
                if len(matches) != 1:
                    names = "、".join(m.customer.name for m in find_customers(uow, customer)) or "无"
                    typer.echo(f"找不到唯一的客户「{customer}」（候选：{names}）", err=True)
                    raise typer.Exit(1)
                entities = audit_trail.customer_entities(s, matches[0].customer.id)
            elif contract:
                where = Contract.number == contract
                if contract.isdigit():
                    where = or_(where, Contract.id == int(contract))
                found = s.scalar(select(Contract).where(where))
                if found is None:
                    typer.echo(f"没有合同「{contract}」", err=True)
                    raise typer.Exit(1)
                entities = audit_trail.contract_entities(s, found.id)
            if user:
                person = s.scalar(select(User).where(or_(User.key == user, User.name == user)))
                if person is None:
                    typer.echo(f"没有人员「{user}」", err=True)
                    raise typer.Exit(1)
                actor_id = person.id
            entries = audit_trail.trail(s, entities=entities, actor_id=actor_id, since=start, limit=limit)
    finally:
        db.dispose()
    if not entries:
        typer.echo("没有记录 / no entries")
        return
    for e in entries:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "at": format_local(e.at),
                        "actor": e.actor,
                        "action": e.raw_action,
                        "entity": f"{e.entity_type}:{e.entity_id}",
                        "changes": [{"field": f, "before": b, "after": a} for f, b, a in e.changes],
                        "cause": e.cause,
                    },
                    ensure_ascii=False,
                    default=str,
                )
            )
        else:
            typer.echo(f"{format_local(e.at)[:16]}  {e.actor:<8} {e.action:<14} {e.entity:<12} {e.change_text()}".rstrip())
