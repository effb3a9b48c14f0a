"""One visit message → VisitDraft; corrections → EditRequest; quality gate over the evaluation set."""

from __future__ import annotations

import statistics
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.clock import BUSINESS_TZ
from domain.models import Stage
from handlers.understand.visit_text import CustomerIndex, CustomerRef, parse_edit, parse_visit

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)  # Wednesday
DATA = Path(__file__).resolve().parent.parent / "data" / "visit_messages.yaml"

CUSTOMERS = [
    CustomerRef(1, "华为技术有限公司", ("华为", "Huawei")),
    CustomerRef(2, "华为终端有限公司", ("华为终端",)),
    CustomerRef(3, "苏州精工机械有限公司", ("精工",)),
    CustomerRef(4, "苏州精密机械有限公司", ("苏州精密",)),
    CustomerRef(5, "ABB（中国）有限公司", ("ABB",)),
    CustomerRef(6, "西门子（中国）有限公司", ("西门子", "Siemens")),
    CustomerRef(7, "深圳市汇川技术股份有限公司", ("汇川",)),
    CustomerRef(8, "苏州汇川联合动力系统有限公司", ("联合动力",)),
    CustomerRef(9, "重庆长安汽车股份有限公司", ("长安汽车",)),
    CustomerRef(10, "宁德时代新能源科技股份有限公司", ("宁德时代",)),
]


def parse(text: str) -> Any:
    return parse_visit(text, NOW, CUSTOMERS)


# ------------------------------------------------------------------ the example
def test_the_example_from_the_brief() -> None:
    d = parse("今天拜访了华为的张总，聊了报价，下周三再跟进")
    assert d.customer_mention == "华为"
    assert d.candidates[0] == (1, 1.0)
    assert d.customer_id == 1
    assert (d.contact_name, d.contact_title) == ("张总", None)  # no title written: not 「张总（总）」
    assert d.visited_at.date() == date(2026, 11, 25) and d.visited_at_explicit
    assert d.summary == "聊了报价"
    assert d.next_step == "下周三再跟进"
    assert d.next_follow_up == date(2026, 12, 2)
    assert d.stage_hint is Stage.EVALUATION
    assert d.is_visit and not d.future_visit


# ------------------------------------------------------------------ customers
def test_near_duplicates_rank_the_exact_one_first() -> None:
    ids = [cid for cid, _ in parse("华为 张总").candidates]
    assert ids[:2] == [1, 2]
    assert parse("华为终端 李工").candidates[0] == (2, 1.0)
    assert parse("华为终端 李工").candidates[1][0] == 1  # "华为" inside "华为终端": kept, weaker
    assert parse("苏州精工 李工").candidates[0][0] == 3
    assert parse("苏州精密 李工").candidates[0][0] == 4


def test_a_longer_partial_name_beats_a_short_exact_alias_inside_it() -> None:
    assert parse("汇川联合动力 李工 方案").candidates[0][0] == 8
    assert parse("汇川 李工 方案").candidates[0][0] == 7


@pytest.mark.parametrize(
    ("text", "customer_id", "low", "high"),
    [
        ("huawei张总", 1, 1.0, 1.0),  # registered English alias
        ("siemens 王工", 6, 1.0, 1.0),
        ("ABB的袁经理", 5, 1.0, 1.0),
        ("changan 蔡经理", 9, 0.9, 0.9),  # full pinyin of the core (长 read chang, not zhang)
        ("hw 王经理", 1, 0.75, 0.75),  # pinyin initials
        ("华伟张总", 1, 0.75, 0.75),  # dictation homophone of two characters: offered, not saved blindly
        ("宁德时待的陈工", 10, 0.8, 0.8),
    ],
)
def test_english_pinyin_and_homophones(text: str, customer_id: int, low: float, high: float) -> None:
    cid, score = parse(text).candidates[0]
    assert cid == customer_id
    assert low <= score <= high


def test_an_everyday_word_inside_a_registered_name_is_no_customer() -> None:
    # 「数字」 of 杭州海康威视数字技术 is no 海康 in 「他是数字能源采购总监」 (the message named 华为 already)
    index = [*CUSTOMERS, CustomerRef(20, "杭州海康威视数字技术股份有限公司", ("海康",))]
    d = parse_visit("华为张总 他是 数字能源 采购总监 今天 第一次 见", NOW, index)
    assert d.candidates[0][0] == 1 and 20 not in [cid for cid, _ in d.candidates]
    assert d.contact_title == "数字能源采购总监"


