"""The member's side of the fake DingTalk: what the DingTalk app on a phone does, over HTTP.

The DingTalk twin of ``bot/fakes/wecom_user_api.py`` for the simulator's DingTalk look:
every action becomes the callback DingTalk would send, played by
:class:`~bot.fakes.dingtalk_driver.DingTalkDriver` (signed robot messages, card taps to the
registered route), and what the member sees comes from the fake's records. The endpoints
have the WeCom member API's names and shapes, so the page talks to both alike:

``POST /_fake/send``      ``{"userid", "type": text|image|click, ...}`` (click: ``task_id`` is the
                          card's outTrackId, ``key`` the button's action, ``params`` the selects)
``GET  /_fake/messages``  ``?userid=&etag=&wait=`` robot chat (cards as their current
                          ``cardParamMap``) and the member's group chats
``GET  /_fake/media/{id}`` a photo the member sent

It runs as its own small HTTP server (``start``), beside the fake DingTalk's API server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response

from bot.fakes.dingtalk_driver import DingTalkDriver
from bot.fakes.dingtalk_server import CardNotClickable, FakeDingTalk
from bot.fakes.wecom_server import BackgroundServer
from bot.fakes.wecom_user_api import MAX_IMAGE_BYTES, MAX_WAIT_S, POLL_STEP_S


@dataclass(frozen=True)
class Group:
    conversation_id: str
    name: str
    members: list[str]


@dataclass
class DingTalkMemberSide:
    fake: FakeDingTalk
    driver: DingTalkDriver
    members: dict[str, str] = field(default_factory=dict)  # userid → name
    groups: dict[str, Group] = field(default_factory=dict)
    _sent: list[dict[str, Any]] = field(default_factory=list)
    _photos: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ending: threading.Event = field(default_factory=threading.Event)
    _server: BackgroundServer | None = None

    def add_member(self, userid: str, name: str) -> None:
        self.fake.add_user(userid, name)
        self.members[userid] = name

    def add_group(self, conversation_id: str, members: Sequence[str], name: str) -> None:
        """A group chat the app's robot is in (the team's openConversationId)."""
        self.fake.add_group(conversation_id, members)
        self.groups[conversation_id] = Group(conversation_id, name, list(members))

    def start(self) -> str:
        app = FastAPI(title="fake DingTalk member API", openapi_url=None, docs_url=None, redoc_url=None)
        app.include_router(self.router())
        self._server = BackgroundServer(app)
        return self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return self._server.base_url

    # ------------------------------------------------------------------ actions
    def _record(self, userid: str, msgtype: str, body: dict[str, Any], response: httpx.Response | None) -> dict[str, Any]:
        with self._lock:
            item = {
                "id": f"d{next(self._ids)}",
                "from": "me",
                "userid": userid,
                "at": self.fake.clock(),
                "msgtype": msgtype,
                "body": body,
                "delivered": response is not None and response.status_code == 200,
            }
            self._sent.append(item)
        return {"id": item["id"], "delivered": item["delivered"], "callback_status": response.status_code if response is not None else None}

    @staticmethod
    def _post(send: Any) -> httpx.Response | None:
        try:
            response: httpx.Response = send()
            return response
        except Exception:  # noqa: BLE001 - no answer after the retries: the page shows a red "!"
            return None

    def send_text(self, userid: str, content: str) -> dict[str, Any]:
        response = self._post(lambda: self.driver.send_text(userid, content))
        return self._record(userid, "text", {"content": content}, response)

    def send_image(self, userid: str, data: bytes, content_type: str) -> dict[str, Any]:
        photo_id = hashlib.sha1(data).hexdigest()[:16] + str(next(self._ids))
        with self._lock:
            self._photos[photo_id] = (data, content_type)
        response = self._post(lambda: self.driver.send_picture(userid, data, content_type))
        return self._record(userid, "image", {"media_id": photo_id}, response)

    def click(self, userid: str, out_track_id: str, action: str, params: dict[str, str] | None) -> dict[str, Any]:
        response = self._post(lambda: self.driver.tap_card(userid, out_track_id, action, params))
        status = response.status_code if response is not None else None
        return {"id": None, "delivered": status == 200, "callback_status": status}

    # ------------------------------------------------------------------ what the member sees
    def conversation(self, userid: str) -> dict[str, Any]:
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
                        "version": m.card_version,
                        "task_id": m.out_track_id,
                    },
                )
            )
        with self._lock:
            mine = [dict(s) for s in self._sent if s["userid"] == userid]
        items += [(s["at"], -1, s) for s in mine]
        items.sort(key=lambda t: (t[0], t[1]))
        cards = self.fake.cards
        groups = []
        for group in self.groups.values():
            if userid not in group.members:
                continue
            messages = []
            for g in self.fake.group_messages(group.conversation_id):
                card = cards.get(g.out_track_id) if g.out_track_id else None
                messages.append(
                    {
                        "id": g.msgid,
                        "at": g.at,
                        "msgtype": g.msgtype,
                        "body": g.body,
                        "card": card.view_for(userid) if card else None,
                        "task_id": g.out_track_id,
                    }
                )
            groups.append(
                {"chatid": group.conversation_id, "name": group.name, "members": group.members, "messages": messages}
            )
        result: dict[str, Any] = {"userid": userid, "messages": [i for _, _, i in items], "groups": groups}
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
            if userid not in side.members:
                return JSONResponse({"error": "unknown member"}, status_code=400)
            kind = payload.get("type")
            try:
                if kind == "text":
                    content = str(payload.get("content", "")).strip()
                    if not content:
                        return JSONResponse({"error": "empty text"}, status_code=400)
                    return JSONResponse(side.send_text(userid, content))
                if kind == "image":
                    data = base64.b64decode(str(payload.get("data_b64", "")), validate=True)
                    if not data or len(data) > MAX_IMAGE_BYTES:
                        return JSONResponse({"error": "image empty or too large"}, status_code=400)
                    return JSONResponse(side.send_image(userid, data, str(payload.get("content_type") or "image/jpeg")))
                if kind == "click":
                    params = {str(k): str(v) for k, v in (payload.get("params") or {}).items()}
                    return JSONResponse(side.click(userid, str(payload["task_id"]), str(payload["key"]), params))
                if kind == "enter":
                    return JSONResponse({"id": None, "delivered": True, "callback_status": None})  # no such event
            except CardNotClickable as exc:
                return JSONResponse({"error": str(exc)}, status_code=409)
            except (KeyError, ValueError, TypeError, binascii.Error) as exc:
                return JSONResponse({"error": f"bad request: {exc}"}, status_code=400)
            return JSONResponse({"error": f"钉钉模拟暂不支持 {kind!r}"}, status_code=400)

        @router.get("/_fake/messages")
        def fake_messages(userid: str, etag: str | None = None, wait: float = 0.0) -> JSONResponse:
            return JSONResponse(side.wait_for_change(userid, etag, wait))

        @router.get("/_fake/media/{photo_id}")
        def fake_media(photo_id: str) -> Response:
            with side._lock:
                found = side._photos.get(photo_id)
            if found is None:  # a picture the app sent (sampleImageMsg with an uploaded media_id)
                uploaded = side.fake.media(photo_id)
                if uploaded is None:
                    return Response(status_code=404)
                return Response(uploaded.data, media_type=uploaded.content_type)
            return Response(found[0], media_type=found[1])

        return router
