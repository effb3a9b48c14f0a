"""The migrations build the schema the models describe, on both databases."""

from sqlalchemy import inspect

from bot.migrate import schema_diff, upgrade
from domain.db import Database


def test_upgrade_builds_every_table_and_autogenerate_finds_nothing(db_url: str) -> None:
    upgrade(db_url)  # already at head: a second run is a no-op
    database = Database(db_url)
    try:
        tables = set(inspect(database.engine).get_table_names())
    finally:
        database.dispose()
    assert {
        "users",
        "teams",
        "customers",
        "contacts",
        "opportunities",
        "stage_changes",
        "visits",
        "audit_log",
    } <= tables
    assert {"quotes", "contracts", "approval_flows", "approval_steps", "inbox", "outbox"} <= tables
    assert schema_diff(db_url) == []
