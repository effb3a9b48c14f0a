"""``/callbacks/wecom``: verify, decrypt, parse, store in the inbox, then acknowledge.

Nothing slow happens here: the event is stored (one INSERT) and the worker
is woken. Every refusal (bad signature, replay, hostile XML, wrong corp)
writes nothing; a failed inbox write answers 503 so WeCom retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from bot.wecom.crypto import CallbackRejected, WeComCrypto
from bot.wecom.parser import contact_change, parse_message
from domain.clock import Clock
from domain.db import Database
from domain.services import inbox
from handlers.events import EventKind

log = logging.getLogger("salesbot.wecom")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def wecom_router(
    db: Database, crypto: WeComCrypto | None, clock: Clock, on_stored: Callable[[], None]
) -> APIRouter:
    router = APIRouter()

    def not_configured() -> JSONResponse:
        return _error(503, "wecom_not_configured", "WeCom channel is not configured (SALESBOT_WECOM_*)")

    @router.get("/callbacks/wecom")
    def verify_url(
        msg_signature: str = Query(...),
        timestamp: str = Query(...),
        nonce: str = Query(...),
        echostr: str = Query(...),
    ) -> Response:
        """URL check when the admin saves the callback settings: answer the plaintext echostr."""
        if crypto is None:
            return not_configured()
        try:
            crypto.check_timestamp(timestamp, clock.now().timestamp())
            return PlainTextResponse(crypto.verify_url(msg_signature, timestamp, nonce, echostr))
        except CallbackRejected as exc:
            log.warning("wecom url check refused", extra={"reason": type(exc).__name__})
            return _error(exc.http_status, type(exc).__name__, str(exc))

    @router.post("/callbacks/wecom")
    async def receive(
        request: Request,
        msg_signature: str = Query(...),
        timestamp: str = Query(...),
        nonce: str = Query(...),
    ) -> Response:
        if crypto is None:
            return not_configured()
        body = await request.body()
        return await run_in_threadpool(_receive, body, msg_signature, timestamp, nonce)

    def _receive(body: bytes, msg_signature: str, timestamp: str, nonce: str) -> Response:
        assert crypto is not None
        try:
            crypto.check_timestamp(timestamp, clock.now().timestamp())
            plain = crypto.decrypt_message(body, msg_signature, timestamp, nonce)
            event = parse_message(plain)
            change = contact_change(plain)
        except CallbackRejected as exc:
            log.warning(
                "wecom callback refused", extra={"reason": type(exc).__name__, "status": exc.http_status}
            )
            return _error(exc.http_status, type(exc).__name__, str(exc))
        try:
            with db.sessions() as session:
                stored = inbox.store(
                    session,
                    platform=event.platform,
                    dedupe_key=event.dedupe_key,
                    kind=event.kind.value,
                    sender_id=event.sender_id,
                    # an address-book change keeps its ids beside the event (bot/wecom/orgevents.py)
                    payload={**event.to_dict(), **({"wecom_event": change} if change else {})},
                    now=clock.now(),
                )
        except SQLAlchemyError:
            log.exception("inbox write failed; asking WeCom to retry")
            return _error(503, "inbox_unavailable", "could not store the event; retry")
        if stored is None:
            log.info("wecom duplicate ignored", extra={"dedupe_key": event.dedupe_key})
        else:
            if event.kind == EventKind.OTHER:
                log.info("wecom event stored, no reply", extra={"raw_type": event.raw_type})
            on_stored()
        return PlainTextResponse("")  # empty 200: acknowledged, no passive reply

    return router
