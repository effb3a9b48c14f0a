"""Quote photos through the fake WeCom: acknowledged, read by the real engine, confirmed or corrected."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.photos import store_from_settings
from domain.models import Contract, Opportunity, Quote, User
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from handlers.quotes import ALREADY, NOT_A_QUOTE, RECEIVED, UNREADABLE
from tests.e2e.wecom_stack import WeComStack, wecom_stack
from tests.ocr import make_quotes

SAMPLE = make_quotes.make_quote(3)
assert SAMPLE.truth is not None
TRUTH = SAMPLE.truth


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url) as s:
        with UnitOfWork(s.db, s.clock) as uow:
            zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
            assert zhang is not None
            customer = create_customer(uow, TRUTH.customer, owner=zhang)
            create_opportunity(uow, customer, zhang)
            uow.commit()
        yield s


def _review(stack: WeComStack) -> dict:
    card = stack.wait_until(
        lambda: [
            m
            for m in stack.cards_of("ZhangWei")
            if (m.card or m.body)["main_title"]["title"] == "报价单识别结果"
        ],
        timeout=60,
        what="review card",
    )[-1]
    return card.card or card.body


def _quotes(stack: WeComStack) -> list[Quote]:
    with stack.db.sessions() as s:
        return list(s.scalars(select(Quote).order_by(Quote.id)))


def test_photo_in_review_card_out_and_confirm_saves_quote(stack: WeComStack) -> None:
    media_id = stack.fake.add_media(SAMPLE.image, "image/jpeg")
    stack.driver.send_image("ZhangWei", media_id)
    stack.wait_until(lambda: RECEIVED in stack.texts_of("ZhangWei"), what="acknowledgement")
    card = _review(stack)
    fields = {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}
    assert fields["客户"] == TRUTH.customer
    assert fields["合计"] == f"¥{Decimal(TRUTH.total):,.2f}"
    assert "✓ 一致" in fields["大写"] and "✓ 一致" in fields["明细合计"]
    [draft] = _quotes(stack)
    assert draft.status == "draft"  # nothing final before the rep confirms
    stored = draft.extracted["photo"]["stored"]  # kept by us: WeCom's media lasts 3 days (issue #19)
    assert store_from_settings(stack.runtime.settings.photo_dir).get(stored) == SAMPLE.image
    confirm = next(b["key"] for b in card["button_list"] if b["text"] == "确认")
    stack.driver.tap_card("ZhangWei", card["task_id"], confirm)
    stack.wait_until(
        lambda: any(t.startswith("报价单已保存") for t in stack.texts_of("ZhangWei")), what="saved"
    )
    [quote] = _quotes(stack)
    assert quote.status == "confirmed" and quote.total == Decimal(TRUTH.total)
    with stack.db.sessions() as s:
        q = s.get(Quote, quote.id)
        assert q is not None and len(q.lines) == len(TRUTH.lines) and q.opportunity_id is not None
        opp = s.get(Opportunity, q.opportunity_id)
        assert opp is not None and opp.amount == Decimal(TRUTH.total)  # the amount follows the quote
    # The confirmed card now offers 提交审批: one tap submits the contract for approval.
    confirmed = stack.wait_until(
        lambda: (c := stack.fake.cards[card["task_id"]]["ZhangWei"].card)
        and [b["text"] for b in c["button_list"]] == ["提交审批"]
        and c,
        what="confirmed card",
    )
    assert confirmed["main_title"]["desc"].startswith("已确认保存")
    stack.driver.tap_card("ZhangWei", card["task_id"], confirmed["button_list"][0]["key"])
    stack.wait_until(lambda: stack.fake.cards[card["task_id"]]["ZhangWei"].greyed_out, what="card decided")
    assert stack.fake.cards[card["task_id"]]["ZhangWei"].card["replace_text"].startswith("已提交审批 · HT-")
    stack.wait_until(
        lambda: any((m.card or m.body)["main_title"]["title"].startswith("我的合同") for m in stack.cards_of("ZhangWei")),
        what="the submitter's card for the contract",
    )
    with stack.db.sessions() as s:
        contract = s.scalar(select(Contract))
        assert contract is not None and contract.quote_id == quote.id and contract.amount == quote.total


def test_edit_corrects_the_total_and_the_same_photo_twice_is_one_quote(stack: WeComStack) -> None:
    media_id = stack.fake.add_media(SAMPLE.image, "image/jpeg")
    stack.driver.send_image("ZhangWei", media_id)
    card = _review(stack)
    stack.driver.tap_card(
        "ZhangWei", card["task_id"], next(b["key"] for b in card["button_list"] if b["text"] == "修改")
    )
    stack.wait_until(lambda: any("合计改成" in t for t in stack.texts_of("ZhangWei")), what="edit hint")
    stack.driver.send_text("ZhangWei", "合计改成 123456")
    stack.wait_until(lambda: _quotes(stack)[0].total == Decimal("123456"), what="corrected")
    stack.wait_until(
        lambda: "¥123,456.00" in str(stack.fake.cards[card["task_id"]]["ZhangWei"].card), what="card shows it"
    )
    # 「合计改成10万」 is ¥100,000.00 (never ¥10.00), and the checks are recomputed for the new total.
    stack.driver.send_text("ZhangWei", "合计改成10万")
    stack.wait_until(lambda: _quotes(stack)[0].total == Decimal("100000.00"), what="corrected to 10万")

    def corrected_fields() -> dict[str, str] | None:
        shown = stack.fake.cards[card["task_id"]]["ZhangWei"].card
        fields = {f["keyname"]: f["value"] for f in shown["horizontal_content_list"]}
        return fields if fields["合计"] == "¥100,000.00" else None

    fields = stack.wait_until(corrected_fields, what="card shows ¥100,000.00")
    assert "✗ 不一致" in fields["大写"] and "✗ 不一致" in fields["明细合计"]  # the OCR'd 大写 and lines disagree now
    again = stack.fake.add_media(SAMPLE.image, "image/jpeg")
    stack.driver.send_image("ZhangWei", again)
    stack.wait_until(lambda: ALREADY in stack.texts_of("ZhangWei"), timeout=60, what="duplicate photo")
    assert len(_quotes(stack)) == 1


HARD = {s.kind: s.image for s in make_quotes.make_hard_cases()}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("garbage", UNREADABLE["not_an_image"]),
        ("thumbnail", UNREADABLE["too_small"]),
        ("non_quote", NOT_A_QUOTE),
    ],
)
def test_photos_that_are_not_quotes_get_a_clear_reply_and_nothing_is_saved(
    stack: WeComStack, kind: str, expected: str
) -> None:
    stack.driver.send_image("ZhangWei", stack.fake.add_media(HARD[kind], "image/jpeg"))
    stack.wait_until(lambda: expected in stack.texts_of("ZhangWei"), timeout=60, what=f"reply to {kind}")
    with stack.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Quote)) == 0
