"""Whose date is it: which of a message's dates is the visit, which the rep's follow-up, which the customer's own.

* Time roles: an expression that lies in the past (or today) is the visit time; one that lies in the future, or
  is followed by "再/跟进/回访/约…", is the follow-up date. Ambiguous weekdays take their past reading for the
  visit ("周一拜访了") and the future reading for the follow-up ("周五再约"). A future date that is plainly the
  visit ("明天去拜访华为": it introduces the customer) becomes the visit time, so the caller can ask. A bare
  weekday with no cue either way is this week's ("周一精工 周二苏州精密" on a Wednesday: Monday and Tuesday).
* Whose date it is decides the rest (``_customers_date``): the customer's calendar ("他们下周三要开会", "下个月
  招标", how long their process takes: "审批大概要十天") is the follow-up only when the rep names no day of
  their own; the customer's deferral to a vague period ("他说年后再说"), their being away, a term's end ("锁定到
  明年底"), a give-up condition and what they reported about the past ("王总说上周已经寄出") are nobody's plan and
  not the visit.
* Visit time (``_visited_at``): an explicit clock time wins; a part of day alone uses 10:00 (上午), 15:00 (下午),
  12:00 (中午), 19:00 (晚上), 09:00 (早上); "今天" alone keeps the message time; another day without a time is
  12:00 that day.

Reading each expression into dates is ``timeexpr.py``'s; this module only judges the words around them, written
by hand because that is how our reps tell a plan from a report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time

from handlers.understand.clauses import clause_after, clause_before
from handlers.understand.timeexpr import PERIOD_DEFAULT_TIME, TimeMatch, resolve

_FOLLOW_AFTER = re.compile(
    r"^[^,，。;；!！?？]{0,3}?(?:再|跟进|回访|复访|回复|答复|给答复|回电|给回复|回个|约|联系|电话|打电话|碰|见面|开会|会议|"
    r"过来|来访|来我司|来公司|到访|提交|发|送|出|确认|给|定|等|安排|内|前|之前|以前|左右|带|上门|看|签|下单|付|交|"
    r"审|评审|测试|试用|安装|交付|复盘|汇报|演示|讲|沟通|拜访|去|见|到)"
)
# 「计划」 as a verb (「计划下周去」), not the end of a noun (交付计划, 生产计划, 采购计划, 明年计划).
PLAN = r"(?<![付产购试目年度作排期训销营务货修施业])计划"
FOLLOW_BEFORE = re.compile(
    rf"(?:约了|约好|约在|约|定了|定在|安排|{PLAN}|准备|预计|打算|等|争取|需要|要求|让|(?<!申)请(?![假客吃])|说|答应|承诺|下次|下一步|跟进时间|"
    # 会 as "will", not the end of an event noun (「展会上加的微信 今天第一次登门」: 今天 is the visit)
    r"回访时间|后续|然后|再|待|需(?!求)|要(?!求)|(?<![展大年例晨周晚聚宴茶酒峰览流讨证布谈机协社])会|希望|最晚|最迟|截止|之后)"
    r"[^,，。;；!！?？]{0,6}$"
)
_VISIT_AFTER = re.compile(r"^[^,，。;；!！?？]{0,4}?(?:拜访了|去了|见了|到了|跑了|走访了|上门了|过去了|在|拜访|走访|上门|去|见|到|跟|和|与|约见|面谈)")
# (「星期一去的精工」: 去的 tells of the past as 了 does)
# (「月初去过一次」, 「来过两回」: 过 after the move is experience, the past too)
_PAST_MARK = re.compile(r"^[^,，。;；!！?？]{0,12}了|^[^,，。;；!！?？\s]{0,3}?(?:去|来|见|拜访|跑|到)[的过]")
_VISIT_AFTER_PLAN = re.compile(r"^[^,，。;；!！?？]{0,2}?(?:去|拜访|走访|上门|见|到|约见)")


# What a date is NOT the rep's plan for: the end of a term (「价格锁定到明年底」, 「有效期到年底」), or the
# condition of giving up (「要是下个月还没结果 就算了」).
_TERM_END_BEFORE = re.compile(r"(?:锁定|锁|保|有效期?|延长|延期|保持|维持|执行|持续|保价|报价有效)(?:期)?(?:到|至)$")
# 「合同下个月底到期」: the end of a term written after its day; 「下周一到下周三都可以」: days offered, no plan yet.
_TERM_END_AFTER = re.compile(r"^\s*(?:就|才)?(?:到期|过期|失效)|^\s*(?:都|均)(?:可以|行|方便|有空|有时间)")
_GIVE_UP_IF = re.compile(r"(?:如果|要是|假如|万一|若)$")
_GIVE_UP_THEN = re.compile(r"就?(?:算了|放弃|不做了|不跟了|不考虑了|拉倒)")
# A plan word between the date and the visit verb: 「下周要去拜访他们老板」 is the next step, not a visit to ask about.
_MODAL_AFTER = re.compile(r"^\s*(?:还|也)?(?:要|准备|打算|计划|得|需要|会|争取|想)")
# 「后天下午去送合同」: going somewhere to do an errand is the next step (the visit is to see the customer).
_ERRAND_AFTER = re.compile(r"^[^,，。;；!！?？]{0,6}?(?:去|到|过去)(?:他们那边?|现场|厂里|公司)?(?:送|交|签|拿|取|装|调试|培训|测|收|催|结|对账|盖章)")
# Something that may come by then (「年底前会有个小项目」, 「过年前可能会有一批订单」): news, no one's plan.
# (not news the rep waits for: 「12月10号左右会有结果」, 「下周会有消息」 are follow-ups)
_MAY_COME_AFTER = re.compile(
    r"^[^,，。;；!！?？]{0,2}?(?:(?:可能|也许|或许|估计|说不定)会?|会)有(?:个|一个|一批|一些|新的?|[两三几](?:个|批))|"
    # (「下个月有个新项目」, 「下个月有新线要上」: an opportunity that may come, said without 会)
    r"^\s*(?:还|也|就)?有(?:个|一个|一批|一些|[两三几](?:个|批))?(?:新的?|大)(?!问题)|"
    r"^\s*(?:还|也|就)?有(?:个|一个|一批|一些|[两三几](?:个|批))?(?:项目|订单|单子|需求|预算|机会)"
)
# 「下个月的订单已经排好了」, 「排了下个月的量」: the day names a thing (its orders, volume, budget), no day to ask on.
# (「下个月的交付计划」, 「年底的礼品」: a noun of two before the thing is still the thing)
_THING_OF_DATE = re.compile(
    r"^的[^\s,，。;；!！?？的]{0,2}?(?:量|订单|单子|货|产能|产量|计划|预算|排产|任务|需求|指标|账|礼品|礼物|礼盒|福利|年货)"
)
# 「还没消息就打电话问」: not a condition to give up on but the day the rep checks, then acts.
_CHECK_THEN = re.compile(r"^[^,，。;；!！?？]{0,10}?就(?:再|去|打|问|催|联系|跟进|发|找|约|过去)")
# 「这两天」 read as these days: a state (「这两天比较忙」, 「这两天都在外地」), not a day to come.
_LATELY = ("这两天",)
_STATE_AFTER = re.compile(r"^\s*(?:比较|很|挺|太|特别|一直|都|正|正在|在|忙)")
_BUSY_AFTER = re.compile(
    r"^\s*(?:(?:预算|资金|钱|时间|人手|事情|手头)(?:比较|很|挺|太|特别|都)?|比较|很|挺|太|特别)(?:紧张|紧(?!急)|忙(?!完|好))"
)
# 「现在」, 「此刻」: the present moment, never a next step.
_NOW_WORDS = ("现在", "此刻")
# A bare weekday (「周一精工」), whose reading this week is the default.
_BARE_WEEKDAY = re.compile(r"(?:周|星期|礼拜)[一二三四五六日天1-7]")


# What the customer asks of the rep or makes a condition of the deal: 「问我们能不能月底前交货」, 「如果我们能在
# 下个月底前交货 就…」, 「问我们元旦放几天假」. The day is inside their question or condition, not a plan of anyone's.
_CAN_WE = r"(?:能不能|能否|是否|可不可以|可否|来不来得及|有没有可能|会不会)"
_ASKED_BEFORE = re.compile(
    rf"问(?:一下|下)?(?:我们|我|咱们|我司)?(?:这边)?{_CAN_WE}在?$|"
    rf"(?:如果|要是|假如|只要|若是?)(?:我们|我司|咱们)?(?:{_CAN_WE}|能|可以|能够)在?$"
)
_ASKED_OF_US_BEFORE = re.compile(r"问(?:一下|下)?(?:我们|我|咱们|我司)(?:这边)?$")
_MEET_AFTER = re.compile(r"^[^,，。;；!！?？\s]{0,3}?(?:过来|过去|来|去|上门|拜访|见面|碰面|演示|开会)")
_QUESTION_WORD = re.compile(r"几|多少|什么|怎么|吗|么|哪")
# 「要求下个月交货」: the delivery they require is a term of the order, not a day to be in touch.
_REQUIRED_BEFORE = re.compile(r"(?:要求|希望)(?:我们|我司)?在?$")
_MONTH_ONLY = re.compile(r"月份?(?:初|中|中旬|上旬|下旬)?$")
_DELIVERY_AFTER = re.compile(r"^(?:之?前|以前)?(?:交货|交付|供货|到货|发货|完工|交期)")


def _asked_or_required(text: str, tm: TimeMatch) -> bool:
    """Whether the date sits in the customer's question, condition or delivery requirement."""
    before = text[: tm.start].rstrip()
    after = text[tm.end :]
    if _MEET_AFTER.match(after):
        return False  # 「问我们能不能下周过去一趟」: asked to come then, a visit to plan
    if _ASKED_BEFORE.search(before):
        return True
    if _ASKED_OF_US_BEFORE.search(before) and _QUESTION_WORD.search(clause_after(text, tm.end).split(" ")[0]):
        return True
    # (a month, not a day: 「要求下周三前到货」 is a deadline to meet)
    return bool(_REQUIRED_BEFORE.search(before) and _DELIVERY_AFTER.match(after) and _MONTH_ONLY.search(tm.text))


