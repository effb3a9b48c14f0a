"""Alembic environment: the target metadata is the domain's, the URL comes from the caller."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.migrate import include_name
from domain.db import make_engine
from domain.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    import os

    url = config.get_main_option("sqlalchemy.url") or os.environ.get("SALESBOT_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL given to alembic (set SALESBOT_DATABASE_URL)")
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; run `salesbot db upgrade`")
run_migrations_online()
