"""Customers as reps name them: 字号, city + 字号, short names, letters — never a confident wrong pick."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.clock import BUSINESS_TZ
from domain.customer_mentions import CustomerIndex, CustomerRef
from domain.customer_names import parse_company_name
from handlers.understand import parse_visit

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=BUSINESS_TZ)
CUSTOMERS = [
    CustomerRef(1, "柳州国联运输集团有限公司"),
    CustomerRef(2, "珠海路畅机电设备有限公司"),
    CustomerRef(3, "卧龙电气驱动集团股份有限公司"),
    CustomerRef(4, "无锡华晟汽车零部件有限公司"),
    CustomerRef(5, "常州天合智能装备有限公司"),
    CustomerRef(6, "成都蓉城医疗器械有限公司"),
    CustomerRef(7, "宁波东力股份有限公司"),
    CustomerRef(8, "比亚迪股份有限公司"),
    CustomerRef(9, "宁德时代新能源科技股份有限公司", ("CATL",)),
    CustomerRef(10, "恒烁半导体（合肥）股份有限公司"),
    CustomerRef(11, "苏州华晟精密机械有限公司"),
]
INDEX = CustomerIndex(CUSTOMERS)


def confident(text: str) -> int | None:
    draft = parse_visit(text, NOW, INDEX)
    ones = [cid for cid, score in draft.candidates if score >= 1.0]
    if len(ones) == 1:
        return ones[0]
    lead = draft.customer_id
    if lead is not None and (len(draft.candidates) == 1 or draft.candidates[1][1] < 0.8):
        return lead
    return None


@pytest.mark.parametrize(
    ("text", "customer_id"),
    [
        ("今天拜访了国联的王总，聊了报价", 1),
        ("柳州国联 李经理 谈了运费", 1),
        ("下午去了卧龙电驱，见了采购刘工", 3),
        ("无锡华晟的张总说下周下单", 4),
        ("常州天合 陈工 技术交流", 5),
        ("成都蓉城医疗的王主任，聊了方案", 6),
        ("拜访比亚迪，聊了电池", 8),
        ("BYD的采购今天来电话", 8),
        ("catl 的陈工", 9),
        ("恒烁半导体(合肥)的张总", 10),
        ("恒烁半导体（合肥）股份有限公司 张总", 10),
        ("合肥恒烁 张总", 10),
        ("ＢＹＤ 采购", 8),
    ],
)
def test_a_mention_a_rep_would_use_resolves_confidently(text: str, customer_id: int) -> None:
    assert confident(text) == customer_id


def test_a_shared_字号_asks_with_both_and_never_guesses() -> None:
    draft = parse_visit("今天去了华晟，见了张总", NOW, INDEX)
    assert confident("今天去了华晟，见了张总") is None
    assert {4, 11} <= {cid for cid, _ in draft.candidates}


def test_a_short_name_that_fits_no_customer_picks_none() -> None:
    draft = parse_visit("拜访了川能动力的王总", NOW, INDEX)
    assert 7 not in [cid for cid, score in draft.candidates if score >= 0.8]
    assert confident("拜访了川能动力的王总") is None


def test_the_assistant_is_a_contact_not_a_customer() -> None:
    draft = parse_visit("今天拜访了国联，见了他助理小杨", NOW, INDEX)
    assert confident("今天拜访了国联，见了他助理小杨") == 1
    assert draft.customer_mention == "国联"


def test_registered_name_parts() -> None:
    name = parse_company_name("恒烁半导体(合肥)股份有限公司")
    assert (name.place, name.brand, name.industry, name.form) == ("合肥", "恒烁", "半导体", "股份有限公司")
    branch = parse_company_name("常州途畅互联网科技有限公司合肥分公司")
    assert branch.branch == "合肥分公司" and branch.place == "常州"
    group = parse_company_name("柳州国联运输集团有限公司")
    assert (group.place, group.brand, group.industry) == ("柳州", "国联", "运输")


def test_lookup_of_a_typed_name() -> None:
    assert INDEX.lookup("国联")[0][:2] == (1, 1.0)
    assert INDEX.lookup("柳州国联运输集团有限公司")[0] == (1, 1.0, "全称")
    assert INDEX.lookup("腾讯") == []


def test_an_index_follows_renames_and_removals() -> None:
    index = CustomerIndex(CUSTOMERS)
    index.update([CustomerRef(2, "珠海路通机电设备有限公司")], removed=[1])
    assert index.lookup("国联") == []
    assert index.lookup("路通")[0][0] == 2
    assert index.lookup("路畅") == []


# Real registered names from the tuning part of bench/customers.py (fuyun-comrec train_data) whose
# mentions went wrong or asked for nothing before, with the look-alikes that caught them.
TUNING = CustomerIndex(
    [
        CustomerRef(21, "天津市蓟县环宇劳保制品厂"),
        CustomerRef(22, "天津市环宇鸿业电气销售有限公司"),
        CustomerRef(23, "意大利斯卡拉日化有限公司"),
        CustomerRef(24, "松滋市卡拉可可服饰有限公司"),
        CustomerRef(25, "天津市宝坻区英俊服装店"),
        CustomerRef(26, "天津市宝坻区英俊百货商店"),
        CustomerRef(27, "贵州鑫欣竹制品有限公司"),
        CustomerRef(28, "天津鑫欣永大科技有限公司"),
        CustomerRef(29, "天津市森达熏蒸服务有限公司"),
        CustomerRef(30, "天津开发区长安达熏蒸消毒服务有限公司"),
        CustomerRef(31, "天津三联工业技术玻璃有限责任公司"),
        CustomerRef(32, "天津三联工业技术玻璃有限责任公司加油站"),
        CustomerRef(33, "中国诚通金属天津公司"),
        CustomerRef(34, "天津路桥建设工程有限公司第二分公司"),
        CustomerRef(35, "沁阳市安顺机械有限公司"),
        CustomerRef(36, "天津安顺利达物流有限公司"),
        CustomerRef(37, "蓝天舞台灯光设备有限公司"),
        CustomerRef(38, "广州蓝天舞台设备有限公司"),
        CustomerRef(39, "苍南县金乡镇兴辉纸塑制品厂"),
    ]
)


def _decide(text: str) -> tuple[int | None, set[int]]:
    """(saved customer, offered customers) as handlers/visits.py decides."""
    draft = parse_visit(text, NOW, TUNING)
    ones = [cid for cid, score in draft.candidates if score >= 1.0]
    if len(ones) == 1:
        return ones[0], set()
    lead = draft.customer_id
    if not ones and lead is not None and (len(draft.candidates) == 1 or draft.candidates[1][1] < 0.8):
        return lead, set()
    return None, set(ones or [cid for cid, _ in draft.candidates])


@pytest.mark.parametrize(
    ("text", "customer_id"),
    [
        ("下午去了蓟县环宇，看了样品", 21),  # 蓟县 is a county written with 县, not part of the 字号
        ("今天拜访了斯卡拉的王总", 23),  # 意大利 is a place; 卡拉 inside 斯卡拉 is not 卡拉可可
        ("森达熏蒸 李经理 技术交流", 29),  # the whole short name, not the 达熏蒸 inside it
        ("下午去了兴辉纸塑，看了样品", 39),  # 金乡镇 is a town, not the start of the 字号
        ("今天拜访了沁阳安顺的王总", 35),  # 安顺 after 沁阳市 is the 字号: 安顺 city is not in 沁阳
    ],
)
def test_tuning_mentions_resolve_to_the_right_customer(text: str, customer_id: int) -> None:
    assert _decide(text)[0] == customer_id


@pytest.mark.parametrize(
    ("text", "both"),
    [
        ("今天拜访了天津市宝坻区英俊的王总", {25, 26}),  # same place and 字号: ask
        ("今天拜访了鑫欣的王总", {27, 28}),  # 鑫欣|竹制品 and 鑫欣永大: ask, never 鑫欣永大 alone
        ("三联工业 李经理 技术交流", {31, 32}),  # a company and its 加油站
        ("下午去了蓝天舞台，看了样品", {37, 38}),  # 舞台 is an industry word of both
    ],
)
def test_tuning_mentions_two_customers_share_are_asked(text: str, both: set[int]) -> None:
    saved, offered = _decide(text)
    assert saved is None and both <= offered


def test_a_place_alone_names_no_customer() -> None:
    assert _decide("今天去了天津，看了样品")[0] is None  # not 中国诚通金属天津公司


def test_a_date_word_inside_a_name_is_the_name() -> None:
    index = CustomerIndex([CustomerRef(1, "昆明天一装饰有限公司"), CustomerRef(2, "九号有限公司")])
    draft = parse_visit("今天拜访了昆明天一的王总，聊了报价", NOW, index)
    assert draft.customer_id == 1 and draft.next_follow_up is None
    draft = parse_visit("九号公司 李经理 技术交流，明天再跟进", NOW, index)
    assert draft.customer_id == 2 and draft.next_follow_up is not None and draft.next_follow_up.day == 26
    draft = parse_visit("九号去了昆明天一", NOW, index)  # 九号 alone is still a date
    assert draft.customer_id == 1 and draft.visited_at.day == 9