def _term_or_condition(text: str, tm: TimeMatch) -> bool:
    """Whether the date is the end of a term, a give-up condition or when something may come (no one's plan)."""
    before = text[: tm.start].rstrip()
    after = text[tm.end :]
    if _asked_or_required(text, tm):
        return True
    if _NEGATED_AFTER.match(after) and _CHECK_THEN.match(after) and not _GIVE_UP_THEN.search(clause_after(text, tm.end)):
        return False  # 「下周一还没消息就打电话问」: the day the rep checks on them
    if _TERM_END_BEFORE.search(before) or _NEGATED_AFTER.match(after) or _THING_OF_DATE.match(after):
        return True
    if _MAY_COME_AFTER.match(after):
        # (「年底有预算 到时候再联系」: the rep means to ask then; 「到时候找我们」: they will)
        return not re.match(r"^[^。;；!！?？]{0,12}?到时(?:候)?\s*(?:再|我们?再|过去|去|跟进|打)", after)
    if (tm.text in _LATELY and _STATE_AFTER.match(after)) or _BUSY_AFTER.match(after):
        return True  # 「这两天比较忙」, 「年底预算紧」: how things are then, no day to ask on
    if _TERM_END_AFTER.match(after):
        return True
    return bool(_GIVE_UP_IF.search(before[-3:]) and _GIVE_UP_THEN.search(text[tm.end :]))


