"""WeComClient against the running fake WeCom over real HTTP (no mocks of our code)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.fakes.wecom_server import AppConfig, Department, FakeWeCom, ManualClock, User
from bot.tokens import MemoryTokenStore, RedisTokenStore, TokenStore
from bot.wecom.client import RetryLater, WeComAPIError, WeComClient, WeComError

APP = AppConfig(corp_id="ww_test_corp_01", corpsecret="test-secret-01", agent_id=1000002)


def button_card(task_id: str) -> dict[str, object]:
    return {
        "card_type": "button_interaction",
        "main_title": {"title": "报销审批", "desc": "张三 提交了 ¥1,280.00"},
        "task_id": task_id,
        "button_list": [
            {"text": "同意", "style": 1, "key": "approve"},
            {"text": "驳回", "style": 2, "key": "reject"},
        ],
    }


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeWeCom]:
    server = FakeWeCom([APP], clock=clock)
    server.add_department(Department(2, "华东销售部", parentid=1, department_leader=["wanglei"]))
    server.add_department(Department(3, "上海组", parentid=2))
    server.add_user(User("wanglei", "王磊", department=[2], is_leader_in_dept=[1], position="销售总监"))
    server.add_user(
        User("zhangsan", "张三", department=[2, 3], is_leader_in_dept=[0, 1], direct_leader=["wanglei"])
    )
    server.add_user(User("lisi", "李四", department=[3], direct_leader=["zhangsan"]))
    for i in range(20):
        server.add_user(User(f"rep{i:02d}", f"销售{i:02d}", department=[3]))
    with server:
        yield server


def make_client(fake: FakeWeCom, clock: ManualClock, store: TokenStore | None = None) -> WeComClient:
    return WeComClient(
        fake.base_url, APP.corp_id, APP.corpsecret, APP.agent_id, store or MemoryTokenStore(), clock=clock
    )


@pytest.fixture
def client(fake: FakeWeCom, clock: ManualClock) -> Iterator[WeComClient]:
    with make_client(fake, clock) as c:
        yield c


# ------------------------------------------------------------------------ sending
def test_text_and_markdown_reach_the_inbox_with_one_gettoken(fake: FakeWeCom, client: WeComClient) -> None:
    r1 = client.send_text("zhangsan", "你好，今天的拜访记录还没填")
    r2 = client.send_markdown(["zhangsan", "lisi"], "**本周业绩**\n> 签约 3 单")
    assert r1.msgid and r2.msgid and r1.msgid != r2.msgid
    inbox = fake.inbox_of("zhangsan")
    assert [(m.msgtype, m.content) for m in inbox] == [
        ("text", "你好，今天的拜访记录还没填"),
        ("markdown", "**本周业绩**\n> 签约 3 单"),
    ]
    assert [m.msgtype for m in fake.inbox_of("lisi")] == ["markdown"]
    assert fake.gettoken_calls == 1


def test_partial_invalid_users_are_reported_not_raised(fake: FakeWeCom, client: WeComClient) -> None:
    result = client.send_text(["zhangsan", "ghost"], "hi")
    assert result.invaliduser == ["ghost"]
    with pytest.raises(WeComAPIError) as exc:
        client.send_text("ghost", "hi")
    assert exc.value.errcode == 81013


def test_text_over_2048_bytes_is_cut_by_wecom(fake: FakeWeCom, client: WeComClient) -> None:
    """发送应用消息: content "最长不超过2048个字节，超过将截断" — cut, not refused."""
    exactly = "报" * 682 + "ab"  # 682 * 3 + 2 = 2048 bytes
    client.send_text("zhangsan", exactly)
    client.send_text("zhangsan", exactly + "c")
    client.send_text("zhangsan", "报" * 683)  # 2049 bytes: the last character does not fit whole
    assert [m.content for m in fake.inbox_of("zhangsan")] == [exactly, exactly, "报" * 682]


def test_image_roundtrip_via_upload(fake: FakeWeCom, client: WeComClient) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\r\n" * 100
    media_id = client.upload_media("image", "chart.png", png, "image/png")
    client.send_image("lisi", media_id)
    (msg,) = fake.inbox_of("lisi")
    assert msg.msgtype == "image" and msg.body == {"media_id": media_id}
    assert client.download_media(media_id) == (png, "image/png")
    with pytest.raises(WeComAPIError) as exc:
        client.upload_media("image", "tiny.png", b"1234")
    assert exc.value.errcode == 44001


def test_download_media_json_error_raises(fake: FakeWeCom, client: WeComClient, clock: ManualClock) -> None:
    media_id = fake.add_media(b"\xff\xd8\xff\xe0 fake jpeg", "image/jpeg")
    data, content_type = client.download_media(media_id)
    assert data.startswith(b"\xff\xd8") and content_type == "image/jpeg"
    with pytest.raises(WeComAPIError) as exc:
        client.download_media("no-such-media")
    assert exc.value.errcode == 40007
    clock.advance(3 * 86400 + 1)  # media_id lives 3 days
    with pytest.raises(WeComAPIError) as exc:
        client.download_media(media_id)
    assert exc.value.errcode == 40007


# ------------------------------------------------------------------------ cards
def test_card_click_then_update_atall_changes_every_copy(fake: FakeWeCom, client: WeComClient) -> None:
    sent = client.send_template_card(["zhangsan", "lisi", "wanglei"], button_card("expense_1001"))
    assert sent.response_code
    # driver-free tap: zhangsan presses "同意"; WeCom hands a fresh one-shot code with the click event
    click_code = fake.click_card("zhangsan", "expense_1001", "approve")
    assert click_code != sent.response_code
    client.update_template_card(click_code, replace_name="已同意（张三）", atall=True)
    for user in ("zhangsan", "lisi", "wanglei"):
        (msg,) = fake.inbox_of(user)
        assert msg.msgtype == "template_card"
        assert msg.replace_name == "已同意（张三）" and msg.card_version == 1
    # single use
    with pytest.raises(WeComAPIError) as exc:
        client.update_template_card(click_code, replace_name="again", atall=True)
    assert exc.value.errcode == 40120
    # greyed-out buttons cannot be tapped any more
    with pytest.raises(Exception, match="greyed out"):
        fake.click_card("lisi", "expense_1001", "approve")


def test_update_with_full_card_for_one_user_only(fake: FakeWeCom, client: WeComClient) -> None:
    sent = client.send_template_card(["zhangsan", "lisi"], button_card("expense_1002"))
    assert sent.response_code is not None
    done = {
        "card_type": "text_notice",
        "main_title": {"title": "报销审批", "desc": "已处理"},
        "task_id": "expense_1002",
        "card_action": {"type": 1, "url": "https://example.invalid/expense/1002"},
    }
    result = client.update_template_card(sent.response_code, card_json=done, userids=["zhangsan", "ghost"])
    assert result.invaliduser == ["ghost"]
    assert fake.cards["expense_1002"]["zhangsan"].card["card_type"] == "text_notice"
    assert fake.cards["expense_1002"]["lisi"].card["card_type"] == "button_interaction"
    assert fake.inbox_of("lisi")[0].card == button_card("expense_1002")


def test_a_card_update_carries_no_task_id_and_the_fake_does_not_ask_for_one(
    fake: FakeWeCom, client: WeComClient
) -> None:
    """#18 pt 4: 更新模版卡片消息 documents no task_id inside template_card (the response_code
    names the card), so we send none and a whole-card update still greys the card out."""
    sent = client.send_template_card(["zhangsan"], button_card("expense_1003"))
    assert sent.response_code is not None
    decided = {**button_card("expense_1003"), "replace_text": "已同意"}
    client.update_template_card(sent.response_code, card_json=decided, atall=True)
    [update] = [r for r in fake.requests if r.path == "/cgi-bin/message/update_template_card"]
    assert "task_id" not in update.json["template_card"]
    assert fake.cards["expense_1003"]["zhangsan"].card["replace_text"] == "已同意"


def test_task_id_reuse_surfaces_as_42014(client: WeComClient) -> None:
    client.send_template_card("zhangsan", button_card("deal_77"))
    with pytest.raises(WeComAPIError) as exc:
        client.send_template_card("lisi", button_card("deal_77"))
    assert exc.value.errcode == 42014
    with pytest.raises(WeComAPIError):
        client.send_template_card("lisi", button_card("bad task id!"))  # charset [0-9A-Za-z_-@]


# ------------------------------------------------------------------------ tokens
def test_token_cached_for_life_minus_margin(fake: FakeWeCom, client: WeComClient, clock: ManualClock) -> None:
    client.send_text("zhangsan", "1")
    clock.advance(7200 - 301)
    client.send_text("zhangsan", "2")
    assert fake.gettoken_calls == 1
    clock.advance(2)  # inside the 5-minute margin: refresh before WeCom says 42001
    client.send_text("zhangsan", "3")
    assert fake.gettoken_calls == 2
    assert not [r for r in fake.requests if r.errcode == 42001]


@pytest.mark.parametrize("store_kind", ["memory", "redis"])
def test_token_expiring_mid_run_20_threads_one_refresh(
    fake: FakeWeCom, clock: ManualClock, store_kind: str, request: pytest.FixtureRequest
) -> None:
    store: TokenStore
    if store_kind == "redis":
        store = RedisTokenStore(request.getfixturevalue("redis_url"), prefix="test:token:", clock=clock)
    else:
        store = MemoryTokenStore()
    # two "workers" sharing one store, as with several processes and Redis
    workers = [make_client(fake, clock, store), make_client(fake, clock, store)]
    workers[0].send_text("wanglei", "warm-up")
    assert fake.gettoken_calls == 1
    fake.expire_tokens()  # every current token now answers 42001
    barrier = threading.Barrier(20)

    def send(i: int) -> str:
        barrier.wait()
        return workers[i % 2].send_text(f"rep{i:02d}", f"第{i}条").msgid

    with ThreadPoolExecutor(max_workers=20) as pool:
        msgids = list(pool.map(send, range(20)))
    assert len(set(msgids)) == 20
    assert fake.gettoken_calls == 2  # exactly ONE extra gettoken
    assert sum(r.errcode == 42001 for r in fake.requests) >= 2  # the callers really raced
    for i in range(20):
        assert [m.content for m in fake.inbox_of(f"rep{i:02d}")] == [f"第{i}条"]
    for worker in workers:
        worker.close()
    if isinstance(store, RedisTokenStore):
        store.close()


def test_invalidated_token_is_refreshed_once(fake: FakeWeCom, client: WeComClient) -> None:
    client.send_text("zhangsan", "a")
    fake.invalidate_tokens()
    client.send_text("zhangsan", "b")
    assert fake.gettoken_calls == 2
    assert [r.errcode for r in fake.requests if r.path == "/cgi-bin/message/send"] == [0, 40014, 0]


def test_persistent_42001_is_not_retried_forever(fake: FakeWeCom, client: WeComClient) -> None:
    client.get_token()
    fake.fail_next("/cgi-bin/message/send", 42001, times=2)
    with pytest.raises(WeComAPIError) as exc:
        client.send_text("zhangsan", "x")
    assert exc.value.errcode == 42001
    assert fake.gettoken_calls == 2


def test_bad_secret_is_a_config_error(fake: FakeWeCom, clock: ManualClock) -> None:
    bad = WeComClient(fake.base_url, APP.corp_id, "wrong", APP.agent_id, MemoryTokenStore(), clock=clock)
    with pytest.raises(WeComAPIError) as exc:
        bad.send_text("zhangsan", "x")
    assert exc.value.errcode == 40001
    bad.close()


# ------------------------------------------------------------------------ transient errors and limits
@pytest.mark.parametrize("errcode", [45009, 45033, -1])
def test_transient_errors_raise_retry_later(fake: FakeWeCom, client: WeComClient, errcode: int) -> None:
    fake.fail_next("/cgi-bin/message/send", errcode)
    with pytest.raises(RetryLater) as exc:
        client.send_text("zhangsan", "稍后重试")
    assert exc.value.errcode == errcode
    client.send_text("zhangsan", "稍后重试")  # the client did not sleep; the next call just works
    assert len(fake.inbox_of("zhangsan")) == 1


def test_60020_explains_trusted_ip(fake: FakeWeCom, client: WeComClient) -> None:
    fake.fail_next("/cgi-bin/message/send", 60020)
    with pytest.raises(WeComAPIError) as exc:
        client.send_text("zhangsan", "x")
    assert not isinstance(exc.value, RetryLater)
    assert "企业可信IP" in str(exc.value) and "trusted IP" in str(exc.value)


def test_transport_failure_is_retry_later(clock: ManualClock) -> None:
    c = WeComClient(
        "http://127.0.0.1:9", APP.corp_id, APP.corpsecret, APP.agent_id, MemoryTokenStore(), clock=clock
    )
    with pytest.raises(RetryLater):
        c.get_token()
    c.close()


def test_31st_message_in_a_minute_is_silently_dropped(
    fake: FakeWeCom, client: WeComClient, clock: ManualClock
) -> None:
    for i in range(31):
        assert client.send_text("lisi", f"提醒 {i}").msgid  # errcode 0 every time
    assert len(fake.inbox_of("lisi")) == 30
    (dropped,) = fake.dropped
    assert dropped.userid == "lisi" and dropped.body == {"content": "提醒 30"}
    clock.advance(61)
    client.send_text("lisi", "一分钟后")
    assert fake.inbox_of("lisi")[-1].content == "一分钟后"


# ------------------------------------------------------------------------ chats, robots, contacts, OAuth
def test_appchat_and_webhook(fake: FakeWeCom, client: WeComClient) -> None:
    fake.add_appchat("chat_sales_east", ["wanglei", "zhangsan", "lisi"])
    client.appchat_send("chat_sales_east", {"msgtype": "text", "text": {"content": "周报已生成"}})
    assert [m.body["content"] for m in fake.appchat_messages("chat_sales_east")] == ["周报已生成"]
    with pytest.raises(WeComAPIError) as exc:
        client.appchat_send("nope", {"msgtype": "text", "text": {"content": "x"}})
    assert exc.value.errcode == 86001

    key = fake.add_webhook()
    for i in range(20):
        client.webhook_send(key, {"msgtype": "markdown", "markdown": {"content": f"# 榜单 {i}"}})
    with pytest.raises(RetryLater) as limited:
        client.webhook_send(key, {"msgtype": "text", "text": {"content": "21st"}})
    assert limited.value.errcode == 45009
    assert len(fake.webhook_messages(key)) == 20
    with pytest.raises(WeComAPIError) as bad_key:
        client.webhook_send("unknown-key", {"msgtype": "text", "text": {"content": "x"}})
    assert bad_key.value.errcode == 93000


def test_contacts(client: WeComClient) -> None:
    departments = {d["id"]: d for d in client.list_departments()}
    assert departments[2]["department_leader"] == ["wanglei"] and departments[3]["parentid"] == 2
    assert [d["id"] for d in client.list_departments(2)] == [2, 3]
    users = {u["userid"]: u for u in client.list_users(2)}
    assert set(users) == {"wanglei", "zhangsan"}
    assert users["zhangsan"]["department"] == [2, 3]
    assert users["zhangsan"]["is_leader_in_dept"] == [0, 1]
    assert users["zhangsan"]["direct_leader"] == ["wanglei"]
    assert "lisi" in {u["userid"] for u in client.list_users(2, fetch_child=True)}
    with pytest.raises(WeComAPIError) as exc:
        client.list_users(999)
    assert exc.value.errcode == 60003


def test_getuserinfo_code_is_single_use_and_expires(
    fake: FakeWeCom, client: WeComClient, clock: ManualClock
) -> None:
    code = fake.issue_oauth_code("zhangsan")
    assert client.get_user_info(code) == {"userid": "zhangsan"}
    with pytest.raises(WeComAPIError) as exc:
        client.get_user_info(code)
    assert exc.value.errcode == 40029
    late = fake.issue_oauth_code("lisi")
    clock.advance(301)
    with pytest.raises(WeComAPIError):
        client.get_user_info(late)


def test_update_arguments_are_checked_locally(client: WeComClient) -> None:
    with pytest.raises(ValueError):
        client.update_template_card("code", card_json={}, replace_name="x", atall=True)
    with pytest.raises(ValueError):
        client.update_template_card("code", replace_name="x")
    assert issubclass(RetryLater, WeComError)


@pytest.mark.parametrize(("kind", "limit"), [("chat", 2048), ("webhook", 4096)])
def test_long_markdown_to_groups_is_cut_to_the_documented_size(
    fake: FakeWeCom, client: WeComClient, kind: str, limit: int
) -> None:
    """#18 pt 7: markdown to an app group chat ≤ 2,048 bytes, to a group robot ≤ 4,096 bytes;
    a leaderboard longer than that arrives cut with an ellipsis instead of being refused."""
    from datetime import UTC, datetime

    from bot.wecom.channel import WeComChannel
    from domain.models import OutboxMessage

    fake.add_appchat("chat-sales", ["zhangsan", "lisi"])
    key = fake.add_webhook()
    target = "chat-sales" if kind == "chat" else key  # teams.wecom_webhook_key
    now = datetime.now(UTC)
    row = OutboxMessage(
        dedupe_key="k", platform="wecom", next_attempt_at=now, created_at=now,
        target_kind=kind, target=target, msg_type="markdown", payload={"content": "**本周排行**\n" + "张伟 ¥1,000\n" * 600},
    )
    WeComChannel(client, "https://sales.example.com").deliver(None, row, now)  # type: ignore[arg-type]
    [sent] = fake.appchat_messages("chat-sales") if kind == "chat" else fake.webhook_messages(key)
    content = sent.body["content"]
    assert len(content.encode("utf-8")) <= limit and len(content.encode("utf-8")) > limit - 16
    assert content.startswith("**本周排行**") and content.endswith("…")
