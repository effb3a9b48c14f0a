# ruff: noqa: F811 - `site` is the fixture imported from test_h5
"""The contract approval page: who may see it, and 同意 / 驳回 there doing what the card does."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from domain.links import contract_path
from domain.models import ApprovalStep, Contract, Customer, OutboxMessage, User
from domain.services import approvals
from domain.uow import UnitOfWork
from handlers.approval_notices import send_step_card
from handlers.replies import Replies
from tests.integration.test_h5 import Site, site  # noqa: F401 - the fixture


def _submit(site: Site, amount: str) -> int:
    """张伟 submits a contract and the first approver gets the card, as the chat handler does."""
    with UnitOfWork(site.runtime.db, site.clock, actor_label="test") as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        customer = uow.session.get(Customer, site.customers["zhangwei"])
        assert zhang is not None and customer is not None
        flow = approvals.submit_contract(uow, zhang, customer, Decimal(amount))
        step = flow.steps[0]
        send_step_card(Replies(uow.session, site.clock, "test:submit"), flow, step, f"appr-{step.id}", links=site.links)
        uow.commit()
        return flow.contract_id


def test_the_card_links_to_the_page_and_the_approver_decides_there(site: Site) -> None:
    contract_id = _submit(site, "380000")
    with site.runtime.db.sessions() as s:
        card = s.scalars(select(OutboxMessage).where(OutboxMessage.msg_type == "card")).all()[-1]
    link = card.payload["card"]["link"]
    assert link == {"text": "审批详情", "url": f"http://testserver{contract_path(contract_id)}"}  # shared card: unsigned
    assert site.client.get(link["url"]).status_code == 302  # no session: WeCom OAuth first
    page = site.client.get(site.link("wangfang", contract_path(contract_id)))
    assert page.status_code == 200, page.text
    for text in ("¥380,000.00", "叁拾捌万元整", "● 王芳 审批中 → ○ 法务 → ○ 财务", "大额合同", ">同意</button>"):
        assert text in page.text
    with site.runtime.db.sessions() as s:
        step_id = s.scalar(select(ApprovalStep.id).where(ApprovalStep.status == "pending"))
    done = site.post(contract_path(contract_id), data={"step_id": str(step_id), "action": "approve"})
    assert done.status_code == 303
    after = site.client.get(done.headers["location"])
    assert "已同意，审批卡片已同步更新" in after.text and "✓ 王芳 已同意 → ● 孙丽 审批中" in after.text
    assert ">同意</button>" not in after.text  # 王芳 is not the next approver
    with site.runtime.db.sessions() as s:
        updates = s.scalars(select(OutboxMessage).where(OutboxMessage.msg_type == "card_update")).all()
        # 王芳 never wrote to the bot and is in the org on both platforms: her card went to both, both updated
        assert sorted((u.platform, u.payload["card"]["status"].split(" ")[0]) for u in updates) == [
            ("dingtalk", "已同意"), ("wecom", "已同意")
        ]
        assert any("SunLi" in m.target.split("|") for m in s.scalars(select(OutboxMessage).where(OutboxMessage.msg_type == "card")))
    again = site.post(contract_path(contract_id), data={"step_id": str(step_id), "action": "approve"})
    assert again.status_code == 409 and "已经处理过了" in again.text


def test_rejecting_on_the_page_needs_a_reason(site: Site) -> None:
    contract_id = _submit(site, "120000")
    site.client.get(site.link("lina", contract_path(contract_id)))
    with site.runtime.db.sessions() as s:
        step_id = s.scalar(select(ApprovalStep.id).where(ApprovalStep.status == "pending"))
    refused = site.post(contract_path(contract_id), data={"step_id": str(step_id), "action": "reject"})
    assert refused.status_code == 409 and "驳回需要填写原因" in refused.text
    done = site.post(
        contract_path(contract_id), data={"step_id": str(step_id), "action": "reject", "reason": "付款条件不符合要求"}
    )
    assert done.status_code == 303
    with site.runtime.db.sessions() as s:
        contract = s.get(Contract, contract_id)
        assert contract is not None and contract.status == "rejected"


def test_only_people_involved_or_their_managers_see_a_contract(site: Site) -> None:
    contract_id = _submit(site, "120000")
    submitter = site.client.get(site.link("zhangwei", contract_path(contract_id)))
    assert submitter.status_code == 200 and ">同意</button>" not in submitter.text
    assert site.client.get(site.link("wangfang", contract_path(contract_id))).status_code == 200  # 李娜's manager
    outsider = site.client.get(site.link("zhaolei", contract_path(contract_id)))
    assert outsider.status_code == 403 and "这份合同不是你提交、审批或管理的" in outsider.text


def test_approvers_see_the_facts_discount_quote_lines_photo_and_the_rule_in_words(site: Site) -> None:
    from domain.models import Quote
    from domain.services import quotes as quote_service

    with UnitOfWork(site.runtime.db, site.clock, actor_label="test") as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        quote = uow.session.get(Quote, site.quote_id)
        assert zhang is not None and quote is not None and quote.customer is not None
        quote_service.confirm(uow, quote)
        flow = approvals.submit_contract(uow, zhang, quote.customer, Decimal("9000"), quote)
        step = flow.steps[0]
        send_step_card(Replies(uow.session, site.clock, "test:submit"), flow, step, f"appr-{step.id}", links=site.links)
        uow.commit()
        contract_id = flow.contract_id
    with site.runtime.db.sessions() as s:
        card = s.scalars(select(OutboxMessage).where(OutboxMessage.msg_type == "card")).all()[-1].payload["card"]
    fields = {f["label"]: f["value"] for f in card["fields"]}
    assert fields["金额"] == "¥9,000.00" and fields["大写"] == "玖仟元整"
    assert fields["折扣"] == "较报价 ¥10,000.00 优惠 10.0%（¥1,000.00）"
    assert "伺服电机 MSMF082 × 2 = ¥10,000.00" in card["quote_text"]
    assert "规则：常规合同（金额不超过 ¥300,000.00：直属上级 审批）" in card["quote_text"]
    page = site.client.get(site.link("lina", contract_path(contract_id)))
    assert page.status_code == 200, page.text
    text = page.text
    assert "规则版本" not in text and "常规合同（金额不超过 ¥300,000.00：直属上级 审批）" in text
    assert "报价明细" in text and "MSMF082" in text and "¥5,000.00" in text and "较报价 ¥10,000.00 优惠 10.0%" in text
    assert f'src="/h5/contracts/{contract_id}/photo"' in text
    photo = site.client.get(f"/h5/contracts/{contract_id}/photo")  # the approver may see the quote's photo
    assert photo.status_code == 200 and photo.content.startswith(b"\xff\xd8")


def test_the_contract_page_keeps_every_rounds_reasons(site: Site) -> None:
    contract_id = _submit(site, "120000")
    with UnitOfWork(site.runtime.db, site.clock, actor_label="test") as uow:
        li = uow.session.scalar(select(User).where(User.key == "lina"))
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        contract = uow.session.get(Contract, contract_id)
        assert li is not None and zhang is not None and contract is not None
        step = approvals.current_step(approvals.flow_of(uow.session, contract))
        assert step is not None
        approvals.decide(uow, step.id, li, approve=False, reason="价格太低")
        approvals.resubmit(uow, contract, zhang, amount=Decimal("150000"), note="已与客户确认")
        uow.commit()
    page = site.client.get(site.link("lina", contract_path(contract_id))).text
    assert "第 2 次提交" in page and "之前的审批" in page and "驳回原因：价格太低" in page
    assert "驳回：价格太低" in page and "重新提交" in page and "已与客户确认" in page
