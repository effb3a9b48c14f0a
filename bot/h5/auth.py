"""Who is looking at an H5 page: a signed card link, a session cookie, WeCom OAuth or DingTalk 免登.

Order of trust:

1. **Signed link** (``?u=…&exp=…&sig=…``, see ``domain/links.py``): made for one
   person and one path. Genuine and unexpired → that person, and a session
   cookie is set so the pages it links to open too. Expired → HTTP 403 with a
   page saying so (never a silent fallback: an old card must not keep working).
2. **Session cookie** ``salesbot_h5``: the same HMAC over the user key, the
   purpose "session" and an expiry (8 hours), HttpOnly, SameSite=Lax.
3. **WeCom OAuth** (docs/platforms/wecom.md W9): redirect to the authorize URL; WeCom sends
   the browser back to ``/h5/auth/wecom`` with a single-use code, which
   ``/cgi-bin/auth/getuserinfo`` turns into the member's UserID.

4. **DingTalk 免登** (docs/platforms/dingtalk.md D9): a page opened inside the DingTalk client
   (user agent contains "DingTalk", or ``?platform=dingtalk``) without a session gets a
   tiny login page whose script asks the JSAPI for a single-use auth code
   (``dd.runtime.permission.requestAuthCode``) and goes to ``/h5/auth/dingtalk?code=…&next=…``;
   the server turns the code into the UserID with ``/topapi/v2/user/getuserinfo``.
   The JSAPI script must come from DingTalk's CDN (``DINGTALK_JSAPI_URL``) in production;
   tests drive ``/h5/auth/dingtalk`` directly with a code the fake issues.

Nothing else: with no WeCom or DingTalk configured and no valid link, the answer is 403.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from domain.links import EXPIRES_PARAM, SIGNATURE_PARAM, USER_PARAM, LinkCheck, PageLinks, signature

SESSION_COOKIE = "salesbot_h5"
STATE_COOKIE = "salesbot_h5_state"
SESSION_TTL = timedelta(hours=8)
STATE_TTL_S = 600
SESSION_PURPOSE = "session"  # never a page path (those start with "/"), so a link signature is no cookie
OAUTH_RETURN_PATH = "/h5/auth/wecom"
DINGTALK_STATE_COOKIE = "salesbot_dd_state"
DINGTALK_AUTH_PATH = "/h5/auth/dingtalk"
# DingTalk's own CDN build of the JSAPI (dingtalk-jsapi); it only works inside the DingTalk client.
DINGTALK_JSAPI_URL = "https://g.alicdn.com/dingding/dingtalk-jsapi/3.0.25/dingtalk.open.js"


class PageDenied(Exception):
    """Stop and show a Chinese error page with this HTTP status."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.message = message


@dataclass(frozen=True)
class Identity:
    """Who the request is from, and whether to (re)issue the session cookie."""

    user_key: str
    set_cookie: bool


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def session_value(links: PageLinks, user_key: str, now: datetime) -> str:
    expires = int((now + SESSION_TTL).timestamp())
    return f"{_b64(user_key)}.{expires}.{signature(links.secret, user_key, SESSION_PURPOSE, expires)}"


def session_user(links: PageLinks, value: str, now: datetime) -> str | None:
    try:
        encoded, expires, sig = value.split(".", 2)
        user_key = _unb64(encoded)
        expires_at = int(expires)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    expected = signature(links.secret, user_key, SESSION_PURPOSE, expires_at)
    if not hmac.compare_digest(expected.encode(), sig.encode()) or now.timestamp() >= expires_at:
        return None
    return user_key


def set_session(response: Response, links: PageLinks, user_key: str, now: datetime) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_value(links, user_key, now),
        max_age=int(SESSION_TTL.total_seconds()),
        path="/h5",
        httponly=True,
        samesite="lax",
        secure=links.base_url.startswith("https://"),
    )


def identify(request: Request, links: PageLinks, now: datetime) -> Identity | None:
    """The person behind this request, or None when they must log in first.

    Raises ``PageDenied`` for a link that is present but expired or forged.
    """
    q = request.query_params
    if USER_PARAM in q or SIGNATURE_PARAM in q:
        verdict = links.check(
            q.get(USER_PARAM, ""), request.url.path, q.get(EXPIRES_PARAM, ""), q.get(SIGNATURE_PARAM, ""), now
        )
        if verdict == LinkCheck.EXPIRED:
            raise PageDenied(
                403,
                "链接已过期",
                "这个链接已经超过有效期，为了保护客户数据不能再打开。请回到聊天中重新打开最新的卡片，"
                "或从工作台进入。",
            )
        if verdict == LinkCheck.INVALID:
            raise PageDenied(403, "链接无效", "这个链接不完整或被改动过，请回到聊天中重新打开卡片。")
        return Identity(q[USER_PARAM], set_cookie=True)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        user_key = session_user(links, cookie, now)
        if user_key is not None:
            return Identity(user_key, set_cookie=False)
    return None


def oauth_redirect(
    *, oauth_base: str, public_base_url: str, corp_id: str, agent_id: int | None, next_path: str
) -> Response:
    """Send the browser to WeCom's authorize page; it comes back to ``/h5/auth/wecom``."""
    state = secrets.token_hex(16)
    redirect_uri = f"{public_base_url}{OAUTH_RETURN_PATH}?{urlencode({'next': next_path})}"
    params = {
        "appid": corp_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "snsapi_base",
        "state": state,
    }
    if agent_id is not None:
        params["agentid"] = str(agent_id)
    url = f"{oauth_base}/connect/oauth2/authorize?{urlencode(params, quote_via=quote)}#wechat_redirect"
    response = Response(status_code=302, headers={"Location": url})
    response.set_cookie(
        STATE_COOKIE, state, max_age=STATE_TTL_S, path=OAUTH_RETURN_PATH, httponly=True, samesite="lax"
    )
    return response


def from_dingtalk(request: Request) -> bool:
    """Opened in the DingTalk client (its user agent says so) or marked ``?platform=dingtalk``
    by the workbench link: then the login is DingTalk 免登, not a WeCom redirect."""
    return "dingtalk" in request.headers.get("user-agent", "").lower() or (
        request.query_params.get("platform") == "dingtalk"
    )


def safe_next(path: str | None) -> str:
    """Only our own pages after login (no open redirect to another site)."""
    if path and path.startswith("/h5/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/h5/customers"
