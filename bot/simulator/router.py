"""``/simulator/``: the page, its files, and the small API it needs. Mounted only by ``salesbot demo``.

The page never calls our handlers: chat actions go to the fake WeCom's member
API (``/simulator/api/fake/*`` passes through to ``FAKE/_fake/*`` unchanged),
which posts the encrypted callback to ``/callbacks/wecom`` like WeCom does.
The only things answered here are who is in the org (to pick a person), the
sample photos, and the demo clock.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from bot.demo_history import SAMPLE_QUOTES_DIR, sample_photos
from bot.runtime import Runtime
from bot.simulator.timetravel import JUMPS, TimeMachine, clock_label
from domain.clock import OffsetClock
from domain.links import CUSTOMERS_PATH, DASHBOARD_PATH
from domain.models import ROLE_LABELS, Role, User
from domain.services.pages import may_manage

STATIC = Path(__file__).resolve().parent / "static"
FAKE_PATHS = ("messages", "send", "media/")
PROXY_TIMEOUT_S = 40.0

#: Places a rep might share (the demo customers' sites); the page also takes any lat/lng.
LOCATIONS = [
    {"label": "华为坂田基地（深圳龙岗区）", "lat": 22.6553, "lng": 114.0580},
    {"label": "苏州精工机械（苏州工业园区）", "lat": 31.3045, "lng": 120.6722},
    {"label": "宝钢股份（上海宝山区）", "lat": 31.4050, "lng": 121.4860},
    {"label": "大疆天空之城（深圳南山区）", "lat": 22.5815, "lng": 113.9430},
    {"label": "海康威视（杭州滨江区）", "lat": 30.2106, "lng": 120.2130},
]


@dataclass
class SimulatorContext:
    runtime: Runtime
    clock: OffsetClock
    fake_base_url: str
    time_machine: TimeMachine
    dingtalk_member_url: str | None = None  # the fake DingTalk's member API (None: no DingTalk look)


def simulator_router(ctx: SimulatorContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    clients = {"fake": httpx.AsyncClient(base_url=ctx.fake_base_url, timeout=PROXY_TIMEOUT_S)}
    if ctx.dingtalk_member_url:
        clients["dingtalk"] = httpx.AsyncClient(base_url=ctx.dingtalk_member_url, timeout=PROXY_TIMEOUT_S)

    @router.get("/simulator")
    async def no_slash() -> RedirectResponse:
        return RedirectResponse("/simulator/", status_code=307)

    @router.get("/simulator/")
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    @router.get("/simulator/static/{name}")
    async def static(name: str) -> Response:
        return _file(STATIC, name)

    @router.get("/simulator/samples/{name}")
    async def sample(name: str) -> Response:
        return _file(SAMPLE_QUOTES_DIR, name) if name.endswith(".jpg") else Response(status_code=404)

    @router.get("/simulator/api/config")
    async def config() -> JSONResponse:
        return JSONResponse(await run_in_threadpool(_config, ctx))

    @router.get("/simulator/api/clock")
    async def clock_now() -> JSONResponse:
        now = ctx.clock.now()
        return JSONResponse({"now": now.isoformat(), "label": clock_label(now), "jumps": JUMPS})

    @router.post("/simulator/api/clock")
    async def clock_jump(payload: dict[str, Any]) -> JSONResponse:
        kind = str(payload.get("jump", ""))
        if kind not in JUMPS:
            return JSONResponse({"error": f"unknown jump {kind!r}"}, status_code=400)
        runs = await run_in_threadpool(ctx.time_machine.jump, kind)
        now = ctx.clock.now()
        return JSONResponse(
            {"now": now.isoformat(), "label": clock_label(now), "runs": [r.to_dict() for r in runs]}
        )

    @router.api_route("/simulator/api/{platform}/{path:path}", methods=["GET", "POST"])
    async def to_fake(platform: str, path: str, request: Request) -> Response:
        """Pass-through to a fake's member API (``fake`` = WeCom, ``dingtalk``): same origin, nothing added."""
        client = clients.get(platform)
        if client is None or not path.startswith(FAKE_PATHS):
            return JSONResponse({"error": "not a member API path"}, status_code=404)
        upstream = await client.request(
            request.method,
            f"/_fake/{path}",
            params=dict(request.query_params),
            content=await request.body() if request.method == "POST" else None,
            headers={"Content-Type": request.headers.get("content-type", "application/json")},
        )
        return Response(
            upstream.content,
            status_code=upstream.status_code,
            media_type=upstream.headers.get("content-type"),
            headers={"Cache-Control": "no-store"},
        )

    return router


def _file(folder: Path, name: str) -> Response:
    path = folder / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        return Response(status_code=404)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


def _config(ctx: SimulatorContext) -> dict[str, Any]:
    with ctx.runtime.db.sessions() as session:
        users = list(
            session.scalars(select(User).where(User.active.is_(True), User.wecom_userid.is_not(None)).order_by(User.id))
        )
        order = {Role.REP: 0, Role.MANAGER: 1, Role.DIRECTOR: 2, Role.LEGAL: 3, Role.FINANCE: 4, Role.ADMIN: 5}
        people = [
            {
                "userid": u.wecom_userid,
                "dingtalk_userid": u.dingtalk_userid,
                "key": u.key,
                "name": u.name,
                "role": u.role,
                "role_label": ROLE_LABELS[Role(u.role)],
                "team": u.team.name if u.team else None,
                "workbench": [{"label": "我的客户", "path": CUSTOMERS_PATH}]
                + ([{"label": "团队看板", "path": DASHBOARD_PATH}] if may_manage(u) else []),
            }
            for u in sorted(users, key=lambda u: (order.get(Role(u.role), 9), u.id))
        ]
    now = ctx.clock.now()
    return {
        "people": people,
        "platforms": {"wecom": True, "dingtalk": bool(ctx.dingtalk_member_url)},
        "fake_origin": ctx.fake_base_url,
        "app_origin": ctx.runtime.settings.public_base_url,
        "samples": [{"name": p.name, "url": f"/simulator/samples/{p.name}"} for p in sample_photos()],
        "locations": LOCATIONS,
        "clock": {"now": now.isoformat(), "label": clock_label(now), "jumps": JUMPS},
    }
