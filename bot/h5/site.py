"""The H5 pages' plumbing: login, access errors, one unit of work per request, Jinja2 rendering.

Adding a page is one function in ``bot/h5/pages.py`` (or a module of its own, imported in
``bot/h5/__init__.py``)::

    @page("/h5/approvals/{flow_id:int}")
    def approval(view: PageView, flow_id: int) -> Page:
        flow = view.uow.session.get(ApprovalFlow, flow_id) or view.not_found("审批")
        if not may_see(view.viewer, flow):
            view.deny("你无权查看这个审批")
        return Page("approval.html", "合同审批", {"flow": flow})

The decorator logs the viewer in (signed link, session cookie, WeCom OAuth, DingTalk 免登),
opens a ``UnitOfWork`` acting as the viewer, turns ``PageDenied`` / ``NotFound``
into a Chinese error page with the right status, and renders the template
(``bot/h5/templates``, autoescaped) with the common context. A page that
changes something calls ``view.uow.commit()`` itself and usually redirects.
"""

from __future__ import annotations

import logging
import mimetypes
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.h5.auth import (
    DINGTALK_AUTH_PATH,
    DINGTALK_JSAPI_URL,
    DINGTALK_STATE_COOKIE,
    OAUTH_RETURN_PATH,
    SESSION_COOKIE,
    STATE_COOKIE,
    PageDenied,
    from_dingtalk,
    identify,
    oauth_redirect,
    safe_next,
    set_session,
)
from bot.h5.security import CSRF_FIELD, csrf_token, origin_of, post_refusal
from domain.clock import to_local
from domain.errors import NotFound
from domain.links import CUSTOMERS_PATH, DASHBOARD_PATH, PageLinks
from domain.models import ROLE_LABELS, STAGE_LABELS, Role, Stage, User
from domain.services.org import find_user_by_platform
from domain.services.pages import may_manage
from domain.uow import UnitOfWork
from handlers.replies import Replies

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("salesbot.h5")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
WEEKDAYS = "一二三四五六日"


@dataclass
class Page:
    """What a page function returns: a template, the page title and its variables."""

    template: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200


@dataclass
class PageView:
    """Everything a page function gets: the request, the viewer, a unit of work acting as them."""

    request: Request
    uow: UnitOfWork
    viewer: User
    links: PageLinks
    form: dict[str, str]
    wake: Callable[[], None]
    runtime: Runtime

    @property
    def now(self) -> datetime:
        return self.uow.clock.now()

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params)

    def deny(self, message: str, title: str = "无权查看") -> NoReturn:
        raise PageDenied(403, title, message)

    def not_found(self, what: str) -> NoReturn:
        raise PageDenied(404, f"找不到{what}", f"这个{what}不存在或已被删除。")

    def replies(self, what: str) -> Replies:
        """Replies caused by this page action (e.g. updating the card in chat); one cause per action."""
        cause = f"h5:{what}:{self.viewer.key}:{int(self.now.timestamp())}:{secrets.token_hex(4)}"
        return Replies(self.uow.session, self.uow.clock, cause)

    def back_here(self, **extra: str) -> RedirectResponse:
        """303 back to this page (keeping a signed link's parameters), e.g. after saving a form."""
        query = {**dict(self.request.query_params), **extra}
        suffix = "?" + urlencode(query, quote_via=quote) if query else ""
        return RedirectResponse(self.request.url.path + suffix, status_code=303)


PageFn = Callable[..., "Page | Response"]
#: Every page, in registration order: (path, methods, function).
PAGES: list[tuple[str, tuple[str, ...], PageFn]] = []


def page(path: str, *, methods: tuple[str, ...] = ("GET",)) -> Callable[[PageFn], PageFn]:
    """Register an H5 page function (see the module docstring)."""

    def register(fn: PageFn) -> PageFn:
        PAGES.append((path, methods, fn))
        return fn

    return register


