"""Hostile input to the H5 pages (issue #19, points 8 and 11), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.links import contract_path
from domain.models import ApprovalStep, Quote, User
from tests.integration.test_h5 import Site, site  # noqa: F401  (the fixture)


@pytest.mark.parametrize(
    ("total", "words"),
    [("1e30", "金额太大了"), ("9" * 1000, "金额太大了"), ("12.345", "两位小数"), ("-5", "不能为负数")],
)
def test_a_total_no_column_can_hold_is_a_clear_400(site: Site, total: str, words: str) -> None:  # noqa: F811
    url = site.link("zhangwei", f"/h5/quotes/{site.quote_id}")
    with site.runtime.db.sessions() as s:
        before = s.scalar(select(Quote.total).where(Quote.id == site.quote_id))
    r = site.post(url, data={"total": total})
    assert r.status_code == 400 and words in r.text
    with site.runtime.db.sessions() as s:
        assert s.scalar(select(Quote.total).where(Quote.id == site.quote_id)) == before


def test_an_overlong_quote_number_is_a_clear_400(site: Site) -> None:  # noqa: F811
    r = site.post(site.link("zhangwei", f"/h5/quotes/{site.quote_id}"), data={"number": "Q" * 65})
    assert r.status_code == 400 and "单号最多 64 个字符" in r.text


def _decision_page(site: Site) -> tuple[str, int]:  # noqa: F811
    from tests.integration.test_h5_approvals import _submit

    contract_id = _submit(site, "380000")
    with site.runtime.db.sessions() as s:
        step_id = s.scalar(select(ApprovalStep.id).where(ApprovalStep.status == "pending"))
    assert step_id is not None
    return site.link("wangfang", contract_path(contract_id)), step_id


def test_a_cross_site_post_with_a_signed_link_changes_nothing(site: Site) -> None:  # noqa: F811
    url, step_id = _decision_page(site)
    form = {"step_id": str(step_id), "action": "reject", "reason": "伪造"}
    foreign = site.client.post(url, data=form, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "只能在销售助手自己的页面上提交" in foreign.text
    no_token = site.client.post(url, data=form)  # a form on another site cannot know the token
    assert no_token.status_code == 403 and "请刷新页面后重新提交" in no_token.text
    with site.runtime.db.sessions() as s:
        assert s.scalar(select(ApprovalStep.status).where(ApprovalStep.id == step_id)) == "pending"
    ours = site.post(url, {"step_id": str(step_id), "action": "approve"})  # Origin: null (no-referrer) is fine
    assert ours.status_code == 303


def test_pages_carry_security_headers(site: Site) -> None:  # noqa: F811
    page = site.client.get(site.link("zhangwei", f"/h5/quotes/{site.quote_id}"))
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "SAMEORIGIN"  # no other site may frame a 同意 button
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"


def test_api_docs_are_off_unless_configured(site: Site) -> None:  # noqa: F811
    assert site.client.get("/docs").status_code == 404
    assert site.client.get("/openapi.json").status_code == 404


def test_a_customer_name_with_markup_is_shown_as_text(site: Site) -> None:  # noqa: F811
    from domain.services.customers import create_customer
    from domain.uow import UnitOfWork

    name = '<a href="http://evil.example">苏州精工</a><script>alert(1)</script>'
    with UnitOfWork(site.runtime.db, site.clock, actor_label="test") as uow:
        owner = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        customer = create_customer(uow, name, owner=owner)
        uow.commit()
        customer_id = customer.id
    page = site.client.get(site.link("zhangwei", f"/h5/customers/{customer_id}"))
    assert page.status_code == 200
    assert "<script>alert" not in page.text and '<a href="http://evil' not in page.text
    assert "&lt;script&gt;" in page.text


def test_the_quote_photo_outlives_the_platforms_media(site: Site) -> None:  # noqa: F811
    # Issue #19, point 13: WeCom keeps media 3 days; the OCR job keeps the photo in our store.
    from bot.photos import store_from_settings
    from domain.uow import UnitOfWork

    photo = b"\xff\xd8\xff\xe0" + b"the photo behind an approved contract" * 20
    key = store_from_settings(site.runtime.settings.photo_dir).put(photo)
    with UnitOfWork(site.runtime.db, site.clock, actor_label="test") as uow:
        quote = uow.session.get(Quote, site.quote_id)
        assert quote is not None
        quote.extracted = {**quote.extracted, "photo": {"platform": "wecom", "media_id": "gone", "stored": key}}
        uow.commit()
    site.clock.advance(timedelta(days=30))  # the platform's copy is long gone
    site.client.get(site.link("zhangwei", f"/h5/quotes/{site.quote_id}"))
    shown = site.client.get(f"/h5/quotes/{site.quote_id}/photo")
    assert shown.status_code == 200 and shown.content == photo
