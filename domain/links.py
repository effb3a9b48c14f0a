"""Signed links to the H5 pages, made where cards are made (handlers, jobs) without importing ``bot/``.

Why signed links: a card is opened in the platform's in-app browser, where we
cannot count on a session. The link names the person it was made for, the
page path and an expiry, with an HMAC-SHA256 over the three under a server
secret (``SALESBOT_H5_SECRET``). The page trusts nothing else in the query:
a forwarded link still shows only what its owner may see, and an old card
stops opening pages once the link expires (HTTP 403 with a clear message).

Handlers and jobs get a :class:`PageLinks` from the runtime (``None`` when no
secret is configured: then cards simply carry no link). The page paths live
here too, so a card and the page it points to cannot drift apart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, urlencode

DEFAULT_TTL = timedelta(days=7)
MIN_SECRET_CHARS = 16
#: Query parameters a signed link adds to the page path.
USER_PARAM, EXPIRES_PARAM, SIGNATURE_PARAM = "u", "exp", "sig"


def quote_path(quote_id: int) -> str:
    return f"/h5/quotes/{quote_id}"


def customer_path(customer_id: int) -> str:
    return f"/h5/customers/{customer_id}"


def contract_path(contract_id: int) -> str:
    return f"/h5/contracts/{contract_id}"


CUSTOMERS_PATH = "/h5/customers"
DASHBOARD_PATH = "/h5/dashboard"


def signature(secret: bytes, user_key: str, path: str, expires: int) -> str:
    """HMAC-SHA256 over user, path and expiry (URL-safe base64, no padding)."""
    message = f"{user_key}\n{path}\n{expires}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class LinkCheck(StrEnum):
    OK = "ok"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class PageLinks:
    """Builds and checks signed page links for one deployment (base URL + secret)."""

    base_url: str
    secret: bytes
    ttl: timedelta = DEFAULT_TTL

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_CHARS:
            raise ValueError(f"the H5 link secret must be at least {MIN_SECRET_CHARS} characters")

    def signed(self, user_key: str, path: str, now: datetime, ttl: timedelta | None = None) -> str:
        """An absolute URL to ``path`` that opens as ``user_key`` until ``now + ttl``."""
        if not path.startswith("/"):
            raise ValueError("page paths start with /")
        expires = int((now + (ttl or self.ttl)).timestamp())
        query = urlencode(
            {
                USER_PARAM: user_key,
                EXPIRES_PARAM: str(expires),
                SIGNATURE_PARAM: signature(self.secret, user_key, path, expires),
            },
            quote_via=quote,
        )
        return f"{self.base_url.rstrip('/')}{path}?{query}"

    def check(self, user_key: str, path: str, expires: str, sig: str, now: datetime) -> LinkCheck:
        """Is this link genuine for ``path``, and still valid at ``now``?

        The signature is checked before the expiry, so a forged link is always
        "invalid" (never "expired", which would tell a forger the format is right).
        """
        try:
            expires_at = int(expires)
        except ValueError:
            return LinkCheck.INVALID
        expected = signature(self.secret, user_key, path, expires_at)
        if not hmac.compare_digest(expected.encode(), sig.encode()):
            return LinkCheck.INVALID
        if now.timestamp() >= expires_at:
            return LinkCheck.EXPIRED
        return LinkCheck.OK

    def page(self, path: str) -> str:
        """An unsigned absolute URL: for cards several people share (an approval card goes to the
        approver and the submitter), where a link signed for one of them would let the other act
        as them. The page logs the reader in (session cookie, or WeCom OAuth in the app)."""
        if not path.startswith("/"):
            raise ValueError("page paths start with /")
        return f"{self.base_url.rstrip('/')}{path}"

    def contract(self, contract_id: int) -> str:
        return self.page(contract_path(contract_id))

    # One helper per page, so handlers never spell paths themselves.
    def quote(self, user_key: str, quote_id: int, now: datetime) -> str:
        return self.signed(user_key, quote_path(quote_id), now)

    def customer(self, user_key: str, customer_id: int, now: datetime) -> str:
        return self.signed(user_key, customer_path(customer_id), now)

    def dashboard(self, user_key: str, now: datetime) -> str:
        return self.signed(user_key, DASHBOARD_PATH, now)
