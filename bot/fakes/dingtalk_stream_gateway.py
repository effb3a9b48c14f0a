"""The Stream side of the fake DingTalk (docs/platforms/dingtalk.md D3): gateway ticket + WebSocket frames.

Why a real WebSocket: the client's bugs live in the socket's life — ticket use, ping acks,
``disconnect``, dropped connections, acks that never come — so :class:`FakeDingTalk` serves
``POST /v1.0/gateway/connections/open`` (through its normal HTTP dispatch, so faults can be
injected and the call is recorded) and ``ws://127.0.0.1:PORT/connect?ticket=…`` on the same
server, and tests push frames through :class:`StreamGateway` (``fake.stream``).

Wire rules:

* the ticket lives ``TICKET_TTL_S`` on the fake's clock and opens one connection only; a bad
  ticket is refused at the handshake (HTTP 403);
* frames are pushed to the newest open connection (DingTalk picks one of several at random);
  a frame pushed while nobody is connected waits for the next connection;
* an EVENT counts as delivered only after an ack with code 200 and ``status: SUCCESS``;
  until then it is pushed again every ``redeliver_after_s`` (the doc: "re-pushed"); a CALLBACK
  after any code-200 ack.  Robot messages are fire-and-forget per the doc FAQ, but peers saw
  them redelivered about a minute later (PITFALLS.md), so ``redeliver=True`` asks for that;
* ``redeliver_after_s`` defaults to 60 s (UNCONFIRMED: "about a minute" in PITFALLS.md);
* acks arriving on a connection the fake has already dropped are ignored (they are lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

__all__ = ["ROBOT_TOPIC", "CARD_TOPIC", "StreamAckRecord", "StreamGateway"]

JSON = dict[str, Any]
ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
TICKET_TTL_S = 90.0
REDELIVER_AFTER_S = 60.0  # UNCONFIRMED
PUMP_S = 0.02


@dataclass(frozen=True)
class StreamAckRecord:
    """One ack the client sent: which frame, code, and its ``data`` parsed (None if not JSON)."""

    connection: int
    message_id: str
    code: int | None
    data: Any
    raw: str


@dataclass
class _Pending:
    message_id: str
    frame: JSON
    redeliver: bool
    drop_after_send: bool = False
    sent: int = 0
    next_at: float = 0.0  # time.monotonic() of the next push


@dataclass
class _Connection:
    number: int
    app_key: str
    subscriptions: list[Any]
    closing: bool = False  # the fake dropped it: acks from now on are lost
    close_code: int = 1011
    close_after: float | None = None  # monotonic time of a delayed close (after ``disconnect``)
    outbox: list[str] = field(default_factory=list)  # system frames waiting to be sent


class StreamGateway:
    """Tickets, open connections, pending frames and recorded acks; shares the fake's lock."""

    def __init__(self, lock: threading.RLock, clock: Callable[[], float], base_url: Callable[[], str]) -> None:
        self._lock = lock
        self._clock = clock
        self._base_url = base_url
        self.redeliver_after_s = REDELIVER_AFTER_S
        self._tickets: dict[str, tuple[str, float, list[Any]]] = {}
        self._connections: list[_Connection] = []
        self._numbers = 0
        self._pending: dict[str, _Pending] = {}
        self._acks: list[StreamAckRecord] = []
        self._sent: list[tuple[int, str]] = []  # (connection, messageId) per push
        self._ids = 0

    # ----------------------------------------------------------------- gateway (called by the HTTP handler)
    def open(self, app_key: str, subscriptions: list[Any]) -> JSON:
        """``connections/open`` for a checked app → endpoint + a fresh single-use ticket."""
        ticket = secrets.token_hex(16)
        with self._lock:
            self._tickets[ticket] = (app_key, self._clock() + TICKET_TTL_S, list(subscriptions))
        endpoint = "ws" + self._base_url().removeprefix("http") + "/connect"
        return {"endpoint": endpoint, "ticket": ticket}

    # ----------------------------------------------------------------- what tests do
    def push(self, frame: Mapping[str, Any], *, redeliver: bool | None = None, drop_after_send: bool = False) -> str:
        """Queue a frame (its ``headers.messageId`` is filled in); returns the messageId.

        ``redeliver``: push again until acked (default: EVENT yes, CALLBACK no, as documented).
        ``drop_after_send``: drop the connection right after the frame, before any ack can count.
        """
        body = json.loads(json.dumps(frame))
        headers = body.setdefault("headers", {})
        with self._lock:
            if not headers.get("messageId"):
                self._ids += 1
                headers["messageId"] = f"fake_{self._ids:06d}_{secrets.token_hex(4)}"
            message_id = str(headers["messageId"])
            wants = body.get("type") == "EVENT" if redeliver is None else redeliver
            self._pending[message_id] = _Pending(message_id, body, wants, drop_after_send)
        return message_id

    def frame(self, frame_type: str, topic: str, data: Mapping[str, Any], **headers: str) -> JSON:
        """A server→client frame with ``data`` as a JSON string, like the protocol samples."""
        return {
            "specVersion": "1.0",
            "type": frame_type,
            "headers": {
                "topic": topic,
                "contentType": "application/json",
                "time": str(int(self._clock() * 1000)),
                **headers,
            },
            "data": json.dumps(data, ensure_ascii=False),
        }

    def push_robot_message(self, message: Mapping[str, Any], **options: Any) -> str:
        """A robot message (the same JSON the HTTP robot callback carries, e.g. ``driver.text_message``)."""
        return self.push(self.frame("CALLBACK", ROBOT_TOPIC, message), **options)

    def push_card_callback(self, callback: Mapping[str, Any], **options: Any) -> str:
        """A card tap (``actionCallback``, e.g. ``driver.card_callback``) for a ``callbackType=STREAM`` card."""
        return self.push(self.frame("CALLBACK", CARD_TOPIC, callback), **options)

    def push_event(
        self,
        event_type: str,
        data: Mapping[str, Any],
        *,
        event_id: str | None = None,
        corp_id: str = "dingfakecorp0001",
        **options: Any,
    ) -> str:
        """An EVENT (topic ``*``): type and id travel in the headers, the payload in ``data``."""
        now_ms = str(int(self._clock() * 1000))
        headers = {
            "eventType": event_type,
            "eventId": event_id or secrets.token_hex(16),
            "eventCorpId": corp_id,
            "eventBornTime": now_ms,
            "eventUnifiedAppId": "fake-unified-app",
        }
        return self.push(self.frame("EVENT", "*", data, **headers), **options)

    def ping(self, opaque: str | None = None) -> str:
        """SYSTEM ping on every open connection; the client must ack echoing ``data``."""
        with self._lock:
            self._ids += 1
            message_id = f"ping_{self._ids:06d}"
            frame = self.frame("SYSTEM", "ping", {"opaque": opaque or secrets.token_hex(4)}, messageId=message_id)
            for conn in self._open():
                conn.outbox.append(json.dumps(frame))
        return message_id

    def disconnect(self, reason: str = "connection is expired", close_after_s: float = 10.0) -> None:
        """SYSTEM disconnect, then the server closes after ``close_after_s`` (DingTalk: ~10 s)."""
        frame = self.frame("SYSTEM", "disconnect", {"reason": reason})
        with self._lock:
            for conn in self._open():
                conn.outbox.append(json.dumps(frame))
                conn.close_after = time.monotonic() + close_after_s
                conn.close_code = 1000

    def drop(self) -> int:
        """Drop every open connection now (network trouble); returns how many."""
        with self._lock:
            conns = self._open()
            for conn in conns:
                conn.closing = True
            return len(conns)

    # ----------------------------------------------------------------- what tests read
    def wait_connections(self, count: int, timeout: float = 10.0) -> int:
        """Block until ``count`` connections were ever opened and one is open now."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._numbers >= count and self._open():
                    return self._numbers
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for stream connection #{count} (opened: {self._numbers})")

    @property
    def connections_opened(self) -> int:
        with self._lock:
            return self._numbers

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open())

    @property
    def subscriptions(self) -> list[Any]:
        """Subscriptions of the newest connection."""
        with self._lock:
            return list(self._connections[-1].subscriptions) if self._connections else []

    @property
    def acks(self) -> list[StreamAckRecord]:
        with self._lock:
            return list(self._acks)

    def acks_for(self, message_id: str) -> list[StreamAckRecord]:
        with self._lock:
            return [a for a in self._acks if a.message_id == message_id]

    def deliveries(self, message_id: str) -> int:
        """How many times the frame was pushed (1 + redeliveries)."""
        with self._lock:
            return sum(1 for _, m in self._sent if m == message_id)

    def pending(self) -> list[str]:
        """messageIds not yet acked (and, for fire-and-forget frames, not yet sent)."""
        with self._lock:
            return list(self._pending)

    # ----------------------------------------------------------------- the socket
    def _open(self) -> list[_Connection]:
        return [c for c in self._connections if not c.closing]

    def _use_ticket(self, ticket: str) -> tuple[str, list[Any]] | None:
        with self._lock:
            entry = self._tickets.pop(ticket, None)  # single use
            if entry is None or self._clock() > entry[1]:
                return None
            return entry[0], entry[2]

    def _next_sends(self, conn: _Connection) -> tuple[list[tuple[str, str | None]], bool]:
        """What the pump sends now ((text, messageId) …) and whether to close afterwards."""
        with self._lock:
            sends: list[tuple[str, str | None]] = [(text, None) for text in conn.outbox]
            conn.outbox.clear()
            close = conn.closing or (conn.close_after is not None and time.monotonic() >= conn.close_after)
            # Frames go to the newest connection that was not told to ``disconnect``.
            opened = [c for c in self._open() if c.close_after is None]
            if close or not opened or opened[-1] is not conn:
                conn.closing = conn.closing or close
                return sends, close
            now = time.monotonic()
            for pending in list(self._pending.values()):
                due = pending.sent == 0 or (pending.redeliver and now >= pending.next_at)
                if not due:
                    continue
                pending.sent += 1
                pending.next_at = now + self.redeliver_after_s
                sends.append((json.dumps(pending.frame, ensure_ascii=False), pending.message_id))
                self._sent.append((conn.number, pending.message_id))
                if not pending.redeliver:
                    del self._pending[pending.message_id]  # fire-and-forget
                if pending.drop_after_send:
                    pending.drop_after_send = False
                    conn.closing = True  # mark before sending: the ack must not count
                    return sends, True
            return sends, False

    def _record_ack(self, conn: _Connection, text: str) -> None:
        try:
            ack = json.loads(text)
        except ValueError:
            ack = None
        if not isinstance(ack, dict):
            ack = {}
        raw_headers = ack.get("headers")
        headers: JSON = raw_headers if isinstance(raw_headers, dict) else {}
        message_id = str(headers.get("messageId", ""))
        code = ack.get("code") if isinstance(ack.get("code"), int) else None
        data: Any = ack.get("data")
        if isinstance(data, str):
            with contextlib.suppress(ValueError):
                data = json.loads(data)
        with self._lock:
            if conn.closing:
                return  # lost on a dropped connection
            self._acks.append(StreamAckRecord(conn.number, message_id, code, data, text))
            pending = self._pending.get(message_id)
            if pending is None or code != 200:
                return
            if pending.frame.get("type") == "EVENT" and not (isinstance(data, dict) and data.get("status") == "SUCCESS"):
                return  # LATER (or no status): pushed again
            del self._pending[message_id]

    async def serve(self, websocket: WebSocket) -> None:
        """One client connection: refuse a bad ticket, then pump frames out and read acks in."""
        entry = self._use_ticket(websocket.query_params.get("ticket", ""))
        if entry is None:
            await websocket.close(code=1008)  # before accept: the handshake answers 403
            return
        await websocket.accept()
        with self._lock:
            self._numbers += 1
            conn = _Connection(self._numbers, entry[0], entry[1])
            self._connections.append(conn)

        async def read() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    self._record_ack(conn, await websocket.receive_text())

        reader = asyncio.create_task(read())
        try:
            while not reader.done():
                sends, close = self._next_sends(conn)
                for text, _ in sends:
                    await websocket.send_text(text)
                if close:
                    await websocket.close(code=conn.close_code)
                    break
                await asyncio.sleep(PUMP_S)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the client went away
        finally:
            with self._lock:
                conn.closing = True
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
