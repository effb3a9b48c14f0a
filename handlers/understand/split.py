"""One message, several customers: 「上午去了海康，下午又跑了趟精工…」 is two visits.

Reps write a day with several customers in a few shapes:

* a sequence — 「上午…下午…」, 「先去了A，然后去了B」, 「A那边聊完又去了B」, separated by commas, spaces or
  nothing at all: a new visit starts at a stretch that *goes to* another customer (去了 / 跑了趟 / 拜访 /
  见了 / 电话…) or that opens with a part of the day, a day or a clock time of its own (下午, 今天, 11点) or a
  sequence word before a move (然后去, 接着, 又去…; not 「顺便问了下大华的情况」); the words that close an errand
  (聊完, 拜访海康后) stay with it;
* a list — 「宝钢和中联都跑了」, 「海尔、美的、格力今天都拜访了」, 「拜访了海康和大华」, 「见了三个客户：华为张总、
  比亚迪刘经理、格力黄工」: customers joined by 和 / 、 / 与, each with its contact, that a visit verb introduces
  or that 都 / 分别 sums up. What the list's stretch says applies to each of them.

A customer only named in passing (「他们和海康在比价」, 「之前用的是美的的设备」, 「王总说苏州精密也想要一套」)
starts nothing. Stretches without a customer stay with the visit before them, except those that speak of all
of them (「两家都要报价」), which go to every visit. Each visit is then parsed on its own, so its time
(上午 / 下午), contact and follow-up stay with it; a later visit without a day of its own gets the first one's
(「昨天上午拜访精工王总，下午去苏州精密」: both yesterday).

Written by hand: this is about how our reps chain clauses, which no segmenter models; the customer names come
from the same index the parser uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from handlers.understand.contacts import CONTACT_RX
from handlers.understand.mentions import index_for, match_customers
from handlers.understand.timeexpr import find_times
from handlers.understand.visit_text import (
    CustomerIndex,
    CustomerRef,
    VisitDraft,
    normalize_text,
    parse_visit,
)

_DAY_PART = r"上午|下午|中午|晚上|早上|傍晚|晚间|早晨"
# (「精工完事去了趟苏州精密」, 「聊完了去的美的」: one errand done, then the next)
# (「聊完直接去了宁德时代」, 「送完样马上去了中联」: straight on to the next)
# (「跟徐工罗总一起去潍柴见了梁总」: going along with one customer's person to the next customer)
# (「三一跑完跑中联」, 「海康拜访完去了大华」: 完 right before the next move; 「先后拜访了」 is no sequence)
_OPENER = r"然后|接着|后来|随后|之后|最后|顺路|顺便|顺道|直接|马上|立马|一起|一道|又|再"
_CLOSER = r"完事|完了|完又|[完后](?=去|到|跑|拜访)"
_SEQUENCE = rf"{_OPENER}|{_CLOSER}"
_MOVE = r"去|跑|到|拜访|见|转|走访|给|找|约|联系"
# Where one stretch of the message ends and the next begins: punctuation, blanks, a part of the day (not
# right after its own day: 「昨天上午」 stays whole), a sequence word before a move (「聊完又去了美的」).
# (the sequence word not right after its own day either: 「周五再去精工」 stays whole)
_NOT_AFTER_A_DAY = r"(?<!周[一二三四五六日天])(?<!期[一二三四五六日天])(?<!拜[一二三四五六日天])(?<![今明后]天)(?<!\d[号日])"
_AFTER_CLOSER = rf"(?:(?<=完)(?![了事])|(?<=完了)|(?<=完事)|(?<=[^然之随最先以]后))(?=(?:{_OPENER})*(?:{_MOVE}))"
_BOUNDARY = re.compile(
    # (「去宁德时代的路上给比亚迪刘工回了个电话」: on the way there, another call)
    rf"[，,。;；!！?？\n：:]|\s+|(?<=路上)|(?<![今昨前明当天日号])(?<![^然]后)(?=(?:{_DAY_PART}))|"
    # the words that close one errand stay with it, those that open the next go with the next (「聊完|又去了美的」):
    # the run of opening words is a stretch of its own, glued to the one after it
    rf"{_AFTER_CLOSER}|{_NOT_AFTER_A_DAY}(?:{_OPENER})+(?=(?:{_MOVE}))"
)
# A second day of its own before a move, mid-message: 「昨天在三一今天在中联」, 「今天跑了…三家明天去宝钢」 (not what was
# said of a day: 「王总说明天去…」, nor a first day: 「精工王总今天去苏州精密开会了」 is where 王总 went)
_DAY_CUT = re.compile(
    rf"(?<=[\u4e00-\u9fff])(?<![说讲问是的])(?=(?:今天|昨天|前天|明天|后天)(?:{_DAY_PART})?(?:又|再|也)?(?:在|{_MOVE}))"
)
_FIRST_DAY = re.compile(rf"今天|昨天|前天|明天|后天|{_DAY_PART}")


def _day_cuts(text: str) -> list[int]:
    """Where a day follows another day: each starts its own stretch."""
    return [m.start() for m in _DAY_CUT.finditer(text) if _FIRST_DAY.search(text, 0, m.start())]

# A stretch that is only 「然后」 or 「下午：」 opens the next one.
_SEQUENCE_ONLY = re.compile(rf"(?:今天|昨天|{_DAY_PART}|{_SEQUENCE})+")
_SEQUENCE_START = re.compile(r"^(?:然后|接着|后来|随后|之后|完事|完了|完又|又|再)+")
_GOES_TO = re.compile(
    r"去(?!年)了?|直奔|赶往|赶到|跑了?一?趟|拜访了?|走访了?|见了|到了|转到|转场|电话|打给|约了|吃饭|碰到|遇到|碰见|遇见|认识了|结识了|介绍给|引荐给|visited|met",
    re.I,
)
# 「下午：…」, 「然后…」, 「2. …」 (a numbered line) open a new visit.
_OPENS_NEW = re.compile(
    rf"^(?:(?:今天|昨天|今儿|先|又)?(?:{_DAY_PART}|{_SEQUENCE}|接下来|最后)|(?<![\d.])\d{{1,2}}[.、)）](?!\d)|[①②③④⑤⑥]|"
    # a day of its own: 「昨天精工 今天苏州精密」, 「11月23日精工 11月24日苏州精密」
    r"(?:上|这|本|下个?)?(?:周|星期|礼拜)[一二三四五六日天]|今天|今儿|昨天|昨儿|前天|大前天|明天|后天|\d{1,2}月\d{1,2}[日号]?|"
    # a clock time of its own: 「9点海康 11点大华」, 「十点半到的大华」
    r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})点(?:半|\d{1,2}分?)?|\d{1,2}:\d{2})"
)
# 「顺便问了下大华的情况」: a sequence word alone opens a visit only when what follows it goes somewhere or meets someone
_SEQUENCE_OPENER = re.compile(rf"^(?:今天|昨天|今儿|先)?(?:{_SEQUENCE}|接下来|最后)+")
_GOES_OR_MEETS = re.compile(rf"{_MOVE}|在|跟|和|与|同|陪|请|{_GOES_TO.pattern}", re.I)


def _opens_new(before: str) -> bool:
    """Whether the words before a stretch's customer open a new visit (「下午…」, 「然后去了…」, 「2. …」)."""
    if _OPENS_NEW.match(before) is None:
        return False
    seq = _SEQUENCE_OPENER.match(before)
    if seq is None:
        return True
    rest = before[seq.end() :].strip()
    return not rest or _GOES_OR_MEETS.search(rest) is not None


