"""A stand-in ERP webhook receiver: a real HTTP server on loopback that answers from a script.

Each POST takes the next answer from ``script`` (an HTTP status, or
``HANG`` to hold the request past the client's read timeout); once the
script is used up every request gets ``then``. Every request is recorded
with its headers and raw body, so tests can check signatures byte for byte.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

HANG = "hang"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answer: int | str


class ErpReceiver:
    def __init__(self, script: Iterable[int | str] = (), then: int | str = 200) -> None:
        self.script = list(script)
        self.then = then
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    answer = receiver.script.pop(0) if receiver.script else receiver.then
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, answer)
                    )
                if answer == HANG:
                    receiver._release.wait(10)
                    self.close_connection = True
                    return
                assert isinstance(answer, int)
                text = b'{"ok":true}' if answer < 300 else f'{{"error":"status {answer}"}}'.encode()
                self.send_response(answer)
                if 300 <= answer < 400:
                    self.send_header("Location", "https://erp.example.com/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/salesbot"

    @property
    def answers(self) -> list[int | str]:
        with self._lock:
            return [r.answer for r in self.received]

    def __enter__(self) -> ErpReceiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
