"""Deals that end right: whose contract it is, and what 成交 adds up to — through the fake WeCom.

The journey of issue #16 point 1: 张伟 submits a contract for 宝钢, a customer 刘洋
owns (刘洋 has a ¥950,000 opportunity there), and another for his own customer whose
opportunity was estimated at ¥380,000 but is signed at ¥216,000. After both are
approved, the expected numbers are computed here from the contracts alone (not with
the code under test), and the leaderboard, the dashboard page and 本周业绩 must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ
from domain.models import Contract, Customer, Opportunity, Stage, User
from domain.services.customers import create_customer
from domain.services.leaderboard import IsoWeek, find_team, team_leaderboard
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from tests.e2e.wecom_stack import WeComStack, wecom_stack

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=BUSINESS_TZ)  # a Tuesday
H5_SECRET = "h5-secret-for-deals-0123456789"


@pytest.fixture
def stack(db_url: str) -> Iterator[WeComStack]:
    with wecom_stack(db_url, h5_secret=H5_SECRET) as s:
        s.clock.set(NOW)
        with UnitOfWork(s.db, s.clock) as uow:
            users = {u.key: u for u in uow.session.scalars(select(User))}
            baosteel = create_customer(uow, "上海宝钢股份有限公司", owner=users["liuyang"], aliases=["宝钢"])
            create_opportunity(uow, baosteel, users["liuyang"], amount=Decimal("950000"), stage=Stage.NEGOTIATION)
            jinggong = create_customer(uow, "苏州精工机械有限公司", owner=users["zhangwei"], aliases=["苏州精工"])
            create_opportunity(uow, jinggong, users["zhangwei"], amount=Decimal("380000"), stage=Stage.NEGOTIATION)
            uow.commit()
        yield s


def _cards(stack: WeComStack, user: str, prefix: str) -> list[dict[str, Any]]:
    return [
        m.card or m.body for m in stack.cards_of(user) if (m.card or m.body)["main_title"]["title"].startswith(prefix)
    ]


def _approve_all(stack: WeComStack, chain: list[str], n: int) -> None:
    """Each approver taps 同意 on their n-th approval card."""
    for user in chain:
        card = stack.wait_until(lambda u=user: len(_cards(stack, u, "合同审批")) >= n and _cards(stack, u, "合同审批")[n - 1],
                                what=f"{user}'s card #{n}")
        key = next(b["key"] for b in card["button_list"] if b["text"] == "同意")
        stack.driver.tap_card(user, card["task_id"], key)
        stack.wait_until(lambda u=user, c=card: _is_decided(stack, u, c["task_id"]), what=f"{user} decided")


def _is_decided(stack: WeComStack, user: str, task_id: str) -> bool:
    record = stack.fake.cards.get(task_id)
    copy = record.copies.get(user) if record is not None else None
    return bool(copy is not None and copy.greyed_out)


def _said(stack: WeComStack, user: str, fragment: str) -> str:
    return stack.wait_until(
        lambda: next((t for t in stack.texts_of(user) if fragment in t), None), what=f"{user}: {fragment}"
    )


def _expected_won(stack: WeComStack, lo: datetime, hi: datetime) -> dict[str, Decimal]:
    """成交金额 per rep, computed straight from the approved contracts (independently of the reports)."""
    totals: dict[str, Decimal] = {}
    with stack.db.sessions() as s:
        for contract in s.scalars(select(Contract).where(Contract.status == "approved")):
            assert contract.decided_at is not None
            if lo <= contract.decided_at < hi:
                name = contract.submitter.name
                totals[name] = totals.get(name, Decimal(0)) + contract.amount
        for user in s.scalars(select(User).where(User.key.in_(["zhangwei", "liuyang"]))):
            totals.setdefault(user.name, Decimal(0))
    return {k: v.quantize(Decimal("0.01")) for k, v in totals.items()}


def test_a_contract_on_a_colleagues_customer_is_the_submitters_and_every_report_agrees(stack: WeComStack) -> None:
    # 1. 张伟 submits for 宝钢 (刘洋's customer): the card says whose customer it is.
    stack.driver.send_text("ZhangWei", "提交合同 宝钢 36.8万")
    mine = stack.wait_until(lambda: _cards(stack, "ZhangWei", "我的合同"), what="张伟's card")[0]
    fields = {f["keyname"]: f["value"] for f in mine["horizontal_content_list"]}
    assert fields["客户"] == "上海宝钢股份有限公司（刘洋 的客户）"
    assert fields["金额"] == "¥368,000.00"
    assert "记入你的商机「上海宝钢股份有限公司 合同」" in mine["quote_area"]["quote_text"]  # his own, created now
    approver_card = stack.wait_until(lambda: _cards(stack, "WangFang", "合同审批"), what="王芳's card")[0]
    assert "刘洋 的客户" in str(approver_card["horizontal_content_list"])
    _approve_all(stack, ["WangFang", "SunLi", "ZhouQiang"], 1)
    _said(stack, "ZhangWei", "已全部审批通过")

    # 2. His own customer: estimated ¥380,000, signed at ¥216,000 (typed as 21.6万).
    stack.clock.advance(timedelta(hours=1))
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 21.6万")
    stack.wait_until(lambda: len(_cards(stack, "ZhangWei", "我的合同")) == 2, what="张伟's second card")
    _approve_all(stack, ["LiNa"], 1)
    stack.wait_until(lambda: sum("已全部审批通过" in t for t in stack.texts_of("ZhangWei")) == 2, what="both approved")

    # The colleague's opportunity is untouched; 张伟's wins are on his own opportunities, at the signed amounts.
    with stack.db.sessions() as s:
        by_customer: dict[str, list[tuple[str, str, Decimal | None]]] = {}
        for opp in s.scalars(select(Opportunity).order_by(Opportunity.id)):
            by_customer.setdefault(opp.customer.name, []).append((opp.owner.name, opp.stage, opp.amount))
        assert by_customer["上海宝钢股份有限公司"] == [
            ("刘洋", Stage.NEGOTIATION, Decimal("950000.00")),
            ("张伟", Stage.WON, Decimal("368000.00")),
        ]
        assert by_customer["苏州精工机械有限公司"] == [("张伟", Stage.WON, Decimal("216000.00"))]
        for contract in s.scalars(select(Contract)):
            opp = s.get(Opportunity, contract.opportunity_id)
            assert opp is not None and opp.owner_id == contract.submitter_id
            assert s.get(Customer, contract.customer_id) is not None

    week = IsoWeek.containing(NOW)
    expected = _expected_won(stack, week.start, week.end)
    assert expected == {"张伟": Decimal("584000.00"), "刘洋": Decimal("0.00")}

    # 本周业绩 (chat) for both reps.
    for user, name in (("ZhangWei", "张伟"), ("LiuYang", "刘洋")):
        stack.driver.send_text(user, "本周业绩")
        card = stack.wait_until(lambda u=user: _cards(stack, u, "本周业绩"), what=f"{name}'s 本周业绩")[0]
        won = {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}["成交金额"]
        assert won.startswith(f"¥{expected[name]:,.0f}"), (name, won)

    # The leaderboard (what the Monday message and `salesbot report` show) for this week.
    with UnitOfWork(stack.db, stack.clock) as uow:
        board = team_leaderboard(uow, find_team(uow, "华东销售一部"), week)
        shown = {s.name: s.this.won_amount for s in board.standings}
    assert {name: shown.get(name, Decimal("0.00")) for name in expected} == expected

    # The dashboard (next week, showing last week's board and the funnel), as 李娜 sees it.
    stack.clock.advance(timedelta(days=7))
    links = stack.runtime.page_links
    assert links is not None
    url = links.signed("lina", "/h5/dashboard", stack.clock.now()).replace("http://127.0.0.1:8000", stack.base_url)
    with httpx.Client(follow_redirects=True) as client:
        page = client.get(url)
    assert page.status_code == 200, page.text
    rows = _board_rows(page.text)
    assert rows["张伟"] == f"¥{expected['张伟']:,.0f}" and rows.get("刘洋", "¥0") == "¥0"
    funnel_won = _funnel_amount(page.text, "成交")
    assert funnel_won == f"¥{sum(expected.values()):,.0f}"


def _board_rows(html: str) -> dict[str, str]:
    """销售 → 成交金额 from the dashboard's leaderboard table."""
    import re

    out: dict[str, str] = {}
    for m in re.finditer(r"</span></td><td>(?P<name>[^<]+)</td><td class=\"num\">(?P<won>[^<]+)</td>", html):
        out[m.group("name")] = m.group("won")
    return out


