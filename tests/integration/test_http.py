"""Health, readiness, size limit and JSON errors of the HTTP service."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings


def _client(db_url: str, redis_url: str | None = None, max_body: int = 1_048_576) -> TestClient:
    settings = Settings(database_url=db_url, redis_url=redis_url, max_body_bytes=max_body)
    return TestClient(create_app(Runtime.build(settings)))


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with _client(db_url) as c:
        yield c


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}


def test_readyz_checks_redis_when_configured(db_url: str, redis_url: str) -> None:
    with _client(db_url, redis_url) as c:
        assert c.get("/readyz").json()["checks"] == {"database": "ok", "redis": "ok"}
    with _client(db_url, "redis://127.0.0.1:1/0") as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["redis"].startswith("error")


def test_readyz_fails_when_database_is_unreachable() -> None:
    with _client("postgresql://nobody@127.0.0.1:1/none") as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "unavailable"


def test_errors_are_json(client: TestClient) -> None:
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.post("/healthz")
    assert r.status_code == 405 and "error" in r.json()


def test_oversized_body_is_refused_with_413(db_url: str) -> None:
    with _client(db_url, max_body=1024) as c:
        r = c.post("/healthz", content=b"x" * 2048)
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_each_request_is_logged_with_latency(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="salesbot.http")
    client.get("/healthz")
    rec = [r for r in caplog.records if r.name == "salesbot.http"][-1]
    assert rec.__dict__["path"] == "/healthz" and rec.__dict__["status"] == 200
    assert isinstance(rec.__dict__["latency_ms"], float)
