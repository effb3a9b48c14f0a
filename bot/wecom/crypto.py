"""WeCom (企业微信) callback crypto, kept in one module.

The cipher itself (AES-256-CBC, PKCS#7/32, random‖len‖msg‖receive_id) comes from
``wechatpy.enterprise`` (receive id = CorpID). This module adds what wechatpy lacks
for a server that faces the internet:

* the outer envelope is parsed with defusedxml (wechatpy uses plain xmltodict);
* signatures are compared in constant time;
* every failure is one of a few typed exceptions carrying the HTTP status to answer;
* the replay window takes an injected clock;
* the random prefix of an encrypted reply can be forced, so tests can reproduce
  wechatpy's byte-exact vector.

Callers pass query values already URL-decoded (a ``+`` in ``echostr`` must reach us
as ``+``, not as a space); nothing here touches URL encoding.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import struct
from typing import ClassVar
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException

__all__ = [
    "CallbackRejected",
    "DecryptError",
    "MalformedXMLError",
    "ReceiveIdError",
    "ReplayError",
    "SignatureError",
    "WeComCrypto",
    "parse_xml",
    "signature",
]

_AES_KEY_RE = re.compile(r"[A-Za-z0-9]{43}")
# Our own values end up inside the reply envelope (nonce in CDATA, timestamp as text),
# so restrict them to characters that cannot break out of it.
_NONCE_RE = re.compile(r"[0-9A-Za-z_\-]{1,64}")
_TIMESTAMP_RE = re.compile(r"[0-9]{1,20}")

# Same layout wechatpy renders (and its vector C expects byte for byte).
_REPLY_TEMPLATE = """<xml>
<Encrypt><![CDATA[{encrypt}]]></Encrypt>
<MsgSignature><![CDATA[{signature}]]></MsgSignature>
<TimeStamp>{timestamp}</TimeStamp>
<Nonce><![CDATA[{nonce}]]></Nonce>
</xml>"""


class CallbackRejected(Exception):
    """A callback we refuse; ``http_status`` is what the endpoint should answer."""

    http_status: ClassVar[int] = 400


class SignatureError(CallbackRejected):
    """msg_signature does not match sha1(sort(token, timestamp, nonce, encrypt))."""

    http_status: ClassVar[int] = 403


class ReceiveIdError(CallbackRejected):
    """Decrypted fine, but the trailing receive id is not our CorpID."""

    http_status: ClassVar[int] = 403


class MalformedXMLError(CallbackRejected):
    """Not well-formed XML, a DTD/entity (XXE, billion laughs), or a missing element."""

    http_status: ClassVar[int] = 400


class ReplayError(CallbackRejected):
    """Timestamp outside the accepted window (or not a timestamp at all)."""

    http_status: ClassVar[int] = 403


class DecryptError(CallbackRejected):
    """Signature was valid but the ciphertext does not decode (bad base64, padding, length)."""

    http_status: ClassVar[int] = 400


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """WXBizMsgCrypt signature: sha1 of the four strings sorted and concatenated, lowercase hex."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode("utf-8")).hexdigest()


def parse_xml(data: bytes | str) -> Element:
    """Parse untrusted XML with defusedxml, refusing any DTD (hence entities and XXE).

    Raises MalformedXMLError on anything that is not plain well-formed XML.
    """
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=True)
        return root
    except (ParseError, DefusedXmlException, ValueError, TypeError) as exc:
        raise MalformedXMLError(f"bad XML: {exc.__class__.__name__}: {exc}") from exc


class _FixedRandomPrpCrypto(PrpCrypto):
    """wechatpy's cipher with the 16-byte random prefix supplied by us.

    wechatpy draws it from ``random.sample`` (not a CSPRNG, never repeats a character);
    we pass ``secrets.token_bytes`` in production and a fixed value in tests.
    """

    def __init__(self, key: bytes, random16: bytes) -> None:
        super().__init__(key)
        self._random16 = random16

    def get_random_string(self) -> bytes:
        return self._random16