def test_a_time_word_never_becomes_a_customer() -> None:
    customers = [CustomerRef(1, "常州天合光能有限公司", ("天合",))]
    assert parse_visit("今天合同谈完了", NOW, customers).candidates == ()


def test_unknown_company_is_reported_as_written() -> None:
    d = parse("今天拜访了恒瑞达电子的王总，聊了报价")
    assert d.candidates == ()
    assert d.customer_mention == "恒瑞达电子"
    assert d.contact_name == "王总"


def test_a_prebuilt_index_can_be_passed() -> None:
    index = CustomerIndex(CUSTOMERS)
    assert parse_visit("华为张总", NOW, index).candidates[0][0] == 1


# ------------------------------------------------------------------- contacts
@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # The title only as written: an honorific is not a title (「李总」 is not 「李总（总）」).
        ("华为张总 报价", "张总", None),
        ("精工李工 方案", "李工", None),
        ("西门子王经理", "王经理", None),
        ("华为采购部的刘经理", "刘经理", "采购部经理"),
        ("华为张建国总监", "张建国", "总监"),
        ("华为的王总经理", "王总经理", None),
        ("华为的王总工", "王总工", None),
        ("华为欧阳总", "欧阳总", None),
        ("苏州精工设备科科长刘工", "刘工", "设备科科长"),
        ("精工 刘工（设备科科长）", "刘工", "设备科科长"),
        ("华为 见了他助理小杨", "小杨", "助理"),
        ("华为 老王", "老王", None),
        ("ABB的Kevin 聊了方案", "Kevin", None),
    ],
)
def test_contacts(text: str, name: str, title: str | None) -> None:
    d = parse(text)
    assert (d.contact_name, d.contact_title) == (name, title)


def test_absent_people_and_colleagues_are_not_the_contact() -> None:
    assert parse("跟同事小王一起去了华为，见了陈博士").contact_name == "陈博士"
    assert parse("今天去华为，本来约的是张总，结果张总出差了，跟李经理聊了").contact_name == "李经理"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # the one planned was away or only said hello: the one who stood in is the contact
        ("今天 去 精工 约 的 是 曾工 结果 曾工 请假 是 他 同事 小潘 接待 的 样品 交给 小潘 了", "小潘"),
        ("西门子 的 Amy 今天 休假 是 她 同事 Bella 接 的 电话 确认 PO 已经 发 出来 了", "Bella"),
        ("精工的程总和滕工都在 程总打了个招呼就走了 具体是跟滕工谈的", "滕工"),
        ("华为的Jason介绍我认识了他们的采购Helen 今天跟Helen喝了咖啡", "Helen"),
        # our own colleague or a partner who came along, however often named
        ("和同事阿斌一起去的华为 阿斌讲技术 我讲商务 对方是采购部的杭经理", "杭经理"),
        ("今天跟代理商的老李一起去的苏州精密 见了他们的采购员小景", "小景"),
        ("王总 是 我们 公司 的 今天 他 带队 去 了 华为 见 了 曲总", "曲总"),
        ("公司王总带我去的华为 见了他们的采购总监宁总", "宁总"),
        # a partner who is the customer (an agent wanting our products) is the contact
        ("用友的一个代理商 林总 想代理我们的软件 今天来公司谈的", "林总"),
        # given names with 一, surnames 常 and 宁, dictated verbs
        ("精工 朱一鸣 今天签了 首批订单六十万", "朱一鸣"),
        ("王一 华为终端的 今天加了微信 先认识", "王一"),
        ("今天 在 精工 见 了 计划处 的 常处长 聊 了 排产", "常处长"),
        ("今天 去 了 精工 见 了 郭晓峰 聊 了 一下 外壳 的 打样", "郭晓峰"),
        ("华为 常务副总黄总 见了一面", "黄总"),
        # the honorific first, then the full name; nicknames right after the customer or a title
        ("精工李总李建华 今天拜访 谈了付款条件", "李建华"),
        ("华为 见了他们的采购工程师阿杰 问了MOQ和交期", "阿杰"),
        ("和精工强哥吃饭 喝多了", "强哥"),
        ("西门子Amy 1号之前把报价单给她", "Amy"),
        # the one under someone, the one who came instead, the one who stood in
        ("华为 今天对接的是采购刘经理手下的小陈 要了报价", "小陈"),
        ("华为 马总（他们老板）这次没来 生产部的小何来我们公司看了产线", "小何"),
        ("华为 周强不在 跟他们部门的文员小霞交了资质文件", "小霞"),
        ("华为 本来要见蔡部长 他让副部长孔德明代为接待 谈了质量协议", "孔德明"),
        # the colleague the rep went with is ours (named without a customer's honorific)
        ("和小王一起拜访了华为的副总裁吴总 高层拜访", "吴总"),
        ("下午和老张去了华为 对方采购经理Jason咬死要降10%", "Jason"),
        # dictated, a blank after every word: a surname and its honorific written apart, a full name in letters
        ("今天 上午 去 了 华为 苏州 工厂 见 了 采购 部 的 林 经理 他 已经 把 询价 单 发 过来 了", "林经理"),
        ("今天 见 了 华为 的 采购 部长 唐 建 平 聊 了 付款 方式", "唐建平"),
        # only the surname, said of the person after the title
        ("微信视频和华为的技术经理聊了下方案 对方姓邵 他提了几个修改点", "邵经理"),
        # a full name first, then what the person is
        ("上官婷是华为的采购工程师 今天第一次对接", "上官婷"),
    ],
)
def test_who_was_met(text: str, name: str) -> None:
    assert parse(text).contact_name == name


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # the name said after the title (叫…), or only the surname (姓…): filed with the rank's honorific
        ("华为 他是研发总监 叫蒋明 今天第一次见", "蒋明", "研发总监"),
        ("华为 她是采购部的 叫刘芳 今天拜访 要了报价", "刘芳", "采购部"),
        ("苏州精密 设备科科长 姓钱 今天拜访", "钱科长", "设备科科长"),
        ("华为 她是总经办主任 姓董 第一次去 留了资料", "董主任", "总经办主任"),
    ],
)
def test_name_said_after_the_title(text: str, name: str, title: str) -> None:
    d = parse(text)
    assert (d.contact_name, d.contact_title) == (name, title)


