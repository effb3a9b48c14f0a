"""Outbound DingTalk (钉钉) API client: thin, grouped by resource, never sleeps.

Why plain httpx: the official generated SDK (``alibabacloud-dingtalk``) is one package per
API version with its own tea/credential stack and no hook for our token store; the
stream SDK only covers replies inside Stream callbacks; dingtalk-sdk (007gzs) speaks only
the old oapi and has no interactive cards (PITFALLS.md "Cards").  We need eight calls.

Which call goes where (docs/platforms/dingtalk.md):

==============================  ===========================================================
api.dingtalk.com (new API;       ``POST /v1.0/oauth2/accessToken`` (token),
header x-acs-dingtalk-           ``POST /v1.0/robot/oToMessages/batchSend`` (robot → people),
access-token, errors as HTTP     ``POST /v1.0/robot/groupMessages/send`` (robot → group),
4xx/5xx + {code, message})       ``POST /v1.0/card/instances/createAndDeliver``, ``PUT /v1.0/card/instances``,
                                 ``POST /v1.0/card/callbacks/register``,
                                 ``POST /v1.0/robot/messageFiles/download`` (then a plain GET)
oapi.dingtalk.com (legacy;       ``GET /gettoken`` (its own token), ``POST /media/upload`` (images for
?access_token=, JSON errcode)    sampleImageMsg), ``POST /topapi/message/corpconversation/asyncsend_v2``,
                                 ``POST /topapi/v2/department/listsub`` + ``/topapi/v2/user/list`` (org sync),
                                 ``POST /topapi/v2/user/getuserinfo`` (H5 免登 code → userid)
custom robot webhook             ``POST /robot/send?access_token=…&timestamp=…&sign=…`` (no app token)
==============================  ===========================================================

Error policy, as in ``bot/wecom/client.py``:

* an invalid/expired token (new API: HTTP 400 code ``InvalidAuthentication``, or any 401;
  oapi: errcode 88 with a sub_code such as 40014) → refresh under the store's lock and retry
  the call ONCE; the refresh compares the rejected token with the stored one
  (docs/platforms/dingtalk.md, "Errors");
* throttling and busy (HTTP 429/5xx, codes containing ``QpsLimit``/``Throttling``, legacy
  -1/15/90018, 88 without a sub_code = auth service timeout, webhook 130101) and transport
  failures → :class:`RetryLater`;
* anything else → :class:`DingTalkAPIError` (the outbox records it as undeliverable).

Tokens (7200 s) are cached for their life minus 5 minutes in a :mod:`bot.tokens` store, so
every worker shares one token and one refresh.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from bot.dingtalk.cardauth import CardKeys
from bot.dingtalk.sign import signed_webhook_url
from bot.tokens import TokenStore, token_key

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.dingtalk.com"
DEFAULT_OAPI_BASE = "https://oapi.dingtalk.com"
TOKEN_HEADER = "x-acs-dingtalk-access-token"
LEGACY_TOKEN_INVALID = frozenset({40014, 42001})  # UNCONFIRMED for DingTalk (WeCom heritage), kept: harmless
# errcode 88 = 鉴权异常: with a sub_code (40014 不合法的access_token, 40000 blank) the token is bad →
# refresh once; without one the auth service timed out → retry later (docs/platforms/dingtalk.md, "Errors").
LEGACY_AUTH_ERROR = 88
LEGACY_RETRY_LATER = frozenset({-1, 15, 90018})  # busy, gateway timeout (15), 90018 throttled (UNCONFIRMED)
WEBHOOK_RETRY_LATER = frozenset({-1, 130101})  # 130101 "send too fast" (UNCONFIRMED, D8)
TOKEN_INVALID_CODES = ("InvalidAuthentication", "InvalidAccessToken", "accessTokenExpired")
RETRY_LATER_CODE_PARTS = ("QpsLimit", "Throttling", "ServiceUnavailable", "flowControl")
MEDIA_KINDS = frozenset({"image", "voice", "video", "file"})
USER_LIST_PAGE_SIZE = 100  # topapi/v2/user/list: size at most 100

JSON = dict[str, Any]


class DingTalkError(Exception):
    """Base class of everything this client raises."""


class DingTalkAPIError(DingTalkError):
    """DingTalk said no, and retrying will not help.

    ``errcode`` is the legacy errcode, or the HTTP status of a new-API error; ``code`` is
    the new API's string code (e.g. ``param.templateUnpublished``).
    """

    def __init__(self, errcode: int | None, message: str, path: str = "", code: str | None = None) -> None:
        self.errcode = errcode
        self.code = code
        self.errmsg = message
        self.path = path
        label = f"errcode {errcode}" if code is None else f"HTTP {errcode} {code}"
        super().__init__(f"DingTalk {path or 'API'} {label}: {message}")


class RetryLater(DingTalkAPIError):
    """Transient (throttled, busy, gateway timeout): the outbox worker backs off and retries."""


class DingTalkTransportError(RetryLater):
    """No usable HTTP answer (timeout, connection error).  A send may or may not have happened."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(-1, f"transport error: {detail}", path)


