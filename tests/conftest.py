"""Shared fixtures. Database fixtures live in tests/db_fixtures.py."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from domain.clock import FixedClock
from domain.db import Database
from tests.services import POSTGRES_URL, REDIS_URL, require_tcp


@pytest.fixture
def redis_url() -> str:
    """A real Redis db of this test process (db 15 unless configured; one per xdist worker), flushed first."""
    require_tcp(REDIS_URL, "Redis")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    return REDIS_URL


# ------------------------------------------------------------------ databases


BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test is slow)."""
    from bot.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once, dropped at the end."""
    require_tcp(POSTGRES_URL, "PostgreSQL")
    from bot.migrate import upgrade
    from domain.db import normalize_url

    admin_url = normalize_url(POSTGRES_URL)
    name = f"salesbot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        yield url
    finally:
        _forget_emptier(url)
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


#: One engine per test database for emptying it between tests (a fresh engine is a fresh connection).
_emptiers: dict[str, Engine] = {}


def _truncate_all(url: str) -> None:
    """Empty every table and restart every id sequence, as ``TRUNCATE <all> RESTART IDENTITY`` would.

    That TRUNCATE cost ~0.2 s before every PostgreSQL test (it rewrites every table's files, empty
    or not); this takes ~0.01 s: one round trip finds the tables that have rows, a DELETE empties
    each (the tables hold a test's worth of rows), then every sequence that handed out a value
    starts again at 1.
    """
    from domain.models import Base

    engine = _emptiers.get(url)
    if engine is None:
        engine = _emptiers[url] = create_engine(url)
    tables = [t.name for t in Base.metadata.sorted_tables]
    has_rows = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables)
    with engine.begin() as conn:
        dirty = list(conn.execute(text(has_rows)).scalars())
        for name in reversed(tables):  # referencing tables first
            if name in dirty:
                conn.execute(text(f'DELETE FROM "{name}"'))
        conn.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)"
                " FROM pg_sequences WHERE last_value IS NOT NULL AND schemaname = current_schema()"
            )
        )


def _forget_emptier(url: str) -> None:
    engine = _emptiers.pop(url, None)
    if engine is not None:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL: once on SQLite, once on the real PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "salesbot.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_all(url)
    return url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty SQLite database, for tests whose outcome is decided before anything is
    stored (a refused request writes nothing on any backend): on PostgreSQL too they would only
    prove the same thing again. Tests that store, dedupe or lock take ``db_url`` (both backends)."""
    path = tmp_path / "salesbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """Business time frozen at Wednesday 2026-11-25 10:00 Asia/Shanghai."""
    return FixedClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