def _funnel_amount(html: str, label: str) -> str:
    import re

    m = re.search(rf"<th>{label}</th>\s*<td class=\"num\">[^<]*</td>\s*<td class=\"bar\">.*?</td>\s*<td class=\"num\">(?P<v>[^<]+)</td>",
                  html, re.S)
    assert m is not None, "funnel row missing"
    return m.group("v")


# ------------------------------------------------------------------ 重新提交


def _tap_text(stack: WeComStack, user: str, card: dict[str, Any], text: str) -> None:
    stack.driver.tap_card(user, card["task_id"], next(b["key"] for b in card["button_list"] if b["text"] == text))


def _reject(stack: WeComStack, user: str, n: int, reason: str) -> None:
    card = stack.wait_until(lambda: len(_cards(stack, user, "合同审批")) >= n and _cards(stack, user, "合同审批")[n - 1],
                            what=f"{user}'s card #{n}")
    _tap_text(stack, user, card, "驳回")
    stack.wait_until(lambda: len(_cards(stack, user, "驳回合同")) >= n, what="reason card")
    stack.driver.send_text(user, reason)
    stack.wait_until(lambda: _is_decided(stack, user, card["task_id"]), what=f"{user} rejected")


def test_a_rejected_contract_is_corrected_and_resubmitted_keeping_the_old_reasons(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "提交合同 苏州精工 12万")
    mine = stack.wait_until(lambda: _cards(stack, "ZhangWei", "我的合同"), what="张伟's card")[0]
    _reject(stack, "LiNa", 1, "价格太低，至少15万")
    stack.wait_until(
        lambda: (c := stack.fake.cards[mine["task_id"]]["ZhangWei"].card) and c["button_list"][0]["text"] == "重新提交",
        what="重新提交 on 张伟's card",
    )
    with stack.db.sessions() as s:
        number = s.scalar(select(Contract.number))
    # from the card: tap 重新提交, then say what changed (amount typed as 15万, and a note)
    _tap_text(stack, "ZhangWei", stack.fake.cards[mine["task_id"]]["ZhangWei"].card, "重新提交")
    _said(stack, "ZhangWei", "请回复要修改的内容")
    stack.driver.send_text("ZhangWei", "15万 已与客户确认新价格")
    second = stack.wait_until(lambda: len(_cards(stack, "LiNa", "合同审批")) >= 2 and _cards(stack, "LiNa", "合同审批")[1],
                              what="李娜's card for round 2")
    fields = {f["keyname"]: f["value"] for f in second["horizontal_content_list"]}
    assert second["main_title"]["title"] == f"合同审批 · {number}"  # the same contract
    assert fields["金额"] == "¥150,000.00" and fields["大写"] == "壹拾伍万元整"
    body = second["quote_area"]["quote_text"]
    assert "第 2 次提交" in body
    assert "第 1 次：李娜 驳回 · 价格太低，至少15万" in body and "提交说明：已与客户确认新价格" in body
    # the old round's card says it was resubmitted
    stack.wait_until(
        lambda: "已重新提交" in (stack.fake.cards[mine["task_id"]]["ZhangWei"].card.get("replace_text") or ""),
        what="the first card marked 已重新提交",
    )
    # rejected again; this time resubmitted by text, with the amount in 大写
    _reject(stack, "LiNa", 2, "付款条件要改")
    stack.driver.send_text("ZhangWei", f"重新提交 {number} 壹拾陆万元整 付款改为30天")
    third = stack.wait_until(lambda: len(_cards(stack, "LiNa", "合同审批")) >= 3 and _cards(stack, "LiNa", "合同审批")[2],
                             what="round 3")
    body = third["quote_area"]["quote_text"]
    assert "第 1 次：李娜 驳回 · 价格太低，至少15万" in body and "第 2 次：李娜 驳回 · 付款条件要改" in body
    _tap_text(stack, "LiNa", third, "同意")
    _said(stack, "ZhangWei", "已全部审批通过")
    with stack.db.sessions() as s:
        contract = s.scalars(select(Contract)).one()
        assert contract.status == "approved" and contract.amount == Decimal("160000.00")
        opp = s.get(Opportunity, contract.opportunity_id)
        assert opp is not None and opp.stage == Stage.WON and opp.amount == Decimal("160000.00")
    # a contract that is not rejected cannot be resubmitted
    stack.driver.send_text("ZhangWei", f"重新提交 {number}")
    assert "只有被驳回或撤回的合同可以重新提交" in _said(stack, "ZhangWei", "只有被驳回")


def test_a_visit_on_a_colleagues_customer_says_whose_customer_it_is(stack: WeComStack) -> None:
    stack.driver.send_text("ZhangWei", "今天拜访宝钢周涛，谈了设备改造，预算20万，下周三再跟进")
    card = stack.wait_until(lambda: _cards(stack, "ZhangWei", "已记录拜访"), what="visit card")[0]
    fields = {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}
    assert fields["客户归属"] == "刘洋 的客户（协作拜访）"
    # the budget starts the rep's own opportunity, and the card says whose it is
    assert "已新建你名下的商机，金额 ¥200,000（刘洋 的商机不变）" in card["main_title"]["desc"]
    with stack.db.sessions() as s:  # the budget never lands on 刘洋's opportunity
        amounts = {(o.owner.name, o.amount) for o in s.scalars(select(Opportunity).join(Customer).where(Customer.name == "上海宝钢股份有限公司"))}
    assert ("刘洋", Decimal("950000.00")) in amounts
