"""Schema migrations (Alembic), callable from the CLI and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from domain.db import make_engine, normalize_url
from domain.models import Base

MIGRATIONS = Path(__file__).parent / "migrations"


# Tables that live in the database but are not models: APScheduler's job store (bot/scheduler.py)
# keeps its own layout; migration 0006 creates it, autogenerate must neither drop nor diff it.
NOT_MODELS = frozenset({"apscheduler_jobs"})


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic hook: leave tables that are not models out of autogenerate and the schema diff."""
    return not (type_ == "table" and name in NOT_MODELS)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def schema_diff(url: str) -> list[Any]:
    """What autogenerate would change: empty when models and migrations agree."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": include_name}
            )
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()
