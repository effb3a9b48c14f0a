"""H5 pages against other sites: a CSRF token on every form, an Origin check, security headers.

Why both a token and an Origin check: the pages accept a signed link (a token
in the URL) as well as the session cookie, so a form on another site that
posts to a signed URL it has seen would act as the link's owner whatever the
cookie's SameSite says. The token in each form is an HMAC of the viewer's key
under the H5 secret, so another site cannot make one; the Origin check
refuses a foreign ``Origin`` even before that. ``Referrer-Policy:
no-referrer`` keeps the tokens in our URLs from leaking to other sites; with
it, browsers send ``Origin: null`` on our own POSTs (Fetch standard, "serializing
a request origin"), so ``null`` is left to the form token to judge.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_FIELD = "csrf"
#: Headers on every response under /h5: never framed by another site (clickjacking a 同意
#: button; our own simulator shows the pages in an iframe of the same origin), no referrer,
#: forms only to ourselves, no plugins, no <base> tricks. Scripts and styles are left to the
#: pages (the DingTalk login page loads DingTalk's JSAPI from its CDN).
SECURITY_HEADERS = {
    "x-frame-options": "SAMEORIGIN",
    "content-security-policy": "frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


def csrf_token(secret: bytes, user_key: str) -> str:
    """The form token of one viewer (stable: a page opened yesterday still posts)."""
    return hmac.new(secret, f"h5-form:{user_key}".encode(), hashlib.sha256).hexdigest()[:32]


def post_refusal(origin: str | None, form_token: str | None, secret: bytes, user_key: str, own_origin: str) -> str | None:
    """Why a POST is refused (a Chinese message), or None when it came from our own page."""
    if origin and origin != "null" and origin.rstrip("/") != own_origin:
        return "这个操作只能在销售助手自己的页面上提交。"
    if not form_token or not hmac.compare_digest(form_token, csrf_token(secret, user_key)):
        return "页面已过期或来源不明，请刷新页面后重新提交。"
    return None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SecurityHeaders:
    """Plain ASGI middleware (no BaseHTTPMiddleware, see bot/app.AccessLog) adding the headers under /h5."""

    def __init__(self, app: ASGIApp, prefix: str = "/h5") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
