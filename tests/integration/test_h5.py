"""H5 pages: signed links, WeCom OAuth against the fake, who may see what, and saving a corrected quote."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.fakes.wecom_server import AppConfig, FakeWeCom
from bot.fakes.wecom_server import User as FakeUser
from bot.runtime import Runtime
from bot.settings import Settings
from domain.clock import FixedClock
from domain.links import PageLinks
from domain.models import AuditEntry, Customer, OutboxMessage, Quote, User
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from handlers.conversation import DatabaseConversations
from handlers.quotes import present_extraction
from tests.e2e.wecom_stack import AES_KEY, AGENT_ID, CORP_ID, MEMBERS, SECRET, TOKEN
from tests.factories import load_example_org

PHOTO = b"\xff\xd8\xff\xe0" + b"not really a jpeg, but bytes the page passes through" * 10


@dataclass
class Site:
    client: TestClient
    runtime: Runtime
    fake: FakeWeCom
    links: PageLinks
    clock: FixedClock
    customers: dict[str, int]  # owner key → customer id
    quote_id: int

    def link(self, user: str, path: str) -> str:
        return self.links.signed(user, path, self.clock.now())

    def get(self, url: str) -> object:
        return self.client.get(url)

    def post(self, url: str, data: dict[str, str]) -> Any:
        """Submit a form as the page would: open it first and send back its form token."""
        page = self.client.get(url)
        token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
        return self.client.post(url, data={**data, "csrf": token.group(1) if token else ""})


def _extraction(customer: str, media_id: str) -> dict[str, object]:
    return {
        "customer": customer,
        "quote_no": "BJ-2026-001",
        "date": "2026-11-20",
        "lines": [{"name": "伺服电机", "model": "MSMF082", "qty": "2", "unit_price": "5000.00", "amount": "10000.00"}],
        "total": "10000.00",
        "total_upper": "壹万元整",
        "checks": {"upper_matches_total": True, "lines_sum_matches_total": True},
        "confidence": 0.95,
        "is_quote": True,
        "photo": {"platform": "wecom", "media_id": media_id},
        "ocr": {"width": 100, "height": 140, "boxes": [{"text": "报价单", "score": 0.98, "points": [[1, 1], [9, 1], [9, 5], [1, 5]]}]},
    }


@pytest.fixture
def site(db_url: str, clock: FixedClock, tmp_path: Path) -> Iterator[Site]:
    fake = FakeWeCom(
        [AppConfig(corp_id=CORP_ID, corpsecret=SECRET, agent_id=AGENT_ID)],
        users=[FakeUser(u, u) for u in MEMBERS],
        clock=lambda: clock.now().timestamp(),
    )
    fake.start()
    settings = Settings(
        database_url=db_url,
        public_base_url="http://testserver",
        wecom_corp_id=CORP_ID,
        wecom_agent_id=AGENT_ID,
        wecom_secret=SECRET,
        wecom_token=TOKEN,
        wecom_aes_key=AES_KEY,
        wecom_api_base=fake.base_url,
        wecom_oauth_base=fake.base_url,
        h5_secret="h5-secret-for-tests-0123456789",
        photo_dir=str(tmp_path / "photos"),
    )
    runtime = Runtime.build(settings, clock=clock)
    load_example_org(runtime.db, clock)
    links = runtime.page_links
    assert links is not None
    media_id = fake.add_media(PHOTO, "image/jpeg")
    customers: dict[str, int] = {}
    with UnitOfWork(runtime.db, clock, actor_label="test") as uow:
        users = {u.key: u for u in uow.session.scalars(select(User))}
        for key, name in [("zhangwei", "华为技术有限公司"), ("liuyang", "上海宝钢股份有限公司"), ("zhaolei", "深圳市大疆创新科技有限公司")]:
            customer = create_customer(uow, name, owner=users[key])
            create_opportunity(uow, customer, users[key], amount=Decimal("100000"))
            customers[key] = customer.id
        payload = {"platform": "wecom", "sender_id": "ZhangWei", "rep_id": users["zhangwei"].id, "event_key": "k1", "media_id": media_id}
        present_extraction(
            uow,
            DatabaseConversations(),
            payload,
            extracted=_extraction("华为技术有限公司", media_id),
            photo_hash="h1",
            problem=None,
            links=links,
        )
        uow.commit()
    with runtime.db.sessions() as s:
        quote_id = s.scalars(select(Quote.id)).one()
    client = TestClient(create_app(runtime), follow_redirects=False)  # no lifespan: no worker needed
    try:
        yield Site(client, runtime, fake, links, clock, customers, quote_id)
    finally:
        client.close()
        runtime.close()
        fake.stop()


def test_the_quote_card_links_to_its_page_and_the_signed_link_opens_it(site: Site) -> None:
    with site.runtime.db.sessions() as s:
        card = s.scalars(select(OutboxMessage).where(OutboxMessage.msg_type == "card")).one()
    link = card.payload["card"]["link"]
    assert link["text"] == "查看详情" and link["url"].startswith(f"http://testserver/h5/quotes/{site.quote_id}?u=zhangwei&")
    page = site.client.get(link["url"])
    assert page.status_code == 200, page.text
    assert "华为技术有限公司" in page.text and "¥10,000.00" in page.text and "保存修改" in page.text
    assert "<polygon" in page.text and "报价单（98%）" in page.text  # the OCR boxes over the photo
    assert "salesbot_h5" in page.cookies
    # The session opens the customer's page (linked from the quote page) without another signature.
    customer = site.client.get(f"/h5/customers/{site.customers['zhangwei']}")
    assert customer.status_code == 200 and "联系人" in customer.text and "商机（1）" in customer.text
    photo = site.client.get(f"/h5/quotes/{site.quote_id}/photo")
    assert photo.status_code == 200 and photo.content == PHOTO  # fetched from WeCom's media store


def test_an_expired_or_altered_link_gets_a_clear_403_page(site: Site) -> None:
    url = site.link("zhangwei", f"/h5/quotes/{site.quote_id}")
    site.clock.advance(timedelta(days=7, seconds=1))
    late = site.client.get(url)
    assert late.status_code == 403 and "链接已过期" in late.text and "重新打开" in late.text
    assert "salesbot_h5" not in late.cookies
    forged = site.client.get(url.replace("u=zhangwei", "u=lina"))
    assert forged.status_code == 403 and "链接无效" in forged.text


def test_without_a_link_or_session_the_page_sends_you_through_wecom_oauth(site: Site) -> None:
    first = site.client.get("/h5/dashboard")
    assert first.status_code == 302
    target = urlsplit(first.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == site.fake.base_url
    assert target.path == "/connect/oauth2/authorize" and target.fragment == "wechat_redirect"
    q = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert q["appid"] == CORP_ID and q["agentid"] == str(AGENT_ID) and q["scope"] == "snsapi_base"
    back = urlsplit(q["redirect_uri"])
    assert back.path == "/h5/auth/wecom" and parse_qs(back.query)["next"] == ["/h5/dashboard"]
    # WeCom sends the browser back with a single-use code for 李娜 (the fake issues it like WeCom).
    code = site.fake.issue_oauth_code("LiNa", agent_id=AGENT_ID)
    landing = site.client.get(f"{back.path}?{back.query}&code={code}&state={q['state']}")
    assert landing.status_code == 303 and landing.headers["location"] == "/h5/dashboard"
    board = site.client.get("/h5/dashboard")
    assert board.status_code == 200 and "李娜" in board.text and "销售漏斗" in board.text
    again = site.client.get(f"{back.path}?{back.query}&code={code}&state={q['state']}")
    assert again.status_code == 403 and "登录失败" in again.text  # codes are single use


def test_a_forged_state_or_no_wecom_at_all_never_shows_a_page(site: Site, db_url: str, clock: FixedClock) -> None:
    site.client.get("/h5/dashboard")
    code = site.fake.issue_oauth_code("LiNa", agent_id=AGENT_ID)
    forged = site.client.get(f"/h5/auth/wecom?next=/h5/dashboard&code={code}&state=not-the-state")
    assert forged.status_code == 403
    bare = Runtime.build(Settings(database_url=db_url, h5_secret="h5-secret-for-tests-0123456789"), clock=clock)
    try:
        page = TestClient(create_app(bare)).get("/h5/customers")
        assert page.status_code == 403 and "请从企业微信打开" in page.text
    finally:
        bare.close()
    off = Runtime.build(Settings(database_url=db_url), clock=clock)
    try:
        assert TestClient(create_app(off)).get("/h5/customers").status_code == 503  # no secret: pages off
    finally:
        off.close()


@pytest.mark.parametrize(
    ("viewer", "visible", "hidden"),
    [
        ("zhangwei", ["zhangwei"], ["liuyang", "zhaolei"]),  # a rep: their own customers
        ("lina", ["zhangwei", "liuyang"], ["zhaolei"]),  # 华东 manager: her team
        ("chenjing", ["zhaolei"], ["zhangwei", "liuyang"]),  # 华南 manager
        ("wangfang", ["zhangwei", "liuyang", "zhaolei"], []),  # the director: everyone below her
    ],
)
def test_each_person_sees_only_their_scope(site: Site, viewer: str, visible: list[str], hidden: list[str]) -> None:
    for owner in visible:
        page = site.client.get(site.link(viewer, f"/h5/customers/{site.customers[owner]}"))
        assert page.status_code == 200, (viewer, owner)
    for owner in hidden:
        page = site.client.get(site.link(viewer, f"/h5/customers/{site.customers[owner]}"))
        assert page.status_code == 403 and "不是你" in page.text, (viewer, owner)
    quote = site.client.get(site.link(viewer, f"/h5/quotes/{site.quote_id}"))
    assert quote.status_code == (200 if "zhangwei" in visible else 403)


def test_dashboard_is_for_managers_with_funnel_and_last_weeks_board(site: Site) -> None:
    rep = site.client.get(site.link("zhangwei", "/h5/dashboard"))
    assert rep.status_code == 403 and "团队看板只对销售经理" in rep.text
    legal = site.client.get(site.link("sunli", "/h5/customers"))
    assert legal.status_code == 403
    board = site.client.get(site.link("lina", "/h5/dashboard"))
    assert board.status_code == 200
    text = board.text
    assert "销售漏斗" in text and "共 2 个商机" in text and "¥200,000" in text  # 华东: 张伟 + 刘洋
    assert "上周排行榜" in text and "华东销售一部" in text and "华南销售部" not in text
    assert "停滞商机" in text and "逾期审批" in text
    site.clock.advance(timedelta(days=8))
    later = site.client.get(site.link("lina", "/h5/dashboard"))
    assert "8 天" in later.text  # both deals now untouched for 8 days


def test_saving_the_quote_page_corrects_the_draft_and_updates_the_card(site: Site) -> None:
    url = site.link("zhangwei", f"/h5/quotes/{site.quote_id}")
    with site.runtime.db.sessions() as s:
        other = s.scalar(select(Customer).where(Customer.name == "上海宝钢股份有限公司"))
        assert other is not None
    refused = site.post(url, data={"total": "123456", "customer_id": str(other.id)})
    assert refused.status_code == 400 and "请选择你自己的客户" in refused.text  # 宝钢 is 刘洋's
    bad = site.post(url, data={"total": "大约十来万"})
    assert bad.status_code == 400 and "合计请填写数字" in bad.text
    saved = site.post(url, data={"total": "123,456.00", "number": "BJ-2026-009", "quote_date": "2026-11-21"})
    assert saved.status_code == 303 and "saved=1" in saved.headers["location"]
    assert "已保存" in site.client.get(saved.headers["location"]).text
    with site.runtime.db.sessions() as s:
        quote = s.get(Quote, site.quote_id)
        assert quote is not None and quote.total == Decimal("123456.00") and quote.number == "BJ-2026-009"
        assert str(quote.quote_date) == "2026-11-21" and quote.status == "draft"
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "quote.correct")).one()
        assert audit.actor_label == "张伟" and (audit.cause_event or "").startswith("h5:POST:/h5/quotes/")
        update = s.scalars(select(OutboxMessage).where(OutboxMessage.msg_type == "card_update")).one()
        card = update.payload["card"]
        assert "已在详情页修改" in card["subtitle"] and "¥123,456.00" in str(card["fields"])
        assert card["link"]["url"].startswith(f"http://testserver/h5/quotes/{site.quote_id}?")
    manager = site.post(site.link("lina", f"/h5/quotes/{site.quote_id}"), data={"total": "1"})
    assert manager.status_code == 403 and "只有上传" in manager.text
    view = site.client.get(site.link("lina", f"/h5/quotes/{site.quote_id}"))
    assert view.status_code == 200 and "保存修改" not in view.text  # read-only for the manager


def test_the_customer_list_comes_in_pages(site: Site) -> None:
    with UnitOfWork(site.runtime.db, site.clock, actor_label="test") as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        for i in range(55):
            create_customer(uow, f"测试{i:02d}号贸易有限公司", owner=zhang)
        uow.commit()
    first = site.client.get(site.link("zhangwei", "/h5/customers"))
    assert first.status_code == 200
    assert "56 个客户" in first.text and "第 1 / 2 页" in first.text and "下一页" in first.text
    assert first.text.count('href="/h5/customers/') == 50
    second = site.client.get("/h5/customers?page=2")  # the 下一页 link, with the session the first visit set
    assert second.status_code == 200 and "第 2 / 2 页" in second.text
    assert second.text.count('href="/h5/customers/') == 6
    assert "上海宝钢" not in first.text + second.text  # 刘洋's customer: the scope is unchanged


def test_a_total_typed_as_10_wan_is_read_the_same_on_the_page_and_every_check_agrees_with_the_card(site: Site) -> None:
    url = site.link("zhangwei", f"/h5/quotes/{site.quote_id}")
    saved = site.post(url, data={"total": "10万"})
    assert saved.status_code == 303
    page = site.client.get(saved.headers["location"]).text
    with site.runtime.db.sessions() as s:
        quote = s.get(Quote, site.quote_id)
        assert quote is not None and quote.total == Decimal("100000.00")
        update = s.scalars(select(OutboxMessage).where(OutboxMessage.msg_type == "card_update")).one()
    fields = {f["label"]: f["value"] for f in update.payload["card"]["fields"]}
    # the card: both checks fail now (大写 壹万元整 and the lines ¥10,000.00 against ¥100,000.00)
    assert fields["合计"] == "¥100,000.00"
    assert "✗ 不一致" in fields["大写"] and "✗ 不一致" in fields["明细合计"]
    # the page: the same verdicts, and the words next to ✗ never say 一致
    assert "大写金额与合计不一致，请核对" in page and "明细合计 ¥10,000.00 与合计不一致，请核对" in page
    assert "大写金额与合计一致" not in page and "与合计一致</li>" not in page
    # back to the OCR'd total (typed as 1万): both agree again, on the card and the page
    site.post(url, data={"total": "1万"})
    page = site.client.get(url).text
    assert "大写金额与合计一致" in page and "明细合计 ¥10,000.00 与合计一致" in page
    with site.runtime.db.sessions() as s:
        last = s.scalars(select(OutboxMessage).where(OutboxMessage.msg_type == "card_update").order_by(OutboxMessage.id)).all()[-1]
    fields = {f["label"]: f["value"] for f in last.payload["card"]["fields"]}
    assert "✓ 一致" in fields["大写"] and "✓ 一致" in fields["明细合计"]
