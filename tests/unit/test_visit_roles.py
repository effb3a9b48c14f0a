"""Whose date is it: the visit, the rep's next step, or nobody's plan (issue #15; messages written for these tests)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.clock import BUSINESS_TZ
from handlers.understand.timeexpr import find_times
from handlers.understand.visit_text import CustomerRef, parse_visit

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)  # Wednesday; the Spring Festival of 2027 is 02-06 (Sat)
TODAY = NOW.date()
CUSTOMERS = [
    CustomerRef(1, "华为技术有限公司", ("华为",)),
    CustomerRef(2, "比亚迪股份有限公司", ("比亚迪",)),
    CustomerRef(3, "苏州精工机械有限公司", ("精工", "苏州精工")),
    CustomerRef(4, "苏州精密机械有限公司", ("苏州精密",)),
]


def dates(text: str) -> list[date | datetime]:
    return [m.value("future") for m in find_times(text, NOW)]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("年后再约", date(2027, 2, 9)),  # the first workday after 正月初三 (the law's part of the break)
        ("年前把样机送过去", date(2027, 2, 4)),  # the last workday before 除夕
        ("价格保到明年底", date(2027, 12, 31)),
        ("下周 周四 复测", date(2026, 12, 3)),
        ("1月第二周去培训", date(2027, 1, 4)),
        ("12月第一周出方案", date(2026, 12, 1)),
        ("过完年再联系", date(2027, 2, 9)),
        ("预计明年3月招标", date(2027, 3, 1)),  # a month of a named year: its 1st, as 下个月 alone
        ("两三天后再联系", date(2026, 11, 28)),  # a rough count: its larger end (not 23 days)
        ("三五天后出结果", date(2026, 11, 30)),
        ("隔两天再去", date(2026, 11, 27)),
        ("明年初启动", date(2027, 1, 4)),  # the year's first workday (元旦 is a holiday by law)
    ],
)
def test_spring_festival_year_end_and_weeks_are_dates(text: str, day: date) -> None:
    assert dates(text) == [day]


@pytest.mark.parametrize("text", ["三年前合作过", "两年后再换线", "现在的供应商不稳定"])
def test_years_counted_and_the_present_are_no_dates(text: str) -> None:
    assert dates(text) == []


@pytest.mark.parametrize(
    ("text", "follow"),
    [
        # the rep's own deferral is the rep's plan; the customer's is not
        ("比亚迪刘经理 年后再说", date(2027, 2, 9)),
        ("比亚迪刘经理 聊了改造 她说年后再说", None),
        ("比亚迪刘经理 对方表示年后再看", None),
        ("比亚迪刘经理说年后再联系", date(2027, 2, 9)),  # a promise to get in touch: a date to follow up on
        ("比亚迪刘经理 她说下周再说吧", date(2026, 11, 30)),  # put off to a day: that day is the one to ask on
        ("比亚迪刘经理 说等过完年再说", None),
        ("比亚迪刘经理 他们年后才招标", None),  # their plans for a vague period give no day to ask on
        ("比亚迪刘经理 他们年底前定方案", date(2026, 12, 31)),  # a deadline does
        ("比亚迪刘经理下周出差 回来再约", None),  # away then
        ("比亚迪刘经理 他说年前不考虑了", None),  # nothing by then
        ("比亚迪刘经理 明天不去了", None),
        ("比亚迪刘经理 约的周五 推迟到下周一", date(2026, 11, 30)),  # the new day replaces the old one
        # the end of a term, a give-up condition, something that may come: nobody's plan
        ("华为张总 报价有效期到月底", None),
        ("华为张总 要是下个月还没消息就放弃", None),
        ("华为张总 明年初可能会有个改造项目", None),
        ("华为张总 说下周会有结果", date(2026, 11, 30)),  # news the rep waits for
        # 申请 holds 请, but it is not a request to the rep
        ("华为张总 付款申请今天走完了", None),
        # the rep's own deadline is the next step, before the customer's visit to us
        ("比亚迪刘工下周四来我们厂 我们周一前把样品做好", date(2026, 11, 30)),
    ],
)
def test_follow_up_by_roles(text: str, follow: date | None) -> None:
    assert parse_visit(text, NOW, CUSTOMERS).next_follow_up == follow


@pytest.mark.parametrize(
    ("text", "visited", "follow"),
    [
        # a future date is the visit only when it introduces the customer or person visited
        ("明天去拜访比亚迪刘工", date(2026, 11, 26), None),
        ("比亚迪刘工 后天 见面", TODAY, date(2026, 11, 27)),
        ("华为张总 下周要去拜访他们总经理", TODAY, date(2026, 11, 30)),
        ("华为张总 明天上午去送样", TODAY, date(2026, 11, 26)),
        # a bare weekday is this week's: Monday and Tuesday were, Friday is still ahead
        ("周一华为 周二比亚迪", date(2026, 11, 23), None),
        ("周二在比亚迪 刘工说下周给答复", date(2026, 11, 24), date(2026, 11, 30)),
        ("华为张总 周五", TODAY, date(2026, 11, 27)),
        ("周一前给华为张总回个电话", TODAY, date(2026, 11, 30)),
    ],
)
def test_visit_or_next_step(text: str, visited: date, follow: date | None) -> None:
    draft = parse_visit(text, NOW, CUSTOMERS)
    assert (draft.visited_at.date(), draft.next_follow_up) == (visited, follow)


def test_a_thing_to_look_at_again_is_a_plan_not_a_deferral() -> None:
    draft = parse_visit("比亚迪刘工说下周三再看样机", NOW, CUSTOMERS)
    assert draft.next_follow_up == date(2026, 12, 2)


def test_their_event_moved_is_theirs_and_the_rep_plan_wins() -> None:
    draft = parse_visit("华为张总说验收推迟到明年一月 下周二再去一趟", NOW, CUSTOMERS)
    assert draft.next_follow_up == date(2026, 12, 1)


def test_what_was_said_earlier_is_not_the_visit() -> None:
    draft = parse_visit("比亚迪刘经理 上周说的这周给答复 到现在还没动静", NOW, CUSTOMERS)
    assert draft.visited_at.date() == TODAY


@pytest.mark.parametrize(
    ("text", "visited"),
    [
        ("比亚迪刘经理说上周已经把合同寄出了", TODAY),  # what they reported
        ("比亚迪刘经理 电话里说前天已经付款了", TODAY),
        ("比亚迪刘经理 他们上个月换了供应商", TODAY),  # what they did
        ("昨天比亚迪刘经理说样品收到了", date(2026, 11, 24)),  # when it was said
        ("比亚迪刘经理 他们昨天来我们公司看了样机", date(2026, 11, 24)),  # them coming to the rep is the visit
    ],
)
def test_a_past_date_they_reported_is_not_the_visit(text: str, visited: date) -> None:
    assert parse_visit(text, NOW, CUSTOMERS).visited_at.date() == visited


def test_a_bare_weekday_that_is_today_is_today() -> None:
    draft = parse_visit("周三华为张总 聊了报价", NOW, CUSTOMERS)
    assert (draft.visited_at.date(), draft.next_follow_up, draft.future_visit) == (TODAY, None, False)


# Fresh messages written 2026-12-07 (helper split2, round 1) before the parser was run on them: dates in every
# role (the rep's next step, the customer's own event, what the customer said, deadlines, vague periods, ranges).
@pytest.mark.parametrize(
    ("text", "visited", "follow"),
    [
        ("华为张总 他们下周三开评审会", TODAY, date(2026, 12, 2)),
        ("比亚迪刘工 说下个月中旬定供应商", TODAY, date(2026, 12, 15)),
        ("华为张总 下周一到周三在外地 周四再约", TODAY, date(2026, 12, 3)),
        ("华为张总 12月10号前要把方案给他", TODAY, date(2026, 12, 10)),
        ("比亚迪刘经理说月底前给我们答复", TODAY, date(2026, 11, 30)),
        ("苏州精密蒋工 他们明年3月底投产", TODAY, date(2027, 3, 31)),
        ("华为张总 上个月我们丢了一个单子 这次要重视", TODAY, None),
        ("比亚迪刘工说上周五已经把样品寄回来了", TODAY, None),
        ("华为张总 下周二或者周三过去演示", TODAY, date(2026, 12, 1)),
        ("苏州精密蒋总 下下周一去签合同", TODAY, date(2026, 12, 7)),
        ("华为张总 后天他们来我们公司看样机", TODAY, date(2026, 11, 27)),
        ("比亚迪刘工 周五前把图纸发过来", TODAY, date(2026, 11, 27)),
        ("精工李工 说他们下周要停产检修 等检修完再说", TODAY, None),
        ("华为张总 3号之前把合同寄过去", TODAY, date(2026, 12, 3)),
        ("苏州精密蒋工 昨天电话说下周来验货", date(2026, 11, 24), date(2026, 11, 30)),
        ("比亚迪刘工 明天上午十点开视频会", TODAY, date(2026, 11, 26)),
        ("精工李工说年底之前不会有动作了", TODAY, None),
        ("比亚迪刘经理 下周三之前回复他价格", TODAY, date(2026, 12, 2)),
        ("苏州精密蒋总说这个月底前付首款", TODAY, date(2026, 11, 30)),
        ("华为张总 两周后再跟进", TODAY, date(2026, 12, 9)),
        ("比亚迪刘工 他们上周已经开过评审会了 我们入围了", TODAY, None),
        ("精工李工 下周四他们领导来苏州 到时候一起吃个饭", TODAY, date(2026, 12, 3)),
        ("比亚迪刘经理 付款推迟到下个月10号", TODAY, date(2026, 12, 10)),
        ("苏州精密蒋工 11月30号到12月2号他们盘点 3号以后再联系", TODAY, date(2026, 12, 3)),
        ("华为张总上周三来过我们公司", date(2026, 11, 18), None),
        ("比亚迪刘工 下周找时间再聊", TODAY, date(2026, 11, 30)),
        ("苏州精密蒋工 明年3月底之前要完成验收", TODAY, date(2027, 3, 31)),
        ("精工李工说2026年底前必须上线", TODAY, date(2026, 12, 31)),
        ("华为张总 等他们下周开完会再约", TODAY, date(2026, 11, 30)),
        ("比亚迪刘工 周末加班调试 周一我们去现场", TODAY, date(2026, 11, 30)),
        ("比亚迪刘经理说他们下个月要搬厂 搬完再说", TODAY, None),
        ("华为张总 下周一到周三都在开会 周四下午过去", TODAY, date(2026, 12, 3)),
        ("精工李工 十二月初来我们公司考察", TODAY, date(2026, 12, 1)),
        ("苏州精密蒋总 他们上个月刚换的供应商 明年再看机会", TODAY, None),
        ("华为张总 说下礼拜给消息", TODAY, date(2026, 11, 30)),
        ("比亚迪刘工 今天没见到 明天上午再去", TODAY, date(2026, 11, 26)),
    ],
)
def test_fresh_dates_in_every_role(text: str, visited: date, follow: date | None) -> None:
    draft = parse_visit(text, NOW, CUSTOMERS)
    assert (draft.visited_at.date(), draft.next_follow_up) == (visited, follow)


# Round 2, written after the first round of rules and before the parser was run on them.
@pytest.mark.parametrize(
    ("text", "visited", "follow"),
    [
        ("华为张总 他们下周五前定供应商 我周四再打个电话", TODAY, date(2026, 11, 26)),
        ("比亚迪刘经理 说月底之前把订单下了", TODAY, date(2026, 11, 30)),
        ("精工李工 他们下下周开标", TODAY, date(2026, 12, 7)),
        ("苏州精密蒋总 说12月中旬左右给消息", TODAY, date(2026, 12, 15)),
        ("华为张总 前天在展会上碰到的 今天来电话问价格", TODAY, None),
        ("精工李工说下个月初开始试产 到时候过去看看", TODAY, date(2026, 12, 1)),
        ("比亚迪刘经理 周五下午三点视频会", TODAY, date(2026, 11, 27)),
        ("苏州精密蒋工 样品下周二到 到了以后安排测试", TODAY, date(2026, 12, 1)),
        ("华为张总说他们这周五放假 下周一再去", TODAY, date(2026, 11, 30)),
        ("精工李工 三天之内给我们答复", TODAY, date(2026, 11, 28)),
        ("比亚迪刘工 合同下个月底到期 续签的事下周谈", TODAY, date(2026, 11, 30)),
        ("苏州精密蒋总 上周五说的这周给答复 今天还没消息", TODAY, None),
        ("华为张总 昨天下午见的 他说下周三前出结果", date(2026, 11, 24), date(2026, 12, 2)),
        ("比亚迪刘经理 他们领导下个月15号来考察", TODAY, date(2026, 12, 15)),
        ("精工李工 这周六加班 我们过去配合调试", TODAY, date(2026, 11, 28)),
        ("苏州精密蒋工 11号之前要把图纸确认掉", TODAY, date(2026, 12, 11)),
        ("华为张总 他们上周已经招完标了 我们没中", TODAY, None),
        ("比亚迪刘工 上个月我们送的样品测试通过了", TODAY, None),
        ("精工李工 明年一季度有扩产计划", TODAY, None),
        ("华为张总 下周一到下周三都可以 约了周二上午", TODAY, date(2026, 12, 1)),
        ("比亚迪刘经理 两周内出方案", TODAY, date(2026, 12, 9)),
        ("华为张总 元旦前要把合同签掉", TODAY, date(2026, 12, 31)),
        ("精工李工 他们春节前后要换线", TODAY, None),
        ("比亚迪刘工 之前约的明天 改成下周四了", TODAY, date(2026, 12, 3)),
        ("苏州精密蒋工说他们周一到周三盘点 周四可以去", TODAY, date(2026, 11, 26)),
        ("比亚迪刘经理 上周说好的本周五签约 今天又说要推到下周", TODAY, date(2026, 11, 30)),
        ("精工李工说下周可能会有个询价过来", TODAY, None),
        ("华为张总 这个月底之前把报价发过去 他们下个月初上会", TODAY, date(2026, 11, 30)),
        ("比亚迪刘工 今天电话说样品上周就寄出了", TODAY, None),
    ],
)
def test_fresh_dates_in_every_role_round_2(text: str, visited: date, follow: date | None) -> None:
    draft = parse_visit(text, NOW, CUSTOMERS)
    assert (draft.visited_at.date(), draft.next_follow_up) == (visited, follow)


# Round 3, written after the second round of rules and before the parser was run on them.
@pytest.mark.parametrize(
    ("text", "visited", "follow"),
    [
        ("华为张总 他们12月5号到8号在深圳开展会 回来后再约", TODAY, None),
        ("比亚迪刘工 下周二到周四来我们公司培训", TODAY, date(2026, 12, 1)),
        ("精工李工 这周五之前他们内部开会定 下周一我们再跟", TODAY, date(2026, 11, 30)),
        ("苏州精密蒋总 周日晚上的飞机回来 周一上午去他办公室", TODAY, date(2026, 11, 30)),
        ("华为张总说过两天再说", TODAY, date(2026, 11, 27)),
        ("比亚迪刘经理 12月底以前要完成安装调试", TODAY, date(2026, 12, 31)),
        ("精工李工 上周三开的评审会 结果这周出", TODAY, None),
        ("苏州精密蒋工 说下个月6号到10号之间来厂里验收", TODAY, date(2026, 12, 6)),
        ("华为张总 答应下周之内给回复", TODAY, date(2026, 12, 4)),
        ("比亚迪刘工 后天或者大后天去现场", TODAY, date(2026, 11, 27)),
        ("精工李工 说他们明年初才有预算 到时候再看", TODAY, None),
        ("苏州精密蒋总 月底那周他们在盘点 12月第一周再去", TODAY, date(2026, 12, 1)),
        ("华为张总 约好下周三下午两点 视频会", TODAY, date(2026, 12, 2)),
        ("比亚迪刘经理 昨天晚上微信说 周五前把合同盖章寄回", date(2026, 11, 24), date(2026, 11, 27)),
        ("精工李工 9号10号两天在外面培训 11号以后都行", TODAY, date(2026, 12, 11)),
        ("苏州精密蒋工 上个月底已经验收完了 尾款这个月底前付", TODAY, date(2026, 11, 30)),
        ("华为张总 这周都在开会 下周再说", TODAY, date(2026, 11, 30)),
        ("比亚迪刘工说今年的预算已经用完了 明年再说", TODAY, None),
        ("精工李工 明天上午他们来取样品", TODAY, date(2026, 11, 26)),
        ("苏州精密蒋总 下周三前后出结果", TODAY, date(2026, 12, 2)),
        ("华为张总 他们上周五开标 我们排第二", TODAY, None),
        ("比亚迪刘经理 周四周五都不在 下周一再约", TODAY, date(2026, 11, 30)),
        ("精工李工 下个月中下旬会有一个批量订单", TODAY, None),
        ("华为张总 初步定在下周四签约", TODAY, date(2026, 12, 3)),
    ],
)
def test_fresh_dates_in_every_role_round_3(text: str, visited: date, follow: date | None) -> None:
    draft = parse_visit(text, NOW, CUSTOMERS)
    assert (draft.visited_at.date(), draft.next_follow_up) == (visited, follow)
