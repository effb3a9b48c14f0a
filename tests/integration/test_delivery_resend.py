"""A send whose answer was lost is resent without showing twice (issue #19, point 9).

The fake WeCom takes the send but loses its answer (HTTP 504, as on a timeout
or a crash before the row is marked sent); the deliverer retries. Texts are
resent with WeCom's duplicate check, so the member sees one; a resent card
gets 42014 (its task_id is used), which proves the first send arrived: the
row ends ``sent``, not ``failed`` (no false alarm in ``outbox list --failed``).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.delivery import Deliverer
from bot.fakes.wecom_server import AppConfig, FakeWeCom, ManualClock, User
from bot.tokens import MemoryTokenStore
from bot.wecom.channel import WeComChannel
from bot.wecom.client import WeComClient
from cards.model import Button, Card
from cards.serialize import card_to_dict
from domain.clock import FixedClock
from domain.db import Database
from domain.models import OutboxMessage
from domain.services import outbox

APP = AppConfig(corp_id="ww_resend", corpsecret="secret", agent_id=1000002)
START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SEND = "/cgi-bin/message/send"


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, "PNG")
    return buf.getvalue()


PNG = _png()


@pytest.fixture
def fake_clock() -> ManualClock:
    return ManualClock(START.timestamp())


@pytest.fixture
def fake(fake_clock: ManualClock) -> Iterator[FakeWeCom]:
    server = FakeWeCom([APP], clock=fake_clock)
    server.add_user(User("LiNa", "李娜", department=[1]))
    with server:
        yield server


def _channel(fake: FakeWeCom, fake_clock: ManualClock) -> WeComChannel:
    client = WeComClient(fake.base_url, APP.corp_id, APP.corpsecret, APP.agent_id, MemoryTokenStore(), clock=fake_clock)
    return WeComChannel(client, default_url="http://h5.test")


def _run(
    db: Database, fake: FakeWeCom, fake_clock: ManualClock, seconds: int, lease: timedelta = outbox.SEND_LEASE
) -> None:
    clock = FixedClock(START)
    deliverer = Deliverer(db, {"wecom": _channel(fake, fake_clock)}, clock, lease=lease)
    for second in range(seconds):
        clock.set(START + timedelta(seconds=second))
        fake_clock.advance(START.timestamp() + second - fake_clock())
        deliverer.run_once()


def _rows(db: Database) -> list[tuple[str, int | None]]:
    with db.sessions() as s:
        return [(r.status, r.last_errcode) for r in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_a_text_whose_answer_was_lost_is_shown_once(db: Database, fake: FakeWeCom, fake_clock: ManualClock) -> None:
    with db.sessions() as s:
        for i in range(2):  # the same words twice on purpose: both are shown
            outbox.enqueue(s, dedupe_key=f"t{i}", platform="wecom", target_kind="user", target="LiNa",
                           msg_type="text", payload={"content": "收到报价单照片，正在识别…"}, now=START)  # fmt: skip
        s.commit()
    fake.lose_next_answer(SEND)
    _run(db, fake, fake_clock, 20)
    assert [m.content for m in fake.inbox_of("LiNa")] == ["收到报价单照片，正在识别…"] * 2
    assert [status for status, _ in _rows(db)] == ["sent", "sent"]


def test_a_row_for_a_platform_this_install_lacks_ends_failed_and_the_rest_goes_out(
    db: Database, fake: FakeWeCom, fake_clock: ManualClock
) -> None:
    """A WeCom-only install: 李娜's DingTalk copy of a notice can never go; her WeCom copy must."""
    with db.sessions() as s:
        outbox.enqueue(s, dedupe_key="n#1", platform="dingtalk", target_kind="user", target="lina_dt",
                       msg_type="text", payload={"content": "审批提醒"}, now=START)  # fmt: skip
        outbox.enqueue(s, dedupe_key="n#2", platform="wecom", target_kind="user", target="LiNa",
                       msg_type="text", payload={"content": "审批提醒"}, now=START)  # fmt: skip
        s.commit()
    _run(db, fake, fake_clock, 5)
    assert [m.content for m in fake.inbox_of("LiNa")] == ["审批提醒"]
    with db.sessions() as s:
        rows = {r.platform: r for r in s.scalars(select(OutboxMessage))}
        assert rows["wecom"].status == "sent"
        assert rows["dingtalk"].status == "failed" and "no dingtalk channel configured" in (rows["dingtalk"].last_error or "")
        assert rows["dingtalk"].attempts <= 1  # not retried every minute