def test_a_message_typed_with_a_blank_after_every_character() -> None:
    d = parse("华 为 周 经 理 下 周 三 再 约")
    assert (d.candidates[0][0], d.contact_name, d.next_follow_up) == (1, "周经理", date(2026, 12, 2))
    # words with blanks between them stay words (「下周 三台」 is three machines, not Wednesday)
    assert parse("华为 张总 下周 三台 设备 到货").next_follow_up != date(2026, 12, 2)


def test_the_colleague_the_rep_went_with_is_no_contact() -> None:
    assert parse("今天跟小孙去了华为 本来是去签合同的 结果他们说项目被集团叫停了").contact_name is None
    assert parse("跟张总去了华为的车间 看了设备").contact_name == "张总"  # theirs, showing the plant


def test_a_dictated_figure_in_words() -> None:
    assert parse("今天 电话 里 跟 华为 的 采购 黄 姐 确认 了 一下 我们 中标 了 金额 三百 二十 万").amount == Decimal(3200000)


def test_our_colleague_sent_alone_is_no_contact() -> None:
    assert parse("今天 让 小王 替 我 去 了 趟 精工 送 样品 我 没 去").contact_name is None


def test_words_that_look_like_names_are_not() -> None:
    assert parse("华为 聊了工期和项目经理的安排").contact_name is None
    assert parse("公司总经理办公室").contact_name is None


# ------------------------------------------------------------------- times
@pytest.mark.parametrize(
    ("text", "visited", "explicit"),
    [
        ("华为张总 报价", datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ), False),  # default: now
        ("上午拜访华为张总", datetime(2026, 11, 25, 10, 0, tzinfo=BUSINESS_TZ), True),
        ("下午拜访华为张总", datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ), True),
        ("昨天下午三点拜访华为", datetime(2026, 11, 24, 15, 0, tzinfo=BUSINESS_TZ), True),
        ("周一拜访了华为", datetime(2026, 11, 23, 12, 0, tzinfo=BUSINESS_TZ), True),
        ("11月20日拜访华为", datetime(2026, 11, 20, 12, 0, tzinfo=BUSINESS_TZ), True),
    ],
)
def test_visit_time(text: str, visited: datetime, explicit: bool) -> None:
    d = parse(text)
    assert d.visited_at == visited
    assert d.visited_at.tzinfo is not None
    assert d.visited_at_explicit is explicit


