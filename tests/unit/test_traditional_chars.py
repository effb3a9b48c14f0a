"""Traditional characters typed by a rep, or in a customer list, find the same customer and dates (domain/simplified.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.clock import BUSINESS_TZ
from domain.customer_names import fold
from domain.simplified import to_simplified
from handlers.understand.visit_text import CustomerRef, parse_visit

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)  # a Wednesday
CUSTOMERS = [
    CustomerRef(1, "重庆银龙机械有限公司", ()),
    CustomerRef(2, "臺灣精密工業股份有限公司", ()),  # imported from a list kept in traditional characters
    CustomerRef(3, "苏州精工机械有限公司", ("精工",)),
]


@pytest.mark.parametrize(
    ("text", "customer", "contact", "follow_up"),
    [
        ("今天拜訪了重慶銀龍的張總，談了報價，下週五再跟進", 1, "张总", date(2026, 12, 4)),
        ("今天去了台湾精密 见了林经理 下周一再约", 2, "林经理", date(2026, 11, 30)),
        ("今天去了臺灣精密見了林經理", 2, "林经理", None),
        ("昨天拜訪精工王總 聊了交期", 3, "王总", None),
    ],
)
def test_traditional_and_simplified_meet(text: str, customer: int, contact: str, follow_up: date | None) -> None:
    draft = parse_visit(text, NOW, CUSTOMERS)
    assert draft.customer_id == customer
    assert draft.contact_name == contact
    assert draft.next_follow_up == follow_up


def test_names_fold_to_one_key_whichever_script() -> None:
    assert fold("重慶銀龍機械有限公司") == fold("重庆银龙机械有限公司")
    assert fold("臺灣精密（昆山）") == fold("台湾精密(昆山)")


@pytest.mark.parametrize("text", ["著名企业", "乾元科技", "理发店", "一只手", "余总", "制造部"])
def test_simplified_words_that_look_traditional_stay(text: str) -> None:
    assert to_simplified(text) == text
