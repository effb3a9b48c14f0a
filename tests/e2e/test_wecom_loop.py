"""The whole WeCom loop through the fake: callback in, inbox, handler, outbox, platform API out."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.fakes.wecom_server import CardNotClickable
from domain.models import InboxEvent, OutboxMessage
from handlers.commands import CARD_EXPIRED, UNKNOWN_SENDER
from handlers.quotes import RECEIVED, UNREADABLE
from tests.e2e.wecom_stack import WeComStack, wecom_stack


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        yield s


def _count(stack: WeComStack, model, *where) -> int:
    with stack.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_url_verification_answers_the_plaintext(stack: WeComStack) -> None:
    status, body = stack.driver.verify_url()
    assert status == 200 and body == stack.driver.last_echo_plaintext


def test_a_message_in_gets_the_help_card_out(stack: WeComStack) -> None:
    r = stack.driver.send_text("ZhangWei", "你好")
    assert r.status_code == 200 and r.text == ""
    cards = stack.wait_until(lambda: stack.cards_of("ZhangWei"), what="help card")
    card = cards[0].card
    assert card["main_title"]["title"] == "销售助手可以帮你"
    assert [b["text"] for b in card["button_list"]] == ["记拜访", "拍报价单", "我的待办"]


def test_tapping_the_card_updates_it_for_everyone_and_answers(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "help")
    card_msg = stack.wait_until(lambda: stack.cards_of("ZhangWei"), what="help card")[0]
    task_id = card_msg.card["task_id"]
    stack.driver.tap_card("ZhangWei", task_id, "help:visit")
    stack.wait_until(lambda: any("直接发一句话" in t for t in stack.texts_of("ZhangWei")), what="hint")
    copy = stack.wait_until(lambda: stack.fake.cards[task_id]["ZhangWei"].version >= 1, what="card update")
    copy = stack.fake.cards[task_id]["ZhangWei"]
    assert copy.card["replace_text"] == "已选择：记拜访" and copy.greyed_out
    assert copy.card["main_title"]["title"] == "销售助手可以帮你"  # same card, now decided
    update = [r for r in stack.fake.requests if r.path.endswith("update_template_card")]
    assert len(update) == 1 and update[0].json["atall"] == 1
    with pytest.raises(CardNotClickable):  # a decided card cannot be tapped again, as in WeCom
        stack.fake.click_card("ZhangWei", task_id, "help:quote")


def test_the_same_callback_four_times_is_one_event_and_one_reply(stack: WeComStack) -> None:
    xml = stack.driver.text_xml("ZhangWei", "你好", "77777777")
    body, params = stack.driver.envelope(xml)
    for _ in range(4):
        assert stack.driver.post_envelope(body, params).status_code == 200
    stack.wait_until(lambda: stack.cards_of("ZhangWei"), what="reply")
    stack.wait_until(lambda: _count(stack, InboxEvent, InboxEvent.status == "done") == 1, what="processed")
    assert _count(stack, InboxEvent) == 1
    assert len(stack.seen_by("ZhangWei")) == 1


def test_fifty_messages_in_one_second_are_all_processed_and_paced(stack: WeComStack) -> None:
    for i in range(50):
        assert stack.driver.send_text("ZhangWei", f"第{i}条", msg_id=f"5000{i:03d}").status_code == 200
    stack.wait_until(
        lambda: _count(stack, InboxEvent, InboxEvent.status == "done") == 50, timeout=30, what="50 processed"
    )
    stack.wait_until(lambda: len(stack.seen_by("ZhangWei")) >= 29, timeout=30, what="first minute's replies")
    assert len(stack.seen_by("ZhangWei")) == 29  # WeCom drops past 30/min: we hold the rest back
    assert stack.fake.dropped == []
    stack.clock.advance(timedelta(seconds=61))
    stack.wait_until(lambda: len(stack.seen_by("ZhangWei")) == 50, timeout=30, what="the rest after a minute")
    assert stack.fake.dropped == []
    # The fake shows a message the moment WeCom accepts it; the worker records "sent" just after.
    stack.wait_until(lambda: _count(stack, OutboxMessage, OutboxMessage.status == "sent") == 50, what="all sent")


def test_unknown_sender_gets_one_polite_reply_per_day(stack: WeComStack) -> None:
    for text in ("你好", "在吗", "记拜访"):
        stack.driver.send_text("Stranger", text)
    stack.wait_until(lambda: _count(stack, InboxEvent, InboxEvent.status == "done") == 3, what="processed")
    stack.wait_until(lambda: stack.texts_of("Stranger"), what="notice")
    assert stack.texts_of("Stranger") == [UNKNOWN_SENDER]


def test_image_and_stale_card_replies(stack: WeComStack) -> None:
    media_id = stack.fake.add_media(b"\xff\xd8\xff\xe0fakejpeg", "image/jpeg")
    stack.driver.send_image("LiuYang", media_id)
    stack.wait_until(lambda: RECEIVED in stack.texts_of("LiuYang"), what="image acknowledged")
    stack.wait_until(
        lambda: UNREADABLE["corrupt"] in stack.texts_of("LiuYang"), what="broken photo explained"
    )
    stack.driver.tap_card("LiuYang", "no-such-card", "approve", response_code="code-from-an-old-card")
    stack.wait_until(lambda: CARD_EXPIRED in stack.texts_of("LiuYang"), what="stale card reply")


def test_busy_platform_is_retried_and_permanent_errors_are_recorded(stack: WeComStack, db_url: str) -> None:
    import os
    import subprocess
    import sys

    stack.fake.fail_next("/cgi-bin/message/send", 45009)  # frequency limit: back off, then deliver
    stack.driver.send_text("ZhangWei", "你好")
    stack.wait_until(
        lambda: _count(stack, OutboxMessage, OutboxMessage.last_errcode == 45009) == 1, what="backoff"
    )
    assert stack.cards_of("ZhangWei") == []
    stack.clock.advance(timedelta(seconds=10))
    stack.wait_until(lambda: stack.cards_of("ZhangWei"), what="delivery after backoff")

    stack.fake.fail_next("/cgi-bin/message/send", 60020)  # trusted-IP misconfiguration: permanent
    stack.driver.send_text("LiuYang", "你好")
    stack.wait_until(
        lambda: _count(stack, OutboxMessage, OutboxMessage.status == "failed") == 1, what="failure"
    )
    env = {**os.environ, "SALESBOT_DATABASE_URL": db_url}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "outbox", "list", "--failed"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    assert "failed" in out and "wecom:user:LiuYang" in out and "errcode=60020" in out and "企业可信IP" in out


def test_pictures_and_markdown_reach_people_chats_and_robots(stack: WeComStack) -> None:
    from domain.uow import UnitOfWork
    from handlers.replies import Replies, Target

    png = b"\x89PNG\r\n\x1a\n" + b"chart-bytes" * 20
    stack.fake.add_appchat("team-chat-1", ["LiNa", "ZhangWei"], owner="LiNa")
    robot = stack.fake.add_webhook()
    with UnitOfWork(stack.db, stack.clock) as uow:
        replies = Replies(uow.session, stack.clock, "job:test")
        replies.image(Target("wecom", "user", "LiNa"), png, "排行榜.png")
        replies.markdown(Target("wecom", "chat", "team-chat-1"), "**上周排行榜**")
        replies.image(Target("wecom", "chat", "team-chat-1"), png)
        replies.image(Target("wecom", "webhook", robot), png)
        uow.commit()
    stack.runtime_worker_wake()
    stack.wait_until(lambda: len(stack.fake.webhook_messages(robot)) == 1, what="robot picture")
    stack.wait_until(lambda: len(stack.fake.appchat_messages("team-chat-1")) == 2, what="chat messages")
    stack.wait_until(
        lambda: [m for m in stack.seen_by("LiNa") if m.msgtype == "image"], what="picture to LiNa"
    )
    # The row is marked sent after WeCom answered: wait for that commit too (it raced under load).
    stack.wait_until(lambda: _count(stack, OutboxMessage, OutboxMessage.status == "sent") == 4, what="rows sent")


def test_a_voice_message_gets_a_polite_hint_and_a_menu_event_gets_nothing(stack: WeComStack) -> None:
    xml = stack.driver._xml(
        "ZhangWei", "voice", [("MediaId", "<![CDATA[voice-1]]>"), ("Format", "<![CDATA[amr]]>")], with_msg_id=True
    )
    stack.driver.post_raw(xml, user="ZhangWei")
    hint = stack.wait_until(
        lambda: next((t for t in stack.texts_of("ZhangWei") if "暂时还看不懂这种消息" in t), None), what="hint"
    )
    assert "请发文字或图片" in hint
    stack.driver.send_event("ZhangWei", "click", EventKey="menu_1")
    stack.driver.send_text("ZhangWei", "帮助")
    stack.wait_until(lambda: stack.cards_of("ZhangWei"), what="help card")
    assert len(stack.texts_of("ZhangWei")) == 1

