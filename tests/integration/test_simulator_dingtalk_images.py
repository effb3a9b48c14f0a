"""The simulator's DingTalk look shows a picture the app sent (a real sampleImageMsg with an uploaded
media_id), not 「[图片]」, so the Monday chart can be seen and opened full size (#16 pt 6)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.dingtalk.client import DingTalkClient
from bot.fakes.dingtalk_driver import DingTalkDriver
from bot.fakes.dingtalk_server import AppConfig, FakeDingTalk
from bot.fakes.dingtalk_user_api import DingTalkMemberSide
from bot.tokens import MemoryTokenStore
from tests.e2e.dingtalk_stack import APP_KEY, APP_SECRET, MEMBERS, ROBOT_CODE

PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 100


def test_a_picture_the_app_uploaded_is_served_to_the_simulator() -> None:
    fake = FakeDingTalk([AppConfig(app_key=APP_KEY, app_secret=APP_SECRET, robot_code=ROBOT_CODE)], users=MEMBERS)
    fake.start()
    try:
        client = DingTalkClient(
            api_base=fake.base_url, oapi_base=fake.base_url, app_key=APP_KEY, app_secret=APP_SECRET,
            robot_code=ROBOT_CODE, agent_id=None, token_store=MemoryTokenStore(),
        )
        media_id = client.upload_media("image", "leaderboard.png", PNG, "image/png")
        side = DingTalkMemberSide(fake, DingTalkDriver(fake.base_url, app_key=APP_KEY, app_secret=APP_SECRET, robot_code=ROBOT_CODE))
        app = FastAPI()
        app.include_router(side.router())
        with TestClient(app) as http:
            shown = http.get(f"/_fake/media/{media_id}")
            assert shown.status_code == 200 and shown.content == PNG
            assert shown.headers["content-type"] == "image/png"
            assert http.get("/_fake/media/@lADPnothing").status_code == 404
    finally:
        fake.stop()
