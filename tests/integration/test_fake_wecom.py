"""The fake WeCom and the callback driver, over real HTTP.

The driver is checked against the official vectors and against wechatpy's WeChatCrypto in a
throwaway FastAPI endpoint: if wechatpy (what real integrators use against real WeCom) can
verify and decrypt what the driver sends, our own callback endpoint is tested against the
real envelope.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import xmltodict
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from bot.fakes.wecom_driver import (
    CallbackNoAnswer,
    WeComDriver,
    decrypt_msg,
    encrypt_msg,
    msg_signature,
)
from bot.fakes.wecom_server import (
    AppConfig,
    BackgroundServer,
    CardNotClickable,
    Department,
    FakeWeCom,
    ManualClock,
    User,
)
from bot.tokens import MemoryTokenStore
from bot.wecom.client import WeComClient

APP = AppConfig(corp_id="ww_test_corp_01", corpsecret="test-secret-01", agent_id=1000002)
CB_TOKEN = "QDG6eK"
CB_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeWeCom]:
    server = FakeWeCom([APP], clock=clock)
    server.add_department(Department(2, "华东销售部", parentid=1, department_leader=["wanglei"]))
    server.add_user(User("wanglei", "王磊", department=[2], is_leader_in_dept=[1]))
    server.add_user(User("zhangsan", "张三", department=[2], direct_leader=["wanglei"]))
    server.add_user(User("lisi", "李四", department=[2], direct_leader=["wanglei"]))
    with server:
        yield server


@pytest.fixture
def api(fake: FakeWeCom) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.base_url) as http:
        yield http


def token_of(api: httpx.Client) -> str:
    data = api.get("/cgi-bin/gettoken", params={"corpid": APP.corp_id, "corpsecret": APP.corpsecret}).json()
    return str(data["access_token"])


def card(task_id: str, card_type: str = "button_interaction") -> dict[str, Any]:
    return {
        "card_type": card_type,
        "main_title": {"title": "客户拜访确认"},
        "task_id": task_id,
        "button_list": [{"text": "确认", "key": "ok"}, {"text": "改期", "key": "later", "style": 2}],
    }


# ------------------------------------------------------------------------ fake: raw protocol checks
def test_gettoken_rules(fake: FakeWeCom, api: httpx.Client) -> None:
    bad_corp = api.get("/cgi-bin/gettoken", params={"corpid": "nope", "corpsecret": "x"})
    assert bad_corp.status_code == 200 and bad_corp.json()["errcode"] == 40013
    assert "devtool/query?e=40013" in bad_corp.json()["errmsg"]
    bad_secret = api.get("/cgi-bin/gettoken", params={"corpid": APP.corp_id, "corpsecret": "x"}).json()
    assert bad_secret["errcode"] == 40001
    first = api.get("/cgi-bin/gettoken", params={"corpid": APP.corp_id, "corpsecret": APP.corpsecret}).json()
    again = api.get("/cgi-bin/gettoken", params={"corpid": APP.corp_id, "corpsecret": APP.corpsecret}).json()
    assert first["errcode"] == 0 and first["expires_in"] == 7200
    assert again["access_token"] == first["access_token"]  # same token while valid
    assert fake.gettoken_calls == 2

    dept = "/cgi-bin/department/list"
    assert api.get(dept).json()["errcode"] == 41001
    assert api.get(dept, params={"access_token": "forged"}).json()["errcode"] == 40014
    fake.expire_tokens()
    assert api.get(dept, params={"access_token": first["access_token"]}).json()["errcode"] == 42001
    fresh = token_of(api)
    assert fresh != first["access_token"]
    fake.invalidate_tokens()
    assert api.get(dept, params={"access_token": fresh}).json()["errcode"] == 40014


def test_message_send_validation(fake: FakeWeCom, api: httpx.Client) -> None:
    params = {"access_token": token_of(api)}

    def send(body: dict[str, Any]) -> dict[str, Any]:
        return dict(api.post("/cgi-bin/message/send", params=params, json=body).json())

    text = {"msgtype": "text", "text": {"content": "hi"}}
    assert send({"touser": "zhangsan", "agentid": 999, **text})["errcode"] == 40056
    assert send({"agentid": APP.agent_id, **text})["errcode"] == 40003
    assert send({"touser": "ghost", "agentid": APP.agent_id, **text})["errcode"] == 81013
    ok = send({"touser": "zhangsan|ghost", "agentid": APP.agent_id, **text})
    assert ok["errcode"] == 0 and ok["invaliduser"] == "ghost" and ok["msgid"] and "response_code" not in ok
    by_party = send({"toparty": "2", "agentid": APP.agent_id, **text})
    assert by_party["errcode"] == 0
    assert [len(fake.inbox_of(u)) for u in ("wanglei", "zhangsan", "lisi")] == [1, 2, 1]

    def send_card(c: dict[str, Any]) -> dict[str, Any]:
        return send(
            {"touser": "lisi", "agentid": APP.agent_id, "msgtype": "template_card", "template_card": c}
        )

    no_task = card("x")
    del no_task["task_id"]
    assert send_card(no_task)["errcode"] != 0  # button_interaction requires task_id
    assert send_card(card("有中文"))["errcode"] != 0
    assert send_card(card("a" * 129))["errcode"] != 0
    sent = send_card(card("A-b_c@1" + "a" * 121))  # 128 bytes, full charset
    assert sent["errcode"] == 0 and sent["response_code"]
    assert send_card(card("A-b_c@1" + "a" * 121))["errcode"] == 42014
    notice = {
        "card_type": "text_notice",
        "main_title": {"title": "通知"},
        "card_action": {"type": 1, "url": "https://x"},
    }
    plain_notice = send_card(notice)
    assert plain_notice["errcode"] == 0 and "response_code" not in plain_notice  # not interactive


def test_response_code_single_use_and_click_codes(
    fake: FakeWeCom, api: httpx.Client, clock: ManualClock
) -> None:
    params = {"access_token": token_of(api)}
    sent = api.post(
        "/cgi-bin/message/send",
        params=params,
        json={
            "touser": "zhangsan|lisi",
            "agentid": APP.agent_id,
            "msgtype": "template_card",
            "template_card": card("visit_1"),
        },
    ).json()

    def update(code: str, **extra: Any) -> dict[str, Any]:
        body = {"agentid": APP.agent_id, "response_code": code, "button": {"replace_name": "已确认"}, **extra}
        return dict(api.post("/cgi-bin/message/update_template_card", params=params, json=body).json())

    assert update(sent["response_code"], userids=["lisi"])["errcode"] == 0
    assert fake.cards["visit_1"]["lisi"].replace_name == "已确认"
    assert fake.cards["visit_1"]["zhangsan"].replace_name is None
    assert update(sent["response_code"], userids=["lisi"])["errcode"] == 40120  # single use
    with pytest.raises(CardNotClickable):
        fake.click_card("lisi", "visit_1", "ok")  # greyed out for lisi
    with pytest.raises(CardNotClickable):
        fake.click_card("zhangsan", "visit_1", "no-such-key")
    code1 = fake.click_card("zhangsan", "visit_1", "later")
    code2 = fake.click_card("zhangsan", "visit_1", "ok")
    assert code1 != code2
    assert update("made-up", atall=1)["errcode"] == 40120
    assert update(code1, atall=0)["errcode"] == 40058  # no target at all (UNCONFIRMED errcode)
    clock.advance(72 * 3600 + 1)
    params["access_token"] = token_of(api)  # the old token expired long ago
    assert update(code1, atall=1)["errcode"] == 40120  # 72 h validity
    assert [c.key for c in fake.clicks] == ["later", "ok"]


def test_media_upload_and_get(fake: FakeWeCom, api: httpx.Client) -> None:
    params = {"access_token": token_of(api)}
    data = b"%PDF-1.4 quarterly report \r\n--not-a-boundary\r\n\x00\xff"
    up = api.post(
        "/cgi-bin/media/upload",
        params={**params, "type": "file"},
        files={"media": ("季度报告.pdf", data, "application/pdf")},
    ).json()
    assert up["errcode"] == 0 and up["type"] == "file"
    assert isinstance(up["created_at"], str) and up["created_at"].isdigit()
    got = api.get("/cgi-bin/media/get", params={**params, "media_id": up["media_id"]})
    assert got.content == data and got.headers["content-type"].startswith("application/pdf")
    assert "attachment" in got.headers["content-disposition"]
    missing = api.get("/cgi-bin/media/get", params={**params, "media_id": "nope"})
    assert missing.headers["content-type"].startswith("application/json")
    assert missing.json()["errcode"] == 40007
    bad_type = api.post(
        "/cgi-bin/media/upload", params={**params, "type": "gif"}, files={"media": ("a", b"123456")}
    )
    assert bad_type.json()["errcode"] == 40004


def test_webhook_rules(fake: FakeWeCom, api: httpx.Client) -> None:
    key = fake.add_webhook("robot-key-1")
    url = "/cgi-bin/webhook/send"
    assert (
        api.post(url, params={"key": "nope"}, json={"msgtype": "text", "text": {"content": "x"}}).json()[
            "errcode"
        ]
        == 93000
    )
    md_ok = {"msgtype": "markdown", "markdown": {"content": "y" * 4096}}
    md_big = {"msgtype": "markdown", "markdown": {"content": "y" * 4097}}
    assert api.post(url, params={"key": key}, json=md_ok).json()["errcode"] == 0
    # Past the limit content is cut, not refused (the page gives only the limit; docs/platforms/wecom.md W7).
    assert api.post(url, params={"key": key}, json=md_big).json()["errcode"] == 0
    text_big = {"msgtype": "text", "text": {"content": "y" * 2049}}
    assert api.post(url, params={"key": key}, json=text_big).json()["errcode"] == 0
    assert [len(m.body["content"]) for m in fake.webhook_messages(key)] == [4096, 4096, 2048]
    raw = b"\x89PNG fake image bytes"
    image = {"base64": base64.b64encode(raw).decode(), "md5": hashlib.md5(raw).hexdigest()}
    assert (
        api.post(url, params={"key": key}, json={"msgtype": "image", "image": image}).json()["errcode"] == 0
    )
    wrong_md5 = {**image, "md5": "0" * 32}
    assert (
        api.post(url, params={"key": key}, json={"msgtype": "image", "image": wrong_md5}).json()["errcode"]
        != 0
    )
    assert [m.msgtype for m in fake.webhook_messages(key)] == ["markdown", "markdown", "text", "image"]


def test_fail_next_and_request_log(fake: FakeWeCom, api: httpx.Client) -> None:
    fake.fail_next("/cgi-bin/gettoken", -1, times=2)
    query = {"corpid": APP.corp_id, "corpsecret": APP.corpsecret}
    assert [api.get("/cgi-bin/gettoken", params=query).json()["errcode"] for _ in range(3)] == [-1, -1, 0]
    assert [r.errcode for r in fake.requests] == [-1, -1, 0]
    assert fake.requests[0].query["corpid"] == APP.corp_id


# ------------------------------------------------------------------------ driver: crypto vectors
def test_driver_crypto_matches_official_vectors() -> None:
    # docs/platforms/wecom.md W1.1 vector B (official) -- decrypt
    enc_b = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
    assert (
        msg_signature(CB_TOKEN, "1409659813", "1372623149", enc_b)
        == "477715d11cdb4164915debcba66cb864d751f3e6"
    )
    msg, receive_id = decrypt_msg(CB_AES_KEY, enc_b)
    assert receive_id == "wx5823bf96d3bd56c7"
    assert msg.startswith(
        "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]>"
    )
    # wechatpy vector C -- deterministic encryption of a reply
    plain = (
        "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
        "<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n"
        "<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>"
    )
    enc_c = encrypt_msg(
        "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", plain, "wx49f0ab532d5d035a", b"1234567890123456"
    )
    assert enc_c.startswith("9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk")
    assert enc_c.endswith("XiKzHo3")
    assert (
        msg_signature("123456", "1411525903", "461056294", enc_c)
        == "407518b7649e86ef23978113f92d27afa9296533"
    )


# ------------------------------------------------------------------------ driver against wechatpy
@dataclass
class CallbackApp:
    """A throwaway WeCom callback endpoint built on wechatpy's WeChatCrypto."""

    crypto: WeChatCrypto
    slow_s: Callable[[int], float] = lambda n: 0.0
    reply: Callable[[dict[str, Any]], str | None] = lambda msg: None
    seen: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/callbacks/wecom")
        async def verify(msg_signature: str, timestamp: str, nonce: str, echostr: str) -> Response:
            try:
                echo = self.crypto.check_signature(msg_signature, timestamp, nonce, echostr)
            except InvalidSignatureException:
                return PlainTextResponse("bad signature", status_code=403)
            return Response(echo if isinstance(echo, bytes) else str(echo).encode(), media_type="text/plain")

        @app.post("/callbacks/wecom")
        async def receive(request: Request) -> Response:
            body = await request.body()
            query = dict(request.query_params)
            self.seen.append((body, query))
            delay = self.slow_s(len(self.seen))
            if delay:
                await asyncio.sleep(delay)
            try:
                xml = self.crypto.decrypt_message(
                    body.decode(), query["msg_signature"], query["timestamp"], query["nonce"]
                )
            except InvalidSignatureException:
                return PlainTextResponse("bad signature", status_code=403)
            msg = xmltodict.parse(xml)["xml"]
            msg["_raw"] = xml
            self.messages.append(msg)
            answer = self.reply(msg)
            if answer is None:
                return Response(b"")
            return Response(
                self.crypto.encrypt_message(answer, query["nonce"], query["timestamp"]), media_type="text/xml"
            )

        return app


