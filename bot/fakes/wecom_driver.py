"""Plays WeCom's side of callbacks (URL check, encrypted message/event pushes) against our endpoint.

Why an independent crypto implementation: our own ``bot/wecom/crypto.py`` is the code under
test, so the driver re-implements the WXBizMsgCrypt scheme straight from docs/platforms/crypto.md §0
(and is itself checked against wechatpy in the tests).  If both sides shared code, a bug
in it would encrypt and decrypt "correctly" and prove nothing.

Behaviour copied from WeCom (docs/platforms/wecom.md W1-W3):

* envelopes are the exact XML of W1 (``ToUserName``/``Encrypt``/``AgentID``), signature over
  ``Encrypt``, query ``msg_signature``/``timestamp``/``nonce``;
* plaintext XML follows W3, one element per line like the official vector B;
* when our endpoint does not answer within ``timeout_s`` (5 s), the SAME payload is re-sent,
  up to 3 retries -- so a slow handler is seen 4 times, as in production;
* passive replies in the response body are decrypted (signature checked); with a linked
  :class:`~bot.fakes.wecom_server.FakeWeCom` they become visible to the user: a text reply
  lands in the inbox, an ``update_button``/``update_template_card`` reply changes only the
  clicker's copy of the card.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
import xmltodict
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree

if TYPE_CHECKING:
    from bot.fakes.wecom_server import FakeWeCom

Clock = Callable[[], float]


# --------------------------------------------------------------------------- WXBizMsgCrypt (docs/platforms/crypto.md §0)
def aes_key_of(encoding_aes_key: str) -> bytes:
    """43-char EncodingAESKey -> 32-byte AES key."""
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """sha1 over the lexicographically sorted four strings, lowercase hex."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode("utf-8")).hexdigest()


def encrypt_msg(encoding_aes_key: str, msg: str, receive_id: str, random16: bytes | None = None) -> str:
    """AES-256-CBC(IV = key[:16]) of random16 | len(msg) BE32 | msg | receive_id, PKCS#7 block 32."""
    key = aes_key_of(encoding_aes_key)
    rnd = random16 if random16 is not None else secrets.token_bytes(16)
    if len(rnd) != 16:
        raise ValueError("random prefix must be 16 bytes")
    body = msg.encode("utf-8")
    plain = rnd + struct.pack(">I", len(body)) + body + receive_id.encode("utf-8")
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def decrypt_msg(encoding_aes_key: str, encrypted_b64: str) -> tuple[str, str]:
    """Inverse of :func:`encrypt_msg`; returns ``(msg, receive_id)``."""
    key = aes_key_of(encoding_aes_key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted_b64)) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32:
        raise ValueError("bad padding")
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length].decode("utf-8"), plain[20 + length :].decode("utf-8")


def cdata(value: str) -> str:
    """CDATA section that survives a ``]]>`` inside the value."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


# --------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt of one logical push (``delivery``); retries share the payload hash."""

    delivery: int
    number: int  # 1 = first try, 2..4 = WeCom's retries
    payload_sha1: str
    started_at: float  # time.monotonic()
    elapsed_s: float
    status: int | None
    error: str | None


@dataclass(frozen=True)
class PassiveReply:
    """A decrypted in-band reply from our endpoint."""

    xml: str
    fields: dict[str, Any]

    @property
    def msgtype(self) -> str:
        return str(self.fields.get("MsgType", ""))


class CallbackNoAnswer(TimeoutError):
    """Every attempt (1 + retries) went unanswered; WeCom gives up the push."""

    def __init__(self, attempts: Sequence[Attempt]) -> None:
        super().__init__(f"callback unanswered after {len(attempts)} attempts")
        self.attempts = list(attempts)


class PassiveReplyError(ValueError):
    """Our endpoint answered 200 with a body WeCom could not use (bad XML, signature, receive id)."""