@pytest.mark.parametrize(
    ("text", "follow_up"),
    [
        ("华为张总 报价 周五再约", date(2026, 11, 27)),
        ("华为张总 下个月初再跟进", date(2026, 12, 1)),
        ("华为张总 月底前给答复", date(2026, 11, 30)),
        ("华为张总 过两天再联系", date(2026, 11, 27)),
        ("华为张总 3天后回访", date(2026, 11, 28)),
        ("周一拜访了华为张总，周五再约", date(2026, 11, 27)),
        ("华为张总 报价", None),
        # 一下 before 月底 is no 下月底; dictated 下 个 星期 三; a plant numbered 三号 is no date
        ("华为吴师傅 今天现场勘查了一下 月底前出方案", date(2026, 11, 30)),
        ("华为张总 下 个 星期 三 再去", date(2026, 12, 2)),
        ("华为三号厂区设备主管吴师傅 今天现场勘查了一下 月底前出方案", date(2026, 11, 30)),
        # English day words inside a Chinese message
        ("今天去华为见了procurement的Lisa 聊了price 我们最多给3% next Monday再follow up", date(2026, 11, 30)),
        ("华为的Michael今天call我 RFQ发过来了 让我们Friday之前submit报价", date(2026, 11, 27)),
    ],
)
def test_follow_up(text: str, follow_up: date | None) -> None:
    assert parse(text).next_follow_up == follow_up


def test_a_visit_in_the_future_is_flagged() -> None:
    d = parse("明天去拜访华为的王总")
    assert d.visited_at.date() == date(2026, 11, 26)
    assert d.future_visit
    assert d.next_follow_up is None


def test_dictated_text_without_punctuation() -> None:
    d = parse("昨天下午三点拜访了精工的张总主要聊了设备改造的方案下周五之前给他们一个报价")
    assert d.candidates[0][0] == 3
    assert d.contact_name == "张总"
    assert d.visited_at == datetime(2026, 11, 24, 15, 0, tzinfo=BUSINESS_TZ)
    assert d.next_follow_up == date(2026, 12, 4)
    assert d.summary is not None and "方案" in d.summary
    assert d.next_step is not None and d.next_step.startswith("下周五")


# ------------------------------------------------------------------- stages
@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("华为 聊了报价", Stage.EVALUATION),
        ("华为 方案评审", Stage.EVALUATION),
        ("华为 谈判", Stage.NEGOTIATION),
        ("华为 议价", Stage.NEGOTIATION),
        ("华为 砍价", Stage.NEGOTIATION),
        ("华为 商务条款", Stage.NEGOTIATION),
        ("华为 签约了", Stage.WON),
        ("华为 签了", Stage.WON),
        ("华为 成交", Stage.WON),
        ("华为 下单了", Stage.WON),
        ("华为 中标了", Stage.WON),
        ("华为 丢了", Stage.LOST),
        ("华为 黄了", Stage.LOST),
        ("华为 没戏了", Stage.LOST),
        ("华为 选了别家", Stage.LOST),
        ("华为 丢单", Stage.LOST),
        ("华为 初次拜访", Stage.LEAD),
        ("华为 合同还没签", Stage.NEGOTIATION),
        ("华为 未签约", Stage.NEGOTIATION),
        ("华为 准备下周签约", Stage.NEGOTIATION),
        ("华为 没中标", Stage.LOST),
        ("华为 差点丢单 最后还是签了", Stage.WON),
        ("华为 签了保密协议 开始技术交流", Stage.EVALUATION),
        ("华为 他们和别家签了", Stage.LOST),
        ("华为 不是丢单 是延期", None),
        ("华为 聊了聊", None),
        # chosen but not signed, an order to come, a contract waiting on their approval: negotiation
        ("华为张总电话 说定了用我们", Stage.NEGOTIATION),
        ("华为张总 说下周五给PO", Stage.NEGOTIATION),
        ("华为张总 说月初下单", Stage.NEGOTIATION),
        ("华为 杨经理说合同他们总监那边还没批 再等等", Stage.NEGOTIATION),
        # supplier qualification and a unit price named: evaluation
        ("华为 SQE潘磊 让我们填了供应商调查表", Stage.EVALUATION),
        ("华为老周 单价2.8万 要20台", Stage.EVALUATION),
        # a test passed is no rejection (「直接pass了」 is)
        ("华为 Kevin 说我们的sample第二轮测试pass了 下周安排pilot run", Stage.EVALUATION),
        ("华为张总 我们的方案直接pass了", Stage.LOST),
    ],
)
def test_stage_hints(text: str, stage: Stage | None) -> None:
    assert parse(text).stage_hint is stage