def _customer_visit_after(text: str, tm: TimeMatch, named_at: Sequence[int]) -> bool:
    """「明天去拜访长安汽车的董工」: the date introduces a visit to the customer (or person) named right after it."""
    after = text[tm.end :]
    if any(at >= tm.end and not text[tm.end : at].strip() for at in named_at):
        return True  # 「周五精工 下周一苏州精密」: the day, then whom (a plan of visits)
    if not _VISIT_AFTER_PLAN.match(after) or _MODAL_AFTER.match(after) or _ERRAND_AFTER.match(after):
        return False
    return any(tm.end < at <= tm.end + 8 for at in named_at)


# Reported before the date (「王总说上周…」, 「反馈上周的货…」) or done by them (「他们上个月换了供应商」), unless it
# is them coming to the rep (「他们昨天来我们公司」: that was the visit).
_REPORTED_BEFORE = re.compile(
    r"(?:说|讲|反馈|表示|告诉我|提到|透露|听说|他们|她们|对方|甲方)(?:了|的是)?\s*(?:已经|都)?\s*$|"
    # what they said of a thing, named between 说 and the date (「电话说样品上周就寄出了」)
    r"(?:说|讲|反馈|表示|告诉我|提到|透露|听说)(?:货|样品|样机|合同|款|钱|发票|订单|图纸|方案|报价|设备)\s*$"
)
_THEY_CAME_AFTER = re.compile(r"^[^,，。;；!！?？]{0,3}?(?:来|过来|到访|来访|上门)")