@dataclass(frozen=True)
class SendResult:
    """Answer of the robot send APIs (``processQueryKey`` identifies the send)."""

    process_query_key: str
    invalid_user_ids: list[str] = field(default_factory=list)
    flow_controlled_user_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CardDelivery:
    """Answer of createAndDeliver: one result per space (IM_ROBOT / IM_GROUP)."""

    out_track_id: str
    deliver_results: list[JSON] = field(default_factory=list)

    @property
    def failures(self) -> list[JSON]:
        return [r for r in self.deliver_results if not r.get("success", False)]


def text_param(content: str) -> JSON:
    """msgParam of ``sampleText``."""
    return {"content": content}


def markdown_param(title: str, text: str) -> JSON:
    """msgParam of ``sampleMarkdown`` (title shows in the chat list and notifications)."""
    return {"title": title, "text": text}


def image_param(photo_url: str) -> JSON:
    """msgParam of ``sampleImageMsg``: a picture URL or an oapi media_id (``@lAD…``; UNCONFIRMED)."""
    return {"photoURL": photo_url}


def robot_space_id(user_id: str, *more_user_ids: str) -> str:
    """openSpaceId of the 1:1 chat between the app robot and a person (D4.1).

    Several people: one space each, joined by ``;`` (createAndDeliver's documented
    ``dtv1.card//type1.id1;type2.id2`` form; UNCONFIRMED in docs/platforms/dingtalk.md D4.1).
    One instance in several spaces is why one public-data update changes every copy.
    """
    return "dtv1.card//" + ";".join(f"IM_ROBOT.{u}" for u in (user_id, *more_user_ids))


def group_space_id(open_conversation_id: str) -> str:
    """openSpaceId of a group chat the robot is in (D4.1)."""
    return f"dtv1.card//IM_GROUP.{open_conversation_id}"