def test_a_conditional_loss_is_not_a_loss() -> None:
    assert parse("华为 如果价格降不下来就没戏了").stage_hint is not Stage.LOST


def test_not_yet_signed_never_gives_won() -> None:
    for text in ("还没签", "没签", "合同没签成", "尚未签约", "还没下单"):
        assert parse("华为张总 " + text).stage_hint is not Stage.WON, text


# ------------------------------------------------------------------- amounts
@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("预算50万", Decimal(500000)),
        ("报价38.5万", Decimal(385000)),
        ("120万", Decimal(1200000)),
        ("3千万", Decimal(30000000)),
        ("80w", Decimal(800000)),
        ("5,000元", Decimal(5000)),
        ("预算五十万", Decimal(500000)),
        ("报价５０万", Decimal(500000)),
        ("1万台设备", None),
        ("3天后", None),
        # a ceiling is the figure only when no other is named; a rate by the hour is no deal's value
        ("华为张总说这个项目预算在三百五十万以内", Decimal(3500000)),
        ("华为张总 报价 叁拾贰万 他嫌贵 希望30万以内", Decimal(320000)),
        ("华为 Mr. Li 说 框架 价格 每小时 人工 费 三百八", None),
        ("华为Amy 要了 清洗 药水 的 报价 每桶 一千二 一年 大概 用 两千桶", None),
        # the price they want to push us to is their counter-offer; our part of a bigger project is ours; a term
        # after the contract figure is a term
        ("华为老孟 报了26万 他们嫌贵想压到22万", Decimal(260000)),
        ("华为Steven 项目总投资5个亿 我们这块大概600万 让我们报价", Decimal(6000000)),
        ("华为戴总 年度框架合同800万 返点2%谈下来了 下周签", Decimal(8000000)),
        ("华为 给了5万的优惠", None),
        # typed with a blank after every character
        ("华 为 张 总 三 十 五 万 的 报 价 发 了", Decimal(350000)),
    ],
)
def test_amounts(text: str, amount: Decimal | None) -> None:
    assert parse("华为 " + text).amount == amount


def test_amount_prefers_the_money_word() -> None:
    assert parse("华为 首批2万套 合同金额156万").amount == Decimal(1560000)


# ------------------------------------------------------------------- is_visit
@pytest.mark.parametrize("text", ["你好", "帮助", "我的待办", "谢谢", "在吗", "help", "查一下华为的联系人", "好的收到"])
def test_not_a_visit(text: str) -> None:
    assert not parse(text).is_visit


@pytest.mark.parametrize("text", ["华为张总 报价 周五再约", "拜访了一家新客户", "华为 丢了"])
def test_a_visit(text: str) -> None:
    assert parse(text).is_visit


# ------------------------------------------------------------------- edits
def test_edit_follow_up() -> None:
    edit = parse_edit("改成下周四跟进", NOW)
    assert edit is not None and edit.next_follow_up == date(2026, 12, 3)
    edit = parse_edit("跟进时间改为12月3号", NOW)
    assert edit is not None and edit.next_follow_up == date(2026, 12, 3)
    edit = parse_edit("下周四再跟进", NOW)
    assert edit is not None and edit.next_follow_up == date(2026, 12, 3)