@pytest.fixture
def callback() -> Iterator[tuple[CallbackApp, str]]:
    handler = CallbackApp(WeChatCrypto(CB_TOKEN, CB_AES_KEY, APP.corp_id))
    server = BackgroundServer(handler.build())
    base = server.start()
    yield handler, base + "/callbacks/wecom"
    server.stop()


def make_driver(url: str, clock: ManualClock, fake: FakeWeCom | None = None, **kw: Any) -> WeComDriver:
    return WeComDriver(url, CB_TOKEN, CB_AES_KEY, APP.corp_id, APP.agent_id, clock, fake=fake, **kw)


def passive(user: str, body: str) -> str:
    return f"<xml><ToUserName><![CDATA[{user}]]></ToUserName><FromUserName><![CDATA[{APP.corp_id}]]></FromUserName><CreateTime>1700000000</CreateTime>{body}</xml>"


def test_driver_roundtrip_through_wechatpy(callback: tuple[CallbackApp, str], clock: ManualClock) -> None:
    handler, url = callback
    with make_driver(url, clock) as driver:
        status, body = driver.verify_url()
        assert (status, body) == (200, driver.last_echo_plaintext)

        tricky = "客户说：价格 <太高> & 要 ]]> 折扣"
        assert driver.send_text("zhangsan", tricky).status_code == 200
        assert driver.send_text("zhangsan", "second").status_code == 200
        driver.send_image("lisi", "MEDIA_1", pic_url="https://wework.qpic.cn/x")
        driver.send_location("lisi", 31.230416, 121.473701, "上海市黄浦区人民广场")
        driver.send_enter_agent("wanglei")

    text1, text2, image, location, enter = handler.messages
    assert text1["ToUserName"] == APP.corp_id and text1["FromUserName"] == "zhangsan"
    assert text1["Content"] == tricky and text1["MsgType"] == "text"
    assert text1["CreateTime"] == str(int(clock())) and text1["AgentID"] == str(APP.agent_id)
    assert int(text2["MsgId"]) == int(text1["MsgId"]) + 1
    assert text1["_raw"].startswith(
        f"<xml><ToUserName><![CDATA[{APP.corp_id}]]></ToUserName>\n<FromUserName>"
    )
    assert (image["MsgType"], image["MediaId"], image["PicUrl"]) == (
        "image",
        "MEDIA_1",
        "https://wework.qpic.cn/x",
    )
    assert (location["Location_X"], location["Location_Y"], location["Label"]) == (
        "31.230416",
        "121.473701",
        "上海市黄浦区人民广场",
    )
    assert enter["MsgType"] == "event" and enter["Event"] == "enter_agent" and "MsgId" not in enter
    # the envelope is exactly W1: ToUserName, Encrypt, AgentID
    envelope = xmltodict.parse(handler.seen[0][0])["xml"]
    assert list(envelope) == ["ToUserName", "Encrypt", "AgentID"]