class DingTalkClient:
    """One internal app (AppKey/AppSecret) and its robot.  Thread-safe; share one per process."""

    def __init__(
        self,
        api_base: str,
        oapi_base: str,
        app_key: str,
        app_secret: str,
        robot_code: str,
        token_store: TokenStore,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        *,
        agent_id: int | None = None,
        token_margin_s: float = 300.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.oapi_base = (oapi_base or DEFAULT_OAPI_BASE).rstrip("/")
        self.app_key = app_key
        self._secret = app_secret
        self.card_keys = CardKeys(app_secret)  # outTrackIds and tap tokens (cardauth.py)
        self.robot_code = robot_code or app_key
        self.agent_id = agent_id
        self.token_store = token_store
        self.clock = clock
        self.token_margin_s = token_margin_s
        self.timeout_s = timeout_s
        self._http = http if http is not None else httpx.Client()
        self._owns_http = http is None
        self.token_key = token_key("dingtalk", app_key)
        self.legacy_token_key = token_key("dingtalk", app_key, "oapi")

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> DingTalkClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- tokens (D7)
    def get_token(self) -> str:
        """New-API accessToken: from the store, or fetched once under the store's lock."""
        return self._cached(self.token_key, self._fetch_token)

    def get_legacy_token(self) -> str:
        """oapi access_token (``/gettoken``), cached separately."""
        return self._cached(self.legacy_token_key, self._fetch_legacy_token)

    def _cached(self, key: str, fetch: Callable[[], str]) -> str:
        cached = self.token_store.get(key)
        if cached is not None and self.clock() < cached.expires_at:
            return cached.token
        with self.token_store.lock(key):
            cached = self.token_store.get(key)  # someone may have refreshed while we waited
            if cached is not None and self.clock() < cached.expires_at:
                return cached.token
            return fetch()

    def _refresh_rejected(self, key: str, rejected: str, fetch: Callable[[], str]) -> str:
        with self.token_store.lock(key):
            cached = self.token_store.get(key)
            if cached is not None and cached.token != rejected and self.clock() < cached.expires_at:
                return cached.token
            self.token_store.delete(key)
            return fetch()

    def _store(self, key: str, token: str, expires_in: float) -> str:
        margin = min(self.token_margin_s, expires_in / 2)
        self.token_store.set(key, token, self.clock() + expires_in - margin)
        return token

    def _fetch_token(self) -> str:
        path = "/v1.0/oauth2/accessToken"
        payload = self._api_json(
            self._send("POST", self.api_base + path, path, json_body={"appKey": self.app_key, "appSecret": self._secret}),
            path,
        )
        token = payload.get("accessToken")
        if not isinstance(token, str) or not token:
            raise DingTalkError(f"{path} answered without accessToken")
        log.info("dingtalk: fetched accessToken (expireIn=%s)", payload.get("expireIn"))
        return self._store(self.token_key, token, float(payload.get("expireIn", 7200)))

    def _fetch_legacy_token(self) -> str:
        path = "/gettoken"
        response = self._send(
            "GET", self.oapi_base + path, path, params={"appkey": self.app_key, "appsecret": self._secret}
        )
        payload = self._legacy_json(response, path)
        self._raise_legacy(payload, path)
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise DingTalkError(f"{path} answered without access_token")
        return self._store(self.legacy_token_key, token, float(payload.get("expires_in", 7200)))

    # ----------------------------------------------------------------- transport
    def _send(
        self,
        method: str,
        url: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        try:
            return self._http.request(
                method, url, params=params, json=json_body, headers=headers, files=files, timeout=self.timeout_s
            )
        except httpx.TransportError as exc:
            raise DingTalkTransportError(path, repr(exc)) from exc

    @staticmethod
    def _body(response: httpx.Response) -> JSON:
        try:
            data = response.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {"result": data}

    @staticmethod
    def _token_rejected(response: httpx.Response, payload: JSON) -> bool:
        code = str(payload.get("code", ""))
        return response.status_code == 401 or any(c.lower() in code.lower() for c in TOKEN_INVALID_CODES)

    def _api_json(self, response: httpx.Response, path: str) -> JSON:
        """New-API answer → JSON, or the right exception for its HTTP status and code."""
        payload = self._body(response)
        if response.status_code == 200:
            return payload
        code = str(payload.get("code", "")) or None
        message = str(payload.get("message", response.text[:200]))
        if (
            response.status_code == 429
            or response.status_code >= 500
            or any(part.lower() in (code or "").lower() for part in RETRY_LATER_CODE_PARTS)
        ):
            raise RetryLater(response.status_code, message, path, code)
        raise DingTalkAPIError(response.status_code, message, path, code)

    def _api(self, method: str, path: str, json_body: Any = None) -> JSON:
        """Authenticated new-API call with the refresh-once rule."""
        token = self.get_token()
        for attempt in (1, 2):
            response = self._send(method, self.api_base + path, path, json_body=json_body, headers={TOKEN_HEADER: token})
            if attempt == 1 and response.status_code != 200 and self._token_rejected(response, self._body(response)):
                log.info("dingtalk: %s rejected the token, refreshing once", path)
                token = self._refresh_rejected(self.token_key, token, self._fetch_token)
                continue
            return self._api_json(response, path)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _legacy_json(response: httpx.Response, path: str) -> JSON:
        if response.status_code >= 500:
            raise RetryLater(response.status_code, f"HTTP {response.status_code}", path)
        try:
            data = response.json()
        except ValueError as exc:
            raise DingTalkError(f"DingTalk {path} answered non-JSON: {response.text[:200]!r}") from exc
        if not isinstance(data, dict):
            raise DingTalkError(f"DingTalk {path} answered unexpected JSON")
        return data

    @staticmethod
    def _errcode(payload: JSON) -> int:
        try:
            return int(payload.get("errcode", 0))
        except (TypeError, ValueError):
            return -1

    def _raise_legacy(self, payload: JSON, path: str, retry_codes: frozenset[int] = LEGACY_RETRY_LATER) -> None:
        errcode = self._errcode(payload)
        if errcode == 0:
            return
        errmsg = str(payload.get("errmsg", ""))
        if errcode in retry_codes or (errcode == LEGACY_AUTH_ERROR and not payload.get("sub_code")):
            raise RetryLater(errcode, errmsg, path)
        raise DingTalkAPIError(errcode, errmsg, path)

    @classmethod
    def _legacy_token_rejected(cls, payload: JSON) -> bool:
        errcode = cls._errcode(payload)
        return errcode in LEGACY_TOKEN_INVALID or (errcode == LEGACY_AUTH_ERROR and bool(payload.get("sub_code")))

    def _oapi(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> JSON:
        """Legacy oapi call (``?access_token=``) with the refresh-once rule."""
        token = self.get_legacy_token()
        for attempt in (1, 2):
            response = self._send(
                method,
                self.oapi_base + path,
                path,
                params={**(params or {}), "access_token": token},
                json_body=json_body,
                files=files,
            )
            payload = self._legacy_json(response, path)
            if attempt == 1 and self._legacy_token_rejected(payload):
                token = self._refresh_rejected(self.legacy_token_key, token, self._fetch_legacy_token)
                continue
            self._raise_legacy(payload, path)
            return payload
        raise AssertionError("unreachable")  # pragma: no cover

    # ----------------------------------------------------------------- robot messages (D2)
    def send_robot_to_users(self, user_ids: Sequence[str], msg_key: str, msg_param: JSON) -> SendResult:
        """The app robot's 1:1 message to people (``msgParam`` travels as a JSON string).

        Every recipient throttled → :class:`RetryLater`; every recipient invalid → error.
        """
        ids = list(user_ids)
        if not ids:
            raise ValueError("user_ids must not be empty")
        path = "/v1.0/robot/oToMessages/batchSend"
        body = {
            "robotCode": self.robot_code,
            "userIds": ids,
            "msgKey": msg_key,
            "msgParam": json.dumps(msg_param, ensure_ascii=False),
        }
        payload = self._api("POST", path, body)
        result = SendResult(
            process_query_key=str(payload.get("processQueryKey", "")),
            invalid_user_ids=[str(u) for u in payload.get("invalidStaffIdList") or []],
            flow_controlled_user_ids=[str(u) for u in payload.get("flowControlledStaffIdList") or []],
        )
        if result.flow_controlled_user_ids and set(result.flow_controlled_user_ids) >= set(ids):
            raise RetryLater(None, f"flow controlled: {result.flow_controlled_user_ids}", path)
        if result.invalid_user_ids and set(result.invalid_user_ids) >= set(ids):
            raise DingTalkAPIError(None, f"invalid staff ids: {result.invalid_user_ids}", path)
        if result.invalid_user_ids or result.flow_controlled_user_ids:
            log.warning(
                "dingtalk: batchSend partly failed",
                extra={"invalid": result.invalid_user_ids, "flow_controlled": result.flow_controlled_user_ids},
            )
        return result

    def send_robot_to_group(self, open_conversation_id: str, msg_key: str, msg_param: JSON) -> SendResult:
        """The app robot's message to a group it is in (``openConversationId`` = the callback's conversationId)."""
        path = "/v1.0/robot/groupMessages/send"
        body = {
            "robotCode": self.robot_code,
            "openConversationId": open_conversation_id,
            "msgKey": msg_key,
            "msgParam": json.dumps(msg_param, ensure_ascii=False),
        }
        payload = self._api("POST", path, body)
        return SendResult(process_query_key=str(payload.get("processQueryKey", "")))

    # ----------------------------------------------------------------- cards (D4)
    def register_card_callback(self, callback_url: str, api_secret: str, route_key: str, force: bool = True) -> JSON:
        """Admin step for HTTP card callbacks: cards created with ``route_key`` call back ``callback_url``."""
        body = {"callbackUrl": callback_url, "apiSecret": api_secret, "callbackRouteKey": route_key, "forceUpdate": force}
        return dict(self._api("POST", "/v1.0/card/callbacks/register", body).get("result") or {})

    def create_and_deliver_card(
        self,
        template_id: str,
        out_track_id: str,
        card_data: dict[str, str],
        *,
        user_id: str | Sequence[str] | None = None,
        open_conversation_id: str | None = None,
        private_data: dict[str, dict[str, str]] | None = None,
        callback_route_key: str | None = None,
        last_message: str | None = None,
    ) -> CardDelivery:
        """Create a card instance from a published template and deliver it.

        ``user_id`` → the robot's 1:1 chat with that person (a list: with each of them, one
        instance for all, so an update reaches every copy); ``open_conversation_id`` → a
        group.  ``card_data`` is the public ``cardParamMap`` (every value a string) seen by
        everyone; ``private_data[userId]`` only by that user.  With ``callback_route_key``
        taps come back over HTTP (registered with :meth:`register_card_callback`), else by Stream.
        """
        if (user_id is None) == (open_conversation_id is None):
            raise ValueError("give exactly one of user_id or open_conversation_id")
        body: JSON = {
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "cardData": {"cardParamMap": dict(card_data)},
            "userIdType": 1,
        }
        if callback_route_key:
            body["callbackType"] = "HTTP"
            body["callbackRouteKey"] = callback_route_key
        else:
            body["callbackType"] = "STREAM"
        if private_data:
            body["privateData"] = {uid: {"cardParamMap": dict(data)} for uid, data in private_data.items()}
        last = {"ZH_CN": last_message} if last_message else None
        if user_id is not None:
            user_ids = [user_id] if isinstance(user_id, str) else list(user_id)
            if not user_ids:
                raise ValueError("user_id must name at least one person")
            body["openSpaceId"] = robot_space_id(*user_ids)
            body["imRobotOpenSpaceModel"] = {"supportForward": True, **({"lastMessageI18n": last} if last else {})}
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT", "robotCode": self.robot_code}
        else:
            assert open_conversation_id is not None
            body["openSpaceId"] = group_space_id(open_conversation_id)
            body["imGroupOpenSpaceModel"] = {"supportForward": True, **({"lastMessageI18n": last} if last else {})}
            body["imGroupOpenDeliverModel"] = {"robotCode": self.robot_code}
        path = "/v1.0/card/instances/createAndDeliver"
        payload = self._api("POST", path, body)
        result = payload.get("result") if isinstance(payload.get("result"), dict) else {}
        assert isinstance(result, dict)
        delivery = CardDelivery(
            out_track_id=str(result.get("outTrackId", out_track_id)),
            deliver_results=[r for r in result.get("deliverResults") or [] if isinstance(r, dict)],
        )
        if payload.get("success") is False or (delivery.deliver_results and len(delivery.failures) == len(delivery.deliver_results)):
            errors = "; ".join(str(r.get("errorMsg", "")) for r in delivery.failures) or "success=false"
            raise DingTalkAPIError(None, f"card not delivered: {errors}", path)
        return delivery

    def update_card(
        self,
        out_track_id: str,
        card_data: dict[str, str] | None = None,
        *,
        private_data: dict[str, dict[str, str]] | None = None,
        by_key: bool = True,
    ) -> None:
        """``PUT /v1.0/card/instances``: public ``card_data`` changes the card for everyone.

        ``by_key=True`` merges the given keys into the card (omitted keys stay); False replaces.
        """
        body: JSON = {
            "outTrackId": out_track_id,
            "cardUpdateOptions": {"updateCardDataByKey": by_key, "updatePrivateDataByKey": by_key},
            "userIdType": 1,
        }
        if card_data is not None:
            body["cardData"] = {"cardParamMap": dict(card_data)}
        if private_data:
            body["privateData"] = {uid: {"cardParamMap": dict(data)} for uid, data in private_data.items()}
        payload = self._api("PUT", "/v1.0/card/instances", body)
        if payload.get("success") is False:
            raise DingTalkAPIError(None, "card update answered success=false", "/v1.0/card/instances")

    # ----------------------------------------------------------------- files and media (D6)
    def download_file(self, download_code: str) -> tuple[bytes, str]:
        """Bytes and Content-Type of a picture/file a user sent: downloadCode → downloadUrl → GET."""
        path = "/v1.0/robot/messageFiles/download"
        payload = self._api("POST", path, {"downloadCode": download_code, "robotCode": self.robot_code})
        url = payload.get("downloadUrl")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise DingTalkError(f"{path} answered without a downloadUrl")
        response = self._send("GET", url, "downloadUrl")
        if response.status_code >= 500:
            raise RetryLater(response.status_code, "file download failed", "downloadUrl")
        if response.status_code != 200:
            raise DingTalkAPIError(response.status_code, "file download refused (expired?)", "downloadUrl")
        return response.content, response.headers.get("content-type", "application/octet-stream")

    def upload_media(self, kind: str, filename: str, data: bytes, content_type: str | None = None) -> str:
        """oapi ``/media/upload`` (multipart field ``media``); returns the media_id (``@lAD…``)."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"kind must be one of {sorted(MEDIA_KINDS)}")
        files = {"media": (filename, data, content_type or "application/octet-stream")}
        payload = self._oapi("POST", "/media/upload", params={"type": kind}, files=files)
        media_id = payload.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise DingTalkError("/media/upload answered without media_id")
        return media_id

    # ----------------------------------------------------------------- contacts (org sync)
    def list_sub_departments(self, dept_id: int = 1) -> list[JSON]:
        """oapi ``/topapi/v2/department/listsub``: the direct children of a department
        (``dept_id``, ``name``, ``parent_id``); the root department is 1.  Not recursive."""
        payload = self._oapi("POST", "/topapi/v2/department/listsub", json_body={"dept_id": dept_id, "language": "zh_CN"})
        return [d for d in payload.get("result") or [] if isinstance(d, dict)]

    def list_department_users(self, dept_id: int, page_size: int = USER_LIST_PAGE_SIZE) -> list[JSON]:
        """oapi ``/topapi/v2/user/list``, every page: the department's own members (not its
        sub-departments') with ``userid``, ``name``, ``dept_id_list`` and ``leader`` (主管 of
        *this* department)."""
        users: list[JSON] = []
        cursor = 0
        while True:
            body = {"dept_id": dept_id, "cursor": cursor, "size": page_size, "contain_access_limit": False, "language": "zh_CN"}
            result = self._oapi("POST", "/topapi/v2/user/list", json_body=body).get("result") or {}
            users += [u for u in result.get("list") or [] if isinstance(u, dict)]
            next_cursor = result.get("next_cursor")
            if not result.get("has_more") or not isinstance(next_cursor, int) or next_cursor <= cursor:
                return users
            cursor = next_cursor

    # ----------------------------------------------------------------- H5 micro-app SSO (D9)
    def get_user_info_by_code(self, code: str) -> JSON:
        """oapi ``/topapi/v2/user/getuserinfo``: the 免登 auth code a page got from the JSAPI
        (``requestAuthCode``; single use, 5 minutes) → ``{"userid", "name", "unionid", …}``.

        Why the oapi call and not the new API: the new ``/v1.0/oauth2/userAccessToken`` is
        for third-party login (扫码登录), not for an internal app's in-client 免登 code.
        A bad, expired or reused code is a :class:`DingTalkAPIError` (errcode UNCONFIRMED).
        """
        payload = self._oapi("POST", "/topapi/v2/user/getuserinfo", json_body={"code": code})
        result = payload.get("result")
        if not isinstance(result, dict) or not result.get("userid"):
            raise DingTalkAPIError(None, "getuserinfo answered without userid", "/topapi/v2/user/getuserinfo")
        return result

    # ----------------------------------------------------------------- work notifications (D5)
    def send_work_notification(self, user_ids: Sequence[str], msg: JSON) -> int:
        """工作通知 from the app (asynchronous; returns task_id).

        DingTalk answers ok but shows nothing for the same content to the same person twice a
        day or past 500 messages per person per day — the outbox's dedupe keys avoid the first.
        """
        if self.agent_id is None:
            raise DingTalkError("work notifications need the app's AgentId (SALESBOT_DINGTALK_AGENT_ID)")
        body = {"agent_id": self.agent_id, "userid_list": ",".join(user_ids), "msg": msg}
        payload = self._oapi("POST", "/topapi/message/corpconversation/asyncsend_v2", json_body=body)
        return int(payload.get("task_id", 0))

    # ----------------------------------------------------------------- custom group robot (D8)
    def webhook_send(self, webhook_url: str, secret: str | None, msg: JSON) -> None:
        """群自定义机器人: POST to the robot's URL, signed when it has a ``SEC…`` secret.

        No app token; ≤ 20 messages/min per robot (130101 → RetryLater); 310000 (keyword,
        sign, timestamp, IP whitelist) is a configuration error.
        """
        url = signed_webhook_url(webhook_url, secret, int(self.clock() * 1000))
        response = self._send("POST", url, "/robot/send", json_body=msg)
        payload = self._legacy_json(response, "/robot/send")
        self._raise_legacy(payload, "/robot/send", WEBHOOK_RETRY_LATER)