# 「天合；舜宇；长安 三家都…」, 「比亚迪→宁德时代→三一」, 「ABB袁经理，还有西门子潘总，都…」: a list only when
# something sums it up (_LIST_INTRO / _LIST_SUM), so punctuation may join it too.
# (a note in brackets may come first: 「精工王总（报价）、苏州精密蒋工（送样）」)
_JOIN = re.compile(r"\s*(?:[（(][^（()）]{1,12}[）)])?\s*[,，;；]?\s*(?:和|与|及|跟|还有|以及|、|/|→|->)?\s*")
_LIST_INTRO = re.compile(
    r"(?:跑了?|拜访了?|走访了?|去了|见了|联系了|打了电话给)[^,，。;；]{0,6}?[:：]?\s*$|"
    r"[两三四五六几\d]家[^,，。;；]{0,4}?[:：,，\s]\s*$|客户[:：]\s*$|"
    # 「今天：ABB（王经理，报价）西门子（唐总，技术交流）…」: a day's list after a colon
    r"(?:今天|昨天|本周|这周|上周|上午|下午)[:：]\s*$"
)
_LIST_SUM = re.compile(
    rf"^[\s,，]*(?:(?:今天|昨天|{_DAY_PART})?\s*(?:(?:都|均|分别|各|一起)\s*"
    r"(?:去|跑|拜访|见|聊|谈|打|联系|走访|约|沟通|发|电话|微信|过去|到|签|吃|碰到|遇到|碰见|遇见|碰上)|电话|微信|拜访|走访|见了|沟通了|聊了|去了|跑了|"
    # 「跟长安董工、上汽宋经理吃了个饭」: one meal or meeting with all of them
    r"吃了|吃饭|喝了?[个点]?茶|开了[^,，。;；!！?？\s]{0,6}会|"
    # 「跟徐工罗总潍柴梁总喝酒」: a drink, a dinner, a game together
    r"喝(?:了[个点]?)?酒|聚(?:了)?餐|聚了?一?聚|打(?:了)?(?:球|牌)|钓(?:了)?鱼|唱(?:了)?歌)|"
    # 「…三家都送了样」, 「…两边都在推测试」, 「…都在比价」, 「…一天跑了三家」, 「博世、先导：样品测试通过」,
    # 「…我们三个一起吃了饭」
    # (「…今天在行业论坛上都碰到了」: where they met, then 都)
    r"[^,，。;；!！?？]{0,10}?(?:[两三四五六几\d]家|[两三四五六几\d]个人|两边|都|均|分别|各自|一起)|[:：])"
)
# 「三一的赵总约了中联的孙部长」, 「比亚迪刘工带着宁德时代陈工」: one customer's person brings another's along.
# (「格力黄工拉了美的吴总进群」: pulled into one group call)
_WITH_PERSON = re.compile(r"\s*(?:约了|带了|带着|叫上了?|拉上了?|拉了|喊了|喊上了?|陪着?|和|跟|与|还有)\s*")
_TOGETHER = re.compile(r"约了|带了|带着|叫上|拉上|拉了|喊了|喊上|陪")  # these joins alone say the people met together
_BRINGS_ALONG = re.compile(r"(?:带了|带着|叫上了?|拉上了?|约上了?)\s*$")
_ALL_OF_THEM = re.compile(r"都|两家|三家|几家|两边|各自|分别|均")
_DAY = re.compile(
    r"今天|今儿|昨天|昨儿|前天|大前天|明天|明儿|后天|大后天|(?:上|这|本|下个?)?(?:周|星期|礼拜)[一二三四五六日天1-7]|\d{1,2}月\d{1,2}[日号]?|\d{1,2}[日号]"
)


