"""Issue #16's journeys in a real browser: deals, quotes and approvals that end right.

The same demo and simulator as test_simulator.py; the H5 pages are shot at a phone's size.
Screenshots go to tests/artifacts/browser (``3x-…``, ``4x-…``) and were looked at when written.
The eight points of the issue: 1 ownership and 成交 (the first and the Monday journeys), 2 money
(``合计改成10万``), 3 living cards, 4 重新提交 and 5 facts (the first journey), 6 the chart for a phone
and 7 reach (the Monday and the 王芳 journeys), 8 quiet help, readable pages and reminder cards with
已跟进 / 明天再提醒 / 打开商机 (the help and the Monday journeys); phone-sized windows (390×844) in
the WeCom and the DingTalk looks for the 4x ones.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.demo_history import SAMPLE_QUOTES_DIR
from bot.simulator.timetravel import jump_target
from domain.models import Contract, Customer, Opportunity, Quote, Stage, Team, User
from domain.services.leaderboard import IsoWeek, team_leaderboard
from domain.services.visits import log_visit
from domain.uow import UnitOfWork
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
    rep = sim.open("ZhangWei", platform="dingtalk", phone=True)
    manager = sim.open("LiNa", phone=True)
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
    page = sim.open("ZhangWei", phone=True)
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
    legal = sim.open("SunLi", phone=True)
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


def _shot_of(sim: Simulator, locator: Any, name: str) -> None:
    """A screenshot of one card or panel, scrolled into view (a phone shows less than a card)."""
    locator.scroll_into_view_if_needed()
    locator.screenshot(path=str(sim.artefacts / f"{name}.png"))


def _seed_follow_ups(sim: Simulator, day: date) -> None:
    """张伟 and 刘洋 each owe a customer a follow-up on ``day`` (a visit today said so)."""
    with UnitOfWork(sim.stack.runtime.db, sim.stack.runtime.clock) as uow:
        for key, customer_name in (("zhangwei", "苏州精工机械有限公司"), ("liuyang", "上海宝钢股份有限公司")):
            rep = uow.session.scalars(select(User).where(User.key == key)).one()
            customer = uow.session.scalars(select(Customer).where(Customer.name == customer_name)).one()
            log_visit(uow, rep, customer, next_step="回访确认方案", next_follow_up=day)
        uow.commit()


def test_someone_who_never_wrote_gets_the_approval_card_on_dingtalk(sim: Simulator) -> None:
    """Point 7: 王芳 (区域总监) never wrote to the bot; the org knows her on WeCom and DingTalk: she gets it on both."""
    rep = sim.open("ZhangWei", phone=True)
    send_text(rep, "提交合同 苏州精工 36.8万")
    mine = last_card(rep, "我的合同 · HT-")
    expect(mine).to_contain_text("当前：王芳", timeout=20_000)
    _shot_of(sim, mine, "41-phone-wecom-submitter-card")
    director = sim.open("WangFang", platform="dingtalk", phone=True)  # no enter event: she has not written
    card = last_card(director, "合同审批 · HT-")
    expect(card).to_contain_text("¥368,000.00", timeout=20_000)
    expect(card).to_contain_text("叁拾陆万捌仟元整")
    expect(card.get_by_role("button", name="同意")).to_have_count(1)
    sim.shot(director, "42-phone-dingtalk-approver-who-never-wrote")
    _shot_of(sim, card, "42b-dingtalk-approver-card")
    card.get_by_role("button", name="同意").click()
    expect(card).to_contain_text("已同意 · 王芳", timeout=20_000)
    legal = sim.open("SunLi", phone=True)  # the next step reaches 孙丽 (法务)
    expect(last_card(legal, "合同审批 · HT-")).to_contain_text("● 孙丽 审批中", timeout=20_000)
    _shot_of(sim, card, "43-dingtalk-approver-card-approved")


def test_monday_reminder_cards_and_a_fair_leaderboard(sim: Simulator) -> None:
    """Points 8, 6 and 1 after a jump to Monday 09:00: reminder cards with 已跟进 / 明天再提醒 / 打开商机 on
    both looks; the chart for a phone; 成交 is the approved contracts', ties share a rank, no 成交 no rank."""
    monday = jump_target("monday", sim.stack.runtime.clock.now()).date()
    _seed_follow_ups(sim, monday)
    rep = sim.open("ZhangWei", phone=True)
    liu = sim.open("LiuYang", platform="dingtalk", phone=True)
    rep.click("[data-testid=jump-monday]")
    expect(rep.locator("#toast")).to_contain_text("followups", timeout=90_000)
    rep.click("#toast")

    mine = last_card(rep, "跟进提醒 · 苏州精工机械有限公司")
    expect(mine).to_contain_text("今天要跟进", timeout=30_000)
    expect(mine).to_contain_text("回访确认方案")
    expect(mine.get_by_role("button", name="已跟进")).to_have_count(1)
    expect(mine.get_by_role("button", name="明天再提醒")).to_have_count(1)
    expect(mine).to_contain_text("打开商机")  # WeCom: the link line 「打开商机 · 点击查看」
    sim.shot(rep, "44-phone-wecom-reminder-card")
    _shot_of(sim, mine, "44b-wecom-reminder-card")
    mine.get_by_role("button", name="明天再提醒").click()
    expect(mine).to_contain_text("明天再提醒 · ", timeout=20_000)  # in place: when it comes back
    _shot_of(sim, mine, "45-wecom-reminder-snoozed")
    mine.locator("[data-testid=card-link]").click()  # 打开商机: the customer's page, signed for him
    expect(webview(rep).locator("body")).to_contain_text("苏州精工机械有限公司", timeout=20_000)
    sim.shot(rep, "46-phone-wecom-reminder-opens-the-customer")
    rep.click("[data-testid=webview-close]")

    theirs = last_card(liu, "跟进提醒 · 上海宝钢股份有限公司")  # 刘洋 never wrote: DingTalk shows it too
    expect(theirs.get_by_role("button", name="已跟进")).to_have_count(1, timeout=30_000)
    _shot_of(sim, theirs, "47-dingtalk-reminder-card")
    theirs.get_by_role("button", name="已跟进").click()
    expect(theirs).to_contain_text("已跟进 · 刘洋", timeout=20_000)
    expect(theirs.get_by_role("button", name="明天再提醒")).to_have_count(0)
    _shot_of(sim, theirs, "48-dingtalk-reminder-done")

    # The Monday board in the DingTalk group: 张伟's approved ¥295,000 (not 刘洋's ¥950,000 estimate),
    # and nobody with ¥0 carries a rank or a medal.
    group = liu.locator("#group-chat")
    expect(group).to_contain_text("周排行榜", timeout=30_000)
    board = group.locator("[data-msgtype=markdown]").last.inner_text()
    assert "成交 ¥950,000" not in board
    for line in board.splitlines():
        assert not re.match(r"^(🥇|🥈|🥉|\d+\.) .*成交 ¥0 ", line), line  # no 「1.」 for nothing
    chart = group.locator("[data-msgtype=image] img").last
    expect(chart).to_have_js_property("complete", True, timeout=30_000)
    assert chart.evaluate("img => img.naturalHeight > img.naturalWidth")  # portrait, for a phone
    _shot_of(sim, group.locator("[data-msgtype=markdown]").last, "49-dingtalk-group-leaderboard")
    _shot_of(sim, chart, "49b-dingtalk-group-chart")
    chart.click()  # opens full size, as the chat apps do
    expect(liu.locator("[data-testid=image-viewer] img")).to_be_visible()
    sim.shot(liu, "49c-phone-dingtalk-chart-full-size")
    liu.locator("[data-testid=image-viewer]").click()
    with sim.stack.runtime.db.sessions() as s:
        east = s.scalars(select(Team).where(Team.name == "华东销售一部")).one()
        week = IsoWeek.containing(monday - timedelta(days=7))
        with UnitOfWork(sim.stack.runtime.db, sim.stack.runtime.clock) as uow:
            standings = team_leaderboard(uow, uow.session.get_one(Team, east.id), week).standings
    zhang = next(st for st in standings if st.name == "张伟")
    assert zhang.this.won_amount >= Decimal("295000.00") and zhang.rank is not None
    assert all(st.rank is None for st in standings if st.this.won_amount == 0)