_LIST_FIELDS = frozenset(
    {
        "horizontal_content_list",
        "jump_list",
        "button_list",
        "vertical_content_list",
        "action_list",
        "option_list",
        "select_list",
    }
)
_INT_FIELDS = frozenset({"type", "style", "desc_color", "mode", "disable", "is_checked"})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def xml_card_to_json(node: Any, key: str = "") -> Any:
    """Convert the CamelCase ``<TemplateCard>`` of a passive reply into the JSON card schema (W5)."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for name, value in node.items():
            snake = _snake(name)
            converted = xml_card_to_json(value, snake)
            if snake in _LIST_FIELDS and not isinstance(converted, list):
                converted = [converted]
            out[snake] = converted
        return out
    if isinstance(node, list):
        return [xml_card_to_json(item, key) for item in node]
    if node is None:
        return ""
    if key in _INT_FIELDS and isinstance(node, str) and node.lstrip("-").isdigit():
        return int(node)
    return node


# --------------------------------------------------------------------------- the driver
class WeComDriver:
    """WeCom's callback side, pointed at ``callback_url`` (our ``/callbacks/wecom``)."""

    def __init__(
        self,
        callback_url: str,
        token: str,
        aes_key: str,
        corp_id: str,
        agent_id: int,
        clock: Clock = time.time,
        *,
        fake: FakeWeCom | None = None,
        timeout_s: float = 5.0,
        max_retries: int = 3,
        retry_on_status: Sequence[int] = (),
        http: httpx.Client | None = None,
        first_msg_id: int = 7_300_000_000_000_000_001,
    ) -> None:
        aes_key_of(aes_key)  # fail fast on a bad key
        self.callback_url = callback_url
        self.token = token
        self.aes_key = aes_key
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.clock = clock
        self.fake = fake
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.retry_on_status = tuple(retry_on_status)
        self._http = http or httpx.Client()
        self._owns_http = http is None
        self._msg_ids = itertools.count(first_msg_id)
        self._deliveries = itertools.count(1)
        self.attempts: list[Attempt] = []
        self.last_echo_plaintext: str | None = None
        self.last_reply: PassiveReply | None = None

    # ----------------------------------------------------------------- lifecycle
    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> WeComDriver:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- crypto helpers (public for hostile tests)
    def new_nonce(self) -> str:
        return str(secrets.randbelow(9_000_000_000) + 1_000_000_000)

    def timestamp(self) -> str:
        return str(int(self.clock()))

    def encrypt(self, msg: str) -> str:
        return encrypt_msg(self.aes_key, msg, self.corp_id)

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return msg_signature(self.token, timestamp, nonce, encrypt)

    def envelope(
        self, plaintext_xml: str, *, timestamp: str | None = None, nonce: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The exact POST body and query WeCom would send for ``plaintext_xml`` (W1)."""
        ts = timestamp or self.timestamp()
        nc = nonce or self.new_nonce()
        encrypted = self.encrypt(plaintext_xml)
        body = (
            f"<xml><ToUserName>{cdata(self.corp_id)}</ToUserName>"
            f"<Encrypt>{cdata(encrypted)}</Encrypt>"
            f"<AgentID>{cdata(str(self.agent_id))}</AgentID></xml>"
        )
        params = {"msg_signature": self.sign(ts, nc, encrypted), "timestamp": ts, "nonce": nc}
        return body.encode("utf-8"), params

    def decrypt_reply(self, response: httpx.Response) -> PassiveReply | None:
        """Decrypt an encrypted passive reply; None for an empty body or the literal ``success``."""
        text = response.text.strip()
        if not text or text == "success":
            return None
        try:
            root = ElementTree.fromstring(text)
        except Exception as exc:  # defusedxml raises several types (ParseError, DTDForbidden, ...)
            raise PassiveReplyError(f"passive reply is not an XML envelope: {text[:80]!r}") from exc
        encrypted = root.findtext("Encrypt") or ""
        signature = root.findtext("MsgSignature") or ""
        ts = root.findtext("TimeStamp") or ""
        nonce = root.findtext("Nonce") or ""
        if self.sign(ts, nonce, encrypted) != signature:
            raise PassiveReplyError("passive reply MsgSignature does not verify")
        xml, receive_id = decrypt_msg(self.aes_key, encrypted)
        if receive_id != self.corp_id:
            raise PassiveReplyError(f"passive reply receive_id {receive_id!r} != CorpID")
        parsed = xmltodict.parse(xml, disable_entities=True).get("xml") or {}
        return PassiveReply(xml=xml, fields=dict(parsed))

    # ----------------------------------------------------------------- URL verification (GET)
    def verify_url(self, echo_plaintext: str | None = None) -> tuple[int, str]:
        """What the admin console does on "save": GET with an encrypted echostr.

        Our endpoint must answer the plaintext exactly; compare ``body`` with
        ``driver.last_echo_plaintext``.  Not retried (the console shows an error instead).
        """
        plain = echo_plaintext or str(secrets.randbelow(10**19))
        self.last_echo_plaintext = plain
        echostr = self.encrypt(plain)
        ts, nonce = self.timestamp(), self.new_nonce()
        params = {
            "msg_signature": self.sign(ts, nonce, echostr),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": echostr,
        }
        response = self._deliver("GET", params, b"", retry=False)
        return response.status_code, response.text

    # ----------------------------------------------------------------- plaintext builders (W3)
    def _xml(self, user: str, msgtype: str, fields: Sequence[tuple[str, str]], *, with_msg_id: bool) -> str:
        lines = [
            f"<xml><ToUserName>{cdata(self.corp_id)}</ToUserName>",
            f"<FromUserName>{cdata(user)}</FromUserName>",
            f"<CreateTime>{int(self.clock())}</CreateTime>",
            f"<MsgType>{cdata(msgtype)}</MsgType>",
        ]
        lines += [f"<{name}>{value}</{name}>" for name, value in fields]
        if with_msg_id:
            lines.append(f"<MsgId>{next(self._msg_ids)}</MsgId>")
        lines.append(f"<AgentID>{self.agent_id}</AgentID>")
        lines.append("</xml>")
        return "\n".join(lines)

    def _msg_id_field(self, msg_id: str | None) -> list[tuple[str, str]]:
        return [("MsgId", msg_id)] if msg_id is not None else []

    def text_xml(self, user: str, content: str, msg_id: str | None = None) -> str:
        fields = [("Content", cdata(content)), *self._msg_id_field(msg_id)]
        return self._xml(user, "text", fields, with_msg_id=msg_id is None)

    def image_xml(
        self, user: str, media_id: str, pic_url: str | None = None, msg_id: str | None = None
    ) -> str:
        url = pic_url or self._default_pic_url(media_id)
        fields = [("PicUrl", cdata(url)), ("MediaId", cdata(media_id)), *self._msg_id_field(msg_id)]
        return self._xml(user, "image", fields, with_msg_id=msg_id is None)

    def location_xml(self, user: str, lat: float, lng: float, label: str, scale: int = 15) -> str:
        fields = [
            ("Location_X", f"{lat:.6f}"),
            ("Location_Y", f"{lng:.6f}"),
            ("Scale", str(scale)),
            ("Label", cdata(label)),
        ]
        xml = self._xml(user, "location", fields, with_msg_id=True)
        # Official samples carry AppType on location messages (W3, secondary source).
        return xml.replace("\n</xml>", f"\n<AppType>{cdata('wxwork')}</AppType>\n</xml>")

    def event_xml(self, user: str, event: str, extra: Sequence[tuple[str, str]] = ()) -> str:
        return self._xml(user, "event", [("Event", cdata(event)), *extra], with_msg_id=False)

    def card_event_xml(
        self,
        user: str,
        task_id: str,
        key: str,
        response_code: str,
        card_type: str = "button_interaction",
        selected: Mapping[str, Sequence[str]] | None = None,
    ) -> str:
        """template_card_event exactly as W3 (element order of the official sample)."""
        lines = [
            f"<xml><ToUserName>{cdata(self.corp_id)}</ToUserName>",
            f"<FromUserName>{cdata(user)}</FromUserName>",
            f"<CreateTime>{int(self.clock())}</CreateTime>",
            f"<MsgType>{cdata('event')}</MsgType>",
            f"<Event>{cdata('template_card_event')}</Event>",
            f"<EventKey>{cdata(key)}</EventKey>",
            f"<TaskId>{cdata(task_id)}</TaskId>",
            f"<CardType>{cdata(card_type)}</CardType>",
            f"<ResponseCode>{cdata(response_code)}</ResponseCode>",
            f"<AgentID>{self.agent_id}</AgentID>",
        ]
        if selected:
            lines.append("<SelectedItems>")
            for question_key, option_ids in selected.items():
                options = "".join(f"<OptionId>{cdata(o)}</OptionId>" for o in option_ids)
                lines.append(
                    f"<SelectedItem><QuestionKey>{cdata(question_key)}</QuestionKey>"
                    f"<OptionIds>{options}</OptionIds></SelectedItem>"
                )
            lines.append("</SelectedItems>")
        lines.append("</xml>")
        return "\n".join(lines)

    def _default_pic_url(self, media_id: str) -> str:
        if self.fake is not None:
            return f"{self.fake.base_url}/_fake/media/{media_id}"
        return f"https://wework.qpic.cn/wwpic/fake/{media_id}/0"

    # ----------------------------------------------------------------- pushes
    def send_text(self, user: str, content: str, msg_id: str | None = None) -> httpx.Response:
        return self.post_raw(self.text_xml(user, content, msg_id), user=user)

    def send_image(
        self, user: str, media_id: str, pic_url: str | None = None, msg_id: str | None = None
    ) -> httpx.Response:
        return self.post_raw(self.image_xml(user, media_id, pic_url, msg_id), user=user)

    def send_location(self, user: str, lat: float, lng: float, label: str, scale: int = 15) -> httpx.Response:
        return self.post_raw(self.location_xml(user, lat, lng, label, scale), user=user)

    def send_enter_agent(self, user: str) -> httpx.Response:
        return self.post_raw(self.event_xml(user, "enter_agent", [("EventKey", cdata(""))]), user=user)

    def send_event(self, user: str, event: str, **fields: str) -> httpx.Response:
        """Any other event; ``fields`` become CDATA elements (e.g. ``EventKey="menu_1"``)."""
        extra = [(name, cdata(value)) for name, value in fields.items()]
        return self.post_raw(self.event_xml(user, event, extra), user=user)

    def tap_card(
        self,
        user: str,
        task_id: str,
        key: str,
        card_type: str = "button_interaction",
        selected: Mapping[str, Sequence[str]] | None = None,
        *,
        response_code: str | None = None,
    ) -> httpx.Response:
        """A member taps a card button / submits a vote or selection.

        With a linked fake the click is registered there first, so the ResponseCode in the
        event is one the fake will accept (once) in update_template_card.
        """
        if response_code is None:
            if self.fake is not None:
                response_code = self.fake.click_card(
                    user, task_id, key, agent_id=self.agent_id, selected=selected
                )
            else:
                response_code = secrets.token_urlsafe(48)
        xml = self.card_event_xml(user, task_id, key, response_code, card_type, selected)
        return self.post_raw(xml, user=user, task_id=task_id)

    def post_raw(
        self, xml_plaintext: str, *, user: str | None = None, task_id: str | None = None, retry: bool = True
    ) -> httpx.Response:
        """Encrypt, sign and POST any plaintext XML (e.g. hand-made hostile payloads)."""
        body, params = self.envelope(xml_plaintext)
        response = self.post_envelope(body, params, retry=retry)
        self._apply_reply(response, user, task_id)
        return response

    def post_envelope(
        self, body_bytes: bytes, params: Mapping[str, str], *, retry: bool = True
    ) -> httpx.Response:
        """POST an envelope as-is: forged signatures, stale timestamps, oversized or DTD bodies."""
        return self._deliver("POST", dict(params), body_bytes, retry=retry)

    # ----------------------------------------------------------------- delivery with WeCom's retries
    def _deliver(self, method: str, params: dict[str, str], body: bytes, *, retry: bool) -> httpx.Response:
        delivery = next(self._deliveries)
        digest = hashlib.sha1(method.encode() + repr(sorted(params.items())).encode() + body).hexdigest()
        attempts: list[Attempt] = []
        tries = 1 + (self.max_retries if retry else 0)
        headers = {"Content-Type": "text/xml"} if method == "POST" else {}
        for number in range(1, tries + 1):
            started = time.monotonic()
            try:
                response = self._http.request(
                    method,
                    self.callback_url,
                    params=params,
                    content=body if method == "POST" else None,
                    headers=headers,
                    timeout=self.timeout_s,
                )
            except httpx.TransportError as exc:
                attempt = Attempt(
                    delivery, number, digest, started, time.monotonic() - started, None, repr(exc)
                )
                attempts.append(attempt)
                self.attempts.append(attempt)
                continue
            attempt = Attempt(
                delivery, number, digest, started, time.monotonic() - started, response.status_code, None
            )
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

    # ----------------------------------------------------------------- passive replies -> what the user sees
    def _apply_reply(self, response: httpx.Response, user: str | None, task_id: str | None) -> None:
        self.last_reply = None
        if response.status_code != 200:
            return
        reply = self.decrypt_reply(response)
        self.last_reply = reply
        if reply is None or self.fake is None or user is None:
            return
        fields = reply.fields
        msgtype = reply.msgtype
        if msgtype == "update_button" and task_id is not None:
            button = fields.get("Button") or {}
            self.fake.apply_passive_update(
                user, task_id, replace_name=str(button.get("ReplaceName", "")), agent_id=self.agent_id
            )
        elif msgtype == "update_template_card" and task_id is not None:
            card = xml_card_to_json(fields.get("TemplateCard") or {})
            card.setdefault("task_id", task_id)
            self.fake.apply_passive_update(user, task_id, card=card, agent_id=self.agent_id)
        elif msgtype == "text":
            self.fake.deliver_passive_reply(
                user, "text", {"content": fields.get("Content") or ""}, self.agent_id
            )
        elif msgtype in ("image", "voice", "video", "news"):
            body = {
                k: v
                for k, v in fields.items()
                if k not in ("ToUserName", "FromUserName", "CreateTime", "MsgType")
            }
            self.fake.deliver_passive_reply(user, msgtype, body, self.agent_id)
