"""DingTalk Stream mode (docs/platforms/dingtalk.md D3): callbacks over an outbound WebSocket, no public URL.

For companies that cannot expose ``/callbacks/dingtalk/*`` to the internet.  One
:class:`StreamClient` per ``salesbot serve`` process (a background thread, started and
stopped by the app's lifespan when ``SALESBOT_DINGTALK_MODE=stream``):

1. ``POST {SALESBOT_DINGTALK_API_BASE}/v1.0/gateway/connections/open`` with clientId (AppKey),
   clientSecret and the subscriptions — CALLBACK ``/v1.0/im/bot/messages/get`` (robot
   messages), CALLBACK ``/v1.0/card/instances/callback`` (card taps; cards are created with
   ``callbackType=STREAM`` in this mode), EVENT ``*`` — → endpoint + ticket (90 s, single use);
2. ``GET <endpoint>?ticket=…`` WebSocket upgrade;
3. per frame, in arrival order: SYSTEM ``ping`` → ack echoing its data; SYSTEM ``disconnect``
   → close and reconnect at once with a fresh ticket; CALLBACK/EVENT → parse, store in the
   inbox with the same dedupe keys as the HTTP endpoints (``msgId`` / ``eventId`` /
   ``outTrackId``+action+user), and only then ack (robot ``{"response": null}``, card
   ``{"response": {}}`` = no change, event ``{"status": "SUCCESS"}``).  When the store fails
   nothing is acked, so DingTalk delivers the frame again; a redelivered frame that was
   stored before is a duplicate in the inbox and is acked without a second reply.
4. any connection error → reconnect after an exponential backoff (1 s doubling to 60 s, with
   jitter so that many processes do not reconnect in step); a connection that opened resets it.

Why not the official ``dingtalk-stream`` SDK (0.24): its gateway URL is a module constant
read from an environment variable at import time, every frame gets an ack even when the
handler failed (so a failed inbox write would be lost), reconnects sleep a fixed 3–10 s,
frames are processed as unordered tasks and there is no way to stop it cleanly.  The protocol
is four JSON shapes over one socket, so a small client on ``websockets`` (already installed
with uvicorn) is simpler than working around it.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus

import httpx
from sqlalchemy.exc import SQLAlchemyError
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from bot.dingtalk.callback import authenticated_tap, store_inbound
from bot.dingtalk.cardauth import CardKeys
from bot.dingtalk.crypto import CallbackRejected
from bot.dingtalk.parser import (
    CARD_TOPIC,
    ROBOT_DELEGATE_TOPIC,
    ROBOT_TOPIC,
    StreamFrame,
    load_json,
    parse_stream_frame,
)
from domain.clock import Clock
from domain.db import Database

__all__ = ["OPEN_PATH", "SUBSCRIPTIONS", "StreamClient", "backoff_delay"]

log = logging.getLogger("salesbot.dingtalk.stream")

OPEN_PATH = "/v1.0/gateway/connections/open"
SUBSCRIPTIONS: tuple[dict[str, str], ...] = (
    {"type": "CALLBACK", "topic": ROBOT_TOPIC},
    {"type": "CALLBACK", "topic": CARD_TOPIC},
    {"type": "EVENT", "topic": "*"},
)
USER_AGENT = "salesbot-dingtalk-stream/1.0"
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0
RECV_POLL_S = 0.5  # how often the reader looks at the stop flag
MAX_FRAME_BYTES = 1_048_576
STABLE_S = 30.0  # a connection that lived this long starts the backoff over


def backoff_delay(
    failures: int, *, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S, rng: random.Random | None = None
) -> float:
    """Seconds to wait before reconnect number ``failures`` (1, 2, …): base·2ⁿ⁻¹ capped, then
    "equal jitter" (half fixed, half random) so a fleet of processes spreads out."""
    ceiling = min(cap, base * (2 ** max(failures - 1, 0)))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


class _Reconnect(Exception):
    """The server said ``disconnect``: open a new connection now, no backoff."""


class StreamClient:
    """One Stream connection at a time, kept open by a background thread."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        api_base: str,
        app_key: str,
        app_secret: str,
        on_stored: Callable[[], None],
        backoff_base_s: float = BACKOFF_BASE_S,
        backoff_cap_s: float = BACKOFF_CAP_S,
        http: httpx.Client | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.api_base = api_base.rstrip("/")
        self.app_key = app_key
        self.app_secret = app_secret
        self.card_keys = CardKeys(app_secret)
        self.on_stored = on_stored
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._http = http or httpx.Client(timeout=10)
        self._own_http = http is None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ws: ClientConnection | None = None
        self._ws_lock = threading.Lock()
        self.connections = 0  # connections opened so far (tests and logs)
        self._opened_at: float | None = None  # time.monotonic() when the current one opened
        self.connected = threading.Event()  # set while a connection is open

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="salesbot-dingtalk-stream", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Close the socket and wait for the thread; un-acked frames are redelivered to the next process."""
        self._stop.set()
        with self._ws_lock:
            ws = self._ws
        if ws is not None:
            try:
                ws.close()
            except Exception:  # noqa: BLE001 - closing a broken socket must not stop shutdown
                log.debug("stream close failed", exc_info=True)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._own_http:
            self._http.close()

    def run(self) -> None:
        """Connect, read, reconnect — until :meth:`stop`."""
        failures = 0
        while not self._stop.is_set():
            self._opened_at = None
            try:
                endpoint, ticket = self.open_connection()
                self._session(endpoint, ticket)
                failures = 0  # closed by stop()
            except _Reconnect:
                failures = 0
                log.info("dingtalk stream: server asked to reconnect")
            except (
                httpx.HTTPError,
                OSError,
                ConnectionClosed,
                InvalidHandshake,
                InvalidURI,
                TimeoutError,
                ValueError,
            ) as exc:
                if self._stop.is_set():
                    break
                # After a connection that stayed up a while, one drop waits ~1 s; a server that
                # accepts and drops at once keeps doubling the wait like any other failure.
                opened_at = self._opened_at
                stable = opened_at is not None and time.monotonic() - opened_at >= STABLE_S
                failures = 1 if stable else failures + 1
                delay = backoff_delay(failures, base=self.backoff_base_s, cap=self.backoff_cap_s)
                log.warning(
                    "dingtalk stream connection failed; reconnecting",
                    extra={"error": f"{type(exc).__name__}: {exc}", "attempt": failures, "delay_s": round(delay, 2)},
                )
                self._stop.wait(delay)
            except Exception:  # noqa: BLE001 - the thread must outlive any bug in one frame
                failures += 1
                delay = backoff_delay(failures, base=self.backoff_base_s, cap=self.backoff_cap_s)
                log.exception("dingtalk stream: unexpected error; reconnecting", extra={"delay_s": round(delay, 2)})
                self._stop.wait(delay)
            finally:
                self.connected.clear()

    # ----------------------------------------------------------------- connection
    def open_connection(self) -> tuple[str, str]:
        """``POST /v1.0/gateway/connections/open`` → (endpoint, ticket)."""
        body = {
            "clientId": self.app_key,
            "clientSecret": self.app_secret,
            "subscriptions": list(SUBSCRIPTIONS),
            "ua": USER_AGENT,
            "localIp": _local_ip(),
        }
        response = self._http.post(self.api_base + OPEN_PATH, json=body, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise ValueError(f"connections/open answered HTTP {response.status_code}: {response.text[:200]}")
        data = response.json()
        endpoint, ticket = data.get("endpoint"), data.get("ticket")
        if not isinstance(endpoint, str) or not isinstance(ticket, str) or not endpoint or not ticket:
            raise ValueError("connections/open answered without endpoint and ticket")
        return endpoint, ticket

    def _session(self, endpoint: str, ticket: str) -> None:
        uri = f"{endpoint}{'&' if '?' in endpoint else '?'}ticket={quote_plus(ticket)}"
        with connect(uri, open_timeout=10, close_timeout=2, max_size=MAX_FRAME_BYTES, user_agent_header=USER_AGENT) as ws:
            with self._ws_lock:
                if self._stop.is_set():
                    return
                self._ws = ws
            self.connections += 1
            self._opened_at = time.monotonic()
            self.connected.set()
            log.info("dingtalk stream connected", extra={"connection": self.connections})
            try:
                while not self._stop.is_set():
                    try:
                        raw = ws.recv(timeout=RECV_POLL_S)
                    except TimeoutError:
                        continue
                    ack = self.handle(raw)
                    if ack is not None:
                        ws.send(json.dumps(ack, ensure_ascii=False))
            finally:
                with self._ws_lock:
                    self._ws = None

    # ----------------------------------------------------------------- frames
    def handle(self, raw: str | bytes) -> dict[str, Any] | None:
        """One frame → the ack to send, or None (nothing to ack, or the store failed).

        Raises :class:`_Reconnect` for SYSTEM ``disconnect`` (no ack is expected for it).
        Public so the rules can be read in one place: store first, ack second."""
        now = int(self.clock.now().timestamp())
        try:
            head = json.loads(raw)
        except ValueError:
            log.warning("dingtalk stream: frame is not JSON; ignored")
            return None
        if not isinstance(head, dict):
            log.warning("dingtalk stream: frame is not an object; ignored")
            return None
        headers = head.get("headers", head.get("header"))
        message_id = headers.get("messageId") if isinstance(headers, dict) else None
        topic = headers.get("topic") if isinstance(headers, dict) else None
        if head.get("type") == "SYSTEM" and topic == "disconnect":
            log.info("dingtalk stream: disconnect", extra={"data": str(head.get("data"))[:200]})
            raise _Reconnect()
        if head.get("type") == "CALLBACK" and topic == CARD_TOPIC:
            return self._card(head, message_id, now)
        try:
            frame = parse_stream_frame(head, now=now)
        except CallbackRejected as exc:
            # Redelivery would not make it parse: ack, so DingTalk does not push it forever.
            log.warning("dingtalk stream frame refused", extra={"reason": f"{type(exc).__name__}: {exc}"})
            return _ack(message_id, {"status": "SUCCESS", "message": "refused"}) if message_id else None
        return self._dispatch(frame)

    def _dispatch(self, frame: StreamFrame) -> dict[str, Any] | None:
        if frame.type == "SYSTEM":
            if frame.topic == "ping":
                return _ack(frame.message_id, frame.data)
            log.info("dingtalk stream: unknown system frame", extra={"topic": frame.topic})
            return None
        if frame.type == "CALLBACK" and frame.event is not None and frame.topic in (ROBOT_TOPIC, ROBOT_DELEGATE_TOPIC):
            if not store_inbound(self.db, self.clock, frame.event, self.on_stored):
                return None
            return _ack(frame.message_id, {"response": None})
        if frame.type == "EVENT" and frame.org_event is not None:
            org = frame.org_event
            now = int(self.clock.now().timestamp())
            if not org.is_check_url:
                extra = {"dingtalk_event": org.details()}
                if not store_inbound(self.db, self.clock, org.to_inbound(now), self.on_stored, extra):
                    return None
            return _ack(frame.message_id, {"status": "SUCCESS", "message": "success"})
        log.warning("dingtalk stream: topic not subscribed", extra={"type": frame.type, "topic": frame.topic})
        return _ack(frame.message_id, {"response": None}, code=404, message="unknown topic")

    def _card(self, head: Mapping[str, Any], message_id: Any, now: int) -> dict[str, Any] | None:
        """A card tap: read against the stored card (button slots → actions), as the HTTP endpoint does."""
        try:
            raw_data = head.get("data")
            data = load_json(raw_data) if isinstance(raw_data, str | dict) else {}
            # The socket proves the sender is DingTalk; the tap token proves who tapped (cardauth.py).
            event = authenticated_tap(self.db, self.card_keys, data, now=now)
        except CallbackRejected as exc:
            log.warning("dingtalk stream card tap refused", extra={"reason": f"{type(exc).__name__}: {exc}"})
            return _ack(message_id, {"response": {}}) if isinstance(message_id, str) else None
        except SQLAlchemyError:
            log.exception("card lookup failed; not acking so DingTalk delivers the tap again")
            return None
        if not store_inbound(self.db, self.clock, event, self.on_stored):
            return None
        return _ack(message_id, {"response": {}})


def _ack(message_id: Any, data: Any, *, code: int = 200, message: str = "OK") -> dict[str, Any]:
    """Client→server ack, shaped like the protocol samples (``data`` is a JSON string)."""
    return {
        "code": code,
        "headers": {"messageId": message_id if isinstance(message_id, str) else "", "contentType": "application/json"},
        "message": message,
        "data": json.dumps(data, ensure_ascii=False),
    }


def _local_ip() -> str:
    """The address DingTalk's console shows for this connection; empty when unknown (no traffic sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("10.255.255.255", 1))
            return str(sock.getsockname()[0])
    except OSError:
        return ""