# ------------------------------------------------------------------ template filters
def yuan(value: Decimal | int | float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"¥{Decimal(str(value)):,.{digits}f}"


def local_time(value: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return "" if value is None else to_local(value).strftime(fmt)


def cn_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = to_local(value).date()
    return f"{value.month}月{value.day}日（周{WEEKDAYS[value.weekday()]}）"


def num(value: Decimal | None) -> str:
    """A quantity without trailing zeros or exponent: 10.000 → "10", 2.500 → "2.5"."""
    return "?" if value is None else format(value.normalize(), "f")


def days_ago(days: int) -> str:
    return {0: "今天", 1: "昨天"}.get(days, f"{days} 天前")


def check_mark(ok: bool | None) -> str:
    return {True: "✓", False: "✗", None: "?"}[ok]


def stage_label(value: str) -> str:
    try:
        return STAGE_LABELS[Stage(value)]
    except ValueError:
        return value


def role_label(value: str) -> str:
    try:
        return ROLE_LABELS[Role(value)]
    except ValueError:
        return value


class H5Site:
    """The pages (registered with ``@page(path)``) served for one runtime by ``site.router()``."""

    def __init__(self, runtime: Runtime, wake: Callable[[], None]) -> None:
        self.rt = runtime
        self.wake = wake
        self.links = runtime.page_links
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            yuan=yuan,
            local=local_time,
            cn_date=cn_date,
            check=check_mark,
            stage=stage_label,
            role=role_label,
            num=num,
            days_ago=days_ago,
        )

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        for path, methods, fn in PAGES:
            router.add_api_route(path, self._endpoint(fn), methods=list(methods))
        router.add_api_route(OAUTH_RETURN_PATH, self._oauth_return, methods=["GET"])
        router.add_api_route(DINGTALK_AUTH_PATH, self._dingtalk_return, methods=["GET"])
        router.add_api_route("/h5/logout", self._logout, methods=["GET", "POST"])
        router.add_api_route("/h5/static/{name}", self._static, methods=["GET"])
        # Last: any other /h5/ address (a mistyped or outdated link, /h5/customers/abc) is a
        # readable page in the phone's browser, never the API's JSON error.
        router.add_api_route("/h5/{rest:path}", self._no_such_page, methods=["GET", "POST"])
        return router

    async def _no_such_page(self, request: Request) -> HTMLResponse:
        return self.error(404, "找不到页面", "这个链接打不开：页面不存在，或链接已过期。请回到聊天里重新点开卡片上的链接。")

    # ------------------------------------------------------------------ rendering
    def render(self, page: Page, viewer: User | None) -> HTMLResponse:
        context = {
            "title": page.title,
            "viewer": viewer,
            "nav": self._nav(viewer),
            "now": self.rt.clock.now(),
            "csrf": csrf_token(self.links.secret, viewer.key) if viewer is not None and self.links else "",
            **page.context,
        }
        html = self.env.get_template(page.template).render(**context)
        return HTMLResponse(html, status_code=page.status, headers={"Cache-Control": "no-store"})

    def error(self, status: int, title: str, message: str, viewer: User | None = None) -> HTMLResponse:
        return self.render(Page("error.html", title, {"message": message, "status": status}, status), viewer)

    @staticmethod
    def _nav(viewer: User | None) -> list[tuple[str, str]]:
        if viewer is None:
            return []
        nav = [("客户", CUSTOMERS_PATH)]
        if may_manage(viewer):
            nav.append(("团队看板", DASHBOARD_PATH))
        return nav

    # ------------------------------------------------------------------ serving a page
    def _endpoint(self, fn: PageFn) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = await request.body() if request.method == "POST" else b""
            return await run_in_threadpool(self._serve, request, fn, body)

        endpoint.__name__ = f"h5_{fn.__name__}"
        return endpoint

    def _serve(self, request: Request, fn: PageFn, body: bytes) -> Response:
        if self.links is None:
            return self.error(
                503, "页面未启用", "管理员还没有配置 SALESBOT_H5_SECRET，详情页暂时无法打开。"
            )
        now = self.rt.clock.now()
        try:
            identity = identify(request, self.links, now)
        except PageDenied as exc:
            return self.error(exc.status, exc.title, exc.message)
        if identity is None:
            return self._login(request)
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        cause = f"h5:{request.method}:{request.url.path}"
        with UnitOfWork(self.rt.db, self.rt.clock, cause=cause) as uow:
            viewer = uow.session.scalar(select(User).where(User.key == identity.user_key))
            if viewer is None or not viewer.active:
                return self.error(403, "账号未开通", "你还没有开通销售助手，或账号已停用，请联系管理员。")
            uow.act_as(viewer)
            if request.method == "POST":  # CSRF (issue #19): our own form, from our own origin
                refusal = post_refusal(
                    request.headers.get("origin"), form.get(CSRF_FIELD), self.links.secret, viewer.key,
                    origin_of(self.rt.settings.public_base_url),
                )  # fmt: skip
                if refusal is not None:
                    return self.error(403, "无法提交", refusal, viewer)
            view = PageView(request, uow, viewer, self.links, form, self.wake, self.rt)
            try:
                result = fn(view, **request.path_params)
                response = result if isinstance(result, Response) else self.render(result, viewer)
            except PageDenied as exc:
                response = self.error(exc.status, exc.title, exc.message, viewer)
            except NotFound as exc:
                response = self.error(404, "找不到", exc.message, viewer)
            if identity.set_cookie:
                set_session(response, self.links, viewer.key, now)
            return response

    def _login(self, request: Request) -> Response:
        s = self.rt.settings
        next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if from_dingtalk(request) and self.rt.dingtalk_client is not None and s.dingtalk_corp_id:
            return self._dingtalk_login_page(next_path)
        if self.rt.wecom_client is None or not s.wecom_corp_id:
            return self.error(
                403, "请从企业微信打开", "这个页面需要登录：请在企业微信里点开卡片上的链接，或从工作台进入。"
            )
        return oauth_redirect(
            oauth_base=s.wecom_oauth_base,
            public_base_url=s.public_base_url,
            corp_id=s.wecom_corp_id,
            agent_id=s.wecom_agent_id,
            next_path=next_path,
        )

    # ------------------------------------------------------------------ fixed routes
    async def _oauth_return(self, request: Request) -> Response:
        return await run_in_threadpool(self._oauth_finish, request)

    def _oauth_finish(self, request: Request) -> Response:
        """WeCom sent the browser back with ``code``: ask WeCom who it is, then open the page."""
        from bot.wecom.client import WeComError

        q = request.query_params
        expected = request.cookies.get(STATE_COOKIE)
        if self.links is None or self.rt.wecom_client is None:
            return self.error(503, "页面未启用", "企业微信登录未配置。")
        if not expected or not secrets.compare_digest(expected, q.get("state", "")):
            return self.error(403, "登录失败", "登录请求已过期或不完整，请重新打开页面。")
        try:
            info = self.rt.wecom_client.get_user_info(q.get("code", ""))
        except WeComError:
            log.warning("wecom oauth code refused", exc_info=True)
            return self.error(403, "登录失败", "企业微信登录码无效或已过期，请重新打开页面。")
        userid = info.get("userid")
        with UnitOfWork(self.rt.db, self.rt.clock) as uow:
            user = find_user_by_platform(uow, "wecom", str(userid)) if userid else None
            if user is None:
                return self.error(403, "账号未开通", "你还没有开通销售助手，请联系管理员。")
            key = user.key
        response = RedirectResponse(safe_next(q.get("next")), status_code=303)
        set_session(response, self.links, key, self.rt.clock.now())
        response.delete_cookie(STATE_COOKIE, path=OAUTH_RETURN_PATH)
        return response

    def _dingtalk_login_page(self, next_path: str) -> Response:
        """Inside DingTalk there is no OAuth redirect: the page itself asks the JSAPI for a
        免登 code and brings it to ``/h5/auth/dingtalk`` (docs/platforms/dingtalk.md D9)."""
        # A state bound to this browser (cookie) and carried by the page's redirect: a code
        # fetched on someone else's device cannot log this browser in (login CSRF).
        state = secrets.token_hex(16)
        context = {
            "jsapi_url": DINGTALK_JSAPI_URL,
            "corp_id": self.rt.settings.dingtalk_corp_id,
            "auth_path": DINGTALK_AUTH_PATH,
            "next_path": safe_next(next_path),
            "state": state,
        }
        response = self.render(Page("dingtalk_login.html", "钉钉登录", context), None)
        response.set_cookie(
            DINGTALK_STATE_COOKIE, state, max_age=600, path=DINGTALK_AUTH_PATH, httponly=True, samesite="lax"
        )
        return response

    async def _dingtalk_return(self, request: Request) -> Response:
        return await run_in_threadpool(self._dingtalk_finish, request)

    def _dingtalk_finish(self, request: Request) -> Response:
        """The login page brought a 免登 code: ask DingTalk who it is, then open ``next``."""
        from bot.dingtalk.client import DingTalkError

        q = request.query_params
        if self.links is None or self.rt.dingtalk_client is None:
            return self.error(503, "页面未启用", "钉钉登录未配置。")
        code = q.get("code", "")
        if not code:
            return self.error(403, "登录失败", "缺少钉钉登录码，请在钉钉里重新打开页面。")
        expected = request.cookies.get(DINGTALK_STATE_COOKIE)
        if not expected or not secrets.compare_digest(expected, q.get("state", "")):
            return self.error(403, "登录失败", "登录已过期或不是从这个页面发起的，请在钉钉里重新打开页面。")
        try:
            info = self.rt.dingtalk_client.get_user_info_by_code(code)
        except DingTalkError:
            log.warning("dingtalk auth code refused", exc_info=True)
            return self.error(403, "登录失败", "钉钉登录码无效或已过期，请在钉钉里重新打开页面。")
        with UnitOfWork(self.rt.db, self.rt.clock) as uow:
            user = find_user_by_platform(uow, "dingtalk", str(info["userid"]))
            if user is None:
                return self.error(403, "账号未开通", "你还没有开通销售助手，请联系管理员。")
            key = user.key
        response = RedirectResponse(safe_next(q.get("next")), status_code=303)
        set_session(response, self.links, key, self.rt.clock.now())
        response.delete_cookie(DINGTALK_STATE_COOKIE, path=DINGTALK_AUTH_PATH)
        return response

    async def _logout(self, request: Request) -> Response:
        response = self.error(200, "已退出", "已退出登录。重新打开卡片上的链接即可再次查看。")
        response.delete_cookie(SESSION_COOKIE, path="/h5")
        return response

    async def _static(self, name: str) -> Response:
        path = STATIC / name
        if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
            return Response(status_code=404)
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(path.read_bytes(), media_type=media_type, headers={"Cache-Control": "max-age=3600"})
