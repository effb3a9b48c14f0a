"""A protocol-faithful fake of qyapi.weixin.qq.com (WeCom self-built app APIs).

Why a real HTTP server and not a mocked client: the product talks to WeCom through
plain HTTP (tokens in the query string, JSON bodies, raw bytes for media), and the
bugs we care about live exactly there -- token refresh races, errcode handling,
content-type checks on media downloads, multipart uploads.  Tests and the local
simulator therefore point ``api_base`` at this server and assert what a user would
*see* (``inbox_of``), not which functions were called.

Wire rules follow ``docs/platforms/wecom.md``.  Everything the reference
could not confirm is a module constant marked UNCONFIRMED so it is easy to adjust
once somebody sees the real answer:

* ``ERR_INVALID_RESPONSE_CODE`` (40120) for a used/unknown/expired response_code;
* ``ERR_INVALID_PARAMETER`` (40058) for malformed template cards and other bad bodies;
* ``ERR_WEBHOOK_IMAGE`` (40058) for a webhook image whose base64/md5 do not match;
* gettoken repeated within validity returns the *remaining* lifetime as ``expires_in``;
* a message/send with no touser/toparty/totag at all answers 40003;
* agentid not matching the token's app answers 40056;
* update_template_card without any target (userids/partyids/tagids/atall) answers 40058
  instead of silently updating nobody;
* the update_template_card reply keys (``invaliduser`` as a list).

Run standalone for the simulator::

    python -m bot.fakes.wecom_server --port 8090

Besides the WeCom paths, a few test-only endpoints live under ``/_fake/`` (inbox,
card click, OAuth code, raw media for PicUrl) so a simulator in another process can
drive and inspect the fake.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import copy
import hashlib
import itertools
import json
import logging
import mimetypes
import re
import secrets
import signal
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import quote

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

log = logging.getLogger(__name__)

Clock = Callable[[], float]
JSON = dict[str, Any]

# --------------------------------------------------------------------------- limits (docs/platforms/wecom.md W4-W9)
TOKEN_TTL_S = 7200
RESPONSE_CODE_TTL_S = 72 * 3600
MEDIA_TTL_S = 3 * 86400
OAUTH_CODE_TTL_S = 300
MEMBER_LIMIT_PER_MINUTE = 30
MEMBER_LIMIT_PER_HOUR = 1000
WEBHOOK_LIMIT_PER_MINUTE = 20
TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 2048
WEBHOOK_TEXT_MAX_BYTES = 2048
WEBHOOK_MARKDOWN_MAX_BYTES = 4096
WEBHOOK_IMAGE_MAX_BYTES = 2 * 1024 * 1024
TASK_ID_MAX_BYTES = 128
BUTTON_KEY_MAX_BYTES = 1024
MEDIA_MIN_BYTES = 5
# image: 10 MB in current docs, 2 MB in older ones (UNCONFIRMED which one is live)
MEDIA_MAX_BYTES = {
    "image": 10 * 1024 * 1024,
    "voice": 2 * 1024 * 1024,
    "video": 10 * 1024 * 1024,
    "file": 20 * 1024 * 1024,
}
MEDIA_SIZE_ERRCODE = {"image": 40009, "voice": 40010, "video": 40011, "file": 40006}

TASK_ID_RE = re.compile(r"^[0-9A-Za-z_\-@]+$")
USERID_RE = re.compile(r"^[0-9A-Za-z_\-@.]{1,64}$")
INTERACTIVE_CARD_TYPES = frozenset({"button_interaction", "vote_interaction", "multiple_interaction"})
NOTICE_CARD_TYPES = frozenset({"text_notice", "news_notice"})
CARD_TYPES = INTERACTIVE_CARD_TYPES | NOTICE_CARD_TYPES

# --------------------------------------------------------------------------- error codes (docs/platforms/wecom.md W8)
ERR_INVALID_RESPONSE_CODE = 40120  # UNCONFIRMED: real code for a used/unknown response_code not found
ERR_INVALID_PARAMETER = 40058  # UNCONFIRMED for card validation; WeCom's generic "invalid parameter"
ERR_WEBHOOK_IMAGE = 40058  # UNCONFIRMED: base64/md5 mismatch on webhook images
ERR_TASK_ID_USED = 42014  # PITFALLS.md "Cards"

ERRMSG: dict[int, str] = {
    -1: "system busy",
    0: "ok",
    40001: "invalid credential",
    40003: "invalid userid",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40010: "invalid voice size",
    40011: "invalid video size",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40029: "invalid code",
    40056: "invalid agentid",
    40058: "invalid Request Parameter",
    40120: "invalid response_code",
    41001: "access_token missing",
    41002: "corpid missing",
    41004: "corpsecret missing",
    41011: "missing agentid",
    42001: "access_token expired",
    42014: "task_id has been used",
    43001: "require GET method",
    43002: "require POST method",
    44001: "empty media data",
    45002: "content size out of limit",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    47001: "data format error",
    48001: "api unauthorized",
    48002: "api forbidden",
    60003: "department not found",
    60011: "no privilege to access/modify contact/party/agent",
    60020: "not allow to access from your ip",
    60111: "userid not found",
    81013: "user & party & tag all invalid",
    86001: "invalid chatid",
    93000: "invalid webhook url",
}


class ManualClock:
    """A clock tests can move: pass ``clock=ManualClock()`` to the fake (and to the client)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


# --------------------------------------------------------------------------- configuration records
@dataclass(frozen=True)
class AppConfig:
    """One self-built app.  Tokens are per app (per secret), task_ids are unique per app."""

    corp_id: str = "ww0fake0corp00001"
    corpsecret: str = "fake-corp-secret-0001"
    agent_id: int = 1000002
    name: str = "salesbot"


@dataclass
class User:
    """A member as the contacts APIs return it (W10).  ``status``: 1 active, 2 disabled, 4 not activated, 5 quit."""

    userid: str
    name: str
    department: list[int] = field(default_factory=lambda: [1])
    is_leader_in_dept: list[int] | None = None
    direct_leader: list[str] = field(default_factory=list)
    position: str = ""
    order: list[int] | None = None
    main_department: int | None = None
    status: int = 1
    alias: str = ""
    telephone: str = ""
    extra: JSON = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.is_leader_in_dept is None:
            self.is_leader_in_dept = [0] * len(self.department)
        if self.order is None:
            self.order = [0] * len(self.department)
        if self.main_department is None:
            self.main_department = self.department[0] if self.department else 1
        if len(self.is_leader_in_dept) != len(self.department):
            raise ValueError("is_leader_in_dept must be aligned with department")

    def to_json(self) -> JSON:
        # Since 2022-06-20 new apps no longer get mobile/gender/email/avatar (W10), so they are omitted.
        data: JSON = {
            "userid": self.userid,
            "name": self.name,
            "department": list(self.department),
            "order": list(self.order or []),
            "position": self.position,
            "is_leader_in_dept": list(self.is_leader_in_dept or []),
            "direct_leader": list(self.direct_leader),
            "telephone": self.telephone,
            "alias": self.alias,
            "status": self.status,
            "main_department": self.main_department,
            "open_userid": "wo" + hashlib.sha1(self.userid.encode()).hexdigest()[:30],
            "extattr": {"attrs": []},
        }
        data.update(self.extra)
        return data