def test_driver_forged_signature_is_rejected(callback: tuple[CallbackApp, str], clock: ManualClock) -> None:
    _handler, url = callback
    with make_driver(url, clock) as driver:
        body, params = driver.envelope(driver.text_xml("zhangsan", "hi"))
        forged = {**params, "msg_signature": "0" * 40}
        assert driver.post_envelope(body, forged).status_code == 403
        assert len(driver.attempts_of_last_delivery()) == 1  # an answer, even a 403, is not retried


def test_tap_card_with_fake_and_passive_update(
    callback: tuple[CallbackApp, str], fake: FakeWeCom, clock: ManualClock
) -> None:
    handler, url = callback
    client = WeComClient(
        fake.base_url, APP.corp_id, APP.corpsecret, APP.agent_id, MemoryTokenStore(), clock=clock
    )
    client.send_template_card(["zhangsan", "lisi"], card("visit_9"))

    def reply(msg: dict[str, Any]) -> str | None:
        if msg.get("Event") == "template_card_event" and msg["EventKey"] == "later":
            return passive(
                msg["FromUserName"],
                "<MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName><![CDATA[已改期]]></ReplaceName></Button>",
            )
        if msg.get("Event") == "template_card_event":
            return passive(
                msg["FromUserName"],
                "<MsgType><![CDATA[update_template_card]]></MsgType><TemplateCard><CardType><![CDATA[text_notice]]></CardType>"
                "<MainTitle><Title><![CDATA[已确认拜访]]></Title></MainTitle><CardAction><Type>1</Type><Url><![CDATA[https://x]]></Url></CardAction>"
                "<TaskId><![CDATA[visit_9]]></TaskId></TemplateCard>",
            )
        if msg.get("MsgType") == "text":
            return passive(
                msg["FromUserName"],
                f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[收到：{msg['Content']}]]></Content>",
            )
        return None

    handler.reply = reply
    with make_driver(url, clock, fake=fake) as driver:
        driver.tap_card("zhangsan", "visit_9", "later")
        event = handler.messages[-1]
        assert (event["Event"], event["TaskId"], event["CardType"]) == (
            "template_card_event",
            "visit_9",
            "button_interaction",
        )
        # the passive update changed ONLY the clicker's copy
        assert fake.cards["visit_9"]["zhangsan"].replace_name == "已改期"
        assert fake.cards["visit_9"]["lisi"].replace_name is None
        # the ResponseCode in the event is one the fake accepts (once) for an API update
        client.update_template_card(event["ResponseCode"], replace_name="全部已处理", atall=True)
        assert {fake.inbox_of(u)[0].replace_name for u in ("zhangsan", "lisi")} == {"全部已处理"}

        client.send_template_card("lisi", card("visit_10"))
        driver.tap_card("lisi", "visit_10", "ok")
        lisi_card = fake.cards["visit_10"]["lisi"].card
        assert lisi_card["card_type"] == "text_notice" and lisi_card["main_title"] == {"title": "已确认拜访"}
        assert lisi_card["card_action"] == {"type": 1, "url": "https://x"}

        driver.send_text("wanglei", "今天拜访了3家")
        (reply_msg,) = fake.inbox_of("wanglei")
        assert (reply_msg.source, reply_msg.content) == ("passive", "收到：今天拜访了3家")
    client.close()


