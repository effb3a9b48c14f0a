"""DingTalk HMAC-SHA256 signatures: robot callbacks (in) and custom group robot webhooks (out).

Both use the same construction (docs/platforms/dingtalk.md D2, D8)::

    sign = base64(HmacSHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}"))

* **Robot callbacks** (enterprise app robot, HTTP mode): DingTalk sends headers
  ``timestamp`` (ms) and ``sign`` computed with the app's AppSecret.  Both checks must
  pass: the sign, and |now - timestamp| <= 1 hour.  The header is plain base64; we also
  accept the URL-encoded form in case a proxy encoded it.
* **Card callbacks over HTTP**: how DingTalk authenticates them with the registered
  ``apiSecret`` is UNCONFIRMED (docs/platforms/dingtalk.md D4.4, D4.5); robot-style headers
  computed with that secret (registered as the AppSecret) are checked when present, and the
  tap is always proven by the card itself (``cardauth.py``, ``callback.py``).
* **Custom group robot webhooks** (群自定义机器人 with 加签): the secret starts with ``SEC``
  and the sign goes URL-encoded into the query with the timestamp.

Comparisons are constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from bot.dingtalk.crypto import ReplayError, SignatureError

__all__ = [
    "SIGN_WINDOW_MS",
    "compute_sign",
    "signed_webhook_url",
    "verify_robot_sign",
    "verify_webhook_sign",
]

SIGN_WINDOW_MS = 3_600_000  # one hour either way (D2, D8)
_MS_RE = re.compile(r"[0-9]{1,16}")


def compute_sign(timestamp_ms: str | int, secret: str) -> str:
    """base64(HmacSHA256(secret, "<timestamp>\\n<secret>")), not URL-encoded."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _check(timestamp: str | None, sign: str | None, secret: str, now_ms: int, window_ms: int) -> int:
    if not timestamp or not _MS_RE.fullmatch(timestamp):
        raise ReplayError("missing or malformed timestamp header")
    ts = int(timestamp)
    if abs(now_ms - ts) > window_ms:
        raise ReplayError(f"timestamp {ts} outside ±{window_ms // 1000}s of now")
    if not sign:
        raise SignatureError("missing sign header")
    given = unquote(sign) if "%" in sign else sign
    if not hmac.compare_digest(compute_sign(timestamp, secret).encode("ascii"), given.encode("utf-8")):
        raise SignatureError("sign mismatch")
    return ts


def verify_robot_sign(
    timestamp: str | None, sign: str | None, secret: str, now_ms: int, window_ms: int = SIGN_WINDOW_MS
) -> int:
    """Check a robot (or card) callback's ``timestamp``/``sign`` headers; returns the timestamp.

    Raises :class:`ReplayError` for a missing/stale timestamp and :class:`SignatureError`
    for a wrong sign (the timestamp is checked first: a stale request is refused even if
    whoever sent it knows the secret).
    """
    if not secret:
        raise ValueError("secret must not be empty")
    return _check(timestamp, sign, secret, now_ms, window_ms)


def signed_webhook_url(url: str, secret: str | None, now_ms: int) -> str:
    """The custom robot URL with ``&timestamp=…&sign=…`` appended (D8); unchanged without a secret."""
    if not secret:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("timestamp", "sign")]
    query += [("timestamp", str(now_ms)), ("sign", compute_sign(now_ms, secret))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def verify_webhook_sign(
    timestamp: str | None, sign: str | None, secret: str, now_ms: int, window_ms: int = SIGN_WINDOW_MS
) -> int:
    """Server side of :func:`signed_webhook_url` (the fake DingTalk uses it); query values already decoded."""
    return _check(timestamp, sign, secret, now_ms, window_ms)
