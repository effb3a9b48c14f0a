"""DingTalk event-subscription (事件订阅, HTTP push) crypto, in one module.

DingTalk copied WeCom's WXBizMsgCrypt scheme (docs/platforms/crypto.md §0, dingtalk.md D1): AES-256-CBC with
IV = key[:16], PKCS#7 padding to 32-byte blocks, plaintext ``random16 ‖ len ‖ msg ‖ owner``,
and ``sha1(sorted(token, timestamp, nonce, encrypt))`` as signature.  Only the envelope
differs: JSON ``{"encrypt": ...}`` in and ``{"msg_signature", "timeStamp", "nonce",
"encrypt"}`` out, and the trailing "owner key" is the **AppKey** for an internal app's
event subscription (CorpId for the legacy register_call_back, SuiteKey for suites).

Why our own ~100 lines on ``cryptography`` instead of dingtalk-sdk (007gzs): that package
is not a dependency and is unmaintained since 2021; wechatpy's ``PrpCrypto`` would work
but ties the DingTalk path to WeCom's exception types and its non-CSPRNG random prefix.
What this module adds over the official sample:

* signatures and the owner key are compared in constant time;
* every failure is a typed :class:`CallbackRejected` carrying the HTTP status to answer;
* the replay window takes an injected ``now`` and accepts both millisecond (Java sample,
  vector D-A/D-B) and second (Python sample) timestamps;
* the random prefix of an encrypted reply can be forced, so vector D-C' is reproducible.

The shared exceptions here are also used by ``sign.py`` and ``parser.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import string
import struct
from typing import Any, ClassVar

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "CallbackRejected",
    "DecryptError",
    "DingTalkCrypto",
    "MalformedPayloadError",
    "ReceiveIdError",
    "ReplayError",
    "SignatureError",
    "normalize_timestamp",
    "signature",
]

_AES_KEY_RE = re.compile(r"[A-Za-z0-9]{43}")
_TIMESTAMP_RE = re.compile(r"[0-9]{1,20}")
_NONCE_ALPHABET = string.ascii_letters + string.digits
_BLOCK = 32  # PKCS#7 block size of the scheme (not AES's 16)
MAX_ENCRYPT_CHARS = 1_000_000  # the app's body limit is smaller anyway; a cheap guard before base64


class CallbackRejected(Exception):
    """A callback we refuse; ``http_status`` is what the endpoint should answer."""

    http_status: ClassVar[int] = 400


class SignatureError(CallbackRejected):
    """msg_signature / robot ``sign`` does not match."""

    http_status: ClassVar[int] = 403


class ReplayError(CallbackRejected):
    """Timestamp missing, malformed or outside the accepted window."""

    http_status: ClassVar[int] = 403


class ReceiveIdError(CallbackRejected):
    """Decrypted fine, but the trailing owner key is not our AppKey (another app's event)."""

    http_status: ClassVar[int] = 403


class DecryptError(CallbackRejected):
    """Signature was valid but the ciphertext does not decode (base64, length, padding, UTF-8)."""

    http_status: ClassVar[int] = 400


class MalformedPayloadError(CallbackRejected):
    """Not JSON, not an object, too deep, wrong field types, or a required field missing."""

    http_status: ClassVar[int] = 400


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """sha1 of the four strings sorted and concatenated, lowercase hex (§0)."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode("utf-8")).hexdigest()


def normalize_timestamp(timestamp: str) -> float:
    """Unix seconds from a DingTalk timestamp given in milliseconds (13 digits) or seconds.

    The official Java sample signs with milliseconds, the Python3 sample with seconds
    (docs/platforms/dingtalk.md D1); both only feed the signature, so both must be accepted.
    """
    if not _TIMESTAMP_RE.fullmatch(timestamp or ""):
        raise ReplayError("timestamp is not a unix time")
    value = int(timestamp)
    return value / 1000.0 if value >= 100_000_000_000 else float(value)


def _check_window(timestamp: str, now: float, window_s: float) -> float:
    ts = normalize_timestamp(timestamp)
    if abs(now - ts) > window_s:
        raise ReplayError(f"timestamp {timestamp} outside ±{int(window_s)}s of now")
    return ts


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


class DingTalkCrypto:
    """Verify, decrypt and encrypt DingTalk event-subscription callbacks for one app.

    ``owner_key`` is the receive id DingTalk appends to every plaintext: the app's AppKey
    for an internal app (using the CorpId there is the classic failure, PITFALLS.md).
    """

    def __init__(self, token: str, aes_key: str, owner_key: str) -> None:
        if not token:
            raise ValueError("token must not be empty")
        if not owner_key:
            raise ValueError("owner_key (AppKey) must not be empty")
        if not _AES_KEY_RE.fullmatch(aes_key or ""):
            raise ValueError("aes_key must be 43 characters of [A-Za-z0-9]")
        self.token = token
        self.owner_key = owner_key
        self._key = base64.b64decode(aes_key + "=")
        if len(self._key) != 32:  # pragma: no cover - 43 base64 chars always give 32 bytes
            raise ValueError("aes_key must decode to 32 bytes")

    # -- inbound ---------------------------------------------------------------------

    @staticmethod
    def check_timestamp(timestamp: str, now: float, window_s: float = 3600) -> float:
        """Reject a push whose timestamp is more than ``window_s`` from ``now`` (unix seconds).

        One hour, like the robot ``sign`` rule (D2): a replayed event is stopped by the
        inbox's unique key anyway; this only bounds how long a captured push stays usable.
        """
        return _check_window(timestamp, now, window_s)

    @staticmethod
    def encrypt_field(body: bytes | str | dict[str, Any]) -> str:
        """The ``encrypt`` string of a POSTed ``{"encrypt": "..."}`` body (parsed strictly)."""
        if isinstance(body, dict):
            data: Any = body
        else:
            try:
                text = body.decode("utf-8") if isinstance(body, bytes) else body
                data = json.loads(text)
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                raise MalformedPayloadError(f"body is not JSON: {exc.__class__.__name__}") from exc
        if not isinstance(data, dict):
            raise MalformedPayloadError("body is not a JSON object")
        encrypt = data.get("encrypt")
        if not isinstance(encrypt, str) or not encrypt.strip():
            raise MalformedPayloadError('body has no "encrypt" string')
        return encrypt.strip()

    def decrypt_body(
        self, body: bytes | str | dict[str, Any], msg_signature: str, timestamp: str, nonce: str
    ) -> str:
        """Verify and decrypt a POSTed ``{"encrypt": ...}`` body; returns the plaintext JSON text."""
        return self.decrypt(msg_signature, timestamp, nonce, self.encrypt_field(body))

    def decrypt(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        """Check the signature over ``encrypt``, decrypt it and check the owner key."""
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not _equal(expected, (msg_signature or "").lower()):
            raise SignatureError("msg_signature mismatch")
        msg, owner = self._decrypt_raw(encrypt)
        if not _equal(owner, self.owner_key):
            raise ReceiveIdError("owner key is not our AppKey")
        return msg

    def _decrypt_raw(self, encrypt: str) -> tuple[str, str]:
        if len(encrypt) > MAX_ENCRYPT_CHARS:
            raise DecryptError("ciphertext too long")
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptError("ciphertext is not base64") from exc
        if len(raw) < _BLOCK or len(raw) % 16:
            raise DecryptError("ciphertext length is not a whole number of AES blocks")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= _BLOCK or pad > len(plain):
            raise DecryptError("bad padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise DecryptError("plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise DecryptError("message length exceeds plaintext")
        try:
            msg = plain[20 : 20 + length].decode("utf-8")
            owner = plain[20 + length :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecryptError("plaintext is not UTF-8") from exc
        return msg, owner

    # -- outbound --------------------------------------------------------------------

    def encrypt(self, msg: str, random16: bytes | None = None) -> str:
        """AES-encrypt ``msg`` with our owner key appended; ``random16`` only for tests."""
        if random16 is None:
            random16 = secrets.token_bytes(16)
        if len(random16) != 16:
            raise ValueError("random16 must be exactly 16 bytes")
        body = msg.encode("utf-8")
        plain = random16 + struct.pack(">I", len(body)) + body + self.owner_key.encode("utf-8")
        pad = _BLOCK - len(plain) % _BLOCK
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def encrypt_reply(
        self,
        msg: str = "success",
        *,
        timestamp: str | int | None = None,
        nonce: str | None = None,
        random16: bytes | None = None,
        now_ms: int | None = None,
    ) -> dict[str, str]:
        """The signed reply map DingTalk expects: ``{msg_signature, timeStamp, nonce, encrypt}``.

        ``timestamp`` defaults to ``now_ms`` (milliseconds, like the Java sample); nonce to
        16 random letters/digits (what the SDKs send).
        """
        if timestamp is None:
            if now_ms is None:
                raise ValueError("give timestamp or now_ms")
            timestamp = now_ms
        ts = str(timestamp)
        if not _TIMESTAMP_RE.fullmatch(ts):
            raise ValueError("timestamp must be digits")
        if nonce is None:
            nonce = "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(16))
        encrypt = self.encrypt(msg, random16)
        return {
            "msg_signature": signature(self.token, ts, nonce, encrypt),
            "timeStamp": ts,
            "nonce": nonce,
            "encrypt": encrypt,
        }

    def success_reply(self, now_ms: int) -> dict[str, str]:
        """The encrypted literal ``success``: the answer to check_url and to every event push."""
        return self.encrypt_reply("success", now_ms=now_ms)

    def check_url(
        self, body: bytes | str | dict[str, Any], msg_signature: str, timestamp: str, nonce: str, now_ms: int
    ) -> dict[str, str]:
        """Answer the URL validation push: verify, require ``EventType == check_url``, reply success.

        Must be answered within 1500 ms (D1), so nothing else happens on this path.
        """
        plain = self.decrypt_body(body, msg_signature, timestamp, nonce)
        try:
            data = json.loads(plain)
        except (ValueError, RecursionError) as exc:
            raise MalformedPayloadError("decrypted event is not JSON") from exc
        if not isinstance(data, dict) or data.get("EventType") != "check_url":
            raise MalformedPayloadError("not a check_url event")
        return self.success_reply(now_ms)