def test_edit_customer_contact_time_stage_amount() -> None:
    edit = parse_edit("客户改成华为终端", NOW)
    assert edit is not None and edit.customer_mention == "华为终端"
    edit = parse_edit("联系人是李工", NOW)
    assert edit is not None and (edit.contact_name, edit.contact_title) == ("李工", "工程师")
    edit = parse_edit("时间改成昨天下午", NOW)
    assert edit is not None and edit.visited_at == datetime(2026, 11, 24, 15, 0, tzinfo=BUSINESS_TZ)
    edit = parse_edit("阶段改成谈判", NOW)
    assert edit is not None and edit.stage_hint is Stage.NEGOTIATION
    edit = parse_edit("金额改成50万", NOW)
    assert edit is not None and edit.amount == Decimal(500000)


@pytest.mark.parametrize("text", ["取消", "算了", "不记了", "取消。"])
def test_edit_cancel(text: str) -> None:
    edit = parse_edit(text, NOW)
    assert edit is not None and edit.cancel


@pytest.mark.parametrize("text", ["今天拜访了华为张总", "你好", "明天", "报价发了"])
def test_not_an_edit(text: str) -> None:
    assert parse_edit(text, NOW) is None


# ------------------------------------------------------------------- contract
def test_deterministic_and_clock_free() -> None:
    text = "周一拜访了华为的张总，周五再约"
    assert parse(text) == parse(text)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_visit("华为", datetime(2026, 11, 25, 15, 0), CUSTOMERS)


# ------------------------------------------------------------- evaluation gate
def _evaluation() -> tuple[datetime, list[CustomerRef], list[dict[str, Any]]]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    customers = [CustomerRef(c["id"], c["name"], tuple(c.get("aliases", ()))) for c in data["customers"]]
    return datetime.fromisoformat(str(data["now"])), customers, data["messages"]


def test_evaluation_set_is_big_enough() -> None:
    _, customers, messages = _evaluation()
    assert len(messages) >= 500
    # Issue #15 asks for ≥ 500 messages, a third of them held out (never tuned on): the share is measured on the
    # whole set, so new tuning rows need new held-out rows too.
    assert sum(1 for m in messages if m.get("holdout")) * 3 >= len(messages)
    assert len(customers) >= 30


def test_evaluation_accuracy_per_field() -> None:
    """Quality gate: ≥ 95 % on every field over the tuning part (rows without ``holdout``).

    The held-out part is never tuned on, so it does not gate: bench/visits.py reports it as the
    accuracy estimate. This gate catches regressions on what the rules were tuned against.
    """
    now, customers, messages = _evaluation()
    names = {c.id: c.name for c in customers}
    fields = ("customer", "contact", "visit_date", "follow_up", "stage_hint", "is_visit")
    correct = dict.fromkeys(fields, 0)
    total = dict.fromkeys(fields, 0)
    for msg in messages:
        if msg.get("holdout"):
            continue
        d = parse_visit(msg["text"], now, customers)
        expected_visit = msg.get("is_visit", True)
        total["is_visit"] += 1
        correct["is_visit"] += d.is_visit == expected_visit
        if not expected_visit:
            continue
        got = {
            "customer": names[d.candidates[0][0]] if d.candidates else None,
            "contact": d.contact_name,
            "visit_date": d.visited_at.date(),
            "follow_up": d.next_follow_up,
            "stage_hint": d.stage_hint.value if d.stage_hint else None,
        }
        for name, value in got.items():
            want = msg.get(name)
            if name == "customer" and "customer" not in msg and msg.get("customers"):
                want = msg["customers"][0]  # several customers labelled as a list only: the first visit's
            total[name] += 1
            correct[name] += value == want
    accuracy = {name: correct[name] / total[name] for name in fields}
    assert all(acc >= 0.95 for acc in accuracy.values()), accuracy


def test_fast_enough() -> None:
    now, customers, messages = _evaluation()
    parse_visit("预热 warm-up 华为", now, customers)
    timings = []
    for msg in messages:
        t0 = time.perf_counter()
        parse_visit(msg["text"], now, customers)
        timings.append(time.perf_counter() - t0)
    assert statistics.median(timings) < 0.005


def test_a_new_company_is_not_picked_by_a_short_part_of_its_name() -> None:
    """「新客户 深圳市科达精密」: 精密 is also 苏州精密's 字号, but the rep says the company is new: the bot asks."""
    draft = parse("新客户 深圳市科达精密 李工 初次拜访")
    assert draft.customer_id is None
    assert parse("苏州精密 李工 初次拜访").customer_id == 4