def _reported_past(text: str, tm: TimeMatch) -> bool:
    """Whether a past date is something the customer reported or did, not the rep's visit."""
    return bool(_REPORTED_BEFORE.search(clause_before(text, tm.start))) and not _THEY_CAME_AFTER.match(text[tm.end :])


# (not 「月底前把合同签了」: 把…了 asks for it done)
# 「我们周一把样机准备好」: 把 without 了 is a thing to do (「周一把样品寄过去了」 is done).
_TO_DO_AFTER = re.compile(r"^\s*(?:先|就|再|要|得)?把(?![^,，。;；!！?？\s]*了)")
_DONE_AFTER = re.compile(r"^(?![之以]?前|把)[^,，。;；!！?？\s把]{1,4}?了(?!以?后|之后|再|就|没|吗|嘛|的话)")
_PROMISED_BEFORE = re.compile(r"(?:说|说好|答应|讲|承诺)的\s*$")
# (「下周一二都行 我定了下周二过去」: the day chosen among those offered)
_RESCHEDULED_BEFORE = re.compile(r"(?:改到|改成|改为|改在|推迟到|推到|延到|延期到|挪到|换到|顺延到|定\s?了|定\s?在|选\s?了)了?\s*$")


def _rep_subject(text: str, tm: TimeMatch) -> bool:
    """「我们周一前把货备好」: the rep (or the rep's side) is the subject right before the date."""
    return re.search(r"(?:我们|我司|咱们|我)(?:这边)?$", text[: tm.start].rstrip()) is not None


_WHOLE_MONTH = re.compile(r"(?:上上|上)个?月份?")
# (「9号10号两天在外面培训」, 「周四周五都不在」: days written side by side are a span too)
_RANGE_JOIN = re.compile(r"\s*(?:到|至|~|～|-|—|一直到|、|和)\s*|")


def _ranges_as_one(text: str, times: list[TimeMatch]) -> list[TimeMatch]:
    """「下周一到周三在外地」, 「11月30号到12月2号他们盘点」: a span is one time, from its first day, whose role is
    told by what follows its last day (not by the 到 inside it, which is no going anywhere)."""
    out: list[TimeMatch] = []
    for tm in times:
        if out and tm.start >= out[-1].end and _RANGE_JOIN.fullmatch(text, out[-1].end, tm.start):
            first = out[-1]
            out[-1] = replace(first, end=tm.end, text=text[first.start : tm.end])
        else:
            out.append(tm)
    return out


def _reported_visit(text: str, tm: TimeMatch, today: date) -> bool:
    """「11号去西门子 潘总说新厂的图纸还没出来」: a day of this month gone by, then what the person met there said,
    reads as the report of that visit (the same day next month would be no plan with a report after it)."""
    past = _to_date(tm.past)
    after = text[tm.end :]
    said = _THEY_SAID.search(after)
    # (「3号去精工 李工说让带样品」: what they asked for is for the visit to come)
    return (
        (past.year, past.month) == (today.year, today.month)
        and said is not None
        and not re.match(r"\s*(?:要|让|叫|请|带|把|希望|到时)", after[said.end() :])
    )


