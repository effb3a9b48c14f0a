"""Questions and requests to the bot are not visit reports, even when they name a customer (issue #15)."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.clock import BUSINESS_TZ
from domain.customer_mentions import CustomerRef
from handlers.understand import parse_visit
from handlers.understand.intent import asks_the_bot

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)
CUSTOMERS = [CustomerRef(1, "西门子（中国）有限公司", ("西门子",)), CustomerRef(2, "隆基绿能科技股份有限公司", ("隆基",))]


@pytest.mark.parametrize(
    "text",
    [
        "西门子最近有没有人去过",  # asked in the middle, about a customer
        "隆基的客户经理是谁",
        "上周我都去了哪些客户那里",  # a visit verb, then what is asked about
        "这个月我拜访了几次",
        "帮我把西门子的负责人改成小刘",  # a request
        "给我看下隆基的联系人电话",
        "周五下午三点提醒我去西门子",
        "/查客户 西门子",
        "新建客户 南通华峰化工有限公司",
        "新增一个客户 南京某某化工有限公司",
        "列一下本月要跟进的客户",
        "看一下隆基最近三次拜访",
        "请问怎么上传报价单",
    ],
)
def test_questions_and_requests_are_not_visits(text: str) -> None:
    assert asks_the_bot(text)
    assert not parse_visit(text, NOW, CUSTOMERS).is_visit


@pytest.mark.parametrize(
    "text",
    [
        "今天去了西门子 张总问能不能再便宜点",  # the customer's question, told by the rep
        "隆基赵工 还不知道谁拍板",  # an open question reported
        "西门子孙部长 有没有可能拿下 现在还不好说",
        "隆基王工 提了几个技术问题 要书面答复",  # 几个 + noun: "several", not "how many"
        "西门子钱科长 备件价格每年要降5%，我们还在算能不能接受",
        "上午拜访了隆基，聊得怎么样？挺好的，下周再去",  # asked within the report
    ],
)
def test_reports_that_contain_a_question_stay_visits(text: str) -> None:
    assert not asks_the_bot(text)
    assert parse_visit(text, NOW, CUSTOMERS).is_visit


@pytest.mark.parametrize(
    "text",
    [
        "把上周三那条拜访的客户改成宝钢",  # a change to an earlier record
        "把美的的下次跟进改到周五",
        "本月拜访明细帮我导出来",  # a request in the middle of the message
        "这个月有什么需要跟进的",  # asking for one's own to-dos
        "我想问一下宝钢的合同到哪了",  # the rep's own question, with 问
    ],
)
def test_changes_exports_and_own_questions_are_not_visits(text: str) -> None:
    assert asks_the_bot(text)


@pytest.mark.parametrize(
    "text",
    [
        "宝钢钱科长 电话里问了一下我们的伺服电机能不能用在他们的老线上",  # a long reported question
        "格力黄工 说这批量大 两千台 单价能不能再降点",  # reported across spaces
        "今天去了美的 刚好他们在盘点 没聊什么",  # 没…什么 = nothing much
        "海尔的王经理帮我查了一下库存",  # the customer helped, in the past
    ],
)
def test_reported_questions_and_nothing_much_stay_visits(text: str) -> None:
    assert not asks_the_bot(text)
