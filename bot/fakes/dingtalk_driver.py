"""Plays DingTalk's side of callbacks against our endpoints: robot messages, event pushes, card taps.

Why an independent implementation of the signatures and the cipher: ``bot/dingtalk/`` is
the code under test.  The driver signs robot callbacks with its own HMAC lines (D2) and
encrypts event pushes with the WXBizMsgCrypt helpers of the WeCom driver (docs/platforms/crypto.md §0,
themselves checked against the official vectors), so a shared bug cannot make both sides
agree on something DingTalk would refuse.

Behaviour copied from DingTalk (docs/platforms/dingtalk.md):

* robot messages are the JSON of D2 (``msgId``, ``senderStaffId``, ``conversationType`` as
  a string, ``createAt`` in ms, ``sessionWebhook`` living 90 min), with headers
  ``timestamp`` (ms) and ``sign``;
* event pushes are ``{"encrypt"}`` bodies with ``msg_signature``/``timestamp``/``nonce`` in the
  query, owner key = AppKey; the reply must decrypt to ``success`` (checked);
* card taps are ``actionCallback`` bodies whose ``content`` is a JSON *string* with
  ``cardPrivateData.actionIds`` and ``params`` (the params the template binds to the button,
  filled from what the tapper sees), POSTed to the URL the card's ``callbackRouteKey`` was
  registered with, without signature headers unless a test asks (``signed=True``): no
  official source shows DingTalk signing them (docs/platforms/dingtalk.md);
* a push that times out or gets a 5xx is sent again, the same bytes, up to 3 more times
  (DingTalk's real retry schedule is UNCONFIRMED; this is the behaviour we must survive).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from bot.fakes.wecom_driver import decrypt_msg, encrypt_msg, msg_signature

if TYPE_CHECKING:
    from bot.fakes.dingtalk_server import FakeDingTalk

Clock = Callable[[], float]
JSON = dict[str, Any]
SESSION_WEBHOOK_TTL_MS = 90 * 60 * 1000  # D2


def robot_sign(timestamp_ms: str, secret: str) -> str:
    """base64(HmacSHA256(secret, "<ts>\\n<secret>")), plain base64 in the header (D2)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt of one logical push; retries share ``delivery`` and the payload hash."""

    delivery: int
    number: int
    payload_sha1: str
    elapsed_s: float
    status: int | None
    error: str | None


class CallbackNoAnswer(TimeoutError):
    def __init__(self, attempts: Sequence[Attempt]) -> None:
        super().__init__(f"callback unanswered after {len(attempts)} attempts")
        self.attempts = list(attempts)


class EventReplyError(ValueError):
    """Our events endpoint answered 200 with something DingTalk would not take as ``success``."""


class DingTalkDriver:
    """DingTalk's callback side, pointed at our ``/callbacks/dingtalk/*`` endpoints."""

    def __init__(
        self,
        base_url: str,
        *,
        app_key: str,
        app_secret: str,
        robot_code: str,
        token: str | None = None,
        aes_key: str | None = None,
        corp_id: str = "dingfakecorp0001",
        clock: Clock = time.time,
        fake: FakeDingTalk | None = None,
        timeout_s: float = 5.0,
        max_retries: int = 3,
        retry_on_status: Sequence[int] = (500, 502, 503, 504),
        http: httpx.Client | None = None,
    ) -> None:
        self.robot_url = f"{base_url}/callbacks/dingtalk/robot"
        self.events_url = f"{base_url}/callbacks/dingtalk/events"
        self.card_url = f"{base_url}/callbacks/dingtalk/card"
        self.app_key = app_key
        self.app_secret = app_secret
        self.robot_code = robot_code
        self.token = token
        self.aes_key = aes_key
        self.corp_id = corp_id
        self.clock = clock
        self.fake = fake
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.retry_on_status = tuple(retry_on_status)
        self._http = http or httpx.Client()
        self._owns_http = http is None
        self._ids = itertools.count(1)
        self._deliveries = itertools.count(1)
        self.attempts: list[Attempt] = []
        self.last_event_reply: str | None = None

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> DingTalkDriver:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- helpers
    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def new_msg_id(self) -> str:
        return "msg" + base64.b64encode(secrets.token_bytes(15) + next(self._ids).to_bytes(3, "big")).decode()

    def robot_headers(self, timestamp_ms: int | str | None = None, secret: str | None = None) -> dict[str, str]:
        ts = str(timestamp_ms if timestamp_ms is not None else self.now_ms())
        return {
            "Content-Type": "application/json; charset=utf-8",
            "timestamp": ts,
            "sign": robot_sign(ts, secret or self.app_secret),
        }

    # ----------------------------------------------------------------- robot message builders (D2)
    def robot_message(
        self,
        user: str,
        msgtype: str,
        fields: Mapping[str, Any],
        *,
        msg_id: str | None = None,
        conversation_id: str | None = None,
        nick: str | None = None,
    ) -> JSON:
        """The JSON DingTalk posts for one message (1:1 unless ``conversation_id`` is a group)."""
        now = self.now_ms()
        group = conversation_id is not None
        message: JSON = {
            "conversationId": conversation_id or f"cid{hashlib.sha1(user.encode()).hexdigest()[:20]}==",
            "chatbotCorpId": self.corp_id,
            "chatbotUserId": "$:LWCP_v1:$" + hashlib.sha1(self.robot_code.encode()).hexdigest()[:24],
            "msgId": msg_id or self.new_msg_id(),
            "senderNick": nick or user,
            "isAdmin": False,
            "senderStaffId": user,
            "sessionWebhookExpiredTime": now + SESSION_WEBHOOK_TTL_MS,
            "createAt": now,
            "senderCorpId": self.corp_id,
            "conversationType": "2" if group else "1",
            "senderId": "$:LWCP_v1:$" + hashlib.sha1(user.encode()).hexdigest()[:24],
            "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=" + secrets.token_hex(16),
            "robotCode": self.robot_code,
            "msgtype": msgtype,
            **fields,
        }
        if group:
            message["conversationTitle"] = "销售群"
            message["isInAtList"] = True
            message["atUsers"] = [{"dingtalkId": message["chatbotUserId"]}]
        return message

    def text_message(self, user: str, content: str, msg_id: str | None = None, conversation_id: str | None = None) -> JSON:
        # In groups DingTalk removes the robot's @-mention but keeps the space after it.
        text = f" {content}" if conversation_id else content
        return self.robot_message(user, "text", {"text": {"content": text}}, msg_id=msg_id, conversation_id=conversation_id)

    def picture_message(self, user: str, download_code: str, msg_id: str | None = None) -> JSON:
        content = {"pictureDownloadCode": "pWjA" + secrets.token_hex(8), "downloadCode": download_code}
        return self.robot_message(user, "picture", {"content": content}, msg_id=msg_id)

    # ----------------------------------------------------------------- robot pushes
    def send_text(self, user: str, content: str, msg_id: str | None = None, conversation_id: str | None = None) -> httpx.Response:
        return self.send_message(self.text_message(user, content, msg_id, conversation_id))

    def send_picture(
        self,
        user: str,
        data: bytes | None = None,
        content_type: str = "image/jpeg",
        *,
        download_code: str | None = None,
        msg_id: str | None = None,
    ) -> httpx.Response:
        """A user sends a photo: with a linked fake the bytes become downloadable by downloadCode."""
        if download_code is None:
            if self.fake is None or data is None:
                raise ValueError("give download_code, or data with a linked fake")
            download_code = self.fake.add_file(data, content_type, robot_code=self.robot_code)
        return self.send_message(self.picture_message(user, download_code, msg_id))

    def send_image(self, user: str, media_id: str, msg_id: str | None = None) -> httpx.Response:
        """WeComDriver's name for a photo: ``media_id`` is a downloadCode from ``fake.add_media``."""
        return self.send_picture(user, download_code=media_id, msg_id=msg_id)

    def send_message(self, message: Mapping[str, Any], *, retry: bool = True) -> httpx.Response:
        """Sign and POST any robot message JSON (e.g. the official samples, or hostile ones)."""
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        return self.post_robot(body, self.robot_headers(), retry=retry)

    def post_robot(self, body: bytes, headers: Mapping[str, str], *, retry: bool = True) -> httpx.Response:
        """POST bytes as they are: forged signs, stale timestamps, non-JSON, huge bodies."""
        return self._deliver(self.robot_url, body, dict(headers), None, retry=retry)

    # ----------------------------------------------------------------- event subscription (D1)
    def event_envelope(
        self, event: Mapping[str, Any], *, timestamp: str | None = None, nonce: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Body and query of an encrypted event push (``msg_signature``/``timestamp``/``nonce``)."""
        if not (self.token and self.aes_key):
            raise ValueError("the driver needs token and aes_key for event pushes")
        ts = timestamp or str(self.now_ms())
        nc = nonce or secrets.token_hex(4)
        encrypted = encrypt_msg(self.aes_key, json.dumps(event, ensure_ascii=False), self.app_key)
        params = {"msg_signature": msg_signature(self.token, ts, nc, encrypted), "timestamp": ts, "nonce": nc}
        return json.dumps({"encrypt": encrypted}).encode(), params

    def send_event(self, event_type: str, *, retry: bool = True, **fields: Any) -> httpx.Response:
        """An event push; ``fields`` go next to ``EventType`` (e.g. ``UserId=["0155667788"]``)."""
        event = {"EventType": event_type, "TimeStamp": str(self.now_ms()), "CorpId": self.corp_id, **fields}
        body, params = self.event_envelope(event)
        response = self.post_event(body, params, retry=retry)
        if response.status_code == 200:
            self.last_event_reply = self.decrypt_event_reply(response)
        return response

    def check_url(self) -> tuple[int, str | None]:
        """What the developer console does when the URL is saved; answer must decrypt to success."""
        response = self.send_event("check_url", retry=False)
        return response.status_code, self.last_event_reply if response.status_code == 200 else None

    def post_event(self, body: bytes, params: Mapping[str, str], *, retry: bool = True) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        return self._deliver(self.events_url, body, headers, dict(params), retry=retry)

    def decrypt_event_reply(self, response: httpx.Response) -> str:
        """Check the reply map's signature and owner key; returns the plaintext (must be success)."""
        assert self.token and self.aes_key
        try:
            data = response.json()
            encrypted, ts, nonce, sig = data["encrypt"], data["timeStamp"], data["nonce"], data["msg_signature"]
        except (ValueError, KeyError, TypeError) as exc:
            raise EventReplyError(f"reply is not the encrypted success map: {response.text[:80]!r}") from exc
        if msg_signature(self.token, str(ts), str(nonce), str(encrypted)) != sig:
            raise EventReplyError("reply msg_signature does not verify")
        plain, owner = decrypt_msg(self.aes_key, str(encrypted))
        if owner != self.app_key:
            raise EventReplyError(f"reply owner key {owner!r} is not the AppKey")
        return plain

    # ----------------------------------------------------------------- card taps (D4.5)
    def card_callback(
        self,
        user: str,
        out_track_id: str,
        action: str,
        *,
        component_id: str = "btn1",
        params: Mapping[str, Any] | None = None,
        space_type: str = "IM_ROBOT",
    ) -> JSON:
        content = {"cardPrivateData": {"actionIds": [component_id], "params": {"action": action, **(params or {})}}}
        return {
            "type": "actionCallback",
            "outTrackId": out_track_id,
            "corpId": self.corp_id,
            "userId": user,
            "spaceType": space_type,
            "spaceId": user if space_type == "IM_ROBOT" else "",
            "content": json.dumps(content, ensure_ascii=False),
            "extension": "{}",
        }

    def tap_card(
        self,
        user: str,
        out_track_id: str,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        choices: Mapping[str, str] | None = None,
        signed: bool = False,
        retry: bool = True,
    ) -> httpx.Response:
        """A person taps a button.  With a linked fake the tap must be possible (else CardNotClickable),
        carries the params the template binds (filled from what that person sees) and goes to the URL
        the card's route key was registered with.

        ``signed``: add robot-style ``timestamp``/``sign`` headers made with the route's apiSecret.
        Off by default: no official source shows DingTalk sending them on card callbacks
        (docs/platforms/dingtalk.md, "Card callbacks"), so the product must work without them.

        ``choices`` {callback param: option value}: what the person picked in the card's selects
        first (e.g. ``{"select1": "terms"}``); the linked fake checks the template can send it.
        """
        url, secret = self.card_url, self.app_secret
        body = self.tap_body(user, out_track_id, action, params, choices=choices)
        if self.fake is not None:
            route = self.fake.callback_for(out_track_id)
            if route is not None:
                url, secret = route
        headers = self.robot_headers(secret=secret) if signed else {"Content-Type": "application/json"}
        return self._deliver(url, body, headers, None, retry=retry)

    def tap_body(
        self,
        user: str,
        out_track_id: str,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        choices: Mapping[str, str] | None = None,
    ) -> bytes:
        """The body DingTalk would send for this tap (checked against the linked fake, if any)."""
        component = "btn1"
        bound: dict[str, Any] = {"action": action, **(choices or {})}
        if self.fake is not None:
            click = self.fake.click_card(user, out_track_id, action, choices)
            component, bound = click.component_id, dict(click.params)
        tap = self.card_callback(user, out_track_id, action, component_id=component, params={**bound, **(params or {})})
        return json.dumps(tap, ensure_ascii=False).encode("utf-8")

    def post_card(self, body: bytes, headers: Mapping[str, str], *, retry: bool = True) -> httpx.Response:
        return self._deliver(self.card_url, body, dict(headers), None, retry=retry)

    # ----------------------------------------------------------------- delivery with retries
    def _deliver(
        self, url: str, body: bytes, headers: dict[str, str], params: dict[str, str] | None, *, retry: bool
    ) -> httpx.Response:
        delivery = next(self._deliveries)
        digest = hashlib.sha1(url.encode() + repr(sorted((params or {}).items())).encode() + body).hexdigest()
        attempts: list[Attempt] = []
        tries = 1 + (self.max_retries if retry else 0)
        for number in range(1, tries + 1):
            started = time.monotonic()
            try:
                response = self._http.post(url, content=body, headers=headers, params=params, timeout=self.timeout_s)
            except httpx.TransportError as exc:
                attempt = Attempt(delivery, number, digest, time.monotonic() - started, None, repr(exc))
                attempts.append(attempt)
                self.attempts.append(attempt)
                continue
            attempt = Attempt(delivery, number, digest, time.monotonic() - started, response.status_code, None)
            attempts.append(attempt)
            self.attempts.append(attempt)
            if response.status_code in self.retry_on_status and number < tries:
                continue
            return response
        raise CallbackNoAnswer(attempts)

    def attempts_of_last_delivery(self) -> list[Attempt]:
        if not self.attempts:
            return []
        last = self.attempts[-1].delivery
        return [a for a in self.attempts if a.delivery == last]