@dataclass
class Department:
    """A department (W10); root is id 1; bigger ``order`` sorts first in the WeCom UI."""

    id: int
    name: str
    parentid: int = 1
    order: int = 100000000
    department_leader: list[str] = field(default_factory=list)
    name_en: str | None = None

    def to_json(self) -> JSON:
        data: JSON = {
            "id": self.id,
            "name": self.name,
            "parentid": self.parentid,
            "order": self.order,
            "department_leader": list(self.department_leader),
        }
        if self.name_en is not None:
            data["name_en"] = self.name_en
        return data


# --------------------------------------------------------------------------- recorded state
@dataclass
class CardCopy:
    """One recipient's copy of a template card, in its CURRENT state.

    ``replace_name`` is set when an update greyed the buttons out (``button.replace_name``);
    ``history`` keeps every earlier state so tests can assert the sequence.
    """

    userid: str
    card: JSON
    replace_name: str | None = None
    version: int = 0
    history: list[JSON] = field(default_factory=list)

    @property
    def greyed_out(self) -> bool:
        """Buttons replaced by one grey text: ``button.replace_name`` or a card carrying ``replace_text``."""
        return self.replace_name is not None or bool(self.card.get("replace_text"))

    def snapshot(self) -> JSON:
        return {"card": copy.deepcopy(self.card), "replace_name": self.replace_name, "version": self.version}

    def _apply(self, *, card: JSON | None, replace_name: str | None, how: str) -> None:
        self.history.append({**self.snapshot(), "replaced_by": how})
        if card is not None:
            # Still the same card (found by its response_code): it keeps its task_id, sent or not.
            task_id = (self.card or {}).get("task_id")
            self.card = {**copy.deepcopy(card), **({"task_id": task_id} if task_id else {})}
            self.replace_name = None
        else:
            self.replace_name = replace_name
        self.version += 1


@dataclass
class CardRecord:
    """A template card sent once by one app, with a copy per recipient who actually got it."""

    task_id: str
    agent_id: int
    msgid: str
    original: JSON
    sent_at: float
    copies: dict[str, CardCopy] = field(default_factory=dict)

    def __getitem__(self, userid: str) -> CardCopy:
        return self.copies[userid]

    @property
    def recipients(self) -> list[str]:
        return list(self.copies)


@dataclass(frozen=True)
class InboxMessage:
    """What one member sees in the app's conversation.  For cards ``card`` is the current state."""

    msgid: str
    msgtype: str
    agent_id: int
    sent_at: float
    body: JSON
    source: str = "api"  # "api" (message/send) or "passive" (reply in the callback response)
    card: JSON | None = None
    replace_name: str | None = None
    card_version: int = 0

    @property
    def content(self) -> str | None:
        value = self.body.get("content")
        return value if isinstance(value, str) else None

    @property
    def task_id(self) -> str | None:
        value = (self.card or {}).get("task_id")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class DroppedMessage:
    """A message WeCom accepted (errcode 0) but never showed: per-member frequency limit."""

    userid: str
    msgid: str
    msgtype: str
    agent_id: int
    at: float
    body: JSON
    reason: str


@dataclass(frozen=True)
class Click:
    userid: str
    task_id: str
    key: str | None
    response_code: str
    at: float
    selected: Mapping[str, Sequence[str]] | None = None


@dataclass(frozen=True)
class WebhookMessage:
    key: str
    msgtype: str
    body: JSON
    at: float


@dataclass(frozen=True)
class AppChatMessage:
    chatid: str
    msgtype: str
    body: JSON
    agent_id: int
    at: float


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    at: float
    json: Any = None
    errcode: int | None = None


@dataclass
class Media:
    media_id: str
    data: bytes
    content_type: str
    filename: str
    kind: str
    created_at: float


@dataclass
class AppChat:
    chatid: str
    name: str
    owner: str
    userlist: list[str]


class CardNotClickable(RuntimeError):
    """A test tried to click a card the user cannot click (not received, greyed out, not interactive)."""


# --------------------------------------------------------------------------- internals
@dataclass
class _Token:
    value: str
    app: AppConfig
    expires_at: float
    force_expired: bool = False


@dataclass
class _ResponseCode:
    code: str
    agent_id: int
    task_id: str
    issued_at: float
    userid: str | None  # None: issued by message/send (covers all recipients)
    used: bool = False


@dataclass
class _OAuthCode:
    code: str
    userid: str
    issued_at: float
    agent_id: int | None
    used: bool = False


@dataclass
class _Delivery:
    userid: str
    msgid: str
    msgtype: str
    agent_id: int
    at: float
    body: JSON
    source: str
    task_id: str | None = None


class _ApiError(Exception):
    def __init__(self, errcode: int, detail: str | None = None, **extra: Any) -> None:
        super().__init__(errcode, detail)
        self.errcode = errcode
        self.detail = detail
        self.extra = extra


@dataclass
class _Ctx:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: Mapping[str, str]
    client_ip: str
    app: AppConfig | None = None

    def json_body(self) -> JSON:
        try:
            data = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _ApiError(47001) from exc
        if not isinstance(data, dict):
            raise _ApiError(47001)
        return data


def _utf8_len(value: Any) -> int:
    return len(str(value).encode("utf-8"))


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _split_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if str(v)]
    return [part for part in str(value).split("|") if part]


def _content_disposition(filename: str) -> str:
    """``attachment; filename="..."`` -- non-ASCII names (常见: 中文文件名) go in RFC 5987 ``filename*``."""
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace('"', "_")
    if ascii_name == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, str | None, bytes]]:
    """Parse multipart/form-data into ``{name: (filename, content_type, data)}``.

    Written by hand (instead of pulling python-multipart) because the fake only needs
    the single ``media`` field and must keep the bytes exact.
    """
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ValueError("multipart boundary missing")
    delimiter = b"--" + match.group(1).encode("latin-1")
    parts: dict[str, tuple[str | None, str | None, bytes]] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name_m = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        file_m = re.search(r'filename="([^"]*)"', disposition)
        if name_m:
            parts[name_m.group(1)] = (file_m.group(1) if file_m else None, headers.get("content-type"), data)
    return parts


# --------------------------------------------------------------------------- HTTP server plumbing
class _PromptServer(uvicorn.Server):
    """uvicorn's server, leaving its main loop as soon as it is asked to stop.

    uvicorn looks at ``should_exit`` only every 0.1 s (its main loop sleeps between ticks);
    with two servers stopped per test stack that tick cost every test up to 0.2 s of idle
    waiting. Here the loop also wakes when ``wake_to_exit`` is called (from any thread).
    """

    _exit: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._exit = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    def wake_to_exit(self) -> None:
        self.should_exit = True
        loop, event = self._loop, self._exit
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed: nothing to wake
                loop.call_soon_threadsafe(event.set)


