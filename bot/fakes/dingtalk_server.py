"""A protocol-faithful fake of api.dingtalk.com and oapi.dingtalk.com (internal app + robot).

Why a real HTTP server: salesbot talks to DingTalk through plain HTTP (a token header on the
new API, ``?access_token=`` on oapi, JSON string inside JSON for ``msgParam``, multipart
uploads, a second GET for file downloads), and the bugs live exactly there.  Tests and the
simulator point ``SALESBOT_DINGTALK_API_BASE`` and ``_OAPI_BASE`` at this one server and
assert what a person would *see* (``inbox_of``), not which functions were called.

Wire rules follow ``docs/platforms/dingtalk.md``; each enforced rule names its section there.  What it could not
confirm is a module constant marked UNCONFIRMED, so it is easy to change once somebody sees
the real answer:

* new-API error bodies ``{"code", "message", "requestid"}``: the codes below (except
  ``param.templateUnpublished``, PITFALLS.md, and ``InvalidAuthentication``) and the HTTP
  statuses are guesses, and salesbot never branches on them;
* an expired/unknown token on the new API answers HTTP 400 ``InvalidAuthentication``; on
  oapi errcode 88 with sub_code 40014 (docs/platforms/dingtalk.md, "Errors");
* batchSend answers 200 with ``invalidStaffIdList`` for unknown people (≤ 20 per call);
* ``sampleImageMsg.photoURL`` accepts an http(s) URL or a media_id from ``/media/upload``;
* robot text longer than 5000 characters is refused;
* download codes live 24 h, download URLs 1 h;
* custom robots: throttled answers errcode 130101 "send too fast".

Interactive cards follow D4: createAndDeliver refuses unpublished templates; ``PUT
/v1.0/card/instances`` merges (``updateCardDataByKey``) or replaces the public data everyone
sees, and ``privateData[userId]`` only that person sees.  What is tappable on a card is read
from the template salesbot ships as the card platform's own export
(``bot/dingtalk/templates/salesbot_card.export.json``): a 回传请求 button whose ``visible``
condition holds, whose text is not empty and whose status is ``normal``.

One createAndDeliver may name several spaces (``dtv1.card//IM_ROBOT.a;IM_ROBOT.b``): one
instance, a copy in each chat, one update for all.  Contacts for the org sync
(``add_department``, ``add_user(..., departments=, leader_in=)``) are served by oapi
``/topapi/v2/department/listsub`` (direct children) and ``/topapi/v2/user/list`` (pages by
cursor, ``leader`` = 主管 of the listed department).  H5 免登 (D9): ``issue_auth_code(userid)``
gives what the page's JSAPI would get; ``/topapi/v2/user/getuserinfo`` spends it once (5 min).

Callbacks (robot messages, event pushes, card taps) are played by
:class:`bot.fakes.dingtalk_driver.DingTalkDriver`, which asks this fake whether a tap is
possible and where the card's callback goes (``callback_for``).

Run standalone for the simulator::

    python -m bot.fakes.dingtalk_server --port 8091
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import itertools
import json
import logging
import mimetypes
import secrets
import signal
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response

from bot.dingtalk.templates import (
    EXPORT_PATH,
    TemplateButton,
    TemplateSelect,
    declared_variables,
    request_buttons,
    selects,
)
from bot.fakes.dingtalk_stream_gateway import StreamGateway
from bot.fakes.wecom_server import BackgroundServer, ManualClock, parse_multipart

__all__ = [
    "AppConfig",
    "CardInstance",
    "CardNotClickable",
    "FakeDingTalk",
    "InboxMessage",
    "ManualClock",
    "TemplateSpec",
]

log = logging.getLogger(__name__)

Clock = Callable[[], float]
JSON = dict[str, Any]

# --------------------------------------------------------------------------- limits
TOKEN_TTL_S = 7200
DOWNLOAD_CODE_TTL_S = 24 * 3600  # UNCONFIRMED
DOWNLOAD_URL_TTL_S = 3600  # UNCONFIRMED
ROBOT_TEXT_MAX_CHARS = 5000  # UNCONFIRMED
BATCH_SEND_MAX_USERS = 20  # UNCONFIRMED
WEBHOOK_LIMIT_PER_MINUTE = 20  # D8
WEBHOOK_BLOCK_S = 600  # D8: throttled for 10 min
WORK_NOTICE_PER_USER_PER_DAY = 500  # D5 (internal apps)
SIGN_WINDOW_MS = 3_600_000
AUTH_CODE_TTL_S = 300  # D9: 免登 codes live 5 minutes, single use
BUSINESS_UTC_OFFSET_S = 8 * 3600  # "once per day" is a Beijing day

# --------------------------------------------------------------------------- error codes
# A bad or expired token on the new API: HTTP 400 ``InvalidAuthentication`` "不合法的access_token"
# (docs/platforms/dingtalk.md, "Errors": public probe notes and SDK error dumps show 400, not 401).
ERR_TOKEN = (400, "InvalidAuthentication")
ERR_BAD_CLIENT = (400, "invalidClientIdOrSecret")  # UNCONFIRMED
ERR_PARAM = (400, "invalidParameter")  # UNCONFIRMED
ERR_MISSING = (400, "MissingParameter")  # UNCONFIRMED
ERR_TEMPLATE_UNPUBLISHED = (400, "param.templateUnpublished")  # PITFALLS.md
# A second createAndDeliver with the same outTrackId: refused, with a code nobody documents
# (docs/platforms/dingtalk.md, "Cards"); salesbot must not depend on the code, so it is generic.
ERR_OUT_TRACK_ID_USED = (400, "invalidParameter")  # UNCONFIRMED
ERR_CARD_NOT_FOUND = (400, "param.cardNotExist")  # UNCONFIRMED
ERR_ROBOT = (400, "robot.notExist")  # UNCONFIRMED
ERR_DOWNLOAD_CODE = (400, "invalid.downloadCode")  # UNCONFIRMED
ERR_ROUTE_KEY = (400, "param.callbackRouteKeyNotRegistered")  # UNCONFIRMED
ERR_NOT_FOUND = (404, "NotFound")

LEGACY_OK = 0
# oapi answers a bad/blank token with errcode 88 (鉴权异常) and a sub_code: 40014 不合法的access_token,
# 40000 access_token is blank; 88 WITHOUT a sub_code is the auth service timing out, retry
# (open-dingtalk/developerpedia docs/develop/best-practices/retry.md @ 8dddfb2; docs/platforms/dingtalk.md).
LEGACY_AUTH = 88
LEGACY_SUB_INVALID_TOKEN = "40014"
LEGACY_BAD_APP = 40089  # UNCONFIRMED: invalid appkey / appsecret
LEGACY_BAD_PARAM = 40035  # UNCONFIRMED: invalid parameter
LEGACY_BAD_AGENT = 40056  # UNCONFIRMED
LEGACY_BAD_MEDIA = 40004  # UNCONFIRMED: invalid media type
LEGACY_EMPTY_MEDIA = 40006  # UNCONFIRMED
LEGACY_DEPT_NOT_FOUND = 60003  # "未找到部门" (DingTalk's user/listid error table)
LEGACY_BAD_AUTH_CODE = 40078  # UNCONFIRMED: "不存在的临时授权码" (unknown, used or expired 免登 code)
USER_LIST_MAX_SIZE = 100  # topapi/v2/user/list: size 1-100
WEBHOOK_SECURITY = 310000  # D8
WEBHOOK_THROTTLED = 130101  # D8, UNCONFIRMED
WEBHOOK_BAD_TOKEN = 300001  # UNCONFIRMED: unknown robot token

ROBOT_MSG_PARAMS: dict[str, tuple[str, ...]] = {
    "sampleText": ("content",),
    "sampleMarkdown": ("title", "text"),
    "sampleImageMsg": ("photoURL",),
    "sampleLink": ("text", "title", "picUrl", "messageUrl"),
    "sampleActionCard": ("title", "text", "singleTitle", "singleURL"),
}
ROBOT_MSGTYPE = {
    "sampleText": "text",
    "sampleMarkdown": "markdown",
    "sampleImageMsg": "image",
    "sampleLink": "link",
    "sampleActionCard": "actionCard",
}
WEBHOOK_MSGTYPES = frozenset({"text", "markdown", "link", "actionCard", "feedCard"})
WORK_NOTICE_MSGTYPES = frozenset({"text", "image", "voice", "file", "link", "oa", "markdown", "action_card"})
MEDIA_TYPES = frozenset({"image", "voice", "video", "file"})


class CardNotClickable(RuntimeError):
    """A test tried to tap what a real user could not (no copy, decided card, no such button)."""


class _ApiError(Exception):
    """New API: HTTP status + string code."""

    def __init__(self, status_code: tuple[int, str], message: str = "") -> None:
        super().__init__(status_code, message)
        self.status, self.code = status_code
        self.message = message or self.code


class _LegacyError(Exception):
    """oapi / webhook: HTTP 200 with a non-zero errcode (and, for 88, a sub_code)."""

    def __init__(self, errcode: int, errmsg: str, sub_code: str | None = None) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg
        self.sub_code = sub_code


# --------------------------------------------------------------------------- configuration and records
@dataclass(frozen=True)
class AppConfig:
    """One internal app with its robot (robotCode = AppKey by default, D2)."""

    app_key: str = "dingfakeappkey0001"
    app_secret: str = "fake-app-secret-0001-0123456789abcdef"
    robot_code: str = "dingfakeappkey0001"
    agent_id: int = 3000001
    corp_id: str = "dingfakecorp0001"


@dataclass(frozen=True)
class TemplateSpec:
    """What the fake knows of a published template: its variables and its 回传请求 buttons,
    read from the card platform's export (``bot/dingtalk/templates``), so what a person can
    tap follows the template an admin imports, not a copy of our renderer's idea of it."""

    template_id: str
    buttons_def: tuple[TemplateButton, ...] = ()
    variables: Mapping[str, bool] = field(default_factory=dict)  # name → private
    selects_def: tuple[TemplateSelect, ...] = ()

    @classmethod
    def salesbot(cls, template_id: str) -> TemplateSpec:
        """The template salesbot ships (bot/dingtalk/templates/salesbot_card.export.json)."""
        return cls.from_export(template_id, EXPORT_PATH)

    @classmethod
    def from_export(cls, template_id: str, path: Path) -> TemplateSpec:
        """A template as the card platform exports it (e.g. one of the official examples)."""
        return cls(template_id, tuple(request_buttons(path)), declared_variables(path), tuple(selects(path)))

    def params_for(
        self, component_id: str, data: Mapping[str, str], choices: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The callback params button ``component_id`` sends, filled from what the tapper sees;
        ``choices`` {param name: option value} are what the person picked in the template's
        selects first (refused unless that param carries a shown select's choice)."""
        button = next((b for b in self.buttons_def if b.component_id == component_id), None)
        if button is None:
            return {}
        local: dict[str, Any] = {}
        for name, value in (choices or {}).items():
            variable = button.local_param(name)
            select = next((s for s in self.selects_def if s.local_variable == variable), None)
            if variable is None or select is None or not select.shown(data):
                raise CardNotClickable(f"button {component_id!r} sends no select choice as {name!r}")
            options = select.options(data)
            if value not in options:
                raise CardNotClickable(f"{value!r} is not an option of {select.node_id!r} ({options})")
            local[variable] = {"index": options.index(value)}
        return button.callback_params(data, local)

    def buttons(self, data: Mapping[str, str]) -> dict[str, str]:
        """``{action param: component id}`` of the buttons a person seeing ``data`` can tap."""
        shown: dict[str, str] = {}
        for button in self.buttons_def:
            if button.tappable(data):
                action = button.callback_params(data).get("action", "")
                if action:
                    shown[action] = button.component_id
        return shown


@dataclass
class CardInstance:
    """One card instance in one space, in its CURRENT state (``history`` keeps earlier ones)."""

    out_track_id: str
    template_id: str
    app_key: str
    space_type: str  # IM_ROBOT / IM_GROUP
    space_id: str  # userId / openConversationId
    callback_type: str
    callback_route_key: str | None
    public: dict[str, str]
    private: dict[str, dict[str, str]]
    created_at: float
    version: int = 0
    history: list[JSON] = field(default_factory=list)
    # Further spaces of one createAndDeliver ("dtv1.card//IM_ROBOT.a;IM_ROBOT.b"): the same
    # instance, so one public-data update changes every copy.
    more_spaces: list[tuple[str, str]] = field(default_factory=list)

    @property
    def spaces(self) -> list[tuple[str, str]]:
        """Every (space type, space id) the card was delivered to, first one first."""
        return [(self.space_type, self.space_id), *self.more_spaces]

    def view_for(self, userid: str) -> dict[str, str]:
        """What ``userid`` sees: public data with their private data on top."""
        return {**self.public, **self.private.get(userid, {})}


@dataclass(frozen=True)
class InboxMessage:
    """What one person sees from the app: robot messages, cards (current state), work notices."""

    msgid: str
    msgtype: str  # text / markdown / image / link / actionCard / card / notice:<type>
    sent_at: float
    body: JSON
    source: str  # robot / card / work_notification
    card: dict[str, str] | None = None
    card_version: int = 0
    out_track_id: str | None = None

    @property
    def task_id(self) -> str | None:
        """The card's outTrackId (FakeWeCom's InboxMessage calls the card id task_id)."""
        return self.out_track_id

    @property
    def content(self) -> str | None:
        for key in ("content", "text"):
            value = self.body.get(key)
            if isinstance(value, str):
                return value
        return None


@dataclass(frozen=True)
class GroupMessage:
    conversation_id: str
    msgid: str
    msgtype: str
    body: JSON
    at: float
    out_track_id: str | None = None


@dataclass(frozen=True)
class WebhookMessage:
    token: str
    msgtype: str
    body: JSON
    at: float


@dataclass(frozen=True)
class DroppedNotice:
    userid: str
    msg: JSON
    at: float
    reason: str


@dataclass(frozen=True)
class Click:
    userid: str
    out_track_id: str
    action: str
    component_id: str
    at: float
    # The button's callback params as the template binds them, filled from what this user sees
    # (public data with their private data on top): D4.5, "params = the request params bound in
    # the template" (docs/platforms/dingtalk.md, "Card callbacks").
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Employee:
    userid: str
    name: str
    departments: tuple[int, ...]
    leader_in: tuple[int, ...]
    active: bool


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    at: float
    json: Any = None
    status: int = 200
    error: str | None = None


@dataclass
class _Token:
    value: str
    app: AppConfig
    expires_at: float
    legacy: bool
    force_expired: bool = False


@dataclass
class _File:
    download_code: str
    data: bytes
    content_type: str
    filename: str
    created_at: float
    robot_code: str | None


@dataclass
class _Webhook:
    token: str
    secret: str | None
    keywords: tuple[str, ...]
    window: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


@dataclass
class _Delivery:
    userid: str
    msgid: str
    msgtype: str
    at: float
    body: JSON
    source: str
    out_track_id: str | None = None


@dataclass
class _Ctx:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: Mapping[str, str]

    def json_body(self, *, legacy: bool = False) -> JSON:
        try:
            data = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            if legacy:
                raise _LegacyError(LEGACY_BAD_PARAM, "invalid json") from exc
            raise _ApiError(ERR_PARAM, "body is not JSON") from exc
        if not isinstance(data, dict):
            if legacy:
                raise _LegacyError(LEGACY_BAD_PARAM, "invalid json")
            raise _ApiError(ERR_PARAM, "body is not a JSON object")
        return data


def _require_str(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise _ApiError(ERR_MISSING, f"{name} is required")
    return value


def _string_map(value: Any, what: str) -> dict[str, str]:
    """cardParamMap: every value must be a string (JSON-encode objects, D4.1)."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _ApiError(ERR_PARAM, f"{what} must map strings to strings")
    return dict(value)


def hmac_sign(timestamp: str, secret: str) -> str:
    """base64(HmacSHA256(secret, "<timestamp>\\n<secret>")) — robot callbacks and webhooks (D2, D8)."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _day(at: float) -> int:
    return int((at + BUSINESS_UTC_OFFSET_S) // 86400)


# --------------------------------------------------------------------------- the fake
class FakeDingTalk:
    """The fake DingTalk.  Thread-safe: HTTP handlers and test hooks share one lock."""

    def __init__(
        self,
        apps: Sequence[AppConfig] | None = None,
        *,
        users: Iterable[str] = (),
        clock: Clock = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._apps: list[AppConfig] = list(apps) if apps else [AppConfig()]
        self._users: dict[str, str] = {}  # userid -> name
        self._employees: dict[str, _Employee] = {}
        self._departments: dict[int, tuple[str, int | None]] = {1: ("总公司", None)}
        for userid in users:
            self.add_user(userid)
        self._groups: dict[str, set[str]] = {}
        self._templates: dict[str, TemplateSpec] = {}
        self._tokens: dict[str, _Token] = {}
        self._current: dict[tuple[str, bool], _Token] = {}
        self.token_calls = 0
        self.legacy_token_calls = 0
        self._deliveries: list[_Delivery] = []
        self._group_messages: list[GroupMessage] = []
        self._cards: dict[str, CardInstance] = {}
        self._routes: dict[str, tuple[str, str]] = {}  # route key -> (url, api secret)
        self._clicks: list[Click] = []
        self._files: dict[str, _File] = {}
        self._download_urls: dict[str, tuple[str, float]] = {}
        self._media: dict[str, _File] = {}
        self._webhooks: dict[str, _Webhook] = {}
        self._webhook_messages: list[WebhookMessage] = []
        self._notices_per_day: dict[tuple[str, int], int] = defaultdict(int)
        self._notice_contents: set[tuple[str, int, str]] = set()
        self._dropped: list[DroppedNotice] = []
        self._faults: dict[str, deque[tuple[int, str | int]]] = defaultdict(deque)
        self._flow_controlled: set[str] = set()
        self._auth_codes: dict[str, tuple[str, float]] = {}  # 免登 code -> (userid, issued at)
        self._requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self._server = BackgroundServer(self._build_asgi_app(), host=host, port=port)
        # Stream mode (D3): tests push frames with fake.stream.push_robot_message(...) etc.
        self.stream = StreamGateway(self._lock, clock, lambda: self.base_url)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> str:
        return self._server.start()

    def begin_stop(self) -> None:
        """Start stopping without waiting (``BackgroundServer.begin_stop``); ``stop`` finishes."""
        self._server.begin_stop()

    def stop(self) -> None:
        self._server.stop()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def __enter__(self) -> FakeDingTalk:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------- setup hooks
    @property
    def app(self) -> AppConfig:
        return self._apps[0]

    def add_user(
        self,
        userid: str,
        name: str | None = None,
        *,
        departments: Sequence[int] = (1,),
        leader_in: Sequence[int] = (),
        active: bool = True,
    ) -> str:
        """A person in the company: reachable by the robot and listed by the contacts API
        (``leader_in``: departments they are 主管 of; ``active`` False = not activated yet)."""
        with self._lock:
            self._users[userid] = name or userid
            self._employees[userid] = _Employee(userid, name or userid, tuple(departments), tuple(leader_in), active)
        return userid

    def add_department(self, dept_id: int, name: str, parent_id: int = 1) -> int:
        """A department under ``parent_id`` (the root department is 1 and always exists)."""
        with self._lock:
            self._departments[dept_id] = (name, parent_id)
        return dept_id

    def remove_department(self, dept_id: int) -> None:
        """The admin deletes a department (the caller moves its members first, as an admin would);
        the ``org_dept_remove`` event push is the driver's to send."""
        with self._lock:
            self._departments.pop(dept_id, None)

    def add_group(self, open_conversation_id: str, members: Sequence[str]) -> str:
        """A group chat the app robot is in (its openConversationId)."""
        with self._lock:
            self._groups[open_conversation_id] = set(members)
        return open_conversation_id

    def publish_template(self, template_id: str, spec: TemplateSpec | None = None) -> TemplateSpec:
        """Publish a card template (the admin's step); default: the template salesbot ships."""
        template = spec or TemplateSpec.salesbot(template_id)
        with self._lock:
            self._templates[template_id] = template
        return template

    def add_file(
        self, data: bytes, content_type: str = "image/jpeg", filename: str = "image.jpg", robot_code: str | None = None
    ) -> str:
        """A picture/file a user sent; returns its downloadCode (what the robot callback carries)."""
        with self._lock:
            code = "mIof" + secrets.token_urlsafe(24)
            self._files[code] = _File(code, bytes(data), content_type, filename, self.clock(), robot_code)
            return code

    def add_media(self, data: bytes, content_type: str = "image/jpeg", filename: str = "image.jpg") -> str:
        """Same as :meth:`add_file` (FakeWeCom's name): the returned downloadCode is the event's media_id."""
        return self.add_file(data, content_type, filename)

    def add_webhook(self, *, secret: str | None = None, keywords: Sequence[str] = ()) -> str:
        """A custom group robot; returns its full webhook URL (``…/robot/send?access_token=…``)."""
        token = secrets.token_hex(32)
        with self._lock:
            self._webhooks[token] = _Webhook(token, secret, tuple(keywords))
        return f"{self.base_url}/robot/send?access_token={token}"

    def expire_tokens(self) -> None:
        """Every current token now answers expired; the next fetch issues a new one."""
        with self._lock:
            for token in self._tokens.values():
                token.force_expired = True
            self._current.clear()

    def invalidate_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._current.clear()

    def fail_next(self, path: str, status_or_errcode: int, code: str | int = "", times: int = 1) -> None:
        """The next ``times`` calls to ``path`` fail first: new API ``(HTTP status, code)``, oapi errcode."""
        with self._lock:
            for _ in range(times):
                self._faults[path].append((status_or_errcode, code))

    def flow_control_next(self, *user_ids: str) -> None:
        """The next batchSend naming these people leaves them out and lists them in
        ``flowControlledStaffIdList`` (a field of the documented answer; when DingTalk
        throttles a person is not documented, so tests say when)."""
        with self._lock:
            self._flow_controlled.update(user_ids)

    def issue_auth_code(self, userid: str) -> str:
        """What ``dd.runtime.permission.requestAuthCode`` gives a page opened by ``userid`` in the
        DingTalk client (D9): single use, 5 minutes, for this company's apps."""
        with self._lock:
            if userid not in self._users:
                raise KeyError(f"unknown userid {userid!r}")
            code = secrets.token_hex(16)
            self._auth_codes[code] = (userid, self.clock())
            return code

    # ----------------------------------------------------------------- card taps (used by the driver)
    def click_card(
        self, userid: str, out_track_id: str, action: str, choices: Mapping[str, str] | None = None
    ) -> Click:
        """Check that ``userid`` can tap ``action`` on the card now (after picking ``choices`` in its
        selects: {callback param: option value}), and record the tap."""
        with self._lock:
            card = self._cards.get(out_track_id)
            if card is None or not self._sees(userid, card):
                raise CardNotClickable(f"{userid!r} has no copy of card {out_track_id!r}")
            template = self._templates.get(card.template_id)
            buttons = template.buttons(card.view_for(userid)) if template else {}
            if action not in buttons:
                raise CardNotClickable(
                    f"no button {action!r} on card {out_track_id!r} for {userid!r} (buttons: {sorted(buttons)})"
                )
            assert template is not None
            view = card.view_for(userid)
            params = template.params_for(buttons[action], view, choices)
            click = Click(userid, out_track_id, action, buttons[action], self.clock(), params)
            self._clicks.append(click)
            return click

    def callback_for(self, out_track_id: str) -> tuple[str, str] | None:
        """(callback URL, apiSecret) of an HTTP-callback card; None for Stream cards or unknown ones."""
        with self._lock:
            card = self._cards.get(out_track_id)
            if card is None or card.callback_type != "HTTP" or card.callback_route_key is None:
                return None
            return self._routes.get(card.callback_route_key)

    # ----------------------------------------------------------------- what people see
    def inbox_of(self, userid: str) -> list[InboxMessage]:
        """Robot 1:1 messages, cards (current state) and work notifications, oldest first."""
        with self._lock:
            result: list[InboxMessage] = []
            for d in self._deliveries:
                if d.userid != userid:
                    continue
                card_view = None
                version = 0
                if d.out_track_id is not None and d.out_track_id in self._cards:
                    instance = self._cards[d.out_track_id]
                    card_view, version = instance.view_for(userid), instance.version
                result.append(
                    InboxMessage(
                        d.msgid, d.msgtype, d.at, copy.deepcopy(d.body), d.source, card_view, version, d.out_track_id
                    )
                )
            return result

    def group_messages(self, open_conversation_id: str) -> list[GroupMessage]:
        with self._lock:
            return [m for m in self._group_messages if m.conversation_id == open_conversation_id]

    def webhook_messages(self, url_or_token: str) -> list[WebhookMessage]:
        token = parse_qs(urlsplit(url_or_token).query).get("access_token", [url_or_token])[0]
        with self._lock:
            return [m for m in self._webhook_messages if m.token == token]

    def media(self, media_id: str) -> _File | None:
        """What oapi ``/media/upload`` stored under ``media_id`` (FakeWeCom's name): ``.data`` is
        the picture a ``sampleImageMsg`` with that ``photoURL`` shows."""
        with self._lock:
            return self._media.get(media_id)

    @property
    def cards(self) -> dict[str, CardInstance]:
        with self._lock:
            return dict(self._cards)

    @property
    def routes(self) -> dict[str, tuple[str, str]]:
        """Registered card callback routes: ``{callbackRouteKey: (callbackUrl, apiSecret)}``."""
        with self._lock:
            return dict(self._routes)

    @property
    def clicks(self) -> list[Click]:
        with self._lock:
            return list(self._clicks)

    @property
    def dropped(self) -> list[DroppedNotice]:
        with self._lock:
            return list(self._dropped)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    # ----------------------------------------------------------------- helpers
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}{secrets.token_hex(6)}"

    def _sees(self, userid: str, card: CardInstance) -> bool:
        for space_type, space_id in card.spaces:
            if space_type == "IM_ROBOT" and space_id == userid:
                return True
            if space_type == "IM_GROUP" and userid in self._groups.get(space_id, set()):
                return True
        return False

    def _issue(self, app: AppConfig, legacy: bool) -> _Token:
        now = self.clock()
        current = self._current.get((app.app_key, legacy))
        # D7: repeated fetches inside validity return the same token and extend it.
        if current is None or current.force_expired or now >= current.expires_at:
            current = _Token(secrets.token_hex(16), app, now + TOKEN_TTL_S, legacy)
            self._tokens[current.value] = current
            self._current[(app.app_key, legacy)] = current
        else:
            current.expires_at = now + TOKEN_TTL_S
        return current

    def _app_by_credentials(self, key: str, secret: str) -> AppConfig | None:
        return next((a for a in self._apps if a.app_key == key and a.app_secret == secret), None)

    def _new_api_app(self, ctx: _Ctx) -> AppConfig:
        token = self._tokens.get(ctx.headers.get("x-acs-dingtalk-access-token", ""))
        if token is None or token.legacy or token.force_expired or self.clock() >= token.expires_at:
            raise _ApiError(ERR_TOKEN, "不合法的access_token")
        return token.app

    def _legacy_app(self, ctx: _Ctx) -> AppConfig:
        token = self._tokens.get(ctx.query.get("access_token", ""))
        if token is None or not token.legacy:
            raise _LegacyError(LEGACY_AUTH, "不合法的access_token", LEGACY_SUB_INVALID_TOKEN)
        if token.force_expired or self.clock() >= token.expires_at:
            raise _LegacyError(LEGACY_AUTH, "不合法的access_token", LEGACY_SUB_INVALID_TOKEN)
        return token.app

    @staticmethod
    def _check_robot(app: AppConfig, robot_code: Any) -> None:
        if robot_code != app.robot_code:
            raise _ApiError(ERR_ROBOT, f"robotCode {robot_code!r} is not this app's robot")

    @staticmethod
    def _msg_param(msg_key: Any, raw: Any) -> JSON:
        if msg_key not in ROBOT_MSG_PARAMS:
            raise _ApiError(ERR_PARAM, f"unknown msgKey {msg_key!r}")
        if not isinstance(raw, str):
            raise _ApiError(ERR_PARAM, "msgParam must be a JSON string")
        try:
            param = json.loads(raw)
        except ValueError as exc:
            raise _ApiError(ERR_PARAM, "msgParam is not JSON") from exc
        if not isinstance(param, dict):
            raise _ApiError(ERR_PARAM, "msgParam must be a JSON object")
        missing = [k for k in ROBOT_MSG_PARAMS[msg_key] if not isinstance(param.get(k), str) or not param.get(k)]
        if missing:
            raise _ApiError(ERR_PARAM, f"msgParam of {msg_key} lacks {missing}")
        return param

    def _check_robot_param(self, msg_key: str, param: JSON) -> None:
        if msg_key == "sampleText" and len(param["content"]) > ROBOT_TEXT_MAX_CHARS:
            raise _ApiError(ERR_PARAM, "content too long")
        if msg_key == "sampleImageMsg":
            photo = param["photoURL"]
            if not photo.startswith(("http://", "https://")) and photo not in self._media:
                raise _ApiError(ERR_PARAM, "photoURL is neither a URL nor a known media_id")

    # ----------------------------------------------------------------- new API handlers
    def _h_access_token(self, ctx: _Ctx) -> JSON:
        data = ctx.json_body()
        app = self._app_by_credentials(str(data.get("appKey", "")), str(data.get("appSecret", "")))
        if app is None:
            raise _ApiError(ERR_BAD_CLIENT, "appKey or appSecret is wrong")
        self.token_calls += 1
        token = self._issue(app, legacy=False)
        return {"accessToken": token.value, "expireIn": int(token.expires_at - self.clock())}

    def _h_batch_send(self, ctx: _Ctx) -> JSON:
        app = self._new_api_app(ctx)
        data = ctx.json_body()
        self._check_robot(app, data.get("robotCode"))
        user_ids = data.get("userIds")
        if not isinstance(user_ids, list) or not user_ids or not all(isinstance(u, str) for u in user_ids):
            raise _ApiError(ERR_PARAM, "userIds must be a non-empty list of strings")
        if len(user_ids) > BATCH_SEND_MAX_USERS:
            raise _ApiError(ERR_PARAM, f"at most {BATCH_SEND_MAX_USERS} userIds")
        msg_key = str(data.get("msgKey", ""))
        param = self._msg_param(msg_key, data.get("msgParam"))
        self._check_robot_param(msg_key, param)
        key = self._new_id("pqk")
        invalid = [u for u in user_ids if u not in self._users]
        throttled = [u for u in dict.fromkeys(user_ids) if u in self._flow_controlled and u in self._users]
        self._flow_controlled.difference_update(throttled)
        now = self.clock()
        for userid in dict.fromkeys(u for u in user_ids if u in self._users and u not in throttled):
            self._deliveries.append(
                _Delivery(userid, key, ROBOT_MSGTYPE[msg_key], now, copy.deepcopy(param), "robot")
            )
        return {"processQueryKey": key, "invalidStaffIdList": invalid, "flowControlledStaffIdList": throttled}

    def _h_group_send(self, ctx: _Ctx) -> JSON:
        app = self._new_api_app(ctx)
        data = ctx.json_body()
        self._check_robot(app, data.get("robotCode"))
        cid = _require_str(data, "openConversationId")
        if cid not in self._groups:
            raise _ApiError(ERR_PARAM, "robot is not in this conversation")
        msg_key = str(data.get("msgKey", ""))
        param = self._msg_param(msg_key, data.get("msgParam"))
        self._check_robot_param(msg_key, param)
        key = self._new_id("pqk")
        self._group_messages.append(GroupMessage(cid, key, ROBOT_MSGTYPE[msg_key], copy.deepcopy(param), self.clock()))
        return {"processQueryKey": key}

    def _h_card_create_and_deliver(self, ctx: _Ctx) -> JSON:
        app = self._new_api_app(ctx)
        data = ctx.json_body()
        template_id = _require_str(data, "cardTemplateId")
        if template_id not in self._templates:
            raise _ApiError(ERR_TEMPLATE_UNPUBLISHED, f"template {template_id} is not published")
        out_track_id = _require_str(data, "outTrackId")
        if out_track_id in self._cards:
            raise _ApiError(ERR_OUT_TRACK_ID_USED, f"outTrackId {out_track_id} already used")
        card_data = data.get("cardData")
        if not isinstance(card_data, dict):
            raise _ApiError(ERR_MISSING, "cardData is required")
        public = _string_map(card_data.get("cardParamMap"), "cardData.cardParamMap")
        private = self._private(data.get("privateData"))
        callback_type = str(data.get("callbackType") or "STREAM")
        route_key = data.get("callbackRouteKey")
        if callback_type not in ("STREAM", "HTTP"):
            raise _ApiError(ERR_PARAM, "callbackType must be STREAM or HTTP")
        if callback_type == "HTTP" and (not isinstance(route_key, str) or route_key not in self._routes):
            raise _ApiError(ERR_ROUTE_KEY, "callbackRouteKey is not registered")
        spaces = self._spaces(_require_str(data, "openSpaceId"))
        for space_type in dict.fromkeys(t for t, _ in spaces):
            if space_type == "IM_ROBOT":
                deliver = data.get("imRobotOpenDeliverModel")
                if not isinstance(deliver, dict) or deliver.get("spaceType") != "IM_ROBOT":
                    raise _ApiError(ERR_MISSING, "imRobotOpenDeliverModel.spaceType IM_ROBOT is required")
            else:
                deliver = data.get("imGroupOpenDeliverModel")
                if not isinstance(deliver, dict):
                    raise _ApiError(ERR_MISSING, "imGroupOpenDeliverModel is required")
            self._check_robot(app, deliver.get("robotCode"))
        now = self.clock()
        results: list[JSON] = []
        card: CardInstance | None = None
        for space_type, space_id in spaces:
            ok = space_id in (self._users if space_type == "IM_ROBOT" else self._groups)
            result: JSON = {"spaceType": space_type, "spaceId": space_id, "success": ok}
            results.append(result)
            if not ok:
                result["errorMsg"] = "receiver not found"
                continue
            carrier = self._new_id("carrier")
            result["carrierId"] = carrier
            if card is None:
                card = CardInstance(
                    out_track_id, template_id, app.app_key, space_type, space_id, callback_type,
                    route_key if isinstance(route_key, str) else None, public, private, now,
                )
                self._cards[out_track_id] = card
            else:
                card.more_spaces.append((space_type, space_id))
            if space_type == "IM_ROBOT":
                self._deliveries.append(_Delivery(space_id, carrier, "card", now, {}, "card", out_track_id))
            else:
                self._group_messages.append(GroupMessage(space_id, carrier, "card", {}, now, out_track_id))
        return {"success": True, "result": {"outTrackId": out_track_id, "deliverResults": results}}

    @staticmethod
    def _spaces(open_space_id: str) -> list[tuple[str, str]]:
        """``dtv1.card//IM_ROBOT.a;IM_ROBOT.b;IM_GROUP.cid…`` → [(type, id), …] (the documented
        multi-space form of openSpaceId; spaces are separated by ``;``)."""
        prefix = "dtv1.card//"
        if not open_space_id.startswith(prefix):
            raise _ApiError(ERR_PARAM, "openSpaceId must look like dtv1.card//IM_ROBOT.<userId>")
        spaces: list[tuple[str, str]] = []
        for part in open_space_id[len(prefix) :].split(";"):
            space_type, dot, space_id = part.partition(".")
            if not dot or not space_id:
                raise _ApiError(ERR_PARAM, "openSpaceId must look like dtv1.card//IM_ROBOT.<userId>")
            if space_type not in ("IM_ROBOT", "IM_GROUP"):
                raise _ApiError(ERR_PARAM, f"unsupported space type {space_type}")
            if (space_type, space_id) not in spaces:
                spaces.append((space_type, space_id))
        return spaces

    @staticmethod
    def _private(value: Any) -> dict[str, dict[str, str]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _ApiError(ERR_PARAM, "privateData must be an object")
        out: dict[str, dict[str, str]] = {}
        for userid, entry in value.items():
            if not isinstance(entry, dict):
                raise _ApiError(ERR_PARAM, "privateData entries must be objects")
            out[str(userid)] = _string_map(entry.get("cardParamMap"), f"privateData.{userid}.cardParamMap")
        return out

    def _h_card_update(self, ctx: _Ctx) -> JSON:
        self._new_api_app(ctx)
        data = ctx.json_body()
        out_track_id = _require_str(data, "outTrackId")
        card = self._cards.get(out_track_id)
        if card is None:
            raise _ApiError(ERR_CARD_NOT_FOUND, f"card {out_track_id} does not exist")
        options = data.get("cardUpdateOptions") or {}
        if not isinstance(options, dict):
            raise _ApiError(ERR_PARAM, "cardUpdateOptions must be an object")
        card_data = data.get("cardData")
        new_public = None
        if card_data is not None:
            if not isinstance(card_data, dict):
                raise _ApiError(ERR_PARAM, "cardData must be an object")
            new_public = _string_map(card_data.get("cardParamMap"), "cardData.cardParamMap")
        new_private = self._private(data.get("privateData"))
        if new_public is None and not new_private:
            raise _ApiError(ERR_MISSING, "cardData or privateData is required")
        card.history.append({"public": dict(card.public), "private": copy.deepcopy(card.private), "version": card.version})
        if new_public is not None:
            card.public = {**card.public, **new_public} if options.get("updateCardDataByKey") else new_public
        for userid, values in new_private.items():
            if options.get("updatePrivateDataByKey"):
                card.private[userid] = {**card.private.get(userid, {}), **values}
            else:
                card.private[userid] = values
        card.version += 1
        return {"success": True, "result": True}

    def _h_register_callback(self, ctx: _Ctx) -> JSON:
        self._new_api_app(ctx)
        data = ctx.json_body()
        url = _require_str(data, "callbackUrl")
        route_key = _require_str(data, "callbackRouteKey")
        if not url.startswith(("http://", "https://")):
            raise _ApiError(ERR_PARAM, "callbackUrl must be http(s)")
        if route_key in self._routes and not data.get("forceUpdate"):
            raise _ApiError(ERR_PARAM, "callbackRouteKey already registered (use forceUpdate)")
        secret = data.get("apiSecret") if isinstance(data.get("apiSecret"), str) and data.get("apiSecret") else None
        api_secret = secret or secrets.token_hex(16)
        self._routes[route_key] = (url, api_secret)
        return {"success": True, "result": {"callbackUrl": url, "apiSecret": api_secret}}

    def _h_file_download(self, ctx: _Ctx) -> JSON:
        app = self._new_api_app(ctx)
        data = ctx.json_body()
        self._check_robot(app, data.get("robotCode"))
        code = _require_str(data, "downloadCode")
        stored = self._files.get(code)
        if stored is None or self.clock() > stored.created_at + DOWNLOAD_CODE_TTL_S:
            raise _ApiError(ERR_DOWNLOAD_CODE, "downloadCode is invalid or expired")
        token = secrets.token_urlsafe(24)
        self._download_urls[token] = (code, self.clock() + DOWNLOAD_URL_TTL_S)
        return {"downloadUrl": f"{self.base_url}/_fake/files/{token}"}

    # ----------------------------------------------------------------- oapi handlers
    def _h_gettoken(self, ctx: _Ctx) -> JSON:
        app = self._app_by_credentials(ctx.query.get("appkey", ""), ctx.query.get("appsecret", ""))
        if app is None:
            raise _LegacyError(LEGACY_BAD_APP, "不合法的appkey或appsecret")
        self.legacy_token_calls += 1
        token = self._issue(app, legacy=True)
        return {"access_token": token.value, "expires_in": int(token.expires_at - self.clock())}

    def _h_media_upload(self, ctx: _Ctx) -> JSON:
        self._legacy_app(ctx)
        kind = ctx.query.get("type", "")
        if kind not in MEDIA_TYPES:
            raise _LegacyError(LEGACY_BAD_MEDIA, "不合法的媒体文件类型")
        try:
            parts = parse_multipart(ctx.body, ctx.headers.get("content-type", ""))
        except ValueError as exc:
            raise _LegacyError(LEGACY_EMPTY_MEDIA, "缺少media") from exc
        if "media" not in parts or not parts["media"][2]:
            raise _LegacyError(LEGACY_EMPTY_MEDIA, "缺少media")
        filename, content_type, data = parts["media"]
        media_id = "@lADP" + secrets.token_urlsafe(18)
        ctype = content_type or mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
        self._media[media_id] = _File(media_id, data, ctype, filename or "media", self.clock(), None)
        return {"type": kind, "media_id": media_id, "created_at": int(self.clock() * 1000)}

    def _dept_id(self, data: Mapping[str, Any]) -> int:
        try:
            dept_id = int(data.get("dept_id", 0))
        except (TypeError, ValueError) as exc:
            raise _LegacyError(LEGACY_BAD_PARAM, "dept_id must be a number") from exc
        if dept_id not in self._departments:
            raise _LegacyError(LEGACY_DEPT_NOT_FOUND, "未找到部门")
        return dept_id

    def _h_dept_listsub(self, ctx: _Ctx) -> JSON:
        """Direct sub-departments only (callers walk the tree level by level)."""
        self._legacy_app(ctx)
        parent = self._dept_id(ctx.json_body(legacy=True))
        children = [
            {"dept_id": dept_id, "name": name, "parent_id": parent, "create_dept_group": False, "auto_add_user": False}
            for dept_id, (name, parent_id) in sorted(self._departments.items())
            if parent_id == parent
        ]
        return {"result": children, "request_id": secrets.token_hex(8)}

    def _h_user_list(self, ctx: _Ctx) -> JSON:
        """One page of a department's own members (not of its sub-departments), by cursor."""
        self._legacy_app(ctx)
        data = ctx.json_body(legacy=True)
        dept_id = self._dept_id(data)
        try:
            cursor, size = int(data.get("cursor", 0)), int(data.get("size", 0))
        except (TypeError, ValueError) as exc:
            raise _LegacyError(LEGACY_BAD_PARAM, "cursor and size must be numbers") from exc
        if not 1 <= size <= USER_LIST_MAX_SIZE or cursor < 0:
            raise _LegacyError(LEGACY_BAD_PARAM, f"size must be 1-{USER_LIST_MAX_SIZE}")
        people = [e for e in self._employees.values() if dept_id in e.departments]
        page = people[cursor : cursor + size]
        listed = [
            {
                "userid": e.userid,
                "unionid": hashlib.sha1(e.userid.encode()).hexdigest()[:20],
                "name": e.name,
                "dept_id_list": list(e.departments),
                "leader": dept_id in e.leader_in,
                "active": e.active,
                "admin": False,
                "boss": False,
                "title": "",
            }
            for e in page
        ]
        more = cursor + size < len(people)
        return {"result": {"has_more": more, "next_cursor": cursor + size if more else 0, "list": listed}}

    def _h_getuserinfo(self, ctx: _Ctx) -> JSON:
        """免登 code → userid (D9); the code is spent even when the answer is then refused."""
        self._legacy_app(ctx)
        data = ctx.json_body(legacy=True)
        issued = self._auth_codes.pop(str(data.get("code", "")), None)
        if issued is None or self.clock() > issued[1] + AUTH_CODE_TTL_S:
            raise _LegacyError(LEGACY_BAD_AUTH_CODE, "不存在的临时授权码")
        userid = issued[0]
        return {
            "result": {
                "userid": userid,
                "unionid": hashlib.sha1(userid.encode()).hexdigest()[:20],
                "associated_unionid": "",
                "name": self._users.get(userid, userid),
                "device_id": secrets.token_hex(8),
                "sys": False,
                "sys_level": 0,
            },
            "request_id": secrets.token_hex(8),
        }

    def _h_work_notice(self, ctx: _Ctx) -> JSON:
        app = self._legacy_app(ctx)
        data = ctx.json_body(legacy=True)
        if str(data.get("agent_id")) != str(app.agent_id):
            raise _LegacyError(LEGACY_BAD_AGENT, "不合法的agentId")
        msg = data.get("msg")
        if not isinstance(msg, dict) or msg.get("msgtype") not in WORK_NOTICE_MSGTYPES:
            raise _LegacyError(LEGACY_BAD_PARAM, "msg is invalid")
        if not isinstance(msg.get(str(msg["msgtype"])), dict):
            raise _LegacyError(LEGACY_BAD_PARAM, "msg body is missing")
        users = [u for u in str(data.get("userid_list", "")).split(",") if u]
        if not users and not data.get("to_all_user") and not data.get("dept_id_list"):
            raise _LegacyError(LEGACY_BAD_PARAM, "no recipients")
        now = self.clock()
        day = _day(now)
        content = json.dumps(msg, sort_keys=True, ensure_ascii=False)
        task_id = next(self._ids)
        for userid in dict.fromkeys(users):
            if userid not in self._users:
                continue
            # D5: DingTalk answers ok but the person sees nothing past these limits.
            reason = None
            if (userid, day, content) in self._notice_contents:
                reason = "same content to the same person today"
            elif self._notices_per_day[(userid, day)] >= WORK_NOTICE_PER_USER_PER_DAY:
                reason = "more than 500 notices to this person today"
            if reason:
                self._dropped.append(DroppedNotice(userid, copy.deepcopy(msg), now, reason))
                continue
            self._notice_contents.add((userid, day, content))
            self._notices_per_day[(userid, day)] += 1
            body = copy.deepcopy(msg[str(msg["msgtype"])])
            self._deliveries.append(
                _Delivery(userid, f"task{task_id}", f"notice:{msg['msgtype']}", now, body, "work_notification")
            )
        return {"task_id": task_id, "request_id": secrets.token_hex(8)}

    def _h_webhook(self, ctx: _Ctx) -> JSON:
        robot = self._webhooks.get(ctx.query.get("access_token", ""))
        if robot is None:
            raise _LegacyError(WEBHOOK_BAD_TOKEN, "token is not exist")
        now = self.clock()
        if robot.secret:
            # Checked with our own few lines (not bot.dingtalk.sign, the code under test), D8.
            timestamp = ctx.query.get("timestamp", "")
            if not timestamp.isdigit() or abs(int(now * 1000) - int(timestamp)) > SIGN_WINDOW_MS:
                raise _LegacyError(WEBHOOK_SECURITY, "invalid timestamp")
            if not hmac.compare_digest(hmac_sign(timestamp, robot.secret), ctx.query.get("sign", "")):
                raise _LegacyError(WEBHOOK_SECURITY, "sign not match")
        data = ctx.json_body(legacy=True)
        msgtype = data.get("msgtype")
        body = data.get(str(msgtype))
        if msgtype not in WEBHOOK_MSGTYPES or not isinstance(body, dict):
            raise _LegacyError(LEGACY_BAD_PARAM, "不支持的消息类型")
        if robot.keywords:
            text = json.dumps(body, ensure_ascii=False)
            if not any(k in text for k in robot.keywords):
                raise _LegacyError(WEBHOOK_SECURITY, "keywords not in content")
        if now < robot.blocked_until:
            raise _LegacyError(WEBHOOK_THROTTLED, "send too fast")
        while robot.window and robot.window[0] <= now - 60:
            robot.window.popleft()
        if len(robot.window) >= WEBHOOK_LIMIT_PER_MINUTE:
            robot.blocked_until = now + WEBHOOK_BLOCK_S
            raise _LegacyError(WEBHOOK_THROTTLED, "send too fast")
        robot.window.append(now)
        self._webhook_messages.append(WebhookMessage(robot.token, str(msgtype), copy.deepcopy(body), now))
        return {}

    def _h_stream_open(self, ctx: _Ctx) -> JSON:
        """D3: clientId/clientSecret + subscriptions → endpoint + single-use ticket."""
        data = ctx.json_body()
        app = self._app_by_credentials(str(data.get("clientId", "")), str(data.get("clientSecret", "")))
        if app is None:
            raise _ApiError(ERR_BAD_CLIENT, "clientId or clientSecret is wrong")
        subscriptions = data.get("subscriptions")
        if not isinstance(subscriptions, list) or not subscriptions:
            raise _ApiError(ERR_PARAM, "subscriptions is required")
        return self.stream.open(app.app_key, subscriptions)

    # ----------------------------------------------------------------- dispatch
    _NEW_ROUTES: dict[tuple[str, str], str] = {
        ("POST", "/v1.0/oauth2/accessToken"): "_h_access_token",
        ("POST", "/v1.0/robot/oToMessages/batchSend"): "_h_batch_send",
        ("POST", "/v1.0/robot/groupMessages/send"): "_h_group_send",
        ("POST", "/v1.0/card/instances/createAndDeliver"): "_h_card_create_and_deliver",
        ("PUT", "/v1.0/card/instances"): "_h_card_update",
        ("POST", "/v1.0/card/callbacks/register"): "_h_register_callback",
        ("POST", "/v1.0/robot/messageFiles/download"): "_h_file_download",
        ("POST", "/v1.0/gateway/connections/open"): "_h_stream_open",
    }
    _LEGACY_ROUTES: dict[tuple[str, str], str] = {
        ("GET", "/gettoken"): "_h_gettoken",
        ("POST", "/media/upload"): "_h_media_upload",
        ("POST", "/topapi/message/corpconversation/asyncsend_v2"): "_h_work_notice",
        ("POST", "/topapi/v2/department/listsub"): "_h_dept_listsub",
        ("POST", "/topapi/v2/user/list"): "_h_user_list",
        ("POST", "/topapi/v2/user/getuserinfo"): "_h_getuserinfo",
        ("POST", "/robot/send"): "_h_webhook",
    }

    def _dispatch(self, ctx: _Ctx) -> Response:
        with self._lock:
            record = RecordedRequest(ctx.method, ctx.path, dict(ctx.query), ctx.body, self.clock())
            try:
                record.json = json.loads(ctx.body) if ctx.body else None
            except ValueError:
                record.json = None
            self._requests.append(record)
            legacy = ctx.path in {p for _, p in self._LEGACY_ROUTES}
            try:
                faults = self._faults.get(ctx.path)
                if faults:
                    first, second = faults.popleft()
                    if legacy:
                        raise _LegacyError(first, str(second or "injected fault"))
                    raise _ApiError((first, str(second or "InjectedFault")), "injected fault")
                handler = (self._LEGACY_ROUTES if legacy else self._NEW_ROUTES).get((ctx.method, ctx.path))
                if handler is None:
                    raise _ApiError(ERR_NOT_FOUND, f"no API {ctx.method} {ctx.path}")
                result = getattr(self, handler)(ctx)
                if legacy:
                    return JSONResponse({"errcode": LEGACY_OK, "errmsg": "ok", **result})
                return JSONResponse(result)
            except _LegacyError as err:
                record.error = f"errcode {err.errcode}"
                if err.sub_code is not None:
                    return JSONResponse(
                        {
                            "errcode": err.errcode,
                            "sub_code": err.sub_code,
                            "sub_msg": err.errmsg,
                            "errmsg": f"ding talk error[subcode={err.sub_code},submsg={err.errmsg}]",
                        }
                    )
                return JSONResponse({"errcode": err.errcode, "errmsg": err.errmsg})
            except _ApiError as err:
                record.status, record.error = err.status, err.code
                return JSONResponse(
                    {"code": err.code, "message": err.message, "requestid": secrets.token_hex(8)},
                    status_code=err.status,
                )

    def _download(self, token: str) -> Response:
        with self._lock:
            entry = self._download_urls.get(token)
            if entry is None or self.clock() > entry[1]:
                return Response(b"<Error><Code>AccessDenied</Code></Error>", 403, media_type="application/xml")
            stored = self._files[entry[0]]
            return Response(stored.data, media_type=stored.content_type)

    def _build_asgi_app(self) -> FastAPI:
        app = FastAPI(title="fake DingTalk", openapi_url=None, docs_url=None, redoc_url=None)
        fake = self

        @app.get("/_fake/files/{token}")
        async def download(token: str) -> Response:
            return fake._download(token)

        @app.get("/_fake/inbox/{userid}")
        async def inbox(userid: str) -> JSONResponse:
            return JSONResponse(
                [
                    {"msgid": m.msgid, "msgtype": m.msgtype, "sent_at": m.sent_at, "body": m.body, "card": m.card}
                    for m in fake.inbox_of(userid)
                ]
            )

        @app.websocket("/connect")
        async def stream(websocket: WebSocket) -> None:
            await fake.stream.serve(websocket)

        @app.api_route("/{rest:path}", methods=["GET", "POST", "PUT"])
        async def api(request: Request, rest: str) -> Response:
            ctx = _Ctx(
                method=request.method,
                path="/" + rest,
                query=dict(request.query_params),
                body=await request.body(),
                headers=request.headers,
            )
            return fake._dispatch(ctx)

        return app


# --------------------------------------------------------------------------- standalone
def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake api.dingtalk.com / oapi.dingtalk.com for local development")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--template-id", default="salesbot-card.schema")
    parser.add_argument("--user", action="append", default=["0155667788", "0122334455"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    fake = FakeDingTalk(users=args.user, port=args.port)
    fake.publish_template(args.template_id)
    base_url = fake.start()
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    app = fake.app
    print(
        json.dumps(
            {
                "api_base": base_url,
                "oapi_base": base_url,
                "app_key": app.app_key,
                "app_secret": app.app_secret,
                "robot_code": app.robot_code,
                "card_template_id": args.template_id,
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