class WeComCrypto:
    """Verify, decrypt and encrypt WeCom callbacks for one self-built app.

    ``corp_id`` is the receive id WeCom puts after the message (not the AgentID, and
    not an official-account AppID: using the wrong one is a classic failure).
    """

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        if not token:
            raise ValueError("token must not be empty")
        if not corp_id:
            raise ValueError("corp_id must not be empty")
        if not _AES_KEY_RE.fullmatch(encoding_aes_key):
            raise ValueError("EncodingAESKey must be 43 characters of [A-Za-z0-9]")
        self.token = token
        self.corp_id = corp_id
        self._wechat = WeChatCrypto(token, encoding_aes_key, corp_id)
        self._key: bytes = self._wechat.key

    # -- inbound ---------------------------------------------------------------------

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """Answer the GET URL check: returns the plaintext to send back as the whole body."""
        return self.decrypt_ciphertext(msg_signature, timestamp, nonce, echostr)

    def decrypt_message(self, body_xml: bytes | str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """Decrypt a POSTed envelope ``<xml><Encrypt>…</Encrypt>…</xml>``; returns the plaintext XML."""
        root = parse_xml(body_xml)
        if root.tag != "xml":
            raise MalformedXMLError(f"envelope root is <{root.tag}>, expected <xml>")
        encrypt = root.findtext("Encrypt")
        if not encrypt or not encrypt.strip():
            raise MalformedXMLError("envelope has no <Encrypt>")
        return self.decrypt_ciphertext(msg_signature, timestamp, nonce, encrypt.strip())

    def decrypt_ciphertext(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        """Check the signature over ``encrypt``, decrypt it and check the receive id.

        The common core of the URL check (``encrypt`` = echostr), the XML envelope, and
        WeCom's JSON-envelope callbacks (``encrypt`` = the JSON field).
        """
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode("ascii"), msg_signature.lower().encode("utf-8")):
            raise SignatureError("msg_signature mismatch")
        try:
            plaintext: str = PrpCrypto(self._key).decrypt(encrypt, self.corp_id)
        except InvalidCorpIdException as exc:
            raise ReceiveIdError("receive id is not our CorpID") from exc
        except (ValueError, TypeError, IndexError, struct.error) as exc:
            # binascii.Error and UnicodeDecodeError are ValueErrors.
            raise DecryptError(f"cannot decrypt: {exc.__class__.__name__}") from exc
        return plaintext

    @staticmethod
    def check_timestamp(timestamp: str, now: float, window_s: int = 600) -> int:
        """Reject a callback whose timestamp is more than ``window_s`` away from ``now``.

        ``now`` is injected (unix seconds) so tests and the demo clock can move time;
        WeCom retries within ~15 s, so 10 minutes is generous. Returns the parsed timestamp.
        """
        if not _TIMESTAMP_RE.fullmatch(timestamp or ""):
            raise ReplayError("timestamp is not a unix time")
        ts = int(timestamp)
        if abs(now - ts) > window_s:
            raise ReplayError(f"timestamp {ts} outside ±{window_s}s of now")
        return ts

    # -- outbound --------------------------------------------------------------------

    def encrypt_reply(
        self, plain_xml: str, nonce: str, timestamp: str | int, random16: bytes | None = None
    ) -> str:
        """Encrypt a passive reply and wrap it in the signed envelope WeCom expects.

        ``random16`` forces the random prefix (tests only); by default it comes from
        ``secrets``. The request's own nonce/timestamp may be reused.
        """
        ts = str(timestamp)
        if not _TIMESTAMP_RE.fullmatch(ts):
            raise ValueError("timestamp must be unix seconds (digits only)")
        if not _NONCE_RE.fullmatch(nonce):
            raise ValueError("nonce must be 1-64 characters of [0-9A-Za-z_-]")
        if random16 is None:
            random16 = secrets.token_bytes(16)
        if len(random16) != 16:
            raise ValueError("random16 must be exactly 16 bytes")
        raw = _FixedRandomPrpCrypto(self._key, random16).encrypt(plain_xml, self.corp_id)
        encrypt = raw.decode("ascii") if isinstance(raw, bytes) else str(raw)
        sig = signature(self.token, ts, nonce, encrypt)
        return _REPLY_TEMPLATE.format(encrypt=encrypt, signature=sig, timestamp=ts, nonce=nonce)