# Pinyin-input slips in the verbs that introduce a visit (same length, so offsets stay): 「拜方了海康和大华」.
_VERB_TYPO = {"拜方": "拜访", "拜仿": "拜访", "摆访": "拜访", "走方": "走访"}
_VERB_TYPO_RX = re.compile("|".join(_VERB_TYPO))


@dataclass(frozen=True)
class Part:
    text: str
    draft: VisitDraft


@dataclass
class _Visit:
    customer: int
    pieces: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int  # after the contact written right behind the name (「博世邓工」)
    customer: int
    with_contact: bool = False


def _mentions(text: str, index: CustomerIndex, now: datetime) -> list[_Mention]:
    """Every confidently named customer, left to right (the parser's matcher, run until nothing is left)."""
    blocked = [(t.start, t.end) for t in find_times(text, now)]
    spans: list[tuple[int, int, int]] = []
    for _ in range(8):
        span, candidates = match_customers(text, index, blocked)
        if span is None or not candidates:
            break
        blocked.append(span)
        if candidates[0][1] >= 0.8:
            spans.append((span[0], span[1], candidates[0][0]))
    spans.sort()
    found: list[_Mention] = []
    for start, end, customer in spans:
        # 「博世邓工」, 「海康 何经理」, 「施耐德的冯经理」: the contact written right behind the name
        m = CONTACT_RX.match(text, end + (text[end : end + 1] in (" ", "的", "（", "(")))
        # 「汇川和联合动力 郑总和周总都在」: a list of people after a list of customers is one each, not the last one's
        listed_people = (
            m is not None
            and bool(found)
            and not found[-1].with_contact
            and _JOIN.fullmatch(text[found[-1].end : start]) is not None
            and len(_people_list(text, m.start(), spans)) > 1
        )
        if m is not None and not listed_people and not any(s < m.end() and m.start() < e for s, e, _ in spans):
            close = m.end() + (text[end : end + 1] in ("（", "(") and text[m.end() : m.end() + 1] in ("）", ")"))
            found.append(_Mention(start, close, customer, True))  # not 「海康 苏州精工」 read as 苏 州精 工
        else:
            found.append(_Mention(start, end, customer))
    return found