def test_vote_event_carries_selected_items(callback: tuple[CallbackApp, str], clock: ManualClock) -> None:
    handler, url = callback
    with make_driver(url, clock) as driver:
        driver.tap_card(
            "zhangsan",
            "vote_1",
            "submit",
            card_type="vote_interaction",
            selected={"q1": ["o1", "o2"], "q2": ["o9"]},
        )
    event = handler.messages[-1]
    items = event["SelectedItems"]["SelectedItem"]
    assert [i["QuestionKey"] for i in items] == ["q1", "q2"]
    assert items[0]["OptionIds"]["OptionId"] == ["o1", "o2"] and items[1]["OptionIds"]["OptionId"] == "o9"
    assert event["ResponseCode"]


def test_driver_retries_same_payload_when_endpoint_is_slow(
    callback: tuple[CallbackApp, str], clock: ManualClock
) -> None:
    handler, url = callback
    handler.slow_s = lambda n: 1.0 if n == 1 else 0.0  # only the first delivery is slow
    with make_driver(url, clock, timeout_s=0.3) as driver:
        response = driver.send_text("zhangsan", "慢一点")
        assert response.status_code == 200
        attempts = driver.attempts_of_last_delivery()
    assert [a.number for a in attempts] == [1, 2]
    assert attempts[0].status is None and attempts[1].status == 200
    assert attempts[0].payload_sha1 == attempts[1].payload_sha1
    assert handler.seen[0] == handler.seen[1]  # byte-identical body and query (same nonce/signature)


def test_driver_gives_up_after_three_retries(callback: tuple[CallbackApp, str], clock: ManualClock) -> None:
    handler, url = callback
    handler.slow_s = lambda n: 0.5
    with make_driver(url, clock, timeout_s=0.15) as driver, pytest.raises(CallbackNoAnswer) as exc:
        driver.send_text("zhangsan", "没人理")
    assert len(exc.value.attempts) == 4
    assert len(driver.attempts) == 4
    assert len({a.payload_sha1 for a in exc.value.attempts}) == 1