def _assign_roles(
    text: str, times: list[TimeMatch], today: date, named_at: Sequence[int] = ()
) -> tuple[TimeMatch | None, TimeMatch | None]:
    """(visit time, follow-up time) among the message's time expressions.

    ``named_at``: where the customer and the contact are named; a future date is the visit itself only when it
    introduces one of them (「明天去拜访华为张总」), otherwise it is the next step (「大华林总 大后天 见面」).
    """
    visit: TimeMatch | None = None
    follow: TimeMatch | None = None
    theirs: list[TimeMatch] = []
    for tm in _ranges_as_one(text, times):
        if _term_or_condition(text, tm):
            continue
        if _customers_date(text, tm, today):
            # "他们下周三要开会", "下个月招标": the customer's calendar. It becomes the follow-up only
            # when the rep names no date of their own (then it is the natural moment to ask).
            theirs.append(tm)
            continue
        tense = tm.tense(today)
        if tense == "either":
            # "11月20日拜访": the other reading is a year away, so it is not a choice.
            past_gap = (today - _to_date(tm.past)).days
            future_gap = (_to_date(tm.future) - today).days
            if future_gap > 62 >= past_gap:
                tense = "past"
            elif past_gap > 62 >= future_gap:
                tense = "future"
        after = text[tm.end :]
        before = clause_before(text, tm.start)
        plan_cue = (
            bool(FOLLOW_BEFORE.search(before))
            or bool(re.match(r"^[^,，。;；!！?？]{0,3}?(?:再|跟进|回访|复访|回复|答复)(?!了)", after))
            or bool(_TO_DO_AFTER.match(after))
        )
        bare = tm.current is not None and _BARE_WEEKDAY.fullmatch(tm.text) is not None
        if tense == "either" and bare and not plan_cue and not re.match(r"^\s*(?:之|以)?前", after) and not _VISIT_AFTER.match(after):
            # 「周一精工 周二苏州精密」: a bare weekday with nothing saying past or plan is this week's
            # (周一 on a Wednesday was two days ago; 周五 is still ahead).
            reading = tm.value("current")
            tm = replace(tm, past=reading, future=reading)  # one reading from here on
            tense = tm.tense(today)  # 周三 on a Wednesday is today
        elif tense == "either" and re.match(r"^\s*在(?![^,，。;；!！?？]{0,6}(?:之前|以前|前))", after) and not plan_cue:
            tense = "past"  # 「周一在徐工」: where the rep was
        if tense == "past":
            role = "visit"
        elif tense == "today":
            role = "follow" if plan_cue else "visit"
        elif tense == "either":
            if plan_cue:
                role = "follow"
            elif _BEEN_THERE.match(after):
                role = "visit"  # 「月初来过一次」: a contact told as done is in the past, never a day to come
            elif _VISIT_AFTER.match(after) and (_PAST_MARK.match(after) or visit is None and follow is None):
                role = "visit" if _PAST_MARK.match(after) or _reported_visit(text, tm, today) else "follow"
            else:
                role = "follow"
        else:  # future
            role = "follow"
            if (
                visit is None
                and not plan_cue
                and _customer_visit_after(text, tm, named_at)
                and not _has_past_visit(text, tm)
            ):
                role = "visit"  # "明天去拜访华为": a planned visit; the caller asks about it
        if role == "follow" and tense == "today" and plan_cue and _DONE_AFTER.match(after):
            role = "visit"  # 「…说要我们的报价 今天发过去了」: what was asked for is done today, the day of the contact
        if role == "visit" and _ATTRIBUTIVE.match(after):
            continue
        if role == "follow" and tm.text in _NOW_WORDS:
            continue  # 「现在已经定了别家」, 「现在还只是摸底」: how things stand now, no day to come back on
        if role == "follow" and tense == "future" and not plan_cue and _DONE_AFTER.match(after):
            continue  # 「节前送了点礼品」: done already, so not a day to come (a festival gone by, read as the next)
        if role == "follow" and tense == "today" and _PROMISED_BEFORE.search(text[: tm.start]):
            continue  # 「上周三说的今天给图纸 还没给」: a promise falling due today is what the rep checks, not the next step
        if role == "visit" and tense == "past" and _WHOLE_MONTH.fullmatch(tm.text) and not _VISIT_AFTER.match(after):
            continue  # 「上个月我们丢了一个单子」: a month is the background of a story, not the day of a visit
        if role == "visit" and tense == "past" and _reported_past(text, tm):
            continue  # 「王总说上周已经把合同寄出了」: what they reported, not when the rep was in touch  # 「上周送的样品有异响」: when the samples were sent, not when the rep met anyone
        if role == "visit" and visit is not None and visit.tense(today) == "future" and tense == "today":
            # 「大后天去中联 今天先跟孙部长电话说好了」: the contact made today is the visit, the planned one the next step
            if follow is None:
                follow = visit
            visit = tm
        elif role == "visit" and (
            visit is None
            or _EARLIER_CONTACT.match(text[visit.end :])
            or (tense == "today" and _BACKGROUND_AFTER.match(text[visit.end :]))
        ):
            visit = tm  # 「上个月15号见过冯总，今天电话回访了一下」: 见过 is background, today's call is the visit
        elif role == "follow" and (
            follow is None
            or (_rep_subject(text, tm) and not _rep_subject(text, follow))
            or _RESCHEDULED_BEFORE.search(text[: tm.start])
        ):
            # 「先导曹工下周三来厂验货 我们周一前把货备好」: the rep's own deadline is the next step;
            # 「本来约的今天 改到明天了」: the new day replaces the old one
            follow = tm
    if follow is None:
        # (a later day: 「今天收到了他们的采购订单」 is what happened today, nothing to follow up on; the
        # customer putting it off to a period 「他说年后再说」 or being away then gives no day to ask on)
        follow = next(
            (
                tm
                for tm in theirs
                if _to_date(tm.value("future")) > today
                and not _VAGUE.search(tm.text)
                and not _AWAY_AFTER.match(text[tm.end :])
                and not _put_off_to_next_year(text, tm, today)
            ),
            None,
        )
    return visit, follow


