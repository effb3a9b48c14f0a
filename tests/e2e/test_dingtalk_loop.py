"""The whole DingTalk loop through the fake: signed callback in, inbox, handler, outbox, DingTalk API out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.fakes.dingtalk_server import CardNotClickable
from domain.clock import BUSINESS_TZ
from domain.models import InboxEvent, OutboxMessage, User, Visit
from domain.services.customers import create_customer
from domain.uow import UnitOfWork
from handlers.commands import CARD_EXPIRED, UNKNOWN_SENDER
from handlers.quotes import RECEIVED
from tests.e2e.dingtalk_stack import STRANGER, WANG, ZHANG, DingTalkStack, dingtalk_stack

# Wednesday 2026-11-25 15:00 in Shanghai, like the WeCom visit tests.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)


@pytest.fixture
def stack(db_url: str) -> Iterator[DingTalkStack]:
    with dingtalk_stack(db_url) as s:
        yield s


def _count(stack: DingTalkStack, model, *where) -> int:
    with stack.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _buttons(card: dict[str, str]) -> dict[str, str]:
    """Text → action of the live buttons, read the way the template does (btnN_* slots)."""
    return {card[f"btn{n}_text"]: card[f"btn{n}_action"] for n in range(1, 7) if card.get(f"btn{n}_text")}


def test_help_gets_the_help_card(stack: DingTalkStack) -> None:
    r = stack.driver.send_text(ZHANG, "帮助")
    assert r.status_code == 200 and r.json() == {}
    card = stack.wait_until(lambda: stack.cards_of(ZHANG), what="help card")[0].card
    assert card["title"] == "销售助手可以帮你" and card["subtitle"] == "张伟，你好！"
    assert list(_buttons(card)) == ["记拜访", "拍报价单", "提交合同", "我的待办"]
    assert card["decided"] == "false" and card["interactive"] == "true"
    assert json.loads(card["fields"])[0] == {"label": "记拜访", "text": "发一句话：今天拜访华为张总…"}
    [created] = [r for r in stack.fake.requests if r.path.endswith("createAndDeliver")]
    assert created.json["openSpaceId"] == f"dtv1.card//IM_ROBOT.{ZHANG}"
    assert created.json["callbackType"] == "HTTP" and created.json["callbackRouteKey"] == "salesbot"


def test_a_group_message_with_the_at_mention_is_understood(stack: DingTalkStack) -> None:
    stack.fake.add_group("cidSalesTeam01==", [ZHANG, WANG])
    stack.driver.send_text(ZHANG, "帮助", conversation_id="cidSalesTeam01==")
    stack.wait_until(lambda: stack.cards_of(ZHANG), what="help card")


def test_a_visit_is_logged_confirmed_and_undone_by_tapping_the_card(stack: DingTalkStack) -> None:
    stack.clock.set(NOW)
    with UnitOfWork(stack.db, stack.clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert zhang is not None
        create_customer(uow, "苏州精工机械有限公司", owner=zhang)
        uow.commit()
    stack.driver.send_text(ZHANG, "今天拜访苏州精工王总，谈了报价")
    message = stack.wait_until(lambda: stack.cards_of(ZHANG), what="visit card")[-1]
    card = message.card
    assert card["title"] == "已记录拜访"
    fields = {f["label"]: f["text"] for f in json.loads(card["fields"])}
    assert fields["客户"] == "苏州精工机械有限公司" and fields["联系人"].startswith("王总")
    assert "**客户**：苏州精工机械有限公司" in card["markdown"]
    with stack.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 1

    undo = _buttons(card)["撤销"]
    r = stack.driver.tap_card(ZHANG, message.out_track_id, undo)
    assert r.status_code == 200 and r.json() == {}
    stack.wait_until(lambda: "已撤销这条拜访记录。" in stack.texts_of(ZHANG), what="undo reply")
    instance = stack.wait_until(
        lambda: stack.fake.cards[message.out_track_id].version >= 1 and stack.fake.cards[message.out_track_id],
        what="card update",
    )
    now_seen = instance.view_for(ZHANG)
    assert now_seen["decided"] == "true" and now_seen["status"] == "已撤销"
    assert now_seen["title"] == "已记录拜访" and _buttons(now_seen) == {}
    [update] = [r for r in stack.fake.requests if r.method == "PUT" and r.path == "/v1.0/card/instances"]
    assert update.json["cardUpdateOptions"]["updateCardDataByKey"] is True and "privateData" not in update.json
    with stack.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 0
    with pytest.raises(CardNotClickable):  # a decided card has no buttons left, for anyone
        stack.fake.click_card(ZHANG, message.out_track_id, undo)


def test_a_retried_callback_is_processed_once(stack: DingTalkStack) -> None:
    message = stack.driver.text_message(ZHANG, "你好", msg_id="msgRetry0001==")
    for _ in range(3):
        assert stack.driver.send_message(message).status_code == 200
    stack.wait_until(lambda: stack.cards_of(ZHANG), what="reply")
    stack.wait_until(lambda: _count(stack, InboxEvent, InboxEvent.status == "done") == 1, what="processed")
    assert _count(stack, InboxEvent) == 1
    assert len(stack.seen_by(ZHANG)) == 1
    assert _count(stack, OutboxMessage) == 1


def test_a_picture_reaches_the_quote_photo_handler(stack: DingTalkStack) -> None:
    r = stack.driver.send_picture(ZHANG, b"\xff\xd8\xff\xe0fakejpeg")
    assert r.status_code == 200
    stack.wait_until(lambda: RECEIVED in stack.texts_of(ZHANG), what="photo acknowledged")
    with stack.db.sessions() as s:
        event = s.scalar(select(InboxEvent))
        assert event is not None and event.kind == "image" and event.payload["media_id"].startswith("mIof")


def test_the_wecom_style_helpers_work_too(stack: DingTalkStack) -> None:
    """Scenario tests written for WeCom use add_media/send_image and InboxMessage.task_id."""
    media_id = stack.fake.add_media(b"\xff\xd8\xff\xe0fakejpeg", "image/jpeg")
    stack.driver.send_image(ZHANG, media_id)
    stack.wait_until(lambda: RECEIVED in stack.texts_of(ZHANG), what="photo acknowledged")
    stack.driver.send_text(ZHANG, "help")
    card = stack.wait_until(lambda: stack.cards_of(ZHANG), what="help card")[0]
    assert card.task_id == card.out_track_id and card.task_id
    stack.driver.tap_card(ZHANG, card.task_id, "help:visit")
    stack.wait_until(lambda: any("直接发一句话" in t for t in stack.texts_of(ZHANG)), what="hint")
    seen = stack.wait_until(lambda: stack.cards_of(ZHANG)[0].card_version >= 1 and stack.cards_of(ZHANG)[0].card, what="update")
    assert seen["status"] == "已选择：记拜访" and seen["decided"] == "true"


def test_the_quote_photo_job_downloads_the_picture_by_its_download_code(stack: DingTalkStack) -> None:
    channel = stack.runtime.channels["dingtalk"]
    code = stack.fake.add_file(b"\x89PNG\r\n\x1a\nquote-photo", "image/png")
    assert channel.download(code) == b"\x89PNG\r\n\x1a\nquote-photo"
    assert [r.path for r in stack.fake.requests][-1] == "/v1.0/robot/messageFiles/download"


def test_unknown_sender_gets_one_polite_reply_per_day(stack: DingTalkStack) -> None:
    for text in ("你好", "在吗"):
        stack.driver.send_text(STRANGER, text)
    stack.wait_until(lambda: _count(stack, InboxEvent, InboxEvent.status == "done") == 2, what="processed")
    stack.wait_until(lambda: stack.texts_of(STRANGER), what="notice")
    assert stack.texts_of(STRANGER) == [UNKNOWN_SENDER]


def test_a_tap_on_a_card_we_do_not_know_says_it_has_expired(stack: DingTalkStack) -> None:
    body = json.dumps(stack.driver.card_callback(ZHANG, "no-such-card", "approve"))
    r = stack.driver.post_card(body.encode(), stack.driver.robot_headers())
    assert r.status_code == 200
    stack.wait_until(lambda: CARD_EXPIRED in stack.texts_of(ZHANG), what="stale card reply")


def test_unsupported_messages_are_acknowledged_and_stored_without_a_reply(stack: DingTalkStack) -> None:
    audio = stack.driver.robot_message(ZHANG, "audio", {"content": {"downloadCode": "x", "recognition": "你好"}})
    assert stack.driver.send_message(audio).status_code == 200
    stack.wait_until(lambda: _count(stack, InboxEvent, InboxEvent.status == "done") == 1, what="processed")
    with stack.db.sessions() as s:
        event = s.scalar(select(InboxEvent))
        assert event is not None and event.kind == "other" and event.payload["raw_type"] == "audio"


def test_event_subscription_url_check_and_org_events(stack: DingTalkStack) -> None:
    status, plain = stack.driver.check_url()
    assert (status, plain) == (200, "success")
    assert _count(stack, InboxEvent) == 0  # the URL check is answered, not stored
    r = stack.driver.send_event("user_leave_org", UserId=[WANG])
    assert r.status_code == 200 and stack.driver.last_event_reply == "success"
    stack.driver.post_event(*stack.driver.event_envelope({"EventType": "user_leave_org", "TimeStamp": "1", "UserId": [WANG]}))
    stack.driver.post_event(*stack.driver.event_envelope({"EventType": "user_leave_org", "TimeStamp": "1", "UserId": [WANG]}))
    with stack.db.sessions() as s:
        rows = list(s.scalars(select(InboxEvent).order_by(InboxEvent.id)))
    assert len(rows) == 2  # the same push twice is one event
    assert rows[0].payload["raw_type"] == "event:user_leave_org"
    assert rows[0].payload["dingtalk_event"]["user_ids"] == [WANG]


def test_busy_platform_is_retried_and_permanent_errors_are_recorded(stack: DingTalkStack) -> None:
    from datetime import timedelta

    stack.fake.fail_next("/v1.0/card/instances/createAndDeliver", 429, "Forbidden.AccessDenied.QpsLimitForApi")
    stack.driver.send_text(ZHANG, "帮助")
    stack.wait_until(lambda: _count(stack, OutboxMessage, OutboxMessage.last_errcode == 429) == 1, what="backoff")
    assert stack.cards_of(ZHANG) == []
    stack.clock.advance(timedelta(seconds=10))
    stack.wait_until(lambda: stack.cards_of(ZHANG), what="delivery after backoff")

    stack.fake.fail_next("/v1.0/robot/oToMessages/batchSend", 400, "invalidParameter")
    stack.driver.send_text(ZHANG, "asdfgh")  # a hint as text
    stack.wait_until(lambda: _count(stack, OutboxMessage, OutboxMessage.status == "failed") == 1, what="failure")
    with stack.db.sessions() as s:
        failed = s.scalar(select(OutboxMessage).where(OutboxMessage.status == "failed"))
        assert failed is not None and failed.last_errcode == 400 and "invalidParameter" in (failed.last_error or "")


def test_pictures_markdown_and_cards_reach_people_groups_and_robots(stack: DingTalkStack) -> None:
    from domain.models import Team
    from handlers.replies import Replies, Target

    png = b"\x89PNG\r\n\x1a\n" + b"chart-bytes" * 20
    stack.fake.add_group("cidTeamChat01==", [ZHANG, WANG])
    robot = stack.fake.add_webhook(secret="SECfake0123456789", keywords=["排行榜"])
    with UnitOfWork(stack.db, stack.clock) as uow:
        team = uow.session.scalar(select(Team).where(Team.name == "华东销售一部"))
        assert team is not None
        team.dingtalk_webhook_url, team.dingtalk_webhook_secret = robot, "SECfake0123456789"
        replies = Replies(uow.session, stack.clock, "job:test")
        replies.image(Target("dingtalk", "user", WANG), png, "排行榜.png")
        replies.markdown(Target("dingtalk", "chat", "cidTeamChat01=="), "**上周排行榜**\n1. 张伟")
        replies.image(Target("dingtalk", "chat", "cidTeamChat01=="), png)
        replies.markdown(Target("dingtalk", "webhook", robot), "### 上周排行榜\n1. 张伟")
        uow.commit()
    stack.runtime_worker_wake()
    stack.wait_until(lambda: len(stack.fake.webhook_messages(robot)) == 1, what="robot message")
    stack.wait_until(lambda: len(stack.fake.group_messages("cidTeamChat01==")) == 2, what="group messages")
    image = stack.wait_until(lambda: [m for m in stack.seen_by(WANG) if m.msgtype == "image"], what="picture")[0]
    assert image.body["photoURL"].startswith("@lADP")
    [markdown, picture] = stack.fake.group_messages("cidTeamChat01==")
    assert markdown.body == {"title": "上周排行榜", "text": "**上周排行榜**\n1. 张伟"}
    assert picture.msgtype == "image"
    assert stack.fake.webhook_messages(robot)[0].body["title"] == "上周排行榜"
    # The fake records a message before the worker commits "sent": wait for the last commit.
    stack.wait_until(lambda: _count(stack, OutboxMessage, OutboxMessage.status == "sent") == 4, what="all 4 sent")
