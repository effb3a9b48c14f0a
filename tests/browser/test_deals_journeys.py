"""Issue #16's journeys in a real browser: deals, quotes and approvals that end right.

The same demo and simulator as test_simulator.py; the H5 pages are shot at a phone's size.
Screenshots go to tests/artifacts/browser (``3x-…``) and were looked at when written.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.demo_history import SAMPLE_QUOTES_DIR
from domain.models import Contract, Customer, Opportunity, Quote, Stage
from tests.browser.conftest import Simulator
from tests.browser.test_simulator import (
    OCR_TIMEOUT_MS,
    expect,
    last_card,
    send_sample,
    send_text,
    webview,
    webview_url,
)

pytestmark = pytest.mark.timeout(300)

TRUTH = json.loads((SAMPLE_QUOTES_DIR / "truth.json").read_text(encoding="utf-8"))


def _fields_text(card: Any) -> str:
    return str(card.inner_text())


def test_a_deal_on_a_colleagues_customer_rejected_resubmitted_and_approved(sim: Simulator) -> None:
    """张伟 (DingTalk look) submits for 宝钢, 刘洋's customer; 李娜 (WeCom) rejects, he resubmits, she approves."""
    rep = sim.open("ZhangWei", platform="dingtalk")
    manager = sim.open("LiNa")
    send_text(rep, "提交合同 宝钢 28万")
    mine = last_card(rep, "我的合同 · HT-")
    expect(mine).to_contain_text("刘洋 的客户", timeout=20_000)  # whose customer it is
    expect(mine).to_contain_text("当前：李娜")
    expect(mine.get_by_role("button", name="催办")).to_have_count(1)
    expect(mine.get_by_role("button", name="同意")).to_have_count(0)  # not the approver's buttons
    sim.shot(rep, "30-submitter-card-colleagues-customer")
    theirs = last_card(manager, "合同审批 · HT-")
    expect(theirs).to_contain_text("¥280,000.00", timeout=20_000)
    expect(theirs).to_contain_text("贰拾捌万元整")
    expect(theirs).to_contain_text("规则：常规合同（金额不超过 ¥300,000.00：直属上级 审批）")
    sim.shot(manager, "31-approver-card-with-facts")
    theirs.get_by_role("button", name="驳回").click()
    reason = last_card(manager, "驳回合同")
    expect(reason).to_be_visible(timeout=20_000)
    send_text(manager, "价格太低，至少29.5万")
    expect(theirs).to_contain_text("已驳回 · 李娜", timeout=20_000)
    expect(reason.locator("select")).to_contain_text("价格太低，至少29.5万", timeout=20_000)  # the typed reason
    sim.shot(manager, "32-reason-card-shows-typed-reason")
    expect(mine).to_contain_text("已驳回 · 李娜", timeout=20_000)  # the submitter's copy, in place
    expect(mine).to_contain_text("驳回原因：价格太低，至少29.5万")
    sim.shot(rep, "33-submitter-card-rejected")

    mine.get_by_role("button", name="重新提交").click()
    expect(rep.locator("#chat")).to_contain_text("请回复要修改的内容", timeout=20_000)
    send_text(rep, "29.5万 已与客户确认")
    second = last_card(manager, "合同审批 · HT-")
    expect(second).to_contain_text("¥295,000.00", timeout=20_000)
    expect(second).to_contain_text("第 2 次提交")
    expect(second).to_contain_text("第 1 次：李娜 驳回 · 价格太低，至少29.5万")
    sim.shot(manager, "34-round-two-card-keeps-the-reason")
    second.get_by_role("button", name="同意").click()
    expect(second).to_contain_text("已同意 · 李娜", timeout=20_000)
    mine2 = last_card(rep, "我的合同 · HT-")
    expect(mine2).to_contain_text("已批准", timeout=20_000)
    expect(rep.locator("#chat")).to_contain_text("已全部审批通过", timeout=20_000)
    sim.shot(rep, "35-submitter-approved")
    with sim.stack.runtime.db.sessions() as s:
        baosteel = s.scalars(select(Customer).where(Customer.name == "上海宝钢股份有限公司")).one()
        opps = {o.owner.name: (o.stage, o.amount) for o in s.scalars(select(Opportunity).where(Opportunity.customer_id == baosteel.id))}
        assert opps["刘洋"] == (Stage.LEAD, Decimal("950000.00"))  # the colleague's deal is untouched
        assert opps["张伟"] == (Stage.WON, Decimal("295000.00"))
        contract = s.scalars(select(Contract).where(Contract.customer_id == baosteel.id)).one()
        contract_id = contract.id
    # the contract page at a phone's size: every round, the rule in words
    manager_card = last_card(manager, "合同审批 · HT-")
    manager_card.locator("[data-testid=card-link]").click()
    view = webview(manager)
    expect(view.locator("body")).to_contain_text("之前的审批", timeout=20_000)
    phone = sim.phone(manager, webview_url(manager, rf"/h5/contracts/{contract_id}"))
    expect(phone.locator("body")).to_contain_text("常规合同（金额不超过 ¥300,000.00：直属上级 审批）")
    assert "规则版本" not in phone.locator("body").inner_text()
    sim.shot(phone, "36-contract-page-rounds", full_page=True)
    phone.close()
    manager.click("[data-testid=webview-close]")


def test_a_total_typed_as_wan_and_the_checks_agree_on_card_and_page(sim: Simulator) -> None:
    truth = TRUTH["quote-classic.jpg"]
    page = sim.open("ZhangWei")
    send_sample(page, "quote-classic.jpg")
    card = last_card(page, "报价单识别结果")
    expect(card).to_contain_text(truth["customer"], timeout=OCR_TIMEOUT_MS)
    card.get_by_role("button", name="修改").click()
    expect(page.locator("#chat")).to_contain_text("合计改成", timeout=20_000)
    send_text(page, "合计改成10万")
    expect(card).to_contain_text("¥100,000.00", timeout=20_000)  # 10万, never ¥10.00
    expect(card).to_contain_text("✗ 不一致")
    sim.shot(page, "37-quote-card-after-10-wan")
    card.locator("[data-testid=card-link]").click()
    view = webview(page)
    expect(view.locator(".checks")).to_contain_text("大写金额与合计不一致，请核对", timeout=20_000)
    expect(view.locator(".checks")).not_to_contain_text("大写金额与合计一致")
    phone = sim.phone(page, webview_url(page, r"/h5/quotes/\d+"))
    expect(phone.locator(".checks")).to_contain_text("与合计不一致")
    sim.shot(phone, "38-quote-page-checks-after-10-wan", full_page=True)
    phone.close()
    page.click("[data-testid=webview-close]")
    with sim.stack.runtime.db.sessions() as s:
        assert s.scalars(select(Quote.total).where(Quote.number == truth["quote_no"])).all()[-1] == Decimal("100000.00")


def test_help_fits_the_role_and_a_dead_link_is_a_readable_page(sim: Simulator) -> None:
    legal = sim.open("SunLi")
    help_card = last_card(legal, "销售助手可以帮你")
    expect(help_card.get_by_role("button", name="我的审批")).to_have_count(1)
    expect(help_card.get_by_role("button", name="记拜访")).to_have_count(0)  # 法务 logs no visits
    expect(help_card).to_contain_text("委托")
    sim.shot(legal, "39-help-card-legal")
    phone = sim.phone(legal, sim.url.split("/simulator")[0] + "/h5/customers/not-a-number")
    expect(phone.locator("body")).to_contain_text("找不到页面")
    assert '"error"' not in phone.content()
    sim.shot(phone, "40-dead-link-page", full_page=True)
    phone.close()