def test_a_card_whose_answer_was_lost_ends_sent_not_failed(
    db: Database, fake: FakeWeCom, fake_clock: ManualClock
) -> None:
    card = Card(title="合同审批", card_id="appr-test-1", buttons=[Button("同意", "approval:approve:1")])
    with db.sessions() as s:
        outbox.enqueue(s, dedupe_key="c1", platform="wecom", target_kind="user", target="LiNa", msg_type="card",
                       payload={"card": card_to_dict(card)}, now=START, card_id=card.card_id)  # fmt: skip
        s.commit()
    fake.lose_next_answer(SEND)
    _run(db, fake, fake_clock, 20)
    assert [m.msgtype for m in fake.inbox_of("LiNa")] == ["template_card"]
    assert _rows(db) == [("sent", -1)]


def test_a_text_carrying_a_users_link_arrives_as_plain_characters(
    db: Database, fake: FakeWeCom, fake_clock: ManualClock
) -> None:
    # 催办 quotes the customer's name; WeCom renders <a href> in text messages (issue #19, point 6).
    text = '⏰ 张伟 催办合同 HT-1（<a href="http://evil.example">苏州精工</a>）'
    with db.sessions() as s:
        outbox.enqueue(s, dedupe_key="n1", platform="wecom", target_kind="user", target="LiNa",
                       msg_type="text", payload={"content": text}, now=START)  # fmt: skip
        s.commit()
    _run(db, fake, fake_clock, 2)
    [shown] = [m.content for m in fake.inbox_of("LiNa")]
    assert "<a" not in shown and "苏州精工" in shown and "＜a href" in shown


def _killed_mid_send(db: Database, fake: FakeWeCom, fake_clock: ManualClock, lease: timedelta) -> None:
    """A sender leases the only row, its send reaches WeCom, and the process dies before recording it."""
    with db.sessions() as s:
        row_id = s.scalar(select(OutboxMessage.id))
        assert row_id is not None
        row = outbox.claim(s, row_id, START, lease)
        assert row is not None
        _channel(fake, fake_clock).deliver(s, row, START)  # arrives; never marked sent (SIGKILL here)


@pytest.mark.parametrize(
    "msg_type, payload",
    [
        ("text", {"content": "已记录拜访：苏州精工"}),
        ("image", {"data_b64": base64.b64encode(PNG).decode(), "filename": "chart.png"}),
    ],
)
def test_a_send_cut_by_a_killed_sender_is_taken_over_and_shown_once(
    db: Database, fake: FakeWeCom, fake_clock: ManualClock, msg_type: str, payload: dict[str, str]
) -> None:
    lease = timedelta(seconds=5)  # SALESBOT_OUTBOX_LEASE_S
    with db.sessions() as s:
        outbox.enqueue(s, dedupe_key="k1", platform="wecom", target_kind="user", target="LiNa",
                       msg_type=msg_type, payload=payload, now=START)  # fmt: skip
        s.commit()
    _killed_mid_send(db, fake, fake_clock, lease)
    _run(db, fake, fake_clock, 3, lease)  # still leased to the dead sender: nobody resends yet
    with db.sessions() as s:
        assert s.scalar(select(OutboxMessage.status)) == "sending"
    _run(db, fake, fake_clock, 10, lease)  # the lease ran out: another sender takes it over
    assert [m.msgtype for m in fake.inbox_of("LiNa")] == [msg_type]  # WeCom's duplicate check: shown once
    with db.sessions() as s:
        row = s.scalar(select(OutboxMessage))
        assert row is not None and row.status == "sent" and row.attempts == 2
        assert row.last_error == outbox.TAKEN_OVER  # and the row says it was resent (`outbox list`)
