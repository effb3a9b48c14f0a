"""Several customers in one message (issue #15; messages written for these tests)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.clock import BUSINESS_TZ
from handlers.understand.split import split_visits
from handlers.understand.visit_text import CustomerRef, parse_visit

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)  # Wednesday
CUSTOMERS = [
    CustomerRef(1, "徐工集团工程机械股份有限公司", ("徐工",)),
    CustomerRef(2, "潍柴动力股份有限公司", ("潍柴",)),
    CustomerRef(3, "比亚迪股份有限公司", ("比亚迪",)),
    CustomerRef(4, "宁德时代新能源科技股份有限公司", ("宁德时代",)),
]


def customers(text: str) -> list[int | None]:
    return [p.draft.customer_id for p in split_visits(text, NOW, CUSTOMERS)]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("徐工罗总约了潍柴梁总 晚上一起吃了个饭", [1, 2]),  # one person brings another along
        ("比亚迪刘工带着宁德时代陈工来我们公司参观", [3, 4]),
        ("徐工罗总今天来了 叫上了潍柴的梁总一起", [1, 2]),
        ("跟徐工罗总、潍柴梁总吃了个饭 聊了行业形势", [1, 2]),  # one meal with both, named as a list
        ("徐工罗总和潍柴梁总 我们四个一起开了个会", [1, 2]),
    ],
)
def test_people_of_two_customers_met_together(text: str, ids: list[int]) -> None:
    assert customers(text) == ids


@pytest.mark.parametrize("text", ["比亚迪刘工说宁德时代那边也在用我们的电池箱", "徐工罗总和潍柴梁总在比价"])
def test_a_customer_named_in_passing_starts_no_visit(text: str) -> None:
    assert customers(text) == []


def test_bare_weekdays_each_start_a_visit_on_their_day() -> None:
    parts = split_visits("周一徐工 周二潍柴", NOW, CUSTOMERS)
    assert [(p.draft.customer_id, p.draft.visited_at.date(), p.draft.future_visit) for p in parts] == [
        (1, date(2026, 11, 23), False),
        (2, date(2026, 11, 24), False),
    ]


def test_weekdays_still_ahead_are_planned_visits() -> None:
    parts = split_visits("周五徐工 下周一潍柴", NOW, CUSTOMERS)
    assert [(p.draft.customer_id, p.draft.visited_at.date(), p.draft.future_visit) for p in parts] == [
        (1, date(2026, 11, 27), True),
        (2, date(2026, 11, 30), True),
    ]


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("去了徐工 见了罗总 电话里说预算批了", "电话里说预算批了"),  # not 「电话里，说…」
        ("去了徐工 罗总在微信上说图纸改好了", "罗总在微信上说图纸改好了"),
    ],
)
def test_where_something_was_said_stays_with_it_in_the_note(text: str, note: str) -> None:
    summary = parse_visit(text, NOW, CUSTOMERS).summary or ""
    assert note in summary.replace("，", "") and "，说" not in summary


@pytest.mark.parametrize(
    "text",
    ["徐工罗总那边谈完 转场到潍柴", "徐工完事去了趟潍柴", "徐工罗总聊完了去的潍柴"],
)
def test_one_errand_done_then_the_next(text: str) -> None:
    assert customers(text) == [1, 2]


@pytest.mark.parametrize(
    ("text", "ids"),
    [("在徐工碰到了潍柴的梁总", [1, 2]), ("在比亚迪开会的时候遇到了宁德时代陈工", [3, 4]), ("徐工罗总说见到了潍柴的人", [])],
)
def test_meeting_another_customers_person_there_is_a_visit_too(text: str, ids: list[int]) -> None:
    assert customers(text) == ids


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("昨天徐工 今天潍柴", [date(2026, 11, 24), date(2026, 11, 25)]),  # a day of its own opens a visit
        ("11月23日徐工 11月24日潍柴", [date(2026, 11, 23), date(2026, 11, 24)]),
        ("星期一去的徐工 星期二去的潍柴", [date(2026, 11, 23), date(2026, 11, 24)]),  # 去的 tells of the past
    ],
)
def test_each_visit_on_its_own_day(text: str, days: list[date]) -> None:
    parts = split_visits(text, NOW, CUSTOMERS)
    assert [(p.draft.customer_id, p.draft.visited_at.date()) for p in parts] == list(zip([1, 2], days, strict=True))


def test_a_plan_stays_with_its_customer_and_its_day() -> None:
    parts = split_visits("周一徐工罗总报价 周二潍柴梁工送样 周五再去徐工", NOW, CUSTOMERS)
    assert [(p.draft.customer_id, p.draft.next_follow_up) for p in parts] == [(1, date(2026, 11, 27)), (2, None)]


def test_names_written_back_to_back_form_a_list() -> None:
    assert customers("今天徐工潍柴两家跑了一下") == [1, 2]


@pytest.mark.parametrize(
    "text",
    [
        "今天先去了徐工见罗总聊了报价然后下午去潍柴找梁工送了样品",  # dictated: no punctuation at all
        "徐工罗总（报价）、潍柴梁工（送样）",  # people listed with the enumeration comma, notes in brackets
        "徐工罗总、潍柴梁工",
        "徐工罗总介绍我认识了潍柴的梁工",  # someone met through the first customer
    ],
)
def test_more_shapes_of_two_visits(text: str) -> None:
    assert customers(text) == [1, 2]


# Fresh messages written 2026-12-07 (helper split2, round 1) before the parser was run on them: two or three
# customers named in every way reps chain them, and customers only named in passing (a rival, a reference).
FRESH = [
    *CUSTOMERS,
    CustomerRef(5, "杭州海康威视数字技术股份有限公司", ("海康", "海康威视")),
    CustomerRef(6, "浙江大华技术股份有限公司", ("大华",)),
    CustomerRef(7, "三一重工股份有限公司", ("三一", "三一重工")),
    CustomerRef(8, "中联重科股份有限公司", ("中联重科", "中联")),
    CustomerRef(9, "珠海格力电器股份有限公司", ("格力",)),
    CustomerRef(10, "美的集团股份有限公司", ("美的",)),
    CustomerRef(11, "苏州精工机械有限公司", ("精工", "苏州精工")),
    CustomerRef(12, "苏州精密机械有限公司", ("苏州精密",)),
]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("上午徐工罗总那聊了下报价 完了又去潍柴找梁工", [1, 2]),
        ("今天去了三一 顺路去中联坐了坐", [7, 8]),
        ("今天和格力黄工美的吴总一起吃了个饭", [9, 10]),
        ("三一赵总和中联孙部长分别见了 都要报价", [7, 8]),
        ("今天拜访了三家 徐工 潍柴 比亚迪", [1, 2, 3]),
        ("先去徐工送了样品然后去潍柴梁总那谈了价格", [1, 2]),
        ("上午在三一开会下午到中联找孙部长", [7, 8]),
        ("徐工罗总 报价 潍柴梁工 送样", [1, 2]),
        ("今天跑了海康大华两家 都在比价", [5, 6]),
        ("三一和中联今天都去了一趟", [7, 8]),
        ("昨天去了格力 今天又去了美的", [9, 10]),
        ("比亚迪刘工那边谈完了又去宁德时代陈工那坐了会", [3, 4]),
        ("在三一碰到了中联孙部长 聊了几句", [7, 8]),
        ("海康何工 同时也见了大华林工", [5, 6]),
        ("上午海康 中午大华 下午比亚迪", [5, 6, 3]),
        ("徐工 潍柴 比亚迪 三家都送了样", [1, 2, 3]),
        ("格力黄工和美的吴总监都打电话说下周定", [9, 10]),
        ("精工王总 苏州精密蒋工 分别报了价", [11, 12]),
        ("今天苏州精工李工来厂里 下午去苏州精密见蒋总", [11, 12]),
        ("比亚迪刘工聊完直接去了宁德时代", [3, 4]),
        ("上午电话跟徐工罗总沟通了交期 下午潍柴梁工来我们公司", [1, 2]),
        ("去三一送完合同又跑了趟中联", [7, 8]),
        ("早上先到的比亚迪 见了刘经理 后面去的宁德时代", [3, 4]),
        ("晚上跟徐工罗总潍柴梁总喝酒", [1, 2]),
        ("格力 美的 海康 这周都拜访了一遍", [9, 10, 5]),
        ("给徐工罗总报了价 潍柴也报了", [1, 2]),  # the rep quoted both
        ("今天徐工和潍柴两家开了个联合评审会", [1, 2]),
    ],
)
def test_fresh_messages_naming_several_visited_customers(text: str, ids: list[int]) -> None:
    assert [p.draft.customer_id for p in split_visits(text, NOW, FRESH)] == ids


@pytest.mark.parametrize(
    "text",
    [
        "比亚迪刘工 听说宁德时代那边也在找供应商",
        "海康何经理说我们价格比大华贵",
        "格力黄工说美的那边报价比我们低",
        "今天见了格力黄工 他们在跟美的竞争同一个项目",
        "三一赵总 说中联也在上这个项目",
        "中联孙部长说三一赵总那边已经定了我们",
        "上午去了格力 黄工说美的也报了价",
        "三一赵总 竞争对手中联已经用上了我们的产品",
        "海康何工 和大华比我们的优势在售后",
    ],
)
def test_fresh_messages_naming_a_customer_in_passing(text: str) -> None:
    assert split_visits(text, NOW, FRESH) == []


# Round 2, written after the first round of rules and before the parser was run on them.
@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("今天上午三一下午中联晚上回公司写方案", [7, 8]),
        ("跑了趟徐工又去了潍柴 两边都说预算紧", [1, 2]),
        ("比亚迪 宁德时代 今天分别送了样品", [3, 4]),
        ("海康何工来我司交流 大华林工一起来的", [5, 6]),
        ("中午在三一食堂吃饭碰见中联的孙部长了", [7, 8]),
        ("陪领导去了徐工和潍柴", [1, 2]),
        ("徐工 罗总 下周二送样\n潍柴 梁工 周五报价", [1, 2]),
        ("1.徐工罗总 报价 2.潍柴梁工 送样 3.比亚迪刘工 测试", [1, 2, 3]),
        ("今天见了格力的黄工还有美的的吴总", [9, 10]),
        ("先去了苏州精工找李工 回来路上顺道去了苏州精密", [11, 12]),
        ("海康大华今天都去了 海康要报价 大华要样品", [5, 6]),
        ("徐工罗总电话 潍柴梁工微信 都在催交期", [1, 2]),
        ("今天一共见了三个客户 三一赵总 中联孙部长 徐工罗总", [7, 8, 1]),
        ("在格力开完会顺便去美的拜访了吴总监", [9, 10]),
        ("下午跟比亚迪刘工开视频会 完了又给宁德时代陈工打了个电话", [3, 4]),
        ("昨天三一 今天中联 明天徐工", [7, 8, 1]),
        ("大华林总 海康何工 两个人一起来的我们公司", [6, 5]),
        ("宁德时代陈工 比亚迪刘工 今天都没谈出结果", [4, 3]),
        ("精工王总那边签了 苏州精密蒋工还在比价", [11, 12]),
        ("今天去格力 路上接到美的吴总电话 聊了十分钟", [9, 10]),
        ("比亚迪刘工把我介绍给了宁德时代的陈工", [3, 4]),
        ("跟徐工罗总一起去潍柴见了梁总", [1, 2]),
    ],
)
def test_fresh_messages_naming_several_visited_customers_round_2(text: str, ids: list[int]) -> None:
    assert [p.draft.customer_id for p in split_visits(text, NOW, FRESH)] == ids


@pytest.mark.parametrize(
    "text",
    [
        "宁德时代陈工 他们在和比亚迪抢同一个供应商",
        "三一赵总说 去年中联的项目也是我们做的",
        "格力黄工 问美的用的是哪个型号",
        "比亚迪刘工说宁德时代陈工下周也要来看样机",
        "海康何经理 对标的是大华的方案",
        "徐工罗总 给潍柴做的那套设备他也想要",
        "上午在徐工 罗总说潍柴那边也在考虑我们",
        "三一赵总 听说中联在招标 下周去问问",
        "海康何经理说大华出了个低价 我们要跟吗",
    ],
)
def test_fresh_messages_naming_a_customer_in_passing_round_2(text: str) -> None:
    assert split_visits(text, NOW, FRESH) == []


# Round 3, written after the second round of rules and before the parser was run on them.
@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("三一赵总 中联孙部长 徐工罗总 三个人今天都见了", [7, 8, 1]),
        ("上午先跑的格力 下午美的那边也去了一下", [9, 10]),
        ("比亚迪刘工送完样 顺带去宁德时代拜访了陈工", [3, 4]),
        ("今天海康何工跟大华林工都约了 分别聊了方案", [5, 6]),
        ("徐工签了合同 潍柴还在等审批 比亚迪今天去送了样", [1, 2, 3]),
        ("在徐工见罗总的时候 潍柴梁总正好也在", [1, 2]),
        ("上午三一赵总来厂里看样机 下午我去了中联", [7, 8]),
        ("中午约了海康何工吃饭 下午又跑去大华", [5, 6]),
        ("苏州精工跟苏州精密今天都跑了一趟 都要报价", [11, 12]),
        ("今天拜访的客户有格力和美的", [9, 10]),
        ("精工王总电话沟通 苏州精密蒋工当面聊的", [11, 12]),
        ("比亚迪 刘工 测试通过\n宁德时代 陈工 还在测", [3, 4]),
        ("格力黄工拉了美的吴总进群 三个人视频开了个会", [9, 10]),
        ("去宁德时代的路上给比亚迪刘工回了个电话", [4, 3]),
        ("大华林总 海康何工 今天都说下周给结果", [6, 5]),
        ("昨天下午去了三一 今天上午去了中联 下午去了徐工", [7, 8, 1]),
        # met at one place, summed up with 都 a few words on
        ("格力黄工和美的吴总 今天在行业论坛上都碰到了", [9, 10]),
    ],
)
def test_fresh_messages_naming_several_visited_customers_round_3(text: str, ids: list[int]) -> None:
    assert [p.draft.customer_id for p in split_visits(text, NOW, FRESH)] == ids


@pytest.mark.parametrize(
    "text",
    [
        "美的吴总监说格力那边的项目已经黄了",
        "格力黄工 说他们老板跟美的老板是同学",
        "宁德时代陈工 问比亚迪那边用的什么方案",
        "徐工罗总 潍柴那个单子他也听说了",
        "三一赵总 他们打算明年跟中联合作做泵车",
        "徐工罗总 这个项目潍柴也在投 我们的价格比他们低",
    ],
)
def test_fresh_messages_naming_a_customer_in_passing_round_3(text: str) -> None:
    assert split_visits(text, NOW, FRESH) == []


# Round 4 (issue #15, helper split, 2026-12-07): fresh batch, written before running the parser. Typed the way
# reps type in WeCom: no punctuation, typos, colloquial; a list of the customers visited, in order, or [] when
# only one customer was visited (a rival, a customer's customer, the same customer named twice).
FRESH4 = [
    *FRESH,
    CustomerRef(13, "宝山钢铁股份有限公司", ("宝钢",)),
    CustomerRef(14, "华为技术有限公司", ("华为",)),
    CustomerRef(15, "上海汽车集团股份有限公司", ("上汽",)),
    CustomerRef(16, "海尔智家股份有限公司", ("海尔",)),
]
BATCH4 = [
    ("上午去了海康，下午又跑了趟精工", [5, 11]),
    ("海康、精工、宝钢都拜访了", [5, 11, 13]),
    ("今天上午海康下午精工晚上宝钢", [5, 11, 13]),
    ("先去的宝钢再去的上汽", [13, 15]),
    ("先到海康 再到大华", [5, 6]),
    ("去了华为然后去了比亚迪", [14, 3]),
    ("华为那边聊完然后顺便去了趟比亚迪", [14, 3]),
    ("在三一谈完顺便去中联看了下设备", [7, 8]),
    ("今天去宝钢顺便拜访了上汽的宋总", [13, 15]),
    ("上午海康何工 下午大华林工 都是谈的摄像头项目", [5, 6]),
    ("今天跑了三家海尔美的格力", [16, 10, 9]),
    ("海尔美的格力三家都去了", [16, 10, 9]),
    ("拜访了海尔和美的 海尔要报价 美的要方案", [16, 10]),
    ("早上去海康拜访何工聊了新项目中午跟大华林工吃饭下午回公司", [5, 6]),
    ("上午去了海康 海康威视何工说下个月招标 下午去了大华", [5, 6]),  # alias, then the longer name
    ("海康威视何经理 今天聊得不错 海康说月底前定 然后去了趟精工", [5, 11]),
    ("今天去了苏州精工 精工王总说价格再降点就签 下午去了苏州精密", [11, 12]),
    ("去了中联重科见孙部长 然后中联的采购也见了 下午去三一", [8, 7]),
    ("宝钢周工 上汽宋总 今天都见了", [13, 15]),
    ("上午宝钢下午上汽", [13, 15]),
    ("宝钢上汽都跑了一趟", [13, 15]),
    ("早上去宝钢送样 中午去上汽吃的饭 下午去华为开会", [13, 15, 14]),
    ("今天在华为和比亚迪一起开了个对接会", [14, 3]),  # a joint meeting: both were met
    ("和华为一起去比亚迪开会", [14, 3]),
    ("今天跟华为和比亚迪的人一起开了个会", [14, 3]),
    ("在华为开会 比亚迪刘工也来了", [14, 3]),
    ("昨天去了海尔 今天去了美的 明天约了格力", [16, 10, 9]),
    ("周一海康 周三大华 周四精工", [5, 6, 11]),
    ("上午去海康下午去大华晚上和精工王总吃饭", [5, 6, 11]),
    ("去了海康 又去了大华", [5, 6]),
    ("海康去了 大华也去了", [5, 6]),
    ("今天见了三个客户 海尔 美的 格力", [16, 10, 9]),
    ("先去了上汽找宋总 聊完又去宝钢找周工 最后去了华为", [15, 13, 14]),
    ("上午去的三一 赵总不在 下午去中联见了孙部长", [7, 8]),
    ("比亚迪刘工来我们厂看了样机 之后去宁德时代拜访陈工", [3, 4]),
    ("先去徐工 再去潍柴 然后回公司", [1, 2]),
    ("今天海康大华精工都跑了", [5, 6, 11]),
    ("今天拜访了海康何工 大华林工", [5, 6]),
    ("海康何工和大华林工今天都拜访了", [5, 6]),
    ("给海康何工和大华林工都打了电话", [5, 6]),
    ("上午电话联系了格力黄工 下午又打给美的吴总", [9, 10]),
    ("跑了海尔一趟 顺道去了美的", [16, 10]),
    ("去了宝钢 然后上汽", [13, 15]),
    ("宝钢->上汽->华为 一天跑了三家", [13, 15, 14]),
    ("今天行程：宝钢 上汽 华为", [13, 15, 14]),
    ("今天行程 上午宝钢周工 下午上汽宋总", [13, 15]),
    ("去海康 聊了新品 去大华 聊了老项目续约", [5, 6]),
    ("海康何工聊新品 大华林工谈续约", [5, 6]),
    ("到海康的时候何工在开会等了一个小时 然后去了大华", [5, 6]),
    ("今天先后拜访了海康和大华", [5, 6]),
    ("今天拜访了精工和苏州精密两家", [11, 12]),
    ("苏州精工王总 苏州精密蒋工 一起吃了饭", [11, 12]),
    ("上午去精工找王总签合同下午去苏州精密送样品", [11, 12]),
    ("精工王总签了合同 完了去苏州精密送样", [11, 12]),
    ("昨天在三一今天在中联", [7, 8]),
    ("今天跑了三一又跑了中联", [7, 8]),
    ("三一跑完跑中联", [7, 8]),
    ("拜访海康后去大华", [5, 6]),
    ("海康拜访完去了大华", [5, 6]),
    ("下午在格力开会 开完去了美的", [9, 10]),
    ("上午在美的 下午在格力", [10, 9]),
    ("上午美的吴总监 下午格力黄工", [10, 9]),
    ("今天去华为送资料 顺便拜访了比亚迪刘工", [14, 3]),
    ("华为的会开完又跑去比亚迪", [14, 3]),
    ("晚上请宝钢周工和上汽宋总吃饭", [13, 15]),
    ("和海康何工大华林工三个人喝了个茶", [5, 6]),
    ("早上八点到的海康 十点去的大华 下午两点到精工", [5, 6, 11]),
    ("9点海康 11点大华 下午3点精工", [5, 6, 11]),
    ("今天两家 海康和大华", [5, 6]),
    ("上午上汽宋总来访 下午去宝钢", [15, 13]),
    ("宝钢周工来我司 上汽宋总也来了", [13, 15]),
    ("海康和大华的人今天都来我们公司了", [5, 6]),
    ("拜访海尔 王经理 拜访美的 吴总监", [16, 10]),
    ("海尔王经理 美的吴总监 格力黄工 今天分别拜访", [16, 10, 9]),
    ("今天先去的海尔 又去的美的 最后去的格力", [16, 10, 9]),
    ("一早去了宝钢 中午赶到上汽", [13, 15]),
    ("宝钢完了去上汽", [13, 15]),
    ("去宝钢路上顺便去了趟上汽", [13, 15]),
    ("今天在宝钢待了一天 晚上和上汽宋总吃饭", [13, 15]),
    ("上午取了海康 下午去了大华", [5, 6]),  # typo: 取 for 去
    ("今天拜方了海康和大华", [5, 6]),  # typo: 拜方 for 拜访
    ("海康 大华 精工 今天都拜访咯", [5, 6, 11]),
    ("今天去了海康 大华 还有精工", [5, 6, 11]),
    ("今天去了海康和大华 海康要样品大华要报价", [5, 6]),
    ("明天先去海康再去大华", [5, 6]),  # planned
    ("今天上午去海康见何工聊方案下午去大华找林工送样晚上回公司", [5, 6]),
    ("海康何工大华林工都约好了明天上午过去", [5, 6]),
    ("今天跑了海康大华精工三家明天去宝钢", [5, 6, 11, 13]),
    # one customer visited, the other only named
    ("上午去了海康 下午又去了海康", []),  # the same customer twice
    ("海康何工 说要报价 海康那边下周定", []),
    ("去了海康 海康威视何工说月底定", []),
    ("去了杭州海康威视 见了何工 海康说价格偏高", []),
    ("去了大华 林工说他们在跟海康比价", []),  # a rival
    ("大华林工 说跟海康比价我们没优势", []),
    ("今天去了宁德时代 他们给比亚迪供货 量很大", []),  # the customer's customer
    ("宁德时代陈工说他们主要给比亚迪供货", []),
    ("比亚迪刘工说下周和华为一起开会", []),  # a meeting the rep is not at
    ("去了上汽 宋总说宝钢的钢板涨价了", []),
    ("去了格力 黄工说他们之前用美的的方案", []),
    ("海尔王经理 想要美的那种款式", []),
    ("三一赵总 问中联是不是也用我们的", []),
    ("去了华为 他们的供应商里有比亚迪", []),
    ("去宝钢 周工说上汽下个月来考察", []),
    ("上汽宋总 在跟宝钢谈钢材长协", []),
    ("海康何工说大华那边挖了他们两个人", []),
    ("今天拜访了比亚迪刘工 他们和华为在合作一个项目", []),
    ("去了海康 顺便问了下大华的情况", []),
    ("去了海康 然后回公司写报价", []),
]


@pytest.mark.parametrize(("text", "ids"), BATCH4)
def test_fresh_batch_round_4(text: str, ids: list[int]) -> None:
    assert [p.draft.customer_id for p in split_visits(text, NOW, FRESH4)] == ids


# What each visit of round 4 keeps (written after the rules above, from their output checked by hand).
@pytest.mark.parametrize(
    ("text", "texts"),
    [
        ("去了华为然后去了比亚迪", ["去了华为", "去了比亚迪"]),  # 然后 goes with the next visit, whole
        ("先去了上汽找宋总 聊完又去宝钢找周工 最后去了华为", ["先去了上汽找宋总，聊完", "去宝钢找周工", "最后去了华为"]),
        ("拜访海康后去大华", ["拜访海康后", "去大华"]),  # 完 / 后 close the errand before
        ("今天先后拜访了海康和大华", ["今天先后拜访了海康", "今天先后拜访了大华"]),
        ("拜访了海尔和美的 海尔要报价 美的要方案", ["拜访了海尔，海尔要报价", "拜访了美的，美的要方案"]),
        ("今天去了海康和大华 海康要样品大华要报价", ["今天去了海康，海康要样品", "今天去了大华，大华要报价"]),
        ("今天拜方了海康和大华", ["今天拜访了海康", "今天拜访了大华"]),
    ],
)
def test_each_visit_keeps_its_own_clauses(text: str, texts: list[str]) -> None:
    assert [p.text for p in split_visits(text, NOW, FRESH4)] == texts


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("明天先去海康再去大华", [date(2026, 11, 26)] * 2),  # a planned day carries over too
        ("昨天在三一今天在中联", [date(2026, 11, 24), date(2026, 11, 25)]),
        ("今天跑了海康大华精工三家明天去宝钢", [date(2026, 11, 25)] * 3 + [date(2026, 11, 26)]),
    ],
)
def test_round_4_visits_on_their_days(text: str, days: list[date]) -> None:
    assert [p.draft.visited_at.date() for p in split_visits(text, NOW, FRESH4)] == days


def test_where_a_contact_went_on_the_day_is_no_visit() -> None:
    assert split_visits("精工王总今天去苏州精密开会了", NOW, FRESH4) == []  # only a second day opens a visit


def test_the_customer_named_again_is_not_part_of_its_contact() -> None:
    parts = split_visits("今天拜访了海康威视和大华 海康何工要方案 大华林工要报价", NOW, FRESH4)
    assert [(p.draft.customer_id, p.draft.contact_name) for p in parts] == [(5, "何工"), (6, "林工")]
    longteng = [CustomerRef(1, "昆山龙腾光电股份有限公司", ("龙腾", "龙腾光电"))]
    assert parse_visit("去了龙腾光电 龙腾曾工说下周来厂里", NOW, longteng).contact_name == "曾工"  # not 龙腾曾


def test_a_meeting_that_did_not_happen_cuts_nothing() -> None:
    # 「没见到」 is no meeting: the miss stays with its customer, whose contact was not met
    parts = split_visits("徐工和潍柴都去了 徐工罗总在开会没见到 潍柴梁总聊了一个小时", NOW, CUSTOMERS)
    assert [(p.draft.customer_id, p.draft.contact_name) for p in parts] == [(1, None), (2, "梁总")]


@pytest.mark.parametrize(
    ("text", "people"),
    [
        # a list of people after a list of customers: one each, in order (not all of them the last customer's)
        ("今天拜访了徐工和潍柴 罗总和梁总都在 聊了明年的计划", [(1, "罗总"), (2, "梁总")]),
        ("去了比亚迪、宁德时代 刘工、陈工都见到了 送了样品", [(3, "刘工"), (4, "陈工")]),
        # one person after the list is no such list
        ("今天拜访了徐工和潍柴 罗总请吃了饭", [(1, None), (2, "罗总")]),
    ],
)
def test_people_listed_after_customers_listed_go_one_each(text: str, people: list[tuple[int, str | None]]) -> None:
    parts = split_visits(text, NOW, CUSTOMERS)
    assert [(p.draft.customer_id, p.draft.contact_name) for p in parts] == people


def test_a_customer_whose_person_was_not_met_is_no_visit() -> None:
    """「美的那边吴总监没约上」 and nothing else: one visit (格力), not two."""
    assert split_visits("今天见了格力黄工 美的那边吴总监没约上", NOW, FRESH) == []