_THEIR_SUBJECT = re.compile(r"他们|她们|对方|客户|甲方|业主|院方|厂方|领导|老板|they", re.I)
_MY_SUBJECT = re.compile(r"我们|我|咱们|咱|we\b|I\b")
_THEIR_EVENT = re.compile(
    r"^[^,，。;；!！?？]{0,6}?(?:招标|开标|投标|挂网|开会|上会|定供应商|评标|评审|决策|审批|采购|放假|出差|验收|立项|内部讨论|走流程|年会|"
    # away (「这周五要去外地」), or something that may come (「年底前会有个小项目」, 「过年前可能会有一批订单」)
    r"去外地|在外地|外出|不在|休假|请假|"
    # their plant's own calendar: stocktaking, maintenance, a move, overtime (「周末加班调试」)
    r"盘点|检修|停产|停线|停机|搬厂|搬迁|搬家|加班|年检|审计|封账|休息|"
    # away at a fair, a training, on the way back (「周日晚上的飞机回来」, 「在深圳开展会」)
    r"展会|参展|培训|飞机|航班|高铁|回来|回国)"
)


# 「他说年后再说」: 再说 / 再看 put the matter off; whose deferral it is depends on who said it.
# (「再看样机」 is a plan: the deferral ends its clause)
_DEFERRAL_AFTER = re.compile(r"^[^,，。;；!！?？]{0,2}?再(?:说|看看?|议|讲|定|考虑|研究|启动|开始|推进)(?:吧|了)?(?=$|[\s,，。;；!！?？])")
# The contact (or the customer) as the speaker: 「他说」, 「王总说」, 「对方表示」, 「客户回复」.
_THEY_SAID = re.compile(r"(?:他|她|对方|客户|[总工理长监任师]|老板|领导)\s?(?:也|还|就)?(?:说|讲|表示|回复|答复|回)(?:了|的是)?")
# A vague period around the new year rather than a day: the customer's plans for it (「年后招标」) or putting
# things off to it (「他说年后再说」) give no day to ask on; 「下周再说」, 「年底前定供应商」 do.
_VAGUE = re.compile(r"年[前后]|过完年|开年|春节|过年|明年(?![\d一二三四五六七八九十])|^节[前后]")
# They are away then (「下周出差 回来再约」): no day to ask on either.
_AWAY_AFTER = re.compile(
    r"^[^,，。;；!！?？]{0,4}?(?:出差|外出|不在|放假|休假|去外地|在外地|请假)|"
    # 「下周要停产检修 等检修完再说」, 「下个月要搬厂 搬完再说」: put off until their event is over
    r"^[^。;；!！?？]{0,14}?(?:完|结束|回来)了?(?:之后|以后|后)?再(?:说|看看?|议|定|考虑|约|联系)"
)
# Nothing will happen by then (「他说年前不考虑了」, 「明天不去了」).
_NEGATED_AFTER = re.compile(r"^\s*(?:都|也|还|就|肯定|应该)?(?:不|没|不会|没有)(?!问题|错)")


# Their event moved or set, written before the date: 「招标推迟到明年三月」, 「验收改在下周」, 「开标定在12号」.
_THEIR_EVENT_MOVED = re.compile(
    r"(?:招标|开标|投标|评标|评审|验收|立项|上会|开会|审批|决策|项目|采购)[^,，。;；!！?？]{0,4}?(?:推迟|延期|延后|推|改|定|提前)(?:到|至|在)了?$"
)


# An appointment made (「约了下下周一」, 「约好周五」, 「约在12号」) right before the date.
_APPOINTED_BEFORE = re.compile(r"约(?:了|好了?|在|定)\s*$")


_POSTPONED_BEFORE = re.compile(r"(?:推迟|延期|延后|推|顺延|往后推|挪)(?:到|至)了?\s*$")


