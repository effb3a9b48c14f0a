"""The demo's journeys in a real browser: what a newcomer does in the simulator, click by click.

Each action goes browser → fake WeCom member API → encrypted callback → our app → outbox →
fake WeCom API → back in the page, so these also prove the whole loop. Screenshots of every
journey are saved (see conftest) and were looked at when the tests were written.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.demo_history import SAMPLE_QUOTES_DIR
from domain.models import Opportunity, Quote, Stage
from tests.browser.conftest import Simulator

pytestmark = pytest.mark.timeout(300)

TRUTH = json.loads((SAMPLE_QUOTES_DIR / "truth.json").read_text(encoding="utf-8"))
OCR_TIMEOUT_MS = 90_000  # the real ONNX engine on a shared 2-core machine: ~2-15 s, more when busy


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def last_card(page: Any, title: str) -> Any:
    return page.locator("#chat [data-testid=card]", has_text=title).last


def send_text(page: Any, text: str) -> None:
    page.fill("[data-testid=text]", text)
    page.click("[data-testid=send]")


def send_sample(page: Any, name: str) -> None:
    page.click("[data-testid=plus]")
    page.click("[data-testid=tool-photo]")
    page.click(f"[data-testid='sample-{name}']")


def webview(page: Any) -> Any:
    return page.frame_locator("[data-testid=webview-frame]")


def webview_url(page: Any, pattern: str) -> str:
    frame = next(f for f in page.frames if re.search(pattern, f.url))
    return str(frame.url)


def test_log_a_visit_and_tap_the_stage_button_on_its_card(sim: Simulator) -> None:
    page = sim.open("ZhangWei")
    send_text(page, "今天拜访苏州精工的陈总，方案通过评审了，下周五商务谈判")
    expect(page.locator("#chat [data-testid=msg-me]").last).to_contain_text("今天拜访苏州精工的陈总")
    card = last_card(page, "已记录拜访")
    expect(card).to_contain_text("苏州精工机械有限公司", timeout=20_000)
    expect(card).to_contain_text("陈总")
    sim.shot(page, "01-visit-card")
    card.get_by_role("button", name="商机改为谈判").click()
    expect(card).to_contain_text("商机已改为「谈判」", timeout=20_000)  # the same card, updated in place
    expect(page.locator("#chat")).to_contain_text("已将苏州精工机械有限公司的商机改为「谈判」")
    sim.shot(page, "02-visit-card-updated")
    with sim.stack.runtime.db.sessions() as s:
        stages = {o.customer.name: o.stage for o in s.scalars(select(Opportunity))}
    assert stages["苏州精工机械有限公司"] == Stage.NEGOTIATION


def test_a_card_stays_put_while_new_messages_arrive(sim: Simulator) -> None:
    """A card on screen is the same card after the next messages come in: a choice made on it is kept and a tap or
    a screenshot never lands on a card that was just thrown away and drawn again."""
    page = sim.open("ZhangWei")
    replies = page.locator("#chat [data-testid=msg-app]")
    earlier = replies.count()  # the chat may hold an earlier visit card of the same customer
    send_text(page, "今天拜访苏州精工的陈总，聊了明年的产能规划")
    expect(replies).to_have_count(earlier + 1, timeout=20_000)  # this visit's card, not the earlier one
    card = last_card(page, "已记录拜访")
    expect(card).to_contain_text("苏州精工机械有限公司", timeout=20_000)
    card.evaluate("node => { node.dataset.seen = 'yes'; }")  # a mark only this very node carries
    before = page.locator("#chat [data-testid=msg-app]").count()
    send_text(page, "谢谢")
    expect(page.locator("#chat [data-testid=msg-app]")).to_have_count(before + 1, timeout=20_000)
    expect(page.locator("#chat [data-testid=card][data-seen=yes]")).to_have_count(1)
    expect(page.locator("#chat [data-testid=card][data-seen=yes]")).to_contain_text("苏州精工机械有限公司")


def test_send_a_quote_photo_and_confirm_it(sim: Simulator) -> None:
    truth = TRUTH["quote-order.jpg"]
    page = sim.open("ZhangWei")
    send_sample(page, "quote-order.jpg")
    expect(page.locator("#chat [data-testid=msg-me][data-msgtype=image]").last).to_be_visible()
    expect(page.locator("#chat")).to_contain_text("收到报价单照片，正在识别", timeout=20_000)
    card = last_card(page, "报价单识别结果")
    expect(card).to_contain_text(truth["customer"], timeout=OCR_TIMEOUT_MS)
    expect(card).to_contain_text(f"¥{Decimal(truth['total']):,.2f}")
    expect(card).to_contain_text("✓ 一致")
    sim.shot(page, "03-quote-card")
    card.get_by_role("button", name="确认").click()
    expect(page.locator("#chat")).to_contain_text("报价单已保存", timeout=20_000)
    expect(card.get_by_role("button", name="确认")).to_have_count(0, timeout=20_000)  # the card moved on
    sim.shot(page, "04-quote-confirmed")
    with sim.stack.runtime.db.sessions() as s:
        quote = s.scalars(select(Quote).where(Quote.number == truth["quote_no"])).one()
        assert quote.status == "confirmed" and quote.total == Decimal(truth["total"])
        assert quote.opportunity_id is not None  # linked to 张伟's open deal with this customer


def test_open_the_quote_page_from_the_card_link_and_correct_the_total(sim: Simulator) -> None:
    truth = TRUTH["quote-classic.jpg"]
    page = sim.open("ZhangWei")
    send_sample(page, "quote-classic.jpg")
    card = last_card(page, "报价单识别结果")
    expect(card).to_contain_text(truth["customer"], timeout=OCR_TIMEOUT_MS)
    card.locator("[data-testid=card-link]").click()  # 查看详情
    view = webview(page)
    expect(view.locator(".total")).to_contain_text(f"¥{Decimal(truth['total']):,.2f}", timeout=20_000)
    expect(view.locator(".checks")).to_contain_text("大写金额与合计一致")
    expect(view.locator(".photo img")).to_have_js_property("complete", True)
    assert view.locator(".photo svg polygon").count() > 20  # the OCR boxes over the photo
    page.wait_for_timeout(500)
    sim.shot(page, "05-quote-page-in-simulator")
    url = webview_url(page, r"/h5/quotes/\d+")
    phone = sim.phone(page, url)
    expect(phone.locator(".photo img")).to_have_js_property("complete", True)
    sim.shot(phone, "06-quote-page", full_page=True)
    phone.close()

    view.locator("input[name=total]").fill("216,466.00")
    view.get_by_role("button", name="保存修改").click()
    expect(view.locator(".notice.ok")).to_contain_text("已保存", timeout=20_000)
    expect(view.locator(".total")).to_contain_text("¥216,466.00")
    expect(view.locator(".checks li").nth(0)).to_contain_text("✗")  # 大写 no longer agrees: said, not hidden
    page.click("[data-testid=webview-close]")
    expect(card).to_contain_text("已在详情页修改", timeout=20_000)  # the chat card follows the page
    expect(card).to_contain_text("¥216,466.00")
    sim.shot(page, "07-quote-card-after-page-edit")
    with sim.stack.runtime.db.sessions() as s:
        quote = s.scalars(select(Quote).where(Quote.number == truth["quote_no"])).one()
        assert quote.total == Decimal("216466.00") and quote.status == "draft"


def test_open_the_customer_page_from_chat_and_from_the_workbench(sim: Simulator) -> None:
    page = sim.open("ZhangWei")
    send_text(page, "查客户 华为")
    card = last_card(page, "华为技术有限公司")
    expect(card.locator("[data-testid=card-link]")).to_be_visible(timeout=20_000)
    card.locator("[data-testid=card-link]").click()  # 客户详情
    view = webview(page)
    expect(view.locator("h1")).to_have_text("华为技术有限公司", timeout=20_000)
    expect(view.locator("main")).to_contain_text("张伟明")  # contacts
    expect(view.locator("main")).to_contain_text("谈判")  # the open opportunity
    expect(view.locator(".timeline.visits")).to_contain_text("初次拜访")  # recent visits
    sim.shot(page, "08-customer-page-in-simulator")
    phone = sim.phone(page, webview_url(page, r"/h5/customers/\d+"))
    sim.shot(phone, "09-customer-page", full_page=True)
    phone.close()
    page.click("[data-testid=webview-close]")
    page.click("[data-testid=workbench]")
    page.click("[data-testid='app-/h5/customers']")
    expect(view.locator("main")).to_contain_text("无锡恒瑞精密机械有限公司", timeout=20_000)
    expect(view.locator("main")).not_to_contain_text("杭州博远")  # 刘洋's customer is not 张伟's to see


def test_a_manager_logs_in_through_wecom_and_sees_the_team_dashboard(sim: Simulator) -> None:
    page = sim.open("LiNa")
    page.click("[data-testid=workbench]")
    page.click("[data-testid='app-/h5/dashboard']")  # no link signature: WeCom OAuth through the fake
    view = webview(page)
    expect(view.locator("h1")).to_have_text("团队看板", timeout=20_000)
    expect(view.locator(".funnel")).to_contain_text("谈判")
    expect(view.locator("main")).to_contain_text("上周排行榜")
    expect(view.locator(".board")).to_contain_text("张伟")
    expect(view.locator("main")).to_contain_text("常州天成模具有限公司")  # stalled for weeks
    sim.shot(page, "10-dashboard-in-simulator")
    phone = sim.phone(page, webview_url(page, r"/h5/dashboard"))
    sim.shot(phone, "11-dashboard", full_page=True)
    phone.close()


def test_select_and_vote_cards_send_the_choices_back(sim: Simulator) -> None:
    """Cards with dropdowns and options (none in the product yet) work in the simulator too."""
    page = sim.open("ZhaoLei")
    client = sim.stack.runtime.wecom_client
    assert client is not None
    client.send_template_card(
        "ZhaoLei",
        {
            "card_type": "multiple_interaction",
            "source": {"desc": "销售助手"},
            "main_title": {"title": "拜访反馈", "desc": "请选择"},
            "task_id": "sim-select-1",
            "select_list": [
                {"question_key": "level", "title": "客户级别", "option_list": [{"id": "A", "text": "A 级"}, {"id": "B", "text": "B 级"}]},
                {"question_key": "next", "title": "下一步", "option_list": [{"id": "demo", "text": "安排演示"}, {"id": "quote", "text": "发报价"}]},
            ],
            "submit_button": {"text": "提交", "key": "survey:submit"},
        },
    )
    client.send_template_card(
        "ZhaoLei",
        {
            "card_type": "vote_interaction",
            "source": {"desc": "销售助手"},
            "main_title": {"title": "本周培训时间"},
            "task_id": "sim-vote-1",
            "checkbox": {"question_key": "slot", "mode": 1, "option_list": [{"id": "tue", "text": "周二下午"}, {"id": "thu", "text": "周四下午"}]},
            "submit_button": {"text": "投票", "key": "vote:submit"},
        },
    )
    select_card = last_card(page, "拜访反馈")
    select_card.locator("select[data-question=level]").select_option("B")
    select_card.locator("select[data-question=next]").select_option("quote")
    vote_card = last_card(page, "本周培训时间")
    vote_card.get_by_label("周二下午").check()
    vote_card.get_by_label("周四下午").check()
    sim.shot(page, "12-select-and-vote-cards")
    select_card.get_by_role("button", name="提交").click()
    vote_card.get_by_role("button", name="投票").click()
    expect(page.locator("#chat")).to_contain_text("这张卡片已失效", timeout=20_000)  # unknown cards, as in chat
    clicks = {c.task_id: c for c in sim.stack.fake.clicks}
    assert dict(clicks["sim-select-1"].selected or {}) == {"level": ["B"], "next": ["quote"]}
    assert dict(clicks["sim-vote-1"].selected or {}) == {"slot": ["tue", "thu"]}


def test_the_dingtalk_look_goes_through_the_fake_dingtalk(sim: Simulator) -> None:
    page = sim.open("ZhangWei", platform="dingtalk")
    expect(page.locator("[data-testid=platform-dingtalk]")).to_have_class(re.compile("on"))
    send_text(page, "今天拜访海康的郑丽，聊了方案，下周二再跟进")
    card = last_card(page, "已记录拜访")
    expect(card).to_contain_text("杭州海康威视数字技术股份有限公司", timeout=20_000)
    sim.shot(page, "13-dingtalk-visit-card")
    card.get_by_role("button", name="撤销").click()
    expect(card.locator("[data-testid=card-status]")).to_have_text("已撤销", timeout=20_000)  # in place
    expect(page.locator("#chat")).to_contain_text("已撤销这条拜访记录")
    sim.shot(page, "14-dingtalk-visit-undone")
    assert any(c.action.startswith("visit:undo:") for c in sim.stack.dingtalk.fake.clicks)


def test_approve_a_contract_as_two_people_and_watch_every_copy_update(sim: Simulator) -> None:
    rep, director, legal = sim.open("ZhangWei"), sim.open("WangFang"), sim.open("SunLi")
    send_text(rep, "提交合同 苏州精工 38万")
    mine = last_card(rep, "我的合同 · HT-")  # the submitter's own card: 催办 / 撤回, never 同意
    expect(mine).to_contain_text("● 王芳 审批中", timeout=20_000)
    expect(mine.get_by_role("button", name="同意")).to_have_count(0)
    theirs = last_card(director, "合同审批 · HT-")
    expect(theirs).to_contain_text("¥380,000.00", timeout=20_000)
    expect(theirs).to_contain_text("叁拾捌万元整")
    sim.shot(director, "17-approval-card-director")
    theirs.get_by_role("button", name="同意").click()
    expect(theirs).to_contain_text("已同意 · 王芳", timeout=20_000)  # the approver's copy, with who is next
    expect(theirs).to_contain_text("当前：孙丽 审批中")
    expect(theirs.get_by_role("button", name="同意")).to_have_count(0)
    next_card = last_card(legal, "合同审批 · HT-")
    expect(next_card).to_contain_text("✓ 王芳 已同意 → ● 孙丽 审批中", timeout=20_000)
    next_card.get_by_role("button", name="同意").click()
    expect(next_card).to_contain_text("已同意 · 孙丽", timeout=20_000)
    sim.shot(rep, "18-approval-submitter-sees-progress")
    sim.shot(legal, "19-approval-card-legal-decided")
    # The last approver opens the contract page from the card (WeCom OAuth through the fake) and approves there.
    finance = sim.open("ZhouQiang")
    last = last_card(finance, "合同审批 · HT-")
    expect(last).to_contain_text("第 3/3 步", timeout=20_000)
    last.locator("[data-testid=card-link]").click()  # 审批详情
    view = webview(finance)
    expect(view.locator("body")).to_contain_text("✓ 王芳 已同意 → ✓ 孙丽 已同意 → ● 周强 审批中", timeout=20_000)
    sim.shot(finance, "20-approval-page-in-simulator")
    view.get_by_role("button", name="同意").click()
    expect(view.locator(".notice.ok")).to_contain_text("已同意", timeout=20_000)
    finance.click("[data-testid=webview-close]")
    expect(last).to_contain_text("已同意 · 周强", timeout=20_000)  # the card in chat follows the page
    expect(rep.locator("#chat")).to_contain_text("已全部审批通过", timeout=20_000)
    expect(mine).to_contain_text("已批准", timeout=20_000)  # the submitter's one card ends in the final state
    expect(theirs).to_contain_text("合同已批准", timeout=20_000)  # and so does every earlier approver's
    expect(director.locator("#chat")).to_contain_text("最终结果：已批准")
    sim.shot(rep, "21-approval-done-submitter")


def test_jump_the_clock_to_monday_and_the_leaderboard_arrives(sim: Simulator) -> None:
    page = sim.open("LiNa")
    before = page.locator("#clock-label").inner_text()
    page.click("[data-testid=jump-monday]")
    expect(page.locator("#toast")).to_contain_text("leaderboard", timeout=60_000)
    sim.shot(page, "15-monday-jump")
    page.click("#toast")  # dismiss, to see the chats
    expect(page.locator("#clock-label")).to_contain_text("周一 09:0")
    assert page.locator("#clock-label").inner_text() != before
    group = page.locator("#group-chat")
    expect(page.locator("#group")).to_have_value(re.compile(".+"))
    expect(group).to_contain_text("华东销售一部 · 周排行榜", timeout=30_000)
    # .last: when the demo starts on a Monday, its catch-up already posted that week's board and chart
    expect(group.locator("[data-msgtype=image] img").last).to_have_js_property("complete", True, timeout=30_000)
    expect(page.locator("#chat")).to_contain_text("周排行榜")  # managers get it in their own chat too
    sim.shot(page, "16-monday-leaderboard")
    chart = group.locator("[data-msgtype=image] img").last
    assert chart.evaluate("img => img.naturalHeight > img.naturalWidth")  # a portrait picture for a phone
    chart.click()  # opens full size, as the chat apps do
    viewer = page.locator("[data-testid=image-viewer] img")
    expect(viewer).to_be_visible()
    assert viewer.evaluate("img => img.getBoundingClientRect().width") > 300
    sim.shot(page, "16b-monday-chart-full-size")
    page.locator("[data-testid=image-viewer]").click()
    expect(page.locator("[data-testid=image-viewer]")).to_have_count(0)
