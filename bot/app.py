"""The FastAPI application: health, readiness, errors as JSON, size limit, request logs."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.dingtalk.callback import dingtalk_router
from bot.h5 import h5_router
from bot.h5.security import SecurityHeaders
from bot.runtime import Runtime
from bot.scheduler import JobScheduler, scheduler_wanted
from bot.settings import Settings, load_settings
from bot.wecom.callback import wecom_router

log = logging.getLogger("salesbot.http")


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class BodySizeLimit:
    """Refuse bodies over the limit with 413 before reading them into memory.

    Checks Content-Length up front and counts streamed bytes for chunked
    bodies, so a hostile client cannot make us buffer more than the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(send)
                    return
        received = 0
        rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    rejected = True
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = JSONResponse(error_body("payload_too_large", "request body too large"), status_code=413)
        await send({"type": "http.response.start", "status": 413, "headers": body.raw_headers})
        await send({"type": "http.response.body", "body": body.body})


class _TooLarge(Exception):
    pass


class AccessLog:
    """One log line per request with its latency.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` cost about 15 % of the
    callback's CPU in the benchmark.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def create_app(runtime: Runtime | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app. Tests pass a runtime; ``salesbot serve`` builds one from settings."""
    if runtime is None:
        runtime = Runtime.build(settings or load_settings())
    rt = runtime

    # HTTP only (SALESBOT_WORKER=false / serve --no-worker): no queue here, but wake-ups still go out.
    worker = rt.make_worker() if rt.settings.worker else rt.make_worker(queues=())
    stream = rt.make_stream_client(worker.wake_chat)  # DingTalk Stream mode: callbacks over a socket

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if rt.settings.worker:
            worker.start()
        if stream is not None:
            stream.start()
        scheduler = None
        if scheduler_wanted(rt.settings):  # SALESBOT_SCHEDULER; auto = embedded (SQLite)
            scheduler = JobScheduler.from_settings(rt.db, rt.settings, rt.clock)
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.stop()
        if stream is not None:
            stream.stop()
        worker.stop()
        rt.close()

    docs = rt.settings.api_docs  # /docs and /openapi.json only when configured (issue #19)
    app = FastAPI(
        title="salesbot",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        redoc_url=None,
    )
    app.state.runtime = rt
    app.state.worker = worker
    app.state.stream = stream
    app.include_router(wecom_router(rt.db, rt.wecom_crypto(), rt.clock, worker.wake_chat))
    app.include_router(dingtalk_router(rt.db, rt.settings, rt.clock, worker.wake_chat))
    app.include_router(h5_router(rt, worker.wake))

    app.add_middleware(SecurityHeaders)  # /h5: no framing, no referrer (links carry tokens), CSP
    app.add_middleware(BodySizeLimit, max_bytes=rt.settings.max_body_bytes)
    app.add_middleware(AccessLog)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", str(exc.errors())), status_code=422)

    @app.exception_handler(Exception)
    async def unhandled(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body("internal_error", "internal server error"), status_code=500)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Alive: the process answers. Says nothing about dependencies."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        """Ready: the database answers, and Redis too when configured."""
        checks: dict[str, str] = {}
        ok = True
        try:
            with rt.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["database"] = f"error: {type(exc).__name__}"
            ok = False
        if rt.redis is not None:
            try:
                rt.redis.ping()
                checks["redis"] = "ok"
            except Exception as exc:  # noqa: BLE001
                checks["redis"] = f"error: {type(exc).__name__}"
                ok = False
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
        )

    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory bot.app:app_factory`` (one app per worker)."""
    from bot.logs import setup_logging

    settings = load_settings()
    setup_logging(settings.log_level)
    return create_app(settings=settings)
