"""``salesbot webhooks …``: the ERP endpoints that receive signed events, and what failed to reach them.

Endpoints live in the database (not in settings) so that every process sees
the same list and a disable caused by HTTP 410 sticks across restarts.
Registered in ``bot.cli`` as ``app.add_typer(webhooks_app, name="webhooks")``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import typer

from bot.cli_db import cli_database

if TYPE_CHECKING:
    pass

webhooks_app = typer.Typer(
    help="ERP webhooks (金蝶/用友): signed JSON events on contract approval.",
    no_args_is_help=True,
    add_completion=False,
)

ADMIN = "admin-cli"


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@webhooks_app.command("add")
def add(
    url: str = typer.Argument(..., help="The ERP's HTTPS endpoint that accepts POSTed events."),
    secret: str | None = typer.Option(
        None, "--secret", help="Shared HMAC secret (16+ characters); generated and printed when omitted."
    ),
) -> None:
    """Register an endpoint; from now on every published event is also queued for it."""
    from domain.errors import DomainError
    from domain.services.webhooks import add_endpoint
    from domain.uow import UnitOfWork

    generated = secret is None
    secret = secret if secret is not None else secrets.token_urlsafe(32)
    with cli_database() as db, UnitOfWork(db, actor_label=ADMIN, cause="cli:webhooks-add") as uow:
        try:
            endpoint = add_endpoint(uow, url, secret)
            uow.commit()
        except DomainError as exc:
            raise _fail(exc.message) from None
        typer.echo(f"已添加 / added webhook #{endpoint.id} {endpoint.url}")
    if generated:
        typer.echo(f"密钥 / secret (shown once, give it to the ERP side): {secret}")


@webhooks_app.command("list")
def list_cmd() -> None:
    """Endpoints, active or disabled (with why), and their deliveries: pending, sent, failed."""
    from domain.clock import format_local
    from domain.services.webhooks import DeliveryCounts, delivery_counts, list_endpoints

    with cli_database() as db, db.sessions() as session:
        endpoints = list_endpoints(session)
        if not endpoints:
            typer.echo("没有 webhook / no webhook endpoints (add one: salesbot webhooks add URL)")
            return
        counts = delivery_counts(session)
        for e in endpoints:
            c = counts.get(e.url, DeliveryCounts())
            state = (
                "active"
                if e.active
                else f"disabled {format_local(e.disabled_at)} ({e.disabled_reason or 'no reason given'})"
            )
            typer.echo(
                f"#{e.id} {e.url}  {state}  pending={c.pending} sent={c.sent} failed={c.failed}"
            )


@webhooks_app.command("failures")
def failures_cmd(limit: int = typer.Option(50, help="How many, newest first.")) -> None:
    """Deliveries that failed for good, and those still retrying, with the last error."""
    from domain.clock import format_local
    from domain.services.webhooks import failures

    with cli_database() as db, db.sessions() as session:
        rows = failures(session, limit=limit)
        if not rows:
            typer.echo("没有失败的推送 / no failed or retrying webhook deliveries")
            return
        for r in rows:
            state = "failed" if r.status == "failed" else f"retrying next={format_local(r.next_attempt_at)}"
            code = f" errcode={r.last_errcode}" if r.last_errcode is not None else ""
            event = f"event={r.payload.get('id')} ({r.payload.get('type')})"
            typer.echo(
                f"#{r.id} {format_local(r.created_at)} {state} attempts={r.attempts} {event} → {r.target}"
                f"{code} {r.last_error or ''}".rstrip()
            )


@webhooks_app.command("disable")
def disable_cmd(
    endpoint: str = typer.Argument(..., help="Endpoint number (see list) or URL."),
    reason: str = typer.Option("disabled by admin", "--reason", help="Shown in webhooks list."),
) -> None:
    """Stop sending to an endpoint; its queued deliveries fail instead of going out."""
    from domain.clock import SystemClock
    from domain.errors import DomainError
    from domain.services.webhooks import disable_endpoint

    with cli_database() as db, db.sessions() as session:
        try:
            e = disable_endpoint(session, endpoint, reason, SystemClock().now(), actor_label=ADMIN)
        except DomainError as exc:
            raise _fail(exc.message) from None
        session.commit()
        typer.echo(f"已停用 / disabled webhook #{e.id} {e.url}")


@webhooks_app.command("enable")
def enable_cmd(endpoint: str = typer.Argument(..., help="Endpoint number (see list) or URL.")) -> None:
    """Send to an endpoint again (e.g. after a 410); use `retry` for what failed meanwhile."""
    from domain.clock import SystemClock
    from domain.errors import DomainError
    from domain.services.webhooks import enable_endpoint

    with cli_database() as db, db.sessions() as session:
        try:
            e = enable_endpoint(session, endpoint, SystemClock().now(), actor_label=ADMIN)
        except DomainError as exc:
            raise _fail(exc.message) from None
        session.commit()
        typer.echo(f"已启用 / enabled webhook #{e.id} {e.url}")


@webhooks_app.command("retry")
def retry_cmd(endpoint: str = typer.Argument(..., help="Endpoint number (see list) or URL.")) -> None:
    """Queue an endpoint's failed deliveries again (after a long outage); the worker sends them."""
    from domain.clock import SystemClock
    from domain.errors import DomainError
    from domain.services.webhooks import retry_failed

    with cli_database() as db, db.sessions() as session:
        try:
            count = retry_failed(session, endpoint, SystemClock().now(), actor_label=ADMIN)
        except DomainError as exc:
            raise _fail(exc.message) from None
        session.commit()
        typer.echo(f"已重新排队 {count} 条 / re-queued {count} deliveries")