class BackgroundServer:
    """Run any ASGI app with uvicorn in a daemon thread on 127.0.0.1 (port 0 = a free port).

    Reused by tests for throwaway endpoints, so the socket is bound here (not by uvicorn)
    to learn the real port before the thread starts.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: _PromptServer | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> str:
        if self._server is not None:
            return self.base_url
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto is IPPROTO_TCP; without it every keep-alive response waits ~40 ms (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        server = _PromptServer(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"fake-http-{self.port}"
        )
        self._server, self._thread, self._sock = server, thread, sock
        thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self.base_url

    def begin_stop(self) -> None:
        """Ask the server to stop and return at once; ``stop`` then waits for it. uvicorn's shutdown
        pauses 0.1 s, so stopping a test's servers together (begin_stop on each, then stop) pays
        that pause once."""
        if self._server is not None:
            self._server.wake_to_exit()

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._sock
        self._server = self._thread = self._sock = None
        if server is not None:
            server.wake_to_exit()
        if thread is not None:
            thread.join(timeout=10)
        if sock is not None:
            sock.close()


# --------------------------------------------------------------------------- the fake
class FakeWeCom:
    """The fake qyapi.weixin.qq.com.  Thread-safe: HTTP handlers and test hooks share one lock."""

    def __init__(
        self,
        apps: Sequence[AppConfig] | None = None,
        *,
        users: Iterable[User] = (),
        departments: Iterable[Department] = (),
        clock: Clock = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
        corp_name: str = "FakeCorp",
    ) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._apps: list[AppConfig] = list(apps) if apps else [AppConfig()]
        self._departments: dict[int, Department] = {1: Department(1, corp_name, parentid=0)}
        self._users: dict[str, User] = {}
        for dept in departments:
            self.add_department(dept)
        for user in users:
            self.add_user(user)
        self._tokens: dict[str, _Token] = {}
        self._current_token: dict[int, _Token] = {}
        self.gettoken_calls = 0
        self.gettoken_calls_by_agent: dict[int, int] = defaultdict(int)
        self._deliveries: list[_Delivery] = []
        self._dropped: list[DroppedMessage] = []
        self._member_window: dict[tuple[int, str], deque[float]] = defaultdict(deque)
        self._cards: dict[tuple[int, str], CardRecord] = {}
        self._response_codes: dict[str, _ResponseCode] = {}
        self._clicks: list[Click] = []
        self._media: dict[str, Media] = {}
        self._appchats: dict[str, AppChat] = {}
        self._appchat_messages: list[AppChatMessage] = []
        self._webhooks: set[str] = set()
        self._webhook_messages: list[WebhookMessage] = []
        self._webhook_window: dict[str, deque[float]] = defaultdict(deque)
        self._oauth_codes: dict[str, _OAuthCode] = {}
        self._faults: dict[str, deque[tuple[int, str | None]]] = defaultdict(deque)
        self._lost_answers: dict[str, int] = defaultdict(int)
        self._duplicate_checked: dict[tuple[int, str], tuple[float, str]] = {}
        self._requests: list[RecordedRequest] = []
        self._hint_seq = itertools.count(1)
        # Public so extensions (the simulator's member-side API, bot/fakes/wecom_user_api.py) can add routes.
        self.asgi_app = self._build_asgi_app()
        self._server = BackgroundServer(self.asgi_app, host=host, port=port)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> str:
        """Start serving; returns ``base_url`` (``http://127.0.0.1:PORT``)."""
        return self._server.start()

    def begin_stop(self) -> None:
        """Start stopping without waiting (``BackgroundServer.begin_stop``); ``stop`` finishes."""
        self._server.begin_stop()

    def stop(self) -> None:
        self._server.stop()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def __enter__(self) -> FakeWeCom:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------- setup hooks
    @property
    def apps(self) -> list[AppConfig]:
        return list(self._apps)

    @property
    def app(self) -> AppConfig:
        """The first (usually only) app."""
        return self._apps[0]

    def add_app(self, app: AppConfig) -> AppConfig:
        with self._lock:
            self._apps.append(app)
        return app

    def add_department(self, dept: Department | None = None, /, **kwargs: Any) -> Department:
        """Register a department: ``add_department(Department(...))`` or ``add_department(id=2, name=...)``."""
        department = dept if dept is not None else Department(**kwargs)
        with self._lock:
            self._departments[department.id] = department
        return department

    def remove_department(self, dept_id: int) -> None:
        """The admin deletes a department (the caller moves its members first, as an admin would);
        the callback ``change_contact`` / ``delete_party`` is the driver's to push."""
        with self._lock:
            self._departments.pop(dept_id, None)

    def add_user(self, user: User | None = None, /, **kwargs: Any) -> User:
        """Register a member: ``add_user(User(...))`` or ``add_user(userid=..., name=..., department=[2])``."""
        member = user if user is not None else User(**kwargs)
        with self._lock:
            self._users[member.userid] = member
        return member

    def add_media(
        self, data: bytes, content_type: str = "image/jpeg", filename: str | None = None, kind: str = "image"
    ) -> str:
        """Register media a test pretends a user sent (valid 3 days, like real media_ids)."""
        with self._lock:
            return self._store_media(data, content_type, filename, kind)

    def add_appchat(
        self, chatid: str, userlist: Sequence[str], owner: str | None = None, name: str = ""
    ) -> AppChat:
        chat = AppChat(
            chatid=chatid,
            name=name or chatid,
            owner=owner or (userlist[0] if userlist else ""),
            userlist=list(userlist),
        )
        with self._lock:
            self._appchats[chatid] = chat
        return chat

    def add_webhook(self, key: str | None = None) -> str:
        """Create a group robot; returns its key (the ``key=`` of the webhook URL)."""
        robot_key = key or str(secrets.token_hex(4) + "-" + secrets.token_hex(2) + "-" + secrets.token_hex(6))
        with self._lock:
            self._webhooks.add(robot_key)
        return robot_key

    def issue_oauth_code(self, userid: str, agent_id: int | None = None) -> str:
        """What WeCom appends to the redirect_uri after OAuth (single use, 5 min)."""
        with self._lock:
            if userid not in self._users:
                raise KeyError(f"unknown userid {userid!r}")
            code = secrets.token_urlsafe(24)
            self._oauth_codes[code] = _OAuthCode(code, userid, self.clock(), agent_id)
            return code

    # ----------------------------------------------------------------- fault / time hooks
    def expire_tokens(self) -> None:
        """Every current token now answers 42001; the next gettoken issues a new one."""
        with self._lock:
            for token in self._tokens.values():
                token.force_expired = True
            self._current_token.clear()

    def invalidate_tokens(self) -> None:
        """Forget every token (answers 40014), as when a secret is reset in the admin console."""
        with self._lock:
            self._tokens.clear()
            self._current_token.clear()

    def fail_next(self, path: str, errcode: int, times: int = 1, errmsg: str | None = None) -> None:
        """The next ``times`` calls to ``path`` answer ``errcode`` before any other check."""
        with self._lock:
            for _ in range(times):
                self._faults[path].append((errcode, errmsg))

    def lose_next_answer(self, path: str, times: int = 1) -> None:
        """The next ``times`` calls to ``path`` take effect, but their answer is lost (HTTP 504), as on a timeout."""
        with self._lock:
            self._lost_answers[path] += times

    # ----------------------------------------------------------------- card interaction hooks
    def click_card(
        self,
        userid: str,
        task_id: str,
        key: str | None = None,
        *,
        agent_id: int | None = None,
        selected: Mapping[str, Sequence[str]] | None = None,
    ) -> str:
        """A member taps a card button; returns the fresh one-shot ResponseCode for that click.

        Raises CardNotClickable when a real user could not have tapped (no copy, greyed
        out, non-interactive card, or a key that is not on the card) -- a test bug.
        """
        with self._lock:
            record = self._find_card(task_id, agent_id)
            if record is None or userid not in record.copies:
                raise CardNotClickable(f"{userid!r} has no copy of card {task_id!r}")
            card_copy = record.copies[userid]
            if card_copy.greyed_out:
                shown = card_copy.replace_name or card_copy.card.get("replace_text")
                raise CardNotClickable(f"card {task_id!r} is greyed out ({shown!r}) for {userid!r}")
            keys = _clickable_keys(card_copy.card)
            if keys is None:
                raise CardNotClickable(f"card {task_id!r} is not interactive")
            if key is not None and key not in keys:
                raise CardNotClickable(f"key {key!r} is not on card {task_id!r} (keys: {sorted(keys)})")
            code = self._new_response_code(record.agent_id, task_id, userid)
            self._clicks.append(Click(userid, task_id, key, code, self.clock(), selected))
            return code

    def apply_passive_update(
        self,
        userid: str,
        task_id: str,
        *,
        replace_name: str | None = None,
        card: JSON | None = None,
        agent_id: int | None = None,
    ) -> None:
        """Apply an update_button / update_template_card passive reply: only the clicker's copy changes."""
        if (replace_name is None) == (card is None):
            raise ValueError("give exactly one of replace_name or card")
        with self._lock:
            record = self._find_card(task_id, agent_id)
            if record is None or userid not in record.copies:
                raise CardNotClickable(f"{userid!r} has no copy of card {task_id!r}")
            record.copies[userid]._apply(card=card, replace_name=replace_name, how="passive")

    def deliver_passive_reply(
        self, userid: str, msgtype: str, body: JSON, agent_id: int | None = None
    ) -> str:
        """Record a passive (in-band) reply message as seen by ``userid``; returns its msgid."""
        with self._lock:
            msgid = self._new_msgid()
            agent = agent_id if agent_id is not None else self.app.agent_id
            self._deliveries.append(
                _Delivery(userid, msgid, msgtype, agent, self.clock(), copy.deepcopy(body), "passive")
            )
            return msgid

    # ----------------------------------------------------------------- recording accessors
    def inbox_of(self, userid: str, agent_id: int | None = None) -> list[InboxMessage]:
        """Messages ``userid`` can see, oldest first; cards in their current state."""
        with self._lock:
            result: list[InboxMessage] = []
            for d in self._deliveries:
                if d.userid != userid or (agent_id is not None and d.agent_id != agent_id):
                    continue
                card = replace_name = None
                version = 0
                if d.task_id is not None:
                    record = self._cards.get((d.agent_id, d.task_id))
                    if record is not None and userid in record.copies:
                        c = record.copies[userid]
                        card, replace_name, version = copy.deepcopy(c.card), c.replace_name, c.version
                result.append(
                    InboxMessage(
                        msgid=d.msgid,
                        msgtype=d.msgtype,
                        agent_id=d.agent_id,
                        sent_at=d.at,
                        body=copy.deepcopy(d.body),
                        source=d.source,
                        card=card,
                        replace_name=replace_name,
                        card_version=version,
                    )
                )
            return result

    @property
    def cards(self) -> dict[str, CardRecord]:
        """``{task_id: CardRecord}``; ``fake.cards[tid][userid]`` is that user's current copy."""
        with self._lock:
            return {task_id: record for (_agent, task_id), record in self._cards.items()}

    @property
    def dropped(self) -> list[DroppedMessage]:
        with self._lock:
            return list(self._dropped)

    @property
    def clicks(self) -> list[Click]:
        with self._lock:
            return list(self._clicks)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def webhook_messages(self, key: str) -> list[WebhookMessage]:
        with self._lock:
            return [m for m in self._webhook_messages if m.key == key]

    def appchat_messages(self, chatid: str) -> list[AppChatMessage]:
        with self._lock:
            return [m for m in self._appchat_messages if m.chatid == chatid]

    def media(self, media_id: str) -> Media | None:
        with self._lock:
            return self._media.get(media_id)

    # ----------------------------------------------------------------- helpers
    def _errmsg(self, errcode: int, ctx: _Ctx | None, detail: str | None = None) -> str:
        if errcode == 0:
            return "ok"
        base = detail or ERRMSG.get(errcode, "unknown error")
        hint = f"{int(self.clock())}_{next(self._hint_seq)}_{secrets.token_hex(16)}"
        ip = ctx.client_ip if ctx else "127.0.0.1"
        return f"{base}, hint: [{hint}], from ip: {ip}, more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}"

    def _new_msgid(self) -> str:
        return secrets.token_urlsafe(36)

    def _new_response_code(self, agent_id: int, task_id: str, userid: str | None) -> str:
        code = secrets.token_urlsafe(48)
        self._response_codes[code] = _ResponseCode(code, agent_id, task_id, self.clock(), userid)
        return code

    def _store_media(self, data: bytes, content_type: str, filename: str | None, kind: str) -> str:
        media_id = "3" + secrets.token_urlsafe(42)
        ext = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
        self._media[media_id] = Media(
            media_id, bytes(data), content_type, filename or f"{media_id}{ext}", kind, self.clock()
        )
        return media_id

    def _find_card(self, task_id: str, agent_id: int | None) -> CardRecord | None:
        if agent_id is not None:
            return self._cards.get((agent_id, task_id))
        for (_agent, tid), record in self._cards.items():
            if tid == task_id:
                return record
        return None

    def _resolve_token(self, ctx: _Ctx) -> AppConfig:
        value = ctx.query.get("access_token", "")
        if not value:
            raise _ApiError(41001)
        token = self._tokens.get(value)
        if token is None:
            raise _ApiError(40014)
        if token.force_expired or self.clock() >= token.expires_at:
            raise _ApiError(42001)
        return token.app

    def _check_agentid(self, ctx: _Ctx, data: JSON) -> None:
        assert ctx.app is not None
        if "agentid" not in data:
            raise _ApiError(41011)
        if _as_int(data.get("agentid")) != ctx.app.agent_id:
            raise _ApiError(40056)

    def _descendants(self, dept_id: int) -> list[int]:
        result = [dept_id]
        frontier = [dept_id]
        while frontier:
            parent = frontier.pop()
            for dept in self._departments.values():
                if dept.parentid == parent and dept.id not in result and dept.id != parent:
                    result.append(dept.id)
                    frontier.append(dept.id)
        return result

    def _members_of(self, dept_ids: Iterable[int]) -> list[str]:
        wanted = set(dept_ids)
        return [u.userid for u in self._users.values() if wanted.intersection(u.department)]

    # ----------------------------------------------------------------- message validation
    def _check_message_body(
        self, ctx: _Ctx, data: JSON, msgtype: str, *, text_max: int, markdown_max: int
    ) -> JSON:
        body = data.get(msgtype)
        if not isinstance(body, dict):
            raise _ApiError(ERR_INVALID_PARAMETER, f"missing {msgtype} field")
        if msgtype in ("text", "markdown"):
            content = body.get("content")
            if not isinstance(content, str) or not content:
                raise _ApiError(ERR_INVALID_PARAMETER, "empty content")
            limit = text_max if msgtype == "text" else markdown_max
            # "最长不超过2048个字节，超过将截断" (发送应用消息; WxJava weixin-java-cp/.../WxCpMessage.java
            # @ 5c1018e javadoc of content): longer content is cut by WeCom, not refused.
            body["content"] = _cut_utf8(content, limit)
        elif msgtype in ("image", "file", "voice", "video"):
            media = self._media.get(str(body.get("media_id", "")))
            if media is None or self.clock() > media.created_at + MEDIA_TTL_S:
                raise _ApiError(40007)
        elif msgtype == "news":
            articles = body.get("articles")
            if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
                raise _ApiError(ERR_INVALID_PARAMETER, "news articles must be 1-8")
        elif msgtype == "textcard":
            for required in ("title", "description", "url"):
                if not body.get(required):
                    raise _ApiError(ERR_INVALID_PARAMETER, f"textcard {required} missing")
        elif msgtype == "template_card":
            _validate_card(body, allowed_types=CARD_TYPES)
        else:
            raise _ApiError(40008)
        return body

    def _member_may_receive(self, agent_id: int, userid: str, now: float) -> bool:
        window = self._member_window[(agent_id, userid)]
        while window and window[0] <= now - 3600:
            window.popleft()
        last_minute = sum(1 for t in window if t > now - 60)
        if last_minute >= MEMBER_LIMIT_PER_MINUTE or len(window) >= MEMBER_LIMIT_PER_HOUR:
            return False
        window.append(now)
        return True

    # ----------------------------------------------------------------- endpoint handlers
    def _h_gettoken(self, ctx: _Ctx) -> JSON:
        corpid = ctx.query.get("corpid", "")
        secret = ctx.query.get("corpsecret", "")
        if not corpid:
            raise _ApiError(41002)
        if not secret:
            raise _ApiError(41004)
        candidates = [a for a in self._apps if a.corp_id == corpid]
        if not candidates:
            raise _ApiError(40013)
        app = next((a for a in candidates if a.corpsecret == secret), None)
        if app is None:
            raise _ApiError(40001)
        self.gettoken_calls += 1
        self.gettoken_calls_by_agent[app.agent_id] += 1
        now = self.clock()
        current = self._current_token.get(app.agent_id)
        if current is None or current.force_expired or now >= current.expires_at:
            current = _Token(secrets.token_urlsafe(96), app, now + TOKEN_TTL_S)
            self._tokens[current.value] = current
            self._current_token[app.agent_id] = current
        # UNCONFIRMED: within validity we answer the remaining lifetime, not a fresh 7200.
        return {"access_token": current.value, "expires_in": int(current.expires_at - now)}

    def _h_message_send(self, ctx: _Ctx) -> JSON:
        assert ctx.app is not None
        app = ctx.app
        data = ctx.json_body()
        self._check_agentid(ctx, data)
        msgtype = str(data.get("msgtype", ""))
        if not msgtype:
            raise _ApiError(40008)
        body = self._check_message_body(
            ctx, data, msgtype, text_max=TEXT_MAX_BYTES, markdown_max=MARKDOWN_MAX_BYTES
        )

        touser, toparty, totag = (
            _split_ids(data.get("touser")),
            _split_ids(data.get("toparty")),
            _split_ids(data.get("totag")),
        )
        if not (touser or toparty or totag):
            raise _ApiError(40003, "touser, toparty and totag are all empty")  # UNCONFIRMED errcode
        recipients: list[str] = []
        invaliduser: list[str] = []
        invalidparty: list[str] = []
        if "@all" in touser:
            recipients = [u.userid for u in self._users.values() if u.status == 1]
        else:
            for uid in touser:
                user = self._users.get(uid)
                if user is None or user.status != 1 or not USERID_RE.match(uid):
                    invaliduser.append(uid)
                elif uid not in recipients:
                    recipients.append(uid)
        for party in toparty:
            pid = _as_int(party)
            if pid is None or pid not in self._departments:
                invalidparty.append(party)
                continue
            for uid in self._members_of(self._descendants(pid)):
                if uid not in recipients and self._users[uid].status == 1:
                    recipients.append(uid)
        invalidtag = list(totag)  # tags are not modelled: every tag is invalid
        if not recipients:
            raise _ApiError(
                81013,
                invaliduser="|".join(invaliduser),
                invalidparty="|".join(invalidparty),
                invalidtag="|".join(invalidtag),
            )

        task_id: str | None = None
        response_code: str | None = None
        if msgtype == "template_card":
            task_id = body.get("task_id")
            if task_id is not None and (app.agent_id, task_id) in self._cards:
                raise _ApiError(ERR_TASK_ID_USED)
        now = self.clock()
        # enable_duplicate_check: "同样内容（请求json）的消息" within duplicate_check_interval (default
        # 1800 s, max 4 h) is not received again (docs/platforms/wecom.md W4, message/send options). UNCONFIRMED: that
        # earlier sends without the flag count as "the same content" (we remember every send), and what
        # WeCom answers for the repeat (we answer success with the earlier msgid and deliver nothing).
        content = {k: v for k, v in data.items() if k not in ("enable_duplicate_check", "duplicate_check_interval")}
        dup_key = (app.agent_id, json.dumps(content, sort_keys=True, ensure_ascii=False))
        earlier = self._duplicate_checked.get(dup_key)
        if data.get("enable_duplicate_check") in (1, "1") and earlier is not None:
            interval = min(int(data.get("duplicate_check_interval") or 1800), 4 * 3600)
            if now - earlier[0] < interval:
                return {"invaliduser": "", "invalidparty": "", "invalidtag": "", "unlicenseduser": "", "msgid": earlier[1]}
        msgid = self._new_msgid()
        self._duplicate_checked[dup_key] = (now, msgid)
        delivered: list[str] = []
        for uid in recipients:
            if self._member_may_receive(app.agent_id, uid, now):
                self._deliveries.append(
                    _Delivery(uid, msgid, msgtype, app.agent_id, now, copy.deepcopy(body), "api", task_id)
                )
                delivered.append(uid)
            else:
                self._dropped.append(
                    DroppedMessage(
                        uid, msgid, msgtype, app.agent_id, now, copy.deepcopy(body), "member frequency limit"
                    )
                )
                log.info("fake wecom: silently dropped %s to %s (per-member limit)", msgtype, uid)
        if task_id is not None:
            record = CardRecord(task_id, app.agent_id, msgid, copy.deepcopy(body), now)
            for uid in delivered:
                record.copies[uid] = CardCopy(uid, copy.deepcopy(body))
            self._cards[(app.agent_id, task_id)] = record
            if _clickable_keys(body) is not None:
                response_code = self._new_response_code(app.agent_id, task_id, None)
        result: JSON = {
            "invaliduser": "|".join(invaliduser),
            "invalidparty": "|".join(invalidparty),
            "invalidtag": "|".join(invalidtag),
            "unlicenseduser": "",
            "msgid": msgid,
        }
        if response_code is not None:
            result["response_code"] = response_code
        return result

    def _h_update_template_card(self, ctx: _Ctx) -> JSON:
        assert ctx.app is not None
        data = ctx.json_body()
        self._check_agentid(ctx, data)
        rc = self._response_codes.get(str(data.get("response_code", "")))
        now = self.clock()
        if (
            rc is None
            or rc.agent_id != ctx.app.agent_id
            or rc.used
            or now > rc.issued_at + RESPONSE_CODE_TTL_S
        ):
            raise _ApiError(ERR_INVALID_RESPONSE_CODE)
        record = self._cards.get((rc.agent_id, rc.task_id))
        if record is None:
            raise _ApiError(ERR_INVALID_RESPONSE_CODE)
        button, new_card = data.get("button"), data.get("template_card")
        if (button is None) == (new_card is None):
            raise _ApiError(ERR_INVALID_PARAMETER, "exactly one of button or template_card is required")
        replace_name: str | None = None
        if button is not None:
            replace_name = button.get("replace_name") if isinstance(button, dict) else None
            if not isinstance(replace_name, str) or not replace_name:
                raise _ApiError(ERR_INVALID_PARAMETER, "button.replace_name missing")
        else:
            if not isinstance(new_card, dict):
                raise _ApiError(ERR_INVALID_PARAMETER, "template_card must be an object")
            _validate_card(new_card, allowed_types=CARD_TYPES, update=True)

        targets: list[str] = []
        invaliduser: list[str] = []
        if _as_int(data.get("atall")) == 1:
            targets = record.recipients
        else:
            for uid in _split_ids(data.get("userids")):
                (targets if uid in record.copies else invaliduser).append(uid)
            for party in _split_ids(data.get("partyids")):
                pid = _as_int(party)
                if pid is not None and pid in self._departments:
                    targets += [
                        u
                        for u in self._members_of(self._descendants(pid))
                        if u in record.copies and u not in targets
                    ]
            if not (data.get("userids") or data.get("partyids") or data.get("tagids")):
                raise _ApiError(
                    ERR_INVALID_PARAMETER, "userids, partyids, tagids and atall are all empty"
                )  # UNCONFIRMED
        rc.used = True
        for uid in dict.fromkeys(targets):
            record.copies[uid]._apply(card=new_card, replace_name=replace_name, how="api")
        return {"invaliduser": invaliduser}

    def _h_media_get(self, ctx: _Ctx) -> JSON | Response:
        media = self._media.get(ctx.query.get("media_id", ""))
        if media is None or self.clock() > media.created_at + MEDIA_TTL_S:
            raise _ApiError(40007)
        return Response(
            content=media.data,
            media_type=media.content_type,
            headers={
                "Content-disposition": _content_disposition(media.filename),
                "Cache-Control": "no-cache, must-revalidate",
            },
        )

    def _h_media_upload(self, ctx: _Ctx) -> JSON:
        kind = ctx.query.get("type", "")
        if kind not in MEDIA_MAX_BYTES:
            raise _ApiError(40004)
        try:
            parts = parse_multipart(ctx.body, ctx.headers.get("content-type", ""))
        except ValueError as exc:
            raise _ApiError(44001) from exc
        if "media" not in parts:
            raise _ApiError(44001)
        filename, content_type, data = parts["media"]
        if len(data) < MEDIA_MIN_BYTES:
            raise _ApiError(44001)
        if len(data) > MEDIA_MAX_BYTES[kind]:
            raise _ApiError(MEDIA_SIZE_ERRCODE[kind])
        if not content_type or content_type == "application/octet-stream":
            content_type = mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
        media_id = self._store_media(data, content_type, filename, kind)
        return {
            "errmsg": "",
            "type": kind,
            "media_id": media_id,
            "created_at": str(int(self._media[media_id].created_at)),
        }

    def _h_appchat_send(self, ctx: _Ctx) -> JSON:
        assert ctx.app is not None
        data = ctx.json_body()
        chatid = str(data.get("chatid", ""))
        if chatid not in self._appchats:
            raise _ApiError(86001)
        msgtype = str(data.get("msgtype", ""))
        body = self._check_message_body(
            ctx, data, msgtype, text_max=TEXT_MAX_BYTES, markdown_max=MARKDOWN_MAX_BYTES
        )
        self._appchat_messages.append(
            AppChatMessage(chatid, msgtype, copy.deepcopy(body), ctx.app.agent_id, self.clock())
        )
        return {}

    def _h_webhook_send(self, ctx: _Ctx) -> JSON:
        key = ctx.query.get("key", "")
        if key not in self._webhooks:
            raise _ApiError(93000)
        data = ctx.json_body()
        msgtype = str(data.get("msgtype", ""))
        body = data.get(msgtype)
        if not isinstance(body, dict):
            raise _ApiError(
                40008
                if msgtype not in ("text", "markdown", "image", "news", "file", "voice", "template_card")
                else ERR_INVALID_PARAMETER
            )
        if msgtype in ("text", "markdown"):
            content = body.get("content")
            limit = WEBHOOK_TEXT_MAX_BYTES if msgtype == "text" else WEBHOOK_MARKDOWN_MAX_BYTES
            if not isinstance(content, str) or not content:
                raise _ApiError(ERR_INVALID_PARAMETER, "empty content")
            # The robot page gives the limit, not what happens past it (UNCONFIRMED); cut like app messages.
            body["content"] = _cut_utf8(content, limit)
        elif msgtype == "image":
            try:
                raw = base64.b64decode(str(body.get("base64", "")), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise _ApiError(ERR_WEBHOOK_IMAGE, "invalid base64") from exc
            if not raw or hashlib.md5(raw).hexdigest() != str(body.get("md5", "")).lower():
                raise _ApiError(ERR_WEBHOOK_IMAGE, "image md5 not match")
            if len(raw) > WEBHOOK_IMAGE_MAX_BYTES:
                raise _ApiError(40009)
        elif msgtype == "news":
            articles = body.get("articles")
            if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
                raise _ApiError(ERR_INVALID_PARAMETER, "news articles must be 1-8")
        elif msgtype in ("file", "voice"):
            if str(body.get("media_id", "")) not in self._media:
                raise _ApiError(40007)
        elif msgtype == "template_card":
            _validate_card(body, allowed_types=NOTICE_CARD_TYPES)
        else:
            raise _ApiError(40008)
        now = self.clock()
        window = self._webhook_window[key]
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= WEBHOOK_LIMIT_PER_MINUTE:
            raise _ApiError(45009)
        window.append(now)
        self._webhook_messages.append(WebhookMessage(key, msgtype, copy.deepcopy(body), now))
        return {}

    def _h_department_list(self, ctx: _Ctx) -> JSON:
        raw = ctx.query.get("id")
        if raw:
            dept_id = _as_int(raw)
            if dept_id is None or dept_id not in self._departments:
                raise _ApiError(60003)
            ids = self._descendants(dept_id)
        else:
            ids = list(self._departments)
        return {"department": [self._departments[i].to_json() for i in ids]}

    def _dept_users(self, ctx: _Ctx) -> list[User]:
        dept_id = _as_int(ctx.query.get("department_id"))
        if dept_id is None or dept_id not in self._departments:
            raise _ApiError(60003)
        ids = self._descendants(dept_id) if ctx.query.get("fetch_child") == "1" else [dept_id]
        wanted = set(ids)
        return [u for u in self._users.values() if wanted.intersection(u.department)]

    def _h_user_list(self, ctx: _Ctx) -> JSON:
        return {"userlist": [u.to_json() for u in self._dept_users(ctx)]}

    def _h_user_simplelist(self, ctx: _Ctx) -> JSON:
        return {
            "userlist": [
                {k: v for k, v in u.to_json().items() if k in ("userid", "name", "department", "open_userid")}
                for u in self._dept_users(ctx)
            ]
        }

    def _h_user_get(self, ctx: _Ctx) -> JSON:
        user = self._users.get(ctx.query.get("userid", ""))
        if user is None:
            raise _ApiError(60111)
        return user.to_json()

    def _h_getuserinfo(self, ctx: _Ctx) -> JSON:
        assert ctx.app is not None
        code = self._oauth_codes.get(ctx.query.get("code", ""))
        if (
            code is None
            or code.used
            or self.clock() > code.issued_at + OAUTH_CODE_TTL_S
            or (code.agent_id is not None and code.agent_id != ctx.app.agent_id)
        ):
            raise _ApiError(40029)
        code.used = True
        return {"userid": code.userid}

    # ----------------------------------------------------------------- ASGI app
    _ROUTES: dict[str, tuple[str, str, bool]] = {
        # path: (method, handler attribute, needs access_token)
        "/cgi-bin/gettoken": ("GET", "_h_gettoken", False),
        "/cgi-bin/message/send": ("POST", "_h_message_send", True),
        "/cgi-bin/message/update_template_card": ("POST", "_h_update_template_card", True),
        "/cgi-bin/media/get": ("GET", "_h_media_get", True),
        "/cgi-bin/media/upload": ("POST", "_h_media_upload", True),
        "/cgi-bin/appchat/send": ("POST", "_h_appchat_send", True),
        "/cgi-bin/webhook/send": ("POST", "_h_webhook_send", False),
        "/cgi-bin/department/list": ("GET", "_h_department_list", True),
        "/cgi-bin/user/list": ("GET", "_h_user_list", True),
        "/cgi-bin/user/simplelist": ("GET", "_h_user_simplelist", True),
        "/cgi-bin/user/get": ("GET", "_h_user_get", True),
        "/cgi-bin/auth/getuserinfo": ("GET", "_h_getuserinfo", True),
    }

    def _dispatch(self, ctx: _Ctx) -> Response:
        with self._lock:
            record = RecordedRequest(ctx.method, ctx.path, dict(ctx.query), ctx.body, self.clock())
            try:
                record.json = json.loads(ctx.body) if ctx.body else None
            except ValueError:
                record.json = None
            self._requests.append(record)
            try:
                faults = self._faults.get(ctx.path)
                if faults:
                    errcode, errmsg = faults.popleft()
                    raise _ApiError(errcode, errmsg)
                route = self._ROUTES.get(ctx.path)
                if route is None:
                    raise _ApiError(48001)
                method, handler_name, needs_token = route
                if ctx.method != method:
                    raise _ApiError(43001 if method == "GET" else 43002)
                if needs_token:
                    ctx.app = self._resolve_token(ctx)
                result = getattr(self, handler_name)(ctx)
                if isinstance(result, Response):
                    record.errcode = 0
                    return result
                record.errcode = 0
                if self._lost_answers.get(ctx.path):
                    self._lost_answers[ctx.path] -= 1
                    return Response(status_code=504)
                return JSONResponse({"errcode": 0, "errmsg": result.pop("errmsg", "ok"), **result})
            except _ApiError as err:
                record.errcode = err.errcode
                return JSONResponse(
                    {
                        "errcode": err.errcode,
                        "errmsg": self._errmsg(err.errcode, ctx, err.detail),
                        **err.extra,
                    }
                )

    def _build_asgi_app(self) -> FastAPI:
        app = FastAPI(title="fake qyapi.weixin.qq.com", openapi_url=None, docs_url=None, redoc_url=None)
        fake = self

        @app.api_route("/cgi-bin/{rest:path}", methods=["GET", "POST"])
        async def cgi_bin(request: Request, rest: str) -> Response:
            body = await request.body()
            ctx = _Ctx(
                method=request.method,
                path="/cgi-bin/" + rest,
                query=dict(request.query_params),
                body=body,
                headers=request.headers,
                client_ip=request.client.host if request.client else "127.0.0.1",
            )
            return fake._dispatch(ctx)

        # ---- test-only endpoints for a simulator running in another process
        @app.get("/_fake/inbox/{userid}")
        async def fake_inbox(userid: str) -> JSONResponse:
            messages = fake.inbox_of(userid)
            return JSONResponse(
                [
                    {
                        "msgid": m.msgid,
                        "msgtype": m.msgtype,
                        "agent_id": m.agent_id,
                        "sent_at": m.sent_at,
                        "source": m.source,
                        "body": m.body,
                        "card": m.card,
                        "replace_name": m.replace_name,
                    }
                    for m in messages
                ]
            )

        @app.post("/_fake/click")
        async def fake_click(request: Request) -> JSONResponse:
            data = await request.json()
            try:
                code = fake.click_card(
                    str(data["userid"]), str(data["task_id"]), data.get("key"), selected=data.get("selected")
                )
            except (CardNotClickable, KeyError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=409)
            return JSONResponse({"response_code": code})

        @app.post("/_fake/oauth_code")
        async def fake_oauth_code(request: Request) -> JSONResponse:
            data = await request.json()
            try:
                return JSONResponse({"code": fake.issue_oauth_code(str(data["userid"]))})
            except KeyError as exc:
                return JSONResponse({"error": str(exc)}, status_code=404)

        @app.get("/_fake/media/{media_id}")
        async def fake_media(media_id: str) -> Response:
            media = fake.media(media_id)
            if media is None:
                return Response(status_code=404)
            return Response(content=media.data, media_type=media.content_type)

        return app


# --------------------------------------------------------------------------- card rules (W4)
def _clickable_keys(card: JSON) -> set[str] | None:
    """Keys a user can tap on ``card``, or None when the card yields no response_code."""
    card_type = card.get("card_type")
    keys: set[str] = set()
    for action in (card.get("action_menu") or {}).get("action_list") or []:
        if isinstance(action, dict) and action.get("key"):
            keys.add(str(action["key"]))
    if card_type == "button_interaction":
        for button in card.get("button_list") or []:
            if isinstance(button, dict) and int(button.get("type", 0) or 0) == 0 and button.get("key"):
                keys.add(str(button["key"]))
    if card_type in ("vote_interaction", "multiple_interaction"):
        submit = card.get("submit_button") or {}
        if isinstance(submit, dict) and submit.get("key"):
            keys.add(str(submit["key"]))
    if card_type in INTERACTIVE_CARD_TYPES or keys:
        return keys
    return None


def _cut_utf8(text: str, limit_bytes: int) -> str:
    """What a person sees of over-long content: the first ``limit_bytes`` bytes, whole characters."""
    return text.encode("utf-8")[:limit_bytes].decode("utf-8", errors="ignore")


def _validate_card(card: JSON, *, allowed_types: frozenset[str], update: bool = False) -> None:
    """Reject cards real WeCom rejects (W4).  Raises _ApiError.

    ``update``: the template_card of 更新模版卡片消息.  That page documents no ``task_id`` in
    it (the card is found by response_code; docs/platforms/wecom.md, "Updating a card"), so an
    update is not refused for lacking one; one that is there is still checked for its form.
    """

    def bad(detail: str) -> _ApiError:
        return _ApiError(ERR_INVALID_PARAMETER, detail)

    card_type = card.get("card_type")
    if card_type not in allowed_types:
        raise bad(f"invalid card_type {card_type!r}")
    task_id = card.get("task_id")
    needs_task_id = (card_type in INTERACTIVE_CARD_TYPES or bool(card.get("action_menu"))) and not update
    if task_id is None:
        if needs_task_id:
            raise bad("task_id missing")
    elif (
        not isinstance(task_id, str)
        or not TASK_ID_RE.match(task_id)
        or len(task_id.encode("utf-8")) > TASK_ID_MAX_BYTES
    ):
        raise bad("invalid task_id")
    main_title = card.get("main_title") or {}
    if not (isinstance(main_title, dict) and main_title.get("title")) and not card.get("sub_title_text"):
        raise bad("main_title.title and sub_title_text cannot both be empty")
    if card_type in NOTICE_CARD_TYPES and not isinstance(card.get("card_action"), dict):
        raise bad("card_action missing")
    if len(card.get("horizontal_content_list") or []) > 6:
        raise bad("horizontal_content_list exceeds 6")
    if len(card.get("jump_list") or []) > 3:
        raise bad("jump_list exceeds 3")
    action_menu = card.get("action_menu")
    if action_menu is not None:
        actions = action_menu.get("action_list") if isinstance(action_menu, dict) else None
        if not isinstance(actions, list) or not 1 <= len(actions) <= 3:
            raise bad("action_menu.action_list must have 1-3 items")
    if card_type == "button_interaction":
        buttons = card.get("button_list")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 6:
            raise bad("button_list must have 1-6 buttons")
        seen: set[str] = set()
        for button in buttons:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad("button text missing")
            if int(button.get("type", 0) or 0) == 1:
                if not button.get("url"):
                    raise bad("button url missing")
                continue
            key = button.get("key")
            if not isinstance(key, str) or not key or _utf8_len(key) > BUTTON_KEY_MAX_BYTES or key in seen:
                raise bad("button key missing, too long or duplicated")
            seen.add(key)
    elif card_type in ("vote_interaction", "multiple_interaction"):
        submit = card.get("submit_button")
        if not isinstance(submit, dict) or not submit.get("key") or not submit.get("text"):
            raise bad("submit_button missing")
        if card_type == "vote_interaction":
            checkbox = card.get("checkbox")
            options = checkbox.get("option_list") if isinstance(checkbox, dict) else None
            if (
                not isinstance(checkbox, dict)
                or not checkbox.get("question_key")
                or not isinstance(options, list)
                or not 1 <= len(options) <= 20
            ):
                raise bad("checkbox needs question_key and 1-20 options")
        else:
            selects = card.get("select_list")
            if not isinstance(selects, list) or not 1 <= len(selects) <= 3:
                raise bad("select_list must have 1-3 selectors")
            for select in selects:
                if (
                    not isinstance(select, dict)
                    or not select.get("question_key")
                    or not select.get("option_list")
                ):
                    raise bad("select needs question_key and option_list")


# --------------------------------------------------------------------------- standalone
def _demo_fake(args: argparse.Namespace) -> FakeWeCom:
    app = AppConfig(corp_id=args.corp_id, corpsecret=args.secret, agent_id=args.agent_id)
    fake = FakeWeCom([app], port=args.port)
    fake.add_department(Department(2, "华东销售部", parentid=1, department_leader=["wanglei"]))
    fake.add_department(Department(3, "华南销售部", parentid=1, department_leader=["chenjing"]))
    fake.add_user(User("wanglei", "王磊", department=[2], is_leader_in_dept=[1], position="销售总监"))
    fake.add_user(User("zhangsan", "张三", department=[2], direct_leader=["wanglei"], position="客户经理"))
    fake.add_user(User("lisi", "李四", department=[2], direct_leader=["wanglei"], position="客户经理"))
    fake.add_user(User("chenjing", "陈静", department=[3], is_leader_in_dept=[1], position="区域经理"))
    if args.webhook_key:
        fake.add_webhook(args.webhook_key)
    return fake


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake qyapi.weixin.qq.com for local development")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--corp-id", default=AppConfig.corp_id)
    parser.add_argument("--secret", default=AppConfig.corpsecret)
    parser.add_argument("--agent-id", type=int, default=AppConfig.agent_id)
    parser.add_argument("--webhook-key", default="fake-robot-key")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    fake = _demo_fake(args)
    base_url = fake.start()
    # `kill` (SIGTERM) should stop the server as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    print(
        json.dumps(
            {
                "api_base": base_url,
                "corp_id": args.corp_id,
                "secret": args.secret,
                "agent_id": args.agent_id,
                "webhook_key": args.webhook_key,
            },
            ensure_ascii=False,
        ),
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
