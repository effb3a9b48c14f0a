"""The member's side of the fake WeCom: what the WeCom app on someone's phone does, over HTTP.

Why: the browser simulator (``bot/simulator``) must reach our service exactly as
WeCom does -- an encrypted, signed callback for every message and tap, API calls
back for every reply -- so it is a *client of the fake*, never of our handlers.
This module adds the few endpoints such a client needs to a :class:`FakeWeCom`
(``attach``), each turning a member's action into the callback WeCom would
post (through :class:`~bot.fakes.wecom_driver.WeComDriver`, real crypto):

``POST /_fake/send``       ``{"userid", "type": text|location|image|click|enter, ...}``
``GET  /_fake/messages``   ``?userid=&etag=&wait=`` what the member sees: the app chat
                           (bot messages with cards in their *current* state, and what the
                           member sent) and the group chats they are in; long-polls
                           until something changed when ``etag`` and ``wait`` are given
``GET  /_fake/webview``    ``?userid=&url=`` open a page in the member's in-app browser
                           (remembers who is logged in, as the real client does)
``GET  /connect/oauth2/authorize``  WeCom OAuth (docs/platforms/wecom.md W9) for that in-app browser:
                           issues a single-use code and redirects back with it
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import itertools
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from bot.fakes.wecom_driver import CallbackNoAnswer, WeComDriver
from bot.fakes.wecom_server import AppChat, CardNotClickable, FakeWeCom, User

BROWSER_COOKIE = "fake_wecom_user"
MAX_WAIT_S = 25.0
POLL_STEP_S = 0.2
MAX_IMAGE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class SentByMember:
    """Something a member sent to the app (WeCom shows it on the right of the chat)."""

    id: str
    userid: str
    msgtype: str
    body: dict[str, Any]
    at: float
    delivered: bool  # our callback answered 200 (else the simulator shows a red "!")


@dataclass
class MemberSide:
    """The member-side API for one fake WeCom and the app it calls back (one driver)."""

    fake: FakeWeCom
    driver: WeComDriver
    groups: dict[str, AppChat] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)  # userid → name, of add_member
    _sent: list[SentByMember] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ending: threading.Event = field(default_factory=threading.Event)

    def attach(self) -> MemberSide:
        """Add the endpoints to the fake's HTTP server (before or after it started)."""
        self.fake.asgi_app.include_router(self.router())
        return self

    def add_member(self, user: User) -> User:
        """A member who can use the app (and log in to pages) through this API."""
        self.fake.add_user(user)
        self.members[user.userid] = user.name
        return user

    def add_group(self, chatid: str, members: Sequence[str], name: str, owner: str | None = None) -> AppChat:
        """A group chat created by the app (appchat): the leaderboard and reminders land here."""
        chat = self.fake.add_appchat(chatid, members, owner=owner, name=name)
        self.groups[chatid] = chat
        return chat

    # ------------------------------------------------------------------ actions
    def _record(self, userid: str, msgtype: str, body: dict[str, Any], response: httpx.Response | None) -> str:
        with self._lock:
            item = SentByMember(
                id=f"u{next(self._ids)}",
                userid=userid,
                msgtype=msgtype,
                body=body,
                at=self.fake.clock(),
                delivered=response is not None and response.status_code == 200,
            )
            self._sent.append(item)
            return item.id

    def _post(self, send: Any) -> httpx.Response | None:
        try:
            response: httpx.Response = send()
            return response
        except CallbackNoAnswer:
            return None

    def send_text(self, userid: str, content: str) -> dict[str, Any]:
        response = self._post(lambda: self.driver.send_text(userid, content))
        return self._result(self._record(userid, "text", {"content": content}, response), response)

    def send_location(self, userid: str, lat: float, lng: float, label: str) -> dict[str, Any]:
        response = self._post(lambda: self.driver.send_location(userid, lat, lng, label))
        body = {"lat": lat, "lng": lng, "label": label}
        return self._result(self._record(userid, "location", body, response), response)

    def send_image(self, userid: str, data: bytes, content_type: str, filename: str) -> dict[str, Any]:
        media_id = self.fake.add_media(data, content_type, filename)
        response = self._post(lambda: self.driver.send_image(userid, media_id))
        return self._result(self._record(userid, "image", {"media_id": media_id}, response), response)

    def click(
        self,
        userid: str,
        task_id: str,
        key: str,
        card_type: str = "button_interaction",
        selected: dict[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        response = self._post(lambda: self.driver.tap_card(userid, task_id, key, card_type, selected))
        return self._result(None, response)

    def enter(self, userid: str) -> dict[str, Any]:
        """The member opens the app: WeCom posts an enter_agent event."""
        return self._result(None, self._post(lambda: self.driver.send_enter_agent(userid)))

    @staticmethod
    def _result(item_id: str | None, response: httpx.Response | None) -> dict[str, Any]:
        status = response.status_code if response is not None else None
        return {"id": item_id, "delivered": status == 200, "callback_status": status}

    # ------------------------------------------------------------------ what the member sees
    def conversation(self, userid: str) -> dict[str, Any]:
        """The app chat (oldest first) and the member's group chats, cards in their current state."""
        items: list[tuple[float, int, dict[str, Any]]] = []
        for n, m in enumerate(self.fake.inbox_of(userid)):
            items.append(
                (
                    m.sent_at,
                    n,
                    {
                        "id": m.msgid,
                        "from": "app",
                        "at": m.sent_at,
                        "msgtype": m.msgtype,
                        "body": m.body,
                        "card": m.card,
                        "replace_name": m.replace_name,
                        "version": m.card_version,
                    },
                )
            )
        with self._lock:
            mine = [s for s in self._sent if s.userid == userid]
        for s in mine:
            items.append(
                (
                    s.at,
                    -1,
                    {
                        "id": s.id,
                        "from": "me",
                        "at": s.at,
                        "msgtype": s.msgtype,
                        "body": s.body,
                        "delivered": s.delivered,
                    },
                )
            )
        items.sort(key=lambda t: (t[0], t[1]))
        groups = []
        for chat in self.groups.values():
            if userid not in chat.userlist:
                continue
            messages = [
                {"id": f"{chat.chatid}:{i}", "at": m.at, "msgtype": m.msgtype, "body": m.body}
                for i, m in enumerate(self.fake.appchat_messages(chat.chatid))
            ]
            groups.append({"chatid": chat.chatid, "name": chat.name, "members": chat.userlist, "messages": messages})
        result = {"userid": userid, "messages": [item for _, _, item in items], "groups": groups}
        result["etag"] = hashlib.sha1(json.dumps(result, sort_keys=True, default=str).encode()).hexdigest()
        return result

    def wait_for_change(self, userid: str, etag: str | None, wait_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + min(max(wait_s, 0.0), MAX_WAIT_S)
        while True:
            current = self.conversation(userid)
            if current["etag"] != etag or time.monotonic() >= deadline or self._ending.is_set():
                return current
            self._ending.wait(POLL_STEP_S)

    def end_waits(self) -> None:
        """Answer every long poll now, and later ones at once: the server is stopping.

        A page's poll waits up to 20 s, and a stopping server waits for the requests in hand, so
        without this closing the demo in tests took that long after the browser had gone.
        """
        self._ending.set()

    # ------------------------------------------------------------------ HTTP
    def router(self) -> APIRouter:
        router = APIRouter()
        side = self

        @router.post("/_fake/send")
        def fake_send(payload: dict[str, Any]) -> JSONResponse:
            userid = str(payload.get("userid", ""))
            if not userid:
                return JSONResponse({"error": "userid is required"}, status_code=400)
            kind = payload.get("type")
            try:
                if kind == "text":
                    content = str(payload.get("content", "")).strip()
                    if not content:
                        return JSONResponse({"error": "empty text"}, status_code=400)
                    return JSONResponse(side.send_text(userid, content))
                if kind == "location":
                    lat, lng = float(payload["lat"]), float(payload["lng"])
                    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                        return JSONResponse({"error": "lat/lng out of range"}, status_code=400)
                    label = str(payload.get("label") or f"{lat:.5f},{lng:.5f}")
                    return JSONResponse(side.send_location(userid, lat, lng, label))
                if kind == "image":
                    data = base64.b64decode(str(payload.get("data_b64", "")), validate=True)
                    if not data or len(data) > MAX_IMAGE_BYTES:
                        return JSONResponse({"error": "image empty or too large"}, status_code=400)
                    content_type = str(payload.get("content_type") or "image/jpeg")
                    filename = str(payload.get("filename") or "photo.jpg")
                    return JSONResponse(side.send_image(userid, data, content_type, filename))
                if kind == "click":
                    selected = payload.get("selected") or None
                    return JSONResponse(
                        side.click(
                            userid,
                            str(payload["task_id"]),
                            str(payload["key"]),
                            str(payload.get("card_type") or "button_interaction"),
                            selected,
                        )
                    )
                if kind == "enter":
                    return JSONResponse(side.enter(userid))
            except CardNotClickable as exc:
                return JSONResponse({"error": str(exc)}, status_code=409)
            except (KeyError, ValueError, TypeError, binascii.Error) as exc:
                return JSONResponse({"error": f"bad request: {exc}"}, status_code=400)
            return JSONResponse({"error": f"unknown type {kind!r}"}, status_code=400)

        @router.get("/_fake/messages")
        def fake_messages(userid: str, etag: str | None = None, wait: float = 0.0) -> JSONResponse:
            return JSONResponse(side.wait_for_change(userid, etag, wait))

        @router.get("/_fake/webview")
        def fake_webview(userid: str, url: str) -> Response:
            if urlsplit(url).scheme not in ("http", "https"):
                return HTMLResponse("只能打开 http(s) 链接", status_code=400)
            if not side.is_member(userid):
                return HTMLResponse("未知成员", status_code=404)
            response = Response(status_code=302, headers={"Location": url})
            response.set_cookie(BROWSER_COOKIE, userid, path="/", httponly=True, samesite="lax")
            return response

        @router.get("/connect/oauth2/authorize")
        def oauth_authorize(request: Request) -> Response:
            q = request.query_params
            userid = request.cookies.get(BROWSER_COOKIE)
            corp_ids = {a.corp_id for a in side.fake.apps}
            redirect_uri = q.get("redirect_uri", "")
            if q.get("appid") not in corp_ids or urlsplit(redirect_uri).scheme not in ("http", "https"):
                return _page(400, "参数错误", "appid 或 redirect_uri 不正确。")
            if not userid or not side.is_member(userid):
                return _page(403, "请在企业微信中打开", "这个页面需要企业微信登录，请在模拟器的手机里打开它。")
            agent = q.get("agentid")
            code = side.fake.issue_oauth_code(userid, int(agent) if agent and agent.isdigit() else None)
            joiner = "&" if "?" in redirect_uri else "?"
            target = redirect_uri + joiner + urlencode({"code": code, "state": q.get("state", "")})
            return Response(status_code=302, headers={"Location": target})

        return router

    def is_member(self, userid: str) -> bool:
        return userid in self.members


def _page(status: int, title: str, message: str) -> HTMLResponse:
    body = (
        '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{html.escape(title)}</title>"
        f'<div style="font-family:sans-serif;text-align:center;padding:48px 16px">'
        f"<h2>{html.escape(title)}</h2><p>{html.escape(message)}</p></div>"
    )
    return HTMLResponse(body, status_code=status)