def _put_off_to_next_year(text: str, tm: TimeMatch, today: date) -> bool:
    """「招标推迟到明年三月」: their event put off into next year is put off, as 「项目推迟到明年」 is (no day to ask
    on); 「招标推迟到下个月」 still gives its day."""
    return _to_date(tm.value("future")).year > today.year and _POSTPONED_BEFORE.search(text[: tm.start]) is not None


def _customers_date(text: str, tm: TimeMatch, today: date | None = None) -> bool:
    """Whether the date belongs to the customer's calendar ("他们下周三要开会定供应商", "下个月招标").

    The nearest subject before the date in its clause decides ("…定供应商我下周四再打电话": 我 is
    nearer, so 下周四 is the rep's); with no subject, a customer event right after the date does.
    A rep's plan word ("再", "跟进") after the date always makes it the rep's. With ``today``, a day to come
    followed by their subject and event (「下周三他们来我们公司」) is theirs too.
    """
    after = text[tm.end :]
    if any(m.span("d") == (tm.start, tm.end) for m in _PROCESS_DURATION.finditer(text)):
        return True  # 「样品测试要三天」: their process's end, behind any day of the rep's own (「周五再问」)
    if _DEFERRAL_AFTER.match(after):
        # 「他说年后再说」 is the customer putting it off; 「年后再说」 in the rep's own words is the rep's plan.
        said = [m.end() for m in _THEY_SAID.finditer(clause_before(text, tm.start) or text[: tm.start])]
        mine = [m.end() for m in _MY_SUBJECT.finditer(clause_before(text, tm.start))]
        return bool(said) and max(said) > max(mine, default=-1)
    if re.match(r"^[^,，。;；!！?？]{0,3}?(?:再|跟进|回访|复访|联系|打电话|发|给他|给他们|提交|送)", after):
        return False
    if _APPOINTED_BEFORE.search(text[: tm.start]):
        return False  # 「约了下下周一 他们工厂搬迁完再说」: the appointment is the rep's, whatever of theirs follows
    if _VAGUE.search(tm.text) and _THEIR_EVENT.match(after):
        return True  # 「让我们年后准备投标」: the tender is theirs, in a period with no day (prep has none either)
    lead = re.match(r"\s*(?:开始|起)?\s*", after)
    rest = after[lead.end() if lead else 0 :]
    if today is not None and tm.tense(today) != "past" and (subject := _THEIR_SUBJECT.match(rest)) is not None:
        # 「下周三他们来我们公司」, 「下周一开始他们休假」: their subject right after the day; them coming to the
        # rep later is their plan
        rest = rest[subject.end() :]
        if _THEIR_EVENT.match(rest) or re.match(r"^[^,，。;；]{0,2}?(?:要|会|来|定|选|才)", rest):
            return True
    before = clause_before(text, tm.start)
    # (「他们12月5号到8号在深圳开展会」: where they will be, not where the rep was)
    where = r"在(?!外地|外面|国外|外边)" if not re.search(r"(?:他们|她们|对方)\s*$", before) else r"(?!)"
    if re.match(rf"^\s*(?:的|下午|上午|中午|晚上|早上)?\s*(?:拜访|见|去|到|{where}|跟|和|与|约|电话|走访|又|刚|我)", after):
        return False  # "昨天拜访美的集团采购中心": the rep's own visit
    if _THEIR_EVENT_MOVED.search(before):
        return True  # 「二期招标推迟到明年三月」: their event's new date
    theirs = [m.end() for m in _THEIR_SUBJECT.finditer(before)]
    mine = [m.end() for m in _MY_SUBJECT.finditer(before)]
    if theirs or mine:
        if max(theirs, default=-1) > max(mine, default=-1):
            # (not 「他们昨天来我们公司」: them coming to the rep is the visit itself)
            return bool(
                _THEIR_EVENT.match(after)
                # (「他们明年初才有预算」: 才, not before then)
                or re.match(r"^[^,，。;；]{0,2}?(?:要|会|来(?!我们|我司|公司|这边|参观|拜访|考察)|定|选|才)", after)
            )
        return False
    return bool(_THEIR_EVENT.match(after))


