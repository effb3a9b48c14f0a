"""DingTalk HTTP callbacks: verify, parse, store in the inbox, acknowledge (docs/platforms/dingtalk.md D1, D2, D4).

=============================  ================================================================
``/callbacks/dingtalk/robot``  robot messages (机器人 HTTP 模式): headers ``timestamp`` + ``sign``
                               (HmacSHA256 with the AppSecret, ±1 h) → ``200 {}``
``/callbacks/dingtalk/events`` event subscription (事件订阅): ``{"encrypt"}`` body, query
                               ``msg_signature``/``signature``, ``timestamp``/``timeStamp``,
                               ``nonce`` → the encrypted ``success`` map (check_url included)
``/callbacks/dingtalk/card``   card taps (``actionCallback``) for cards created with
                               ``callbackType=HTTP`` + our ``callbackRouteKey`` → ``200 {}``
                               (D4.6: an empty object means "no change"; the update goes out
                               through the outbox as ``PUT /v1.0/card/instances``)
=============================  ================================================================

Card taps: no official source shows DingTalk signing an HTTP card callback
(docs/platforms/dingtalk.md, "Card callbacks").  So a tap is accepted with or without the
robot-style ``timestamp``/``sign`` headers (checked when present), and then always proven by
what DingTalk carries back for us (``cardauth.py``): an outTrackId only we can make, a card we
sent on DingTalk, a tapper who received it, and that person's own ``tap_token`` from the
card's private data in the callback params.  ``SALESBOT_DINGTALK_CARD_AUTH=sign`` additionally
requires the headers; ``card`` (default) does not.

Nothing slow happens here: one INSERT (plus one SELECT for card taps), then the worker is
woken.  Every refusal writes nothing; a failed inbox write answers 503 so DingTalk retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from bot.dingtalk.cardauth import TAP_TOKEN_PARAM, CardKeys
from bot.dingtalk.channel import is_conversation_id
from bot.dingtalk.crypto import CallbackRejected, DingTalkCrypto, SignatureError
from bot.dingtalk.parser import load_json, parse_card_callback, parse_event, parse_robot_message
from bot.dingtalk.sign import verify_robot_sign
from bot.settings import Settings
from cards.dingtalk import button_actions, select_spec
from cards.serialize import card_from_dict
from domain.clock import Clock
from domain.db import Database
from domain.services import cardstate, inbox
from handlers.events import EventKind, InboundEvent

__all__ = ["authenticated_tap", "dingtalk_crypto", "dingtalk_router", "parse_card_tap", "store_inbound", "stored_card"]

log = logging.getLogger("salesbot.dingtalk")

StoredCard = tuple[str, list[Any], dict[str, Any]]  # platform, recipients, neutral content

# DingTalk re-pushes an event that failed, later, on a schedule no public source gives
# (docs/platforms/dingtalk.md, "Event subscription": UNCONFIRMED).  A push is proven by its
# signature and our AES key, and a replay is one inbox row (the event's dedupe key), so the
# timestamp only has to be sane: 30 days either way (the robot's 1-hour rule is not for events).
EVENT_REPUSH_WINDOW_S = 30 * 86_400


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _refused(exc: CallbackRejected, what: str) -> JSONResponse:
    log.warning(f"dingtalk {what} refused", extra={"reason": type(exc).__name__, "status": exc.http_status})
    return _error(exc.http_status, type(exc).__name__, str(exc))


def dingtalk_crypto(settings: Settings) -> DingTalkCrypto | None:
    """Event-subscription crypto, or None when the token/aes_key are not configured."""
    if not (settings.dingtalk_events_enabled and settings.dingtalk_token and settings.dingtalk_aes_key):
        return None
    assert settings.dingtalk_app_key
    return DingTalkCrypto(settings.dingtalk_token, settings.dingtalk_aes_key, settings.dingtalk_app_key)


def dingtalk_router(db: Database, settings: Settings, clock: Clock, on_stored: Callable[[], None]) -> APIRouter:
    """The three DingTalk endpoints (mounted in stream mode too: they verify what they get)."""
    router = APIRouter()
    secret = settings.dingtalk_app_secret if settings.dingtalk_enabled else None
    crypto = dingtalk_crypto(settings)
    card_auth = settings.dingtalk_card_auth
    keys = CardKeys(secret) if secret else None

    def now_s() -> float:
        return clock.now().timestamp()

    def not_configured(what: str) -> JSONResponse:
        return _error(503, "dingtalk_not_configured", f"DingTalk {what} is not configured (SALESBOT_DINGTALK_*)")

    def store(event: InboundEvent, extra: dict[str, Any] | None = None) -> Response | None:
        """One INSERT; None on success (new or duplicate), a 503 response if the database failed."""
        if store_inbound(db, clock, event, on_stored, extra):
            return None
        return _error(503, "inbox_unavailable", "could not store the event; retry")

    # ------------------------------------------------------------------ robot messages (D2)
    @router.post("/callbacks/dingtalk/robot")
    async def robot(request: Request) -> Response:
        if secret is None:
            return not_configured("robot")
        body = await request.body()
        headers = request.headers
        return await run_in_threadpool(_robot, body, headers.get("timestamp"), headers.get("sign"))

    def _robot(body: bytes, timestamp: str | None, sign: str | None) -> Response:
        assert secret is not None
        now = now_s()
        try:
            verify_robot_sign(timestamp, sign, secret, int(now * 1000))
            event = parse_robot_message(body, now=int(now))
        except CallbackRejected as exc:
            return _refused(exc, "robot callback")
        failed = store(event)
        return failed or JSONResponse({})

    # ------------------------------------------------------------------ event subscription (D1)
    @router.post("/callbacks/dingtalk/events")
    async def events(request: Request) -> Response:
        if crypto is None:
            return not_configured("event subscription (token / aes_key)")
        q = request.query_params
        signature = q.get("msg_signature") or q.get("signature") or ""
        timestamp = q.get("timestamp") or q.get("timeStamp") or ""
        nonce = q.get("nonce") or ""
        body = await request.body()
        return await run_in_threadpool(_events, body, signature, timestamp, nonce)

    def _events(body: bytes, signature: str, timestamp: str, nonce: str) -> Response:
        assert crypto is not None
        now = now_s()
        try:
            crypto.check_timestamp(timestamp, now, window_s=EVENT_REPUSH_WINDOW_S)
            plain = crypto.decrypt_body(body, signature, timestamp, nonce)
            org = parse_event(plain)
        except CallbackRejected as exc:
            return _refused(exc, "event push")
        if not org.is_check_url:
            failed = store(org.to_inbound(int(now)), {"dingtalk_event": org.details()})
            if failed is not None:
                return failed
        return JSONResponse(crypto.success_reply(int(now * 1000)))

    # ------------------------------------------------------------------ card taps (D4.5)
    @router.post("/callbacks/dingtalk/card")
    async def card(request: Request) -> Response:
        if secret is None:
            return not_configured("cards")
        body = await request.body()
        headers = request.headers
        return await run_in_threadpool(_card, body, headers.get("timestamp"), headers.get("sign"))

    def _card(body: bytes, timestamp: str | None, sign: str | None) -> Response:
        assert secret is not None and keys is not None
        now = now_s()
        try:
            signed = card_auth == "sign" or timestamp is not None or sign is not None
            if signed:
                verify_robot_sign(timestamp, sign, secret, int(now * 1000))
            event = authenticated_tap(db, keys, load_json(body), now=int(now), signed=signed)
        except CallbackRejected as exc:
            return _refused(exc, "card callback")
        except SQLAlchemyError:
            log.exception("card lookup failed; asking DingTalk to retry")
            return _error(503, "inbox_unavailable", "could not read the card; retry")
        failed = store(event)
        return failed or JSONResponse({})

    return router


def store_inbound(
    db: Database,
    clock: Clock,
    event: InboundEvent,
    on_stored: Callable[[], None],
    extra: dict[str, Any] | None = None,
) -> bool:
    """One INSERT, shared by the HTTP endpoints and the Stream client so both dedupe alike.

    True when the event is in the inbox (new, or a duplicate of one already there): the
    caller may acknowledge.  False when the database failed: the caller must not, so that
    DingTalk delivers it again.
    """
    payload = event.to_dict()
    if extra:
        payload.update(extra)
    try:
        with db.sessions() as session:
            stored = inbox.store(
                session,
                platform=event.platform,
                dedupe_key=event.dedupe_key,
                kind=event.kind.value,
                sender_id=event.sender_id,
                payload=payload,
                now=clock.now(),
            )
    except SQLAlchemyError:
        log.exception("inbox write failed; DingTalk must deliver it again")
        return False
    if stored is None:
        log.info("dingtalk duplicate ignored", extra={"dedupe_key": event.dedupe_key})
    else:
        if event.kind == EventKind.OTHER:
            log.info("dingtalk event stored, no reply", extra={"raw_type": event.raw_type})
        on_stored()
    return True


def stored_card(db: Database, out_track_id: Any) -> StoredCard | None:
    """(platform, recipients, content) of a card we sent, read to map slots and check ownership.

    Raises SQLAlchemyError when the database is down (the caller asks for a redelivery)."""
    if not isinstance(out_track_id, str) or not out_track_id:
        return None
    with db.sessions() as session:
        row = cardstate.get_card(session, out_track_id[:128])
        if row is None:
            return None
        return (row.platform, list(row.recipients), dict(row.content))


def parse_card_tap(data: dict[str, Any], record: StoredCard | None, *, now: int) -> InboundEvent:
    """A card ``actionCallback`` read against the card we stored, so ``btn2`` maps to its action."""
    actions: list[str] = []
    selects: list[tuple[str, list[str]]] = []
    if record is not None and record[0] == "dingtalk":
        card = card_from_dict(record[2])
        actions, selects = button_actions(card), select_spec(card)
    return parse_card_callback(data, now=now, button_actions=actions, selects=selects)


def authenticated_tap(
    db: Database, keys: CardKeys, data: dict[str, Any], *, now: int, signed: bool = False
) -> InboundEvent:
    """A card tap proven by what DingTalk carries back (cardauth.py), as the event handlers see it.

    Shared by the HTTP endpoint and the Stream client.  Raises :class:`MalformedPayloadError`
    for a body that is not a card callback, :class:`SignatureError` for a tap that is not
    proven; SQLAlchemyError when the database is down (the caller asks for a redelivery).
    The event's ``task_id`` is our card id and its params lose the token.

    ``signed``: the request carried valid signature headers, so it comes from DingTalk; a tap
    on a card we do not know (one sent before outTrackIds were tagged, or gone) then passes
    as such and the user is told the card has expired.  On a card we know, the tapper must
    still prove to be a recipient with their own token, signed or not.
    """
    unknown = parse_card_tap(data, None, now=now)  # malformed bodies are 400 before any look-up
    out_track_id = data["outTrackId"]
    card_id = keys.card_id_of(out_track_id)
    record = stored_card(db, card_id) if card_id is not None else None
    if record is None or record[0] != "dingtalk":
        if signed:
            return unknown
        raise SignatureError("unsigned card callback for a card we did not send on DingTalk")
    assert card_id is not None
    event = parse_card_tap(data, record, now=now)
    action = event.card_action
    assert action is not None
    recipients = [str(r) for r in record[1]]
    token = action.params.get(TAP_TOKEN_PARAM)
    proven = (event.sender_id in recipients and keys.token_matches(out_track_id, event.sender_id, token)) or (
        any(is_conversation_id(r) for r in recipients) and keys.token_matches(out_track_id, None, token)
    )
    if not proven:
        raise SignatureError("card callback without the tap token of someone who received the card")
    params = {k: v for k, v in action.params.items() if k != TAP_TOKEN_PARAM}
    return replace(event, card_action=replace(action, task_id=card_id, params=params))
