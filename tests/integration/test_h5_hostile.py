"""Hostile input to the H5 pages (issue #19, points 8 and 11), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from domain.models import Quote
from tests.integration.test_h5 import Site, site  # noqa: F401  (the fixture)


@pytest.mark.parametrize(
    ("total", "words"),
    [("1e30", "金额太大了"), ("9" * 1000, "金额太大了"), ("12.345", "两位小数"), ("-5", "不能为负数")],
)
def test_a_total_no_column_can_hold_is_a_clear_400(site: Site, total: str, words: str) -> None:  # noqa: F811
    url = site.link("zhangwei", f"/h5/quotes/{site.quote_id}")
    with site.runtime.db.sessions() as s:
        before = s.scalar(select(Quote.total).where(Quote.id == site.quote_id))
    r = site.client.post(url, data={"total": total})
    assert r.status_code == 400 and words in r.text
    with site.runtime.db.sessions() as s:
        assert s.scalar(select(Quote.total).where(Quote.id == site.quote_id)) == before


def test_an_overlong_quote_number_is_a_clear_400(site: Site) -> None:  # noqa: F811
    r = site.client.post(site.link("zhangwei", f"/h5/quotes/{site.quote_id}"), data={"number": "Q" * 65})
    assert r.status_code == 400 and "单号最多 64 个字符" in r.text
