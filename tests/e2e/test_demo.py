"""`salesbot demo` as the simulator page uses it, without a browser: every action through the fake WeCom.

The simulator page is a client of the fake WeCom's member API; here httpx plays the page
(same endpoints, same order), so the wiring is checked on SQLite and PostgreSQL alike.
The browser journeys are in tests/browser/.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.simulator.stack import BackgroundDemo, DemoStack, build_demo
from domain.models import Opportunity, Stage
from domain.services.leaderboard import IsoWeek


@pytest.fixture
def demo(db_url: str) -> Iterator[tuple[DemoStack, httpx.Client]]:
    stack = build_demo(database_url=db_url, port=0, fresh=False)
    server = BackgroundDemo(stack)
    server.start()
    try:
        with httpx.Client(base_url=stack.base_url, timeout=30) as client:
            yield stack, client
    finally:
        server.stop()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def messages(client: httpx.Client, userid: str) -> dict[str, Any]:
    r = client.get("/simulator/api/fake/messages", params={"userid": userid})
    r.raise_for_status()
    return r.json()


def cards(client: httpx.Client, userid: str, title: str) -> list[dict[str, Any]]:
    return [
        m
        for m in messages(client, userid)["messages"]
        if m["msgtype"] == "template_card" and (m["card"] or m["body"])["main_title"]["title"] == title
    ]


def send(client: httpx.Client, **payload: Any) -> dict[str, Any]:
    r = client.post("/simulator/api/fake/send", json=payload)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_the_demo_is_a_wecom_install_against_the_fake(demo: tuple[DemoStack, httpx.Client]) -> None:
    stack, client = demo
    s = stack.runtime.settings
    assert s.wecom_enabled and s.wecom_api_base == stack.fake.base_url and s.h5_secret
    assert s.wecom_corp_id == stack.credentials.corp_id and len(s.wecom_aes_key or "") == 43
    config = client.get("/simulator/api/config").json()
    assert config["people"][0]["name"] == "张伟" and config["platforms"]["wecom"] is True
    assert {p["role_label"] for p in config["people"]} >= {"销售", "销售经理", "区域总监", "法务", "财务"}
    assert [s["name"] for s in config["samples"]] == ["quote-classic.jpg", "quote-letter.jpg", "quote-order.jpg"]
    assert client.get("/simulator/").status_code == 200 and "模拟器" in client.get("/simulator/").text
    assert client.get("/simulator/samples/quote-order.jpg").content[:2] == b"\xff\xd8"
    assert client.get("/simulator/api/fake/inbox/ZhangWei").status_code == 404  # only the member API passes
    assert client.get("/simulator/api/elsewhere/messages").status_code == 404


def test_a_visit_card_and_its_stage_button_go_through_real_callbacks(demo: tuple[DemoStack, httpx.Client]) -> None:
    stack, client = demo
    sent = send(client, userid="ZhangWei", type="text", content="今天拜访苏州精工的陈总，方案通过评审了，下周五商务谈判")
    assert sent["delivered"] and sent["callback_status"] == 200
    card = wait_for("the visit card", lambda: cards(client, "ZhangWei", "已记录拜访"))[-1]
    content = card["card"]
    assert {"keyname": "客户", "value": "苏州精工机械有限公司"} in content["horizontal_content_list"]
    stage = next(b for b in content["button_list"] if b["text"] == "商机改为谈判")
    tapped = send(client, userid="ZhangWei", type="click", task_id=content["task_id"], key=stage["key"])
    assert tapped["delivered"]
    updated = wait_for(
        "the card updated in place",
        lambda: [c for c in cards(client, "ZhangWei", "已记录拜访") if c["version"] > card["version"]],
    )[-1]
    assert updated["id"] == card["id"] and "商机已改为「谈判」" in updated["card"]["main_title"]["desc"]
    with stack.runtime.db.sessions() as session:
        opp = session.scalars(select(Opportunity).where(Opportunity.id == int(stage["key"].split(":")[2]))).one()
        assert opp.stage == Stage.NEGOTIATION
    mine = [m for m in messages(client, "ZhangWei")["messages"] if m["from"] == "me"]
    assert mine[-1]["body"]["content"].startswith("今天拜访苏州精工")
    located = send(client, userid="ZhangWei", type="location", lat=31.3045, lng=120.6722, label="苏州精工机械")
    assert located["delivered"]
    bad = client.post("/simulator/api/fake/send", json={"userid": "ZhangWei", "type": "location", "lat": 200, "lng": 0})
    assert bad.status_code == 400


def test_the_dingtalk_side_of_the_demo_goes_through_the_fake_dingtalk(demo: tuple[DemoStack, httpx.Client]) -> None:
    stack, client = demo
    config = client.get("/simulator/api/config").json()
    assert config["platforms"]["dingtalk"] is True
    zhang = next(p for p in config["people"] if p["name"] == "张伟")["dingtalk_userid"]
    assert all(p["dingtalk_userid"] for p in config["people"])  # the demo company uses both platforms
    r = client.post("/simulator/api/dingtalk/send", json={"userid": zhang, "type": "text", "content": "今天拜访苏州精工的陈总，方案通过评审了，下周五商务谈判"})
    assert r.status_code == 200 and r.json()["delivered"], r.text

    def visit_cards() -> list[dict[str, Any]]:
        got = client.get("/simulator/api/dingtalk/messages", params={"userid": zhang}).json()["messages"]
        return [m for m in got if m["msgtype"] == "card" and m["card"]["title"] == "已记录拜访"]

    card = wait_for("the DingTalk visit card", visit_cards)[-1]
    assert "苏州精工机械有限公司" in card["card"]["fields"] and card["card"]["btn1_text"] == "商机改为谈判"
    tapped = client.post(
        "/simulator/api/dingtalk/send",
        json={"userid": zhang, "type": "click", "task_id": card["task_id"], "key": card["card"]["btn1_action"]},
    )
    assert tapped.status_code == 200 and tapped.json()["delivered"], tapped.text
    updated = wait_for("the card updated", lambda: [c for c in visit_cards() if c["version"] > card["version"]])[-1]
    assert "商机已改为「谈判」" in updated["card"]["subtitle"]
    groups = client.get("/simulator/api/dingtalk/messages", params={"userid": zhang}).json()["groups"]
    assert [g["name"] for g in groups] == ["华东销售一部"]


def test_pages_open_in_the_in_app_browser_through_wecom_oauth(demo: tuple[DemoStack, httpx.Client]) -> None:
    stack, _ = demo
    with httpx.Client(follow_redirects=True, timeout=30) as browser:  # one cookie jar, like the webview
        page = browser.get(
            f"{stack.fake.base_url}/_fake/webview",
            params={"userid": "LiNa", "url": f"{stack.base_url}/h5/dashboard"},
        )
        assert page.status_code == 200, page.text
        hops = [str(r.url) for r in page.history]
        assert any("/connect/oauth2/authorize" in h for h in hops) and any("/h5/auth/wecom" in h for h in hops)
        assert "团队看板" in page.text and "李娜" in page.text and "张伟" in page.text  # last week's board
        rep = browser.get(
            f"{stack.fake.base_url}/_fake/webview", params={"userid": "ZhangWei", "url": f"{stack.base_url}/h5/customers"}
        )
        assert "李娜" in rep.text  # the session cookie still belongs to 李娜: the page does not re-login
        browser.post(f"{stack.base_url}/h5/logout")  # what the simulator does when you switch person
        rep = browser.get(
            f"{stack.fake.base_url}/_fake/webview", params={"userid": "ZhangWei", "url": f"{stack.base_url}/h5/customers"}
        )
        assert rep.status_code == 200 and "张伟 · 销售" in rep.text and "无锡恒瑞精密机械有限公司" in rep.text
        assert "杭州博远" not in rep.text  # 刘洋's customer
    with httpx.Client(timeout=30) as stranger:  # no WeCom member logged in: the fake refuses, like WeCom
        r = stranger.get(f"{stack.base_url}/h5/customers", follow_redirects=True)
        assert r.status_code == 403 and "请在企业微信中打开" in r.text


def test_jumping_to_monday_posts_last_weeks_leaderboard_in_the_team_group(
    demo: tuple[DemoStack, httpx.Client],
) -> None:
    stack, client = demo
    before = stack.clock.now()
    r = client.post("/simulator/api/clock", json={"jump": "monday"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "周一 09:00" in body["label"] and stack.clock.now() > before
    board = [run for run in body["runs"] if run["job"] == "leaderboard"]
    assert board and board[0]["status"] == "done", body["runs"]
    week = IsoWeek.containing(stack.clock.now()).previous()

    def group_board() -> list[dict[str, Any]]:
        groups = messages(client, "LiNa")["groups"]
        east = next(g for g in groups if g["name"] == "华东销售一部")
        return [m for m in east["messages"] if m["msgtype"] in ("markdown", "image")]

    posted = wait_for("the leaderboard in 华东销售一部", lambda: len(group_board()) >= 2 and group_board())
    assert any(str(week.week) in m["body"].get("content", "") or "张伟" in m["body"].get("content", "") for m in posted)
    assert client.post("/simulator/api/clock", json={"jump": "yesterday"}).status_code == 400
