"""What a message asks for when it is not a visit report: questions about one's own data.

Small anchored patterns on purpose: a visit report that happens to contain 「成交」 or a question
mark (「他问能不能便宜点？」) must still reach the visit parser, so each pattern matches only
the whole message's shape.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_PERIOD = r"(?:今天|昨天|本周|这周|这个?星期|上周|上个?星期|本月|这个?月|上个?月|今年|去年)"

# 「上个月我拜访了几次？」「这周跑了几家客户」「本月拜访次数」
VISIT_COUNT_RX = re.compile(
    r"(?:拜访|见客户|跑客户|跑了|走访|见了)[^，,。;；]{0,8}?(?:几次|多少次|几家|多少家|几个|多少个|几回|多少回)"
    r"|(?:几次|多少次)[^，,。;；]{0,4}拜访|拜访(?:次数|量|数|情况)[?？]?$"
)

# 「苏州精工的商机到哪一步了？」「海康那个项目现在什么阶段」
DEAL_STAGE_RX = re.compile(
    r"^(?:查一?下|看看|问一下)?\s*(?P<c>[^，,。？?\s]{2,30}?)\s*(?:的|那个|这个|那边)?\s*(?:商机|项目|单子)"
    r"(?:现在|目前)?(?:到|在|进行到|推进到|走到|进展到)?了?"
    r"(?:哪一步|哪步|什么阶段|哪个阶段|啥阶段|什么进展|进展|怎么样|什么情况|阶段)了?[?？]?$"
)

# 「本月成交」「这个月成交了多少？」「今年签了几单」
WON_RX = re.compile(
    rf"^(?:我的?)?(?:{_PERIOD}的?)?(?:我的?)?(?:成交|签单|成单|签了)(?:了)?"
    r"(?:多少|几单|几个|情况|金额|额|数据|列表)?(?:了吗|了|吗)?[?？]?$"
)

# 「这周有什么要跟进的」「还有哪些客户该跟进」: asking for one's own to-dos (answered with the 我的待办 card).
TODO_QUESTION_RX = re.compile(
    r"(?:有什么|有哪些|哪些|还有啥|有啥|哪几个|哪几家)[^,，。;；]{0,6}?(?:要|需要|该|得|没)?跟进"
)

_QUESTION_END = re.compile(r"(?:[?？]|吗|呢|么|嘛)[\s!！~～。.]*$")
_QUESTION_START = re.compile(r"^(?:怎么|怎样|如何|为什么|为啥|能不能|能否|可不可以|可以吗|是不是|有没有|多少|哪|什么|谁|啥)")
# 「华为张总的电话是多少」: asking for someone's contact detail (电话 here is no call that was made).
_DETAIL_QUERY = re.compile(r"^[^,，。;；\s]{1,14}的(?:电话|手机|联系方式|微信|邮箱|地址)(?:号码?)?是(?:多少|什么|啥)[?？]?$")
_REPORT = re.compile(r"拜访了|去了|见了|聊了|谈了|沟通了|跑了趟|电话|签了|报价|今天|昨天|上午|下午|刚")


def is_question(text: str) -> bool:
    """A question (not a visit report that mentions one): 「怎么导出客户？」, 「你能做什么」."""
    text = text.strip()
    if not text or len(text) > 60:
        return False
    if _DETAIL_QUERY.match(text):
        return True
    if not (_QUESTION_END.search(text) or _QUESTION_START.match(text)):
        return False
    return _REPORT.search(text) is None


def period_of(text: str, today: date, default: str = "month") -> tuple[str, date, date]:
    """(label, first day, last day) named in ``text``: 上个月, 本周, 今年…; this month when none is."""
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    if "昨天" in text:
        day = today - timedelta(days=1)
        return "昨天", day, day
    if "今天" in text:
        return "今天", today, today
    if re.search(r"上周|上个?星期", text):
        return "上周", monday - timedelta(days=7), monday - timedelta(days=1)
    if re.search(r"本周|这周|这个?星期", text):
        return "本周", monday, today
    if re.search(r"上个?月", text):
        last = first - timedelta(days=1)
        return "上个月", last.replace(day=1), last
    if "去年" in text:
        return "去年", date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if "今年" in text:
        return "今年", date(today.year, 1, 1), today
    if default == "week":
        return "本周", monday, today
    end = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    return "本月", first, min(end, today)


# ------------------------------------------------------------ asking the bot, not reporting
# Interrogatives that make a message a question to the bot when they are the rep's own words
# (「西门子最近有没有人去过」, 「隆基的客户经理是谁」, 「上周我都去了哪些客户那里」). No maintained
# Chinese library classifies chat intents offline; jieba / HanLP would give word classes, not this.
_ASKING = re.compile(
    r"哪些|哪个|哪家|哪位|哪里|哪儿|在哪|到哪|谁|多少|什么时候|啥时候|什么阶段"
    # 几 + measure word asks only at a clause's end (「拜访了几次」); before a noun it is "several" (几个工程师)
    r"|几(?:次|家|个|单|回|天|位|笔)(?=[?？了呢啊吗,，。;；\s]|$)"
    r"|有没有|是不是|能不能|可不可以|怎么|怎样|如何|为什么|为啥|是什么|是啥"
    r"|有什么(?=要|需要|该|得|可以)|还有啥"
    # a final 么 asks, but not in 什么 (「没谈成什么」 = nothing much)
    r"|(?:吗|呢|(?<!什)么|嘛)[\s!！~～。.?？]*$|[?？][\s]*$"
)
# The question is someone else's, told in a report: 「张总问能不能再便宜点」, 「他们想知道有没有现货」.
# The reported words may run on for a while in a dictated message (「问了一下我们的数控系统能不能兼容」), but
# not across a sentence end; the rep's own 「我想问」 is a question to the bot.
_REPORTED = re.compile(
    r"(?:(?<!请)(?<!我想)(?<!想)问|说|想知道|不知道|不清楚|咨询|打听|确认|关心|担心|考虑|看看|讨论|商量|研究|评估|决定|算|回复|答复)"
    r"[^,，。;；!！]{0,20}$"
)
# The question is left open in a report: 「有没有可能拿下 现在还不好说」, 「是不是要重新招标还不确定」.
_LEFT_OPEN = re.compile(r"^[^。;；!！?？]{0,12}?(?:还不好说|不好说|不确定|还没定|没定|待定|不清楚|不知道|还在看|看情况)")
# Past report of a contact: 「今天去了精工…」, 「刚跟刘工聊了」 -- a question after it is part of the report.
_DONE = re.compile(r"(?:拜访了|走访了|去了|见了|聊了|谈了|沟通了|跑了一?趟|打了个?电话|电话沟通|开了个?会|吃了个?饭)")
# Right after a visit verb the interrogative asks about the rep's visits: 「我都去了哪些客户」.
_VERB_THEN_ASK = re.compile(r"(?:去了|拜访了|见了|跑了)(?:哪些|哪几|几|多少|谁)")
# Requests and commands: 「帮我把海尔的负责人改成小刘」, 「给我看下京东方的联系人电话」, 「新建客户 …」.
_ASK_TO_DO = re.compile(
    r"^(?:请问|请|麻烦|帮我|帮忙|给我|你帮我)(?:一下)?(?:看|查|找|把|列|导|发|改|删|新建|添加|加|建|统计|汇总|拉|调)"
    r"|^/|^(?:新建|添加|新增|删除|导出|查询|搜索)(?:一个|一下|个)?(?:新的?)?(?:客户|联系人|商机|拜访|记录|合同)"
    # 「列一下本月要跟进的客户」, 「看一下宁德时代最近三次拜访」: asked to show something
    r"|^(?:列一下|列出|列个|看一下|查看|查一查)"
    r"|提醒我"
    r"|^把[^。;；]{1,20}(?:改成|改为|改到|换成|删掉|删除)"  # 「把宝钢的跟进日期改到下周一」
    r"|帮我(?:一下)?(?:导出|统计|汇总|导一下)|(?:导出|导出来)$"  # 「上周的拜访记录帮我导出来」
)


def asks_the_bot(text: str) -> bool:
    """A question or request to the bot rather than a report of a contact with a customer.

    Why not only ``is_question``: that one looks at the message's two ends; reps also ask in the
    middle (「中车还有没有在跟的商机」) and ask about customers by name, which the visit
    parser would otherwise take as a visit to them.
    """
    text = text.strip()
    if not text or len(text) > 80:
        return False
    if _ASK_TO_DO.search(text) or _VERB_THEN_ASK.search(text):
        return True
    done = _DONE.search(text)
    for m in _ASKING.finditer(text):
        if _REPORTED.search(text[: m.start()]):
            continue  # the customer's question, told by the rep
        if done is not None and done.start() < m.start():
            continue  # asked within a report of a visit or call
        if _LEFT_OPEN.search(text[m.end() :]):
            continue  # an open question reported, not asked
        return True
    return False


def asks_a_question(text: str) -> bool:
    """A question to the bot (「舜宇上次是谁去的」), not a request to do something (「帮我把…改成…」)."""
    return asks_the_bot(text) and not _ASK_TO_DO.search(text.strip())