_PEOPLE_JOIN = re.compile(r"\s*(?:和|与|跟|、)\s*")


def _people_list(text: str, at: int, spans: Sequence[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """The people named one after another from ``at`` (「郑总和周总」), joined by 和 / 、, none inside a customer's name."""
    people: list[tuple[int, int]] = []
    while (m := CONTACT_RX.match(text, at)) is not None and not any(s < m.end() and m.start() < e for s, e, *_ in spans):
        people.append(m.span())
        join = _PEOPLE_JOIN.match(text, m.end())
        if join is None or join.end() == m.end():
            break
        at = join.end()
    return people


# 「在三一碰到了中联的孙部长」: meeting another customer's person starts that customer's visit, even mid-clause.
# (not a meeting that did not happen: 「何经理在开会没见到 大华林工…」 is no cut inside 没见到)
_MEETS = re.compile(
    r"(?<![没未不])(?:碰到|遇到|碰见|遇见|见到|还见了|又见了|认识了|结识了|介绍给|引荐给)了?\s*(?:[\u4e00-\u9fff]{0,2}的)?$"
)


def _meeting_cuts(text: str, mentions: Sequence[_Mention]) -> set[int]:
    """Where a verb of meeting someone introduces another customer's named person."""
    cuts: set[int] = set()
    for m in mentions[1:]:
        if m.with_contact and (verb := _MEETS.search(text, max(0, m.start - 8), m.start)) is not None:
            cuts.add(verb.start())
    return cuts


def _named_again_cuts(mentions: Sequence[_Mention], groups: Sequence[Sequence[_Mention]]) -> list[int]:
    """Where a customer of a list is named again after it: 「去了海康和大华 海康要样品大华要报价」 has one remark each."""
    cuts: list[int] = []
    for g in groups:
        listed = {m.customer for m in g}
        if len(listed) > 1:
            cuts += [m.start for m in mentions if m.start > g[-1].end and m.customer in listed]
    return cuts


def _stretches(text: str, lists: Sequence[tuple[int, int]], extra: Iterable[int] = ()) -> list[tuple[int, int]]:
    cuts = {0, len(text), *(c for c in extra if not any(a < c < b for a, b in lists))}
    for m in _BOUNDARY.finditer(text):
        cuts.update(c for c in (m.start(), m.end()) if not any(a < c < b for a, b in lists))
    ordered = sorted(cuts)
    spans: list[tuple[int, int]] = []
    glue: int | None = None  # a stretch that is only 「然后」 opens the next one
    for a, b in zip(ordered, ordered[1:], strict=False):
        piece = text[a:b].strip(" ，,。;；!！?？\n：:")
        if not piece:
            continue
        if _SEQUENCE_ONLY.fullmatch(piece):
            glue = a if glue is None else glue
            continue
        spans.append((glue if glue is not None else a, b))
        glue = None
    return spans


def _groups(text: str, mentions: list[_Mention]) -> list[list[_Mention]]:
    """Mentions joined into lists (「宝钢和中联都跑了」); a mention on its own is a group of one."""
    groups: list[list[_Mention]] = []
    for m in mentions:
        gap = text[groups[-1][-1].end : m.start] if groups else None
        people = bool(groups) and groups[-1][-1].with_contact and m.with_contact
        # (an empty gap too: 「今天精工苏州精密两家跑了一下」 writes the names back to back)
        # (a customer named again is no longer the list: 「拜访了海尔和美的 海尔要报价」)
        again = bool(groups) and m.customer in {g.customer for g in groups[-1]}
        if gap is not None and not again and (_JOIN.fullmatch(gap) or (people and _WITH_PERSON.fullmatch(gap))):
            groups[-1].append(m)
        else:
            groups.append([m])
    result: list[list[_Mention]] = []
    for g in groups:
        distinct = {m.customer for m in g}
        gaps = [text[a.end : b.start] for a, b in zip(g, g[1:], strict=False)]
        # people named one after another with the enumeration comma (「精工王总、苏州精密蒋工」), or brought together
        together = any(_TOGETHER.search(gap) for gap in gaps) or (
            bool(gaps) and all(m.with_contact for m in g) and all("、" in gap for gap in gaps)
        )
        listed = len(distinct) > 1 and (
            together
            or _LIST_INTRO.search(text[max(0, g[0].start - 14) : g[0].start])
            or _LIST_SUM.match(text[g[-1].end :])
        )
        result.extend([g] if listed else [[m] for m in g])
    return result


_NOT_MET_ONLY = re.compile(r"[^，,。;；]*?(?:没约上|没约到|没见到|没见着|没碰上|没碰到|没遇到)[^，,。;；]{0,4}")
_HEARSAY = re.compile(r"[他她](?:们)?(?:也|还|都)?(?:听说|听到|知道|说|讲|提到)")
_ECHO = re.compile(r"(?:那边|这边)?也(?:都|一起|顺便)?(?P<verb>报|送|发|寄|签|拜访|见|去|跑|约|聊|谈|交|装|调试|演示)了?")
_HEARD = re.compile(r"说|讲|听|反馈|表示|提到|告诉")


def _echoes_the_rep(after_name: str, current: Sequence[_Visit]) -> bool:
    """Whether 「X也…了」 repeats the rep's own action of the visit before (not what its contact said of X)."""
    m = _ECHO.match(after_name)
    if m is None or not current:
        return False
    last = current[-1].pieces[-1] if current[-1].pieces else ""
    at = last.find(m.group("verb"))
    return at >= 0 and _HEARD.search(last[:at]) is None


def split_visits(text: str, now: datetime, customers: Sequence[CustomerRef] | CustomerIndex) -> list[Part]:
    """The message's visits when it reports two or more customers, else an empty list."""
    norm = _VERB_TYPO_RX.sub(lambda m: _VERB_TYPO[m.group()], normalize_text(text))
    index = customers if isinstance(customers, CustomerIndex) else index_for(tuple(customers))
    mentions = _mentions(norm, index, now)
    if len({m.customer for m in mentions}) < 2:
        return []
    groups = _groups(norm, mentions)
    after_closer = {m.start() for m in re.finditer(_AFTER_CLOSER, norm)}
    lists = [(g[0].start, g[-1].end) for g in groups if len(g) > 1]
    visits: list[_Visit] = []
    current: list[_Visit] = []  # the visit(s) the stretches being read belong to
    leading: list[str] = []  # stretches before the first customer
    for a, b in _stretches(norm, lists, [*_meeting_cuts(norm, mentions), *_named_again_cuts(mentions, groups), *_day_cuts(norm)]):
        piece = norm[a:b].strip()
        inside = [g for g in groups if a <= g[0].start < b]
        listed = next((g for g in inside if len({m.customer for m in g}) > 1), None)
        if listed is not None:
            # Each listed customer gets the stretch with only its own name (and contact) in the list's place.
            lo, hi = listed[0].start - a, listed[-1].end - a
            current = []
            for m in listed:
                own = piece[:lo] + norm[m.start : m.end] + piece[hi:].lstrip()
                visit = next((v for v in visits if v.customer == m.customer), None)
                if visit is None:
                    visit = _Visit(m.customer, [*leading])
                    visits.append(visit)
                visit.pieces.append(own)
                current.append(visit)
            leading = []
            continue
        first = inside[0][0] if inside else None
        if first is not None and len(current) > 1 and first.customer in {v.customer for v in current}:
            # one of the customers just listed, named again: what follows is about it (「海康要报价」)
            current = [v for v in current if v.customer == first.customer]
            current[0].pieces.append(piece)
            continue
        if first is None or (current and first.customer in {v.customer for v in current}):
            if not current:
                leading.append(piece)
            elif len(current) > 1 and len(people := _people_list(piece, 0, [])) == len(current):
                # 「汇川和联合动力 郑总和周总都在」: the people listed after the customers listed, one each in order
                rest = piece[people[-1][1] :]
                for v, (ps, pe) in zip(current, people, strict=True):
                    v.pieces.append(piece[ps:pe] + rest)
            elif _ALL_OF_THEM.search(piece) and len(visits) > 1:
                for v in visits:
                    v.pieces.append(piece)
            else:
                for v in current:
                    v.pieces.append(piece)
            continue
        known = next((v for v in visits if v.customer == first.customer), None)
        before = norm[a : first.start]
        starts = (
            not visits
            or _GOES_TO.search(piece) is not None
            or _opens_new(before)
            # 「三一跑完跑中联」: right after one errand was done
            or a in after_closer
            # 「精工王总 周五给报价 苏州精密蒋总 下周一送样」: a stretch that opens with another customer's person
            or (first.start == a and first.with_contact)
            # 「中车谢工今天过来 带了上汽的宋总一起」: another customer's person brought along
            or (first.with_contact and _BRINGS_ALONG.search(before) is not None)
            # 「隆基签了！天合还在谈」, 「徐工这边合同签了 潍柴那边还要再等等」: a stretch that opens with another customer
            # (not 「海康也在跟」: 也 says it is someone else in this customer's story)
            # (nor 「潍柴那个单子他也听说了」: the name is the topic of what someone else heard or said)
            or (
                first.start == a
                and not re.match(r"(?:那边|这边)?也", norm[first.end : b])
                and not _HEARSAY.search(norm, first.end, b)
            )
            # 「给徐工罗总报了价 潍柴也报了」: 也 repeating what the rep just did names the rep's next customer
            or (first.start == a and _echoes_the_rep(norm[first.end : b], current))
        )
        if known is not None:
            known.pieces.append(piece)
            current = [known]
        elif starts:
            visit = _Visit(first.customer, [*leading, piece])
            leading = []
            visits.append(visit)
            current = [visit]
        else:
            for v in current:  # named in passing (「他们和海康在比价」): stays with the visit it is about
                v.pieces.append(piece)
    # 「今天见了格力黄工 美的那边吴总监没约上」: a customer whose person was not met, and nothing else said, was no visit
    visits = [v for v in visits if not _NOT_MET_ONLY.fullmatch("，".join(v.pieces))]
    if len(visits) < 2:
        return []
    day = _DAY.search(" ".join(visits[0].pieces))
    parts = []
    for i, visit in enumerate(visits):
        part_text = "，".join(visit.pieces)
        if i:
            part_text = _SEQUENCE_START.sub("", part_text) or part_text  # 「然后顺路去了…」 → 「顺路去了…」
        if i and day is not None and not _DAY.search(part_text):
            part_text = day.group(0) + part_text
        parts.append(Part(part_text, parse_visit(part_text, now, customers)))
    if len({p.draft.customer_id for p in parts}) < 2:
        return []
    return parts