# (「上周说的这周给答复」: what was said then, not when the rep met anyone)
# (「上周说好的本周五签约」: 说好的 as 说的)
_ATTRIBUTIVE = re.compile(r"^[^,，。;；!！?？\s]{0,2}?(?:送|发|寄|买|签|交|报|装|提|说|讲|答应|定|约)(?:好|过)?的")
# (「昨天把报价发过去了 今天打电话确认」: something sent the day before is background too, the call is the contact)
# (「前天在展会上碰到的 今天来电话问价格」: where they first met is background too)
# 「上周四已经签了合同 今天去拿的合同原件」, 「上周三来电话说要报价 今天发过去了」: what was done already, or their
# call, on the earlier day is the background of today's contact (not 「昨天去了徐工，今天去了三一」: two visits).
_BACKGROUND_AFTER = re.compile(r"^[^,，。;；!！?？\s]{0,2}?(?:已经|早就|来电话|来电|打电话过来|打来电话|发来|寄来)")
_EARLIER_CONTACT = re.compile(
    r"^[^,，。;；!！?？]{0,10}?(?:(?:见|去|拜访|来|聊|谈|到)过|(?:发|寄|送|传)过去|寄出|寄了|(?:碰|遇|认识|结识|加)(?:到|见|上)?的)"
)
# 「月初来过一次」, 「周一去过」: 过 of experience after the move (not 「发过去」, a thing sent).
_BEEN_THERE = re.compile(r"^[^,，。;；!！?？\s]{0,4}?(?:见|去|拜访|来|聊|谈|到|跑)过(?![去来])")
# 「李总说预算批下来了，下周一去签合同」: what the contact said was heard already, so the date is a plan.
_PAST_VISIT_WORDS = re.compile(
    r"拜访了|去了|见了|聊了|谈了|沟通了|走访了|过去了|刚|今天|上午|下午|昨天|前天|[总工理长监]说|告诉我|反馈|来电|回电|"
    # 「中联孙部长 技术交流 下周二去现场」: an activity reported before the date happened already
    r"沟通|交流|电话|微信|会议|演示|测试|报价|方案"
)


def _has_past_visit(text: str, tm: TimeMatch) -> bool:
    """Whether the message already reports a visit that happened (then a future date is a plan)."""
    return bool(_PAST_VISIT_WORDS.search(text[: tm.start])) or bool(
        re.search(r"拜访了|去了|见了|聊了|谈了|沟通了", text[tm.end :])
        and not re.match(r"^[^,，。;；]{0,4}(?:去|拜访|见)", text[tm.end :])
    )


def _visited_at(tm: TimeMatch | None, local_now: datetime) -> tuple[datetime, bool]:
    if tm is None:
        return local_now, False
    value = tm.value("past")
    if isinstance(value, datetime):
        return value, True
    if tm.period is not None:
        return datetime.combine(value, PERIOD_DEFAULT_TIME[tm.period], tzinfo=local_now.tzinfo), True
    if value == local_now.date():
        return local_now, True
    return datetime.combine(value, time(12, 0), tzinfo=local_now.tzinfo), True


# How long their process takes (「他们实验室排期 要两周」, 「审批大概要十天」): its result is due that long from now,
# the day to ask. Not a habit (「一般要一周」) nor a lead time of ours (「交货期要四周」: no process of theirs named).
# Days and weeks only: the tuning part reads 「在他们总部测试 要一个月」 as no date (at odds with 「排期 要两周」).
_PROCESS_DURATION = re.compile(
    r"(?:排期|排队|测试|检测|试验|实验|验证|评估|审批|审核|报批|走流程|流程|认证|签字|盖章)"
    r"[^,，。;；!！?？]{0,4}?(?<!一般)(?<!通常)(?<!平时)(?<!往往)(?<!一般都)(?:大概|估计|预计|差不多|至少|起码)?(?:要|需要|得)"
    r"(?:大概|估计|差不多)?\s*(?P<d>(?:\d{1,3}|[一两二三四五六七八九十半]{1,3})\s*(?:个?工作日|天|周|个?星期|个?礼拜))"
    r"(?!以?后|之后|以?内|之内|内|以?前|之前)"
)


def _process_durations(text: str, local_now: datetime, times: Sequence[TimeMatch]) -> list[TimeMatch]:
    """The day their process named with its duration ends, read as timeexpr reads 「N周后」 (no library reads a
    bare duration as a date)."""
    out = []
    for m in _PROCESS_DURATION.finditer(text):
        start, end = m.span("d")
        if any(t.start < end and start < t.end for t in times):
            continue
        day = resolve(f"{m['d']}后", local_now)
        if day is not None:
            out.append(TimeMatch(start, end, m["d"], day, day))
    return out


def _to_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
