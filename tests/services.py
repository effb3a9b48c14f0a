"""Where the real PostgreSQL and Redis servers for the suite are, and a loud check.

The suite always expects both servers (CI starts them). If one is missing the
tests that need it fail with a message naming it; nothing is silently skipped.
Override with SALESBOT_TEST_POSTGRES_URL / SALESBOT_TEST_REDIS_URL (each pytest-xdist
worker then takes its own Redis db below that one, see ``worker_redis_url``).
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse, urlunparse

POSTGRES_URL = os.environ.get(
    "SALESBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def worker_redis_url(url: str, worker: str | None) -> str:
    """The Redis db this pytest process may flush.

    Under pytest-xdist (``-n``) every worker runs its own tests at the same time
    and the ``redis_url`` fixture flushes the db before each test, so each
    worker gets its own db: worker ``gwK`` uses the configured db number minus
    K (db 15, 14, 13 … with the default; Redis has dbs 0–15).
    """
    if not worker or not worker.startswith("gw"):
        return url
    parsed = urlparse(url)
    base = int(parsed.path.strip("/") or 0)
    return urlunparse(parsed._replace(path=f"/{(base - int(worker[2:])) % 16}"))


REDIS_URL = worker_redis_url(
    os.environ.get("SALESBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    os.environ.get("PYTEST_XDIST_WORKER"),
)


def require_tcp(url: str, what: str) -> None:
    """Fail (never skip) when a server the suite expects is not listening."""
    parsed = urlparse(url)
    host = parsed.hostname or "127.0.0.1"
    port = parsed.port or (5432 if "postgres" in parsed.scheme else 6379)
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        raise RuntimeError(
            f"{what} is not reachable at {host}:{port} ({exc}). The test suite needs it; "
            f"start it (see README, 'Running the tests') or set the URL."
        ) from exc
