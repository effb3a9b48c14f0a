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
        assert [u.payload["card"]["status"].split(" ")[0] for u in updates] == ["已同意"]
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
