"""Outbound WeCom (企业微信) API client: thin, resource-grouped, never sleeps.

Why plain httpx and not wechatpy's ``WeChatClient``: wechatpy 1.8.18 (``wechatpy.enterprise``)
has no ``template_card`` send, no ``message/update_template_card`` and no way to plug in a
Redis token store with a refresh lock, which are the parts we need most
(PITFALLS.md "Cards", "Tokens and limits").  Wrapping it would mean bypassing it.

Error policy (docs/platforms/wecom.md W8):

* 40014 / 42001 -> refresh the token under the store's lock and retry the call ONCE.  The
  refresh compares the rejected token with the stored one, so 20 threads that all saw 42001
  cause exactly one gettoken;
* -1 / 45009 / 45033 and transport failures -> :class:`RetryLater`; the outbox worker owns
  backoff and pacing, this client never sleeps (a sleeping client blocks everyone);
* anything else -> :class:`WeComAPIError` (60020 explains the 企业可信IP / trusted-IP setting).

Tokens are cached for their life minus a margin (5 min) in a :mod:`bot.tokens` store; gettoken
is never called per request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from bot.tokens import TokenStore, token_key

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
TOKEN_INVALID_CODES = frozenset({40014, 42001})
RETRY_LATER_CODES = frozenset({-1, 45009, 45033})
MEDIA_KINDS = frozenset({"image", "voice", "video", "file"})
TEXT_MAX_BYTES = 2048  # text and markdown content limit of message/send (W4)

JSON = dict[str, Any]


class WeComError(Exception):
    """Base class of everything this client raises."""


class WeComAPIError(WeComError):
    """WeCom answered a non-zero errcode that retrying will not fix."""

    def __init__(self, errcode: int, errmsg: str, path: str = "") -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"WeCom {self.path or 'API'} errcode {self.errcode}: {self.errmsg}"
        if self.errcode == 60020:
            text += (
                " -- this server's egress IP is not in the app's 企业可信IP (trusted IP) list; self-built apps"
                " created after 2022-06-20 must list it (admin console: 应用管理 -> the app -> 企业可信IP)"
            )
        return text


class RetryLater(WeComAPIError):
    """Transient: -1 (busy), 45009 (frequency), 45033 (concurrency) or a network failure.

    Catch this BEFORE :class:`WeComAPIError`.  The caller (outbox worker) decides the backoff.
    """


class WeComTransportError(RetryLater):
    """No usable HTTP answer (timeout, connection error, 5xx).  errcode is -1.

    Note for message sends: after a timeout the message may or may not have been delivered.
    """

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(-1, f"transport error: {detail}", path)


@dataclass(frozen=True)
class SendResult:
    """Answer of message/send.  ``response_code`` only for interactive cards (one use, 72 h)."""

    msgid: str
    response_code: str | None = None
    invaliduser: list[str] = field(default_factory=list)
    invalidparty: list[str] = field(default_factory=list)
    invalidtag: list[str] = field(default_factory=list)
    unlicenseduser: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UpdateResult:
    invaliduser: list[str] = field(default_factory=list)


def _id_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v for v in str(value).split("|") if v]


def _join(ids: str | Sequence[str]) -> str:
    return ids if isinstance(ids, str) else "|".join(ids)


class WeComClient:
    """One self-built app (corp_id + secret + agent_id).  Thread-safe; share one per process."""

    def __init__(
        self,
        api_base: str,
        corp_id: str,
        secret: str,
        agent_id: int,
        token_store: TokenStore,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        *,
        token_margin_s: float = 300.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.corp_id = corp_id
        self.agent_id = int(agent_id)
        self._secret = secret
        self.token_store = token_store
        self.clock = clock
        self.token_margin_s = token_margin_s
        self.timeout_s = timeout_s
        self._http = http if http is not None else httpx.Client()
        self._owns_http = http is None
        self.token_key = token_key("wecom", corp_id, self.agent_id)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> WeComClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- tokens
    def get_token(self) -> str:
        """A usable access_token: from the store, or fetched once under the store's lock."""
        cached = self.token_store.get(self.token_key)
        if cached is not None and self.clock() < cached.expires_at:
            return cached.token
        with self.token_store.lock(self.token_key):
            cached = self.token_store.get(self.token_key)  # someone may have refreshed while we waited
            if cached is not None and self.clock() < cached.expires_at:
                return cached.token
            return self._fetch_token()

    def _refresh_rejected(self, rejected: str) -> str:
        """WeCom said 40014/42001 for ``rejected``: replace it unless another caller already did."""
        with self.token_store.lock(self.token_key):
            cached = self.token_store.get(self.token_key)
            if cached is not None and cached.token != rejected and self.clock() < cached.expires_at:
                return cached.token
            self.token_store.delete(self.token_key)
            return self._fetch_token()

    def _fetch_token(self) -> str:
        """Call gettoken and store (token, expiry minus margin).  Caller holds the lock."""
        payload = self._request_json(
            "GET", "/cgi-bin/gettoken", params={"corpid": self.corp_id, "corpsecret": self._secret}
        )
        token = str(payload["access_token"])
        expires_in = float(payload.get("expires_in", 7200))
        # Margin of 5 min, but never more than half the lifetime, so a short-lived token is still used.
        margin = min(self.token_margin_s, expires_in / 2)
        self.token_store.set(self.token_key, token, self.clock() + expires_in - margin)
        log.info("wecom: fetched access_token for agent %s (expires_in=%ss)", self.agent_id, int(expires_in))
        return token

    # ----------------------------------------------------------------- transport
    def _http_request(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        json_body: JSON | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        try:
            response = self._http.request(
                method,
                self.api_base + path,
                params=params,
                json=json_body,
                files=files,
                timeout=self.timeout_s,
            )
        except httpx.TransportError as exc:
            raise WeComTransportError(path, repr(exc)) from exc
        if response.status_code >= 500:
            raise WeComTransportError(path, f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise WeComError(f"WeCom {path}: unexpected HTTP {response.status_code}")
        return response

    @staticmethod
    def _json_of(response: httpx.Response, *, strict: bool) -> JSON | None:
        """Parse an API answer.  ``strict=False`` (media/get): only JSON content types are JSON."""
        content_type = response.headers.get("content-type", "").lower()
        if not strict and "json" not in content_type and not content_type.startswith("text/plain"):
            return None
        try:
            data = response.json()
        except ValueError as exc:
            if strict:
                raise WeComError(f"WeCom answered non-JSON: {response.text[:200]!r}") from exc
            return None
        if not isinstance(data, dict):
            raise WeComError(f"WeCom answered unexpected JSON: {data!r}"[:300])
        return data

    @staticmethod
    def _raise_for(payload: JSON, path: str) -> None:
        try:
            errcode = int(payload.get("errcode", 0))
        except (TypeError, ValueError):
            errcode = -1
        if errcode == 0:
            return
        errmsg = str(payload.get("errmsg", ""))
        if errcode in RETRY_LATER_CODES:
            raise RetryLater(errcode, errmsg, path)
        raise WeComAPIError(errcode, errmsg, path)

    def _request_json(
        self, method: str, path: str, params: dict[str, str], json_body: JSON | None = None
    ) -> JSON:
        """Call without access_token (gettoken, webhook)."""
        payload = self._json_of(self._http_request(method, path, params, json_body), strict=True)
        assert payload is not None
        self._raise_for(payload, path)
        return payload

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: JSON | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        raw: bool = False,
    ) -> JSON | httpx.Response:
        """Authenticated call with the refresh-once rule.  ``raw=True``: non-JSON bodies are returned."""
        token = self.get_token()
        for attempt in (1, 2):
            response = self._http_request(
                method, path, {**(params or {}), "access_token": token}, json_body, files
            )
            payload = self._json_of(response, strict=not raw)
            if payload is None:
                return response
            errcode = payload.get("errcode", 0)
            if attempt == 1 and errcode in TOKEN_INVALID_CODES:
                log.info("wecom: %s answered %s, refreshing token once", path, errcode)
                token = self._refresh_rejected(token)
                continue
            self._raise_for(payload, path)
            return payload
        raise AssertionError("unreachable")  # pragma: no cover

    def _call_json(self, method: str, path: str, **kwargs: Any) -> JSON:
        result = self._call(method, path, **kwargs)
        assert isinstance(result, dict)
        return result

    # ----------------------------------------------------------------- message/send (W4)
    def _send(self, touser: str | Sequence[str], message: JSON, **options: Any) -> SendResult:
        body: JSON = {"touser": _join(touser), "agentid": self.agent_id, **message}
        for name in ("toparty", "totag"):
            if options.get(name):
                body[name] = _join(options.pop(name))
        body.update({k: v for k, v in options.items() if v is not None})
        payload = self._call_json("POST", "/cgi-bin/message/send", json_body=body)
        result = SendResult(
            msgid=str(payload.get("msgid", "")),
            response_code=payload.get("response_code") or None,
            invaliduser=_id_list(payload.get("invaliduser")),
            invalidparty=_id_list(payload.get("invalidparty")),
            invalidtag=_id_list(payload.get("invalidtag")),
            unlicenseduser=_id_list(payload.get("unlicenseduser")),
        )
        if result.invaliduser:
            log.warning(
                "wecom: message %s not delivered to invalid users %s", result.msgid, result.invaliduser
            )
        return result

    def send_text(self, touser: str | Sequence[str], content: str, **options: Any) -> SendResult:
        """Text (≤ 2048 bytes UTF-8, else WeComAPIError 45002).  ``options``: toparty, safe, ..."""
        return self._send(touser, {"msgtype": "text", "text": {"content": content}}, **options)

    def send_markdown(self, touser: str | Sequence[str], content: str, **options: Any) -> SendResult:
        return self._send(touser, {"msgtype": "markdown", "markdown": {"content": content}}, **options)

    def send_image(self, touser: str | Sequence[str], media_id: str, **options: Any) -> SendResult:
        return self._send(touser, {"msgtype": "image", "image": {"media_id": media_id}}, **options)

    def send_template_card(self, touser: str | Sequence[str], card_json: JSON, **options: Any) -> SendResult:
        """Template card; keep ``response_code`` -- it is the only way to update the card later."""
        return self._send(touser, {"msgtype": "template_card", "template_card": card_json}, **options)

    # ----------------------------------------------------------------- update_template_card (W5)
    def update_template_card(
        self,
        response_code: str,
        card_json: JSON | None = None,
        replace_name: str | None = None,
        userids: Sequence[str] | None = None,
        atall: bool = False,
        *,
        partyids: Sequence[int] | None = None,
        tagids: Sequence[int] | None = None,
    ) -> UpdateResult:
        """Grey out buttons (``replace_name``) or replace the card (``card_json``, same task_id).

        ``atall=True`` updates every recipient's copy; ``userids`` only theirs.  The
        response_code is single use: a fresh one comes with every click event.
        """
        if (card_json is None) == (replace_name is None):
            raise ValueError("give exactly one of card_json or replace_name")
        if not atall and not (userids or partyids or tagids):
            raise ValueError("give userids/partyids/tagids or atall=True")
        body: JSON = {"agentid": self.agent_id, "response_code": response_code, "atall": 1 if atall else 0}
        if userids:
            body["userids"] = list(userids)
        if partyids:
            body["partyids"] = list(partyids)
        if tagids:
            body["tagids"] = list(tagids)
        if card_json is not None:
            # 更新模版卡片消息 documents no task_id inside template_card (the card is the one the
            # response_code belongs to): send none (docs/platforms/wecom.md, "Updating a card").
            body["template_card"] = {k: v for k, v in card_json.items() if k != "task_id"}
        else:
            body["button"] = {"replace_name": replace_name}
        payload = self._call_json("POST", "/cgi-bin/message/update_template_card", json_body=body)
        return UpdateResult(invaliduser=_id_list(payload.get("invaliduser")))

    # ----------------------------------------------------------------- media (W6)
    def download_media(self, media_id: str) -> tuple[bytes, str]:
        """Bytes and Content-Type.  A JSON body is an error (40007 once media is > 3 days old)."""
        result = self._call("GET", "/cgi-bin/media/get", params={"media_id": media_id}, raw=True)
        if isinstance(result, dict):
            raise WeComError(f"media/get answered JSON without bytes: {result!r}"[:300])
        return result.content, result.headers.get("content-type", "application/octet-stream")

    def upload_media(self, kind: str, filename: str, data: bytes, content_type: str | None = None) -> str:
        """Temporary media (3 days) for image/voice/video/file messages; returns media_id."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"kind must be one of {sorted(MEDIA_KINDS)}")
        files = {"media": (filename, data, content_type or "application/octet-stream")}
        payload = self._call_json("POST", "/cgi-bin/media/upload", params={"type": kind}, files=files)
        return str(payload["media_id"])

    # ----------------------------------------------------------------- group chats and robots (W4, W7)
    def appchat_send(self, chatid: str, msg: JSON) -> None:
        """``msg`` is e.g. ``{"msgtype": "text", "text": {"content": "..."}}``."""
        self._call_json("POST", "/cgi-bin/appchat/send", json_body={"chatid": chatid, **msg})

    def webhook_send(self, key: str, msg: JSON) -> None:
        """Group robot (no access_token; 20 msgs/min per robot -> RetryLater on 45009)."""
        self._request_json("POST", "/cgi-bin/webhook/send", params={"key": key}, json_body=msg)

    # ----------------------------------------------------------------- contacts and OAuth (W9, W10)
    def list_departments(self, department_id: int | None = None) -> list[JSON]:
        params = {"id": str(department_id)} if department_id is not None else {}
        return list(self._call_json("GET", "/cgi-bin/department/list", params=params).get("department", []))

    def list_users(self, department_id: int, fetch_child: bool = False) -> list[JSON]:
        params = {"department_id": str(department_id)}
        if fetch_child:
            params["fetch_child"] = "1"
        return list(self._call_json("GET", "/cgi-bin/user/list", params=params).get("userlist", []))

    def get_user_info(self, code: str) -> JSON:
        """OAuth code -> ``{"userid": ...}`` (members) or ``{"openid": ...}``; codes are single use, 5 min."""
        payload = self._call_json("GET", "/cgi-bin/auth/getuserinfo", params={"code": code})
        return {k: v for k, v in payload.items() if k not in ("errcode", "errmsg")}
