"""Issue #16: with several open opportunities on the customer, the submitter chooses on the card.

张伟 has two open deals with 苏州精工. His submitted contract's card offers both and 新建商机;
his choice re-links the contract before approval, and the approval marks the chosen one 成交.
On WeCom and DingTalk (tests/e2e/chat_platforms.py), SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.models import Contract, Opportunity, Stage, User
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from tests.e2e.chat_platforms import PLATFORMS, CardView, ChatPlatform, open_platform, said

MINE = "我的合同"


@pytest.fixture(params=PLATFORMS)
def chat(request: pytest.FixtureRequest, db_url: str) -> Iterator[ChatPlatform]:
    with open_platform(request.param, db_url) as platform:
        yield platform


def _two_deals(chat: ChatPlatform) -> tuple[int, int]:
    with UnitOfWork(chat.db, chat.clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert zhang is not None
        customer = create_customer(uow, "苏州精工机械有限公司", owner=zhang, aliases=["苏州精工"])
        first = create_opportunity(uow, customer, zhang, amount=Decimal(380000), stage=Stage.NEGOTIATION)
        second = create_opportunity(
            uow, customer, zhang, name="苏州精工机械有限公司 二期扩容", amount=Decimal(120000), stage=Stage.EVALUATION
        )
        uow.commit()
        return first.id, second.id


def _mine(chat: ChatPlatform, person: str) -> CardView:
    cards: list[CardView] = chat.wait_until(lambda: chat.cards(person, MINE), what="张伟's own card")
    return cards[0]


def _options(card: CardView) -> dict[str, str]:
    """Option text → id of the card's 记入商机 choice, on either platform."""
    raw = card.raw
    if "button_selection" in raw:  # WeCom
        return {o["text"]: o["id"] for o in raw["button_selection"]["option_list"]}
    import json

    options = json.loads(raw.get("sel1_options") or "[]")
    # the option text is plain, or per locale ({"zh_CN": …}) as DingTalk's template export has it
    return {(o["text"]["zh_CN"] if isinstance(o["text"], dict) else o["text"]): o["value"] for o in options}


def _contract(chat: ChatPlatform) -> Contract:
    with chat.db.sessions() as s:
        contract = s.scalars(select(Contract)).one()
        s.expunge(contract)
        return contract


def test_the_submitter_chooses_the_opportunity_and_the_approval_wins_that_one(chat: ChatPlatform) -> None:
    first, second = _two_deals(chat)
    zhang, li = chat.person("zhangwei"), chat.person("lina")
    chat.send_text(zhang, "提交合同 苏州精工 28万")
    mine = _mine(chat, zhang)
    options = _options(mine)
    assert list(options) == ["商机·谈判 38万", "二期扩容·评估 12万", "新建商机"]
    assert "改记所选商机" in mine.buttons and mine.buttons[:2] == ["催办", "撤回"]
    linked = _contract(chat).opportunity_id
    assert linked in (first, second)

    chat.tap(zhang, mine, "改记所选商机", selected={"opportunity": options["二期扩容·评估 12万"]})
    chat.wait_until(lambda: "二期扩容" in (c := chat.cards(zhang, MINE)[0]).quote and c, what="the card names it")
    assert _contract(chat).opportunity_id == second
    assert chat.texts(zhang) == []  # the card changed; no extra message

    approval = chat.wait_until(lambda: chat.cards(li, "合同审批"), what="李娜's card")[0]
    chat.tap(li, approval, "同意")
    said(chat, zhang, "已全部审批通过")
    with chat.db.sessions() as s:
        stages = {o.id: (o.stage, o.amount) for o in s.scalars(select(Opportunity))}
    assert stages[second][0] == Stage.WON and stages[first] == (Stage.NEGOTIATION, Decimal("380000.00"))
    final = chat.cards(zhang, MINE)[0]
    assert final.buttons == [] and (final.decided or "").startswith("已批准")  # no choice left after approval


def test_new_opportunity_from_the_card(chat: ChatPlatform) -> None:
    first, second = _two_deals(chat)
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "提交合同 苏州精工 28万")
    mine = _mine(chat, zhang)
    chat.tap(zhang, mine, "改记所选商机", selected={"opportunity": _options(mine)["新建商机"]})
    chat.wait_until(lambda: "合同」" in chat.cards(zhang, MINE)[0].quote, what="the card names the new one")
    contract = _contract(chat)
    assert contract.opportunity_id not in (first, second)
    with chat.db.sessions() as s:
        opp = s.get(Opportunity, contract.opportunity_id)
        assert opp is not None and opp.name == "苏州精工机械有限公司 合同" and opp.amount == Decimal("280000.00")
        assert opp.stage == Stage.NEGOTIATION
    assert len(_options(chat.cards(zhang, MINE)[0])) == 4  # three of his deals now, plus 新建商机


def test_one_open_opportunity_asks_nothing(chat: ChatPlatform) -> None:
    with UnitOfWork(chat.db, chat.clock) as uow:
        zhang_user = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert zhang_user is not None
        create_opportunity(uow, create_customer(uow, "苏州精工机械有限公司", owner=zhang_user, aliases=["苏州精工"]), zhang_user)
        uow.commit()
    zhang = chat.person("zhangwei")
    chat.send_text(zhang, "提交合同 苏州精工 28万")
    mine = _mine(chat, zhang)
    assert mine.buttons == ["催办", "撤回"] and _options(mine) == {}
