"""Where the real PostgreSQL and Redis servers for the suite are, and a loud check.

The suite always expects both servers (CI starts them). If one is missing the
tests that need it fail with a message naming it; nothing is silently skipped.
Override with SALESBOT_TEST_POSTGRES_URL / SALESBOT_TEST_REDIS_URL.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

POSTGRES_URL = os.environ.get(
    "SALESBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("SALESBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


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
