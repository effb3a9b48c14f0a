"""One free-text visit message → a structured visit draft.

Reps log a visit by typing (or dictating) one message such as
"今天拜访了华为的张总，聊了报价，下周三再跟进". This module turns it into a
``VisitDraft`` the bot shows back for confirmation; nothing is stored here and
nothing reads the clock (``now`` is the message time).

The parser is rule based on purpose: it must be fast (well under 5 ms per
message), deterministic, and explainable to a rep who asks "why did it pick
华为终端?". Each field is decided in a module of its own, read in this order by ``parse_visit``:

* Customer (the mention and the candidates; a company the index does not know): ``mentions.py``.
* Contact (who was met, who was not): ``contacts.py``; the customer names and the dates are blocked
  for it.
* Dates (which is the visit, which the rep's follow-up, which the customer's own; the visit's time of
  day): ``date_roles.py``.
* Note and next step (which words are what was discussed, which the plan): ``notes.py``.
* Stage hints: ``stage_words.py`` (keyword families, read with their sentence by
  ``visit_fields.stage_text``).
* Amount (which figure is the deal's): ``amounts.py``.
* Channel, the title as written, more stage phrases: ``visit_fields.refine``, last.

This module keeps the ``VisitDraft``, the glue between them (normalising the text, finding the times,
whether the message is a visit at all) and the typed corrections of a draft (``parse_edit``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.clock import BUSINESS_TZ
from domain.customer_mentions import CustomerIndex, CustomerRef
from domain.models import Stage
from domain.simplified import to_simplified
from handlers.understand.amounts import deal_amount
from handlers.understand.contacts import SURNAME_CHARS, find_contact
from handlers.understand.date_roles import (
    _assign_roles,
    _customers_date,
    _process_durations,
    _to_date,
    _visited_at,
)
from handlers.understand.english import dates_in_chinese, english_visit, is_english
from handlers.understand.intent import asks_the_bot
from handlers.understand.mentions import index_for, match_customers, unknown_mention
from handlers.understand.notes import closed_words, dictated, summary_and_next
from handlers.understand.stage_words import find_stage_hint
from handlers.understand.timeexpr import find_times, to_decimal
from handlers.understand.titles import FUNCTIONS
from handlers.understand.visit_fields import refine, stage_text

__all__ = [
    "CustomerIndex",
    "CustomerRef",
    "EditRequest",
    "VisitDraft",
    "parse_edit",
    "parse_visit",
]


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class VisitDraft:
    """What one message says about a visit; every field may be corrected by the rep."""

    text: str
    customer_mention: str | None
    candidates: tuple[tuple[int, float], ...]
    contact_name: str | None
    contact_title: str | None
    visited_at: datetime
    visited_at_explicit: bool
    summary: str | None
    next_step: str | None
    next_follow_up: date | None
    stage_hint: Stage | None
    amount: Decimal | None
    is_visit: bool
    future_visit: bool
    channel: str = "visit"  # visit / phone / wechat / meeting (visit_fields.detect_channel)

    @property
    def customer_id(self) -> int | None:
        """The best candidate when it is a confident one (score ≥ 0.8), else None."""
        if self.candidates and self.candidates[0][1] >= 0.8:
            return self.candidates[0][0]
        return None


@dataclass(frozen=True)
class EditRequest:
    """A correction to the pending draft ("改成下周四跟进", "客户改成华为终端", "取消")."""

    cancel: bool = False
    customer_mention: str | None = None
    contact_name: str | None = None
    contact_title: str | None = None
    visited_at: datetime | None = None
    next_follow_up: date | None = None
    stage_hint: Stage | None = None
    amount: Decimal | None = None


# ------------------------------------------------------------ normalisation
_SPACES = re.compile(r"[ \t\u3000]+")


def normalize_text(text: str) -> str:
    """NFKC (full-width letters, digits, commas, colons → half-width), traditional characters →
    simplified (domain/simplified.py), one space for runs of blanks."""
    text = dates_in_chinese(to_simplified(unicodedata.normalize("NFKC", text)))
    text = _SPACES.sub(" ", text).strip()
    return _TIME_GAP.sub("", letters_joined(text))


def letters_joined(text: str) -> str:
    """Dictated text (a blank after every word, ``notes.dictated``) with the blanks inside words removed: between
    single characters (「美 的 周 经 理」 → 美的周经理, 「下 周 三」 → 下周三), between a surname and its honorific
    (「林 经理」, 「王 总」, 「老 刘」), and inside a spoken figure (「三百 二十 万」); any other text as it is.

    Written by hand: the blanks come from voice input and phone keyboards, and a word segmenter would have to be
    run on the closed-up text anyway (see titles.py on jieba)."""
    if not dictated(text):
        return text
    out: list[str] = []
    singles: list[bool] = []  # whether out[i] was built from single characters only
    for word in text.split(" "):
        prev, run = (out[-1], singles[-1]) if out else ("", False)
        one = len(word) == 1 and _is_han(word)
        if prev and (
            (one and run)  # 「下」「周」「三」, not 「下周」 typed as one word and 「三台」
            or (run and prev[-1] in SURNAME_CHARS and _HONORIFIC_WORD.fullmatch(word))  # 「林」「经理」
            or (prev in ("老", "小") and word[:1] in SURNAME_CHARS)
            or (_NUMERAL_WORD.fullmatch(prev) and _NUMERAL_WORD.fullmatch(word))  # 「三百」「二十」「万」
        ):
            out[-1] = prev + word
            singles[-1] = run and one
        elif prev and one and _FUNCTION_AND_UNIT.fullmatch(prev[-4:] + word):
            # 「采购」「部」「的」「林」「经理」, 「供应」「链」: the department closes up and the single characters
            # after it join it (「采购部的林经理」), as they would after a run of single characters
            out[-1] = prev + word
            singles[-1] = True
        else:
            out.append(word)
            singles.append(one)
    return " ".join(out)


_HONORIFIC_WORD = re.compile(r"总|工|经理|科长|部长|主任|姐|哥|总监|处长|厂长|老师|师傅|总工|院长|所长|主管|秘书")
# A function and the one character that makes it a department (采购 部, 设备 科) or a function word (供应 链).
_FUNCTION_AND_UNIT = re.compile(rf"(?:[\u4e00-\u9fff]{{0,2}}?)(?:(?:{FUNCTIONS})[部科课处室组]|供应链)")
_NUMERAL_WORD = re.compile(r"[零一二两三四五六七八九十百千万亿]+")


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


# Dictated dates come in words with a blank between (「下个星期 三」, 「下个月 中旬」, 「12月 中旬」, 「明年 一月」,
# 「1月 初」): the blank inside one time expression is removed so it reads as one date, not as 「下个星期」 and a
# stray 「三」. Not before a count (「下周 三台设备」: three machines) nor a figure's unit.
_N = r"[\d一二两三四五六七八九十]"
_TIME_GAP = re.compile(
    # 「下个 星期 三」, 「下 周 四」, 「下下 周」, 「明 天」 (a blank before it: not 「说明 天气」)
    # (下 as a word of its own: not 「勘查了一下 月底前出方案」, 一下 + 月底)
    r"(?:(?<=[下上这本]个)|(?<=[下上这本] 个))\s(?=星期|礼拜|周|月)|"
    r"(?:(?<=^[下上这本])|(?<=\s[下上这本]))\s(?=个?\s?(?:星期|礼拜|周|月))|(?<=下下)\s(?=个?(?:星期|礼拜|周|月))|"
    r"(?:(?<=^[明后今昨前])|(?<=\s[明后今昨前]))\s(?=天)|"
    rf"(?<=周|期|拜)\s(?=[一二三四五六日天](?![台套个件只吨米片颗箱批人天点万千百号日次家条位份趟回定直起样些般共下周年月遍]))|"
    rf"(?<=[月])\s(?=(?:初|中旬|上旬|下旬|底|末|中)(?![\u4e00-\u9fff]{{0,1}}(?:心|央|间|国|层|标))|{_N}{{1,3}}\s?[号日](?!元))|"
    rf"(?<=明年|今年|去年|后年)\s(?={_N}{{1,3}}月)|"
    rf"(?<={_N})\s(?=月\s?(?:初|中旬|上旬|下旬|底|末|{_N}))|"
    rf"(?<=\d月|[一二三四五六七八九十]月)\s(?={_N}{{1,2}}\s?[号日])"
)


# -------------------------------------------------------------- is it a visit
_NOT_VISIT = re.compile(
    r"^(?:你好|您好|hi|hello|hey|在吗|在不在|帮助|help|菜单|menu|我的待办|待办|待办事项|我的任务|我的客户|谢谢|多谢|收到|好的|"
    r"ok|嗯|嗯嗯|好|行|\?|？|测试|test|取消|确认|是|否|对|不对|"
    # 「我今天的拜访记录」: asking for records, not writing one
    r"(?:我的?)?(?:今天|昨天|本周|这周|上周|本月|这个月|上个月)?的?(?:拜访|跟进)(?:记录|列表|情况))$",
    re.IGNORECASE,
)
_QUERY = re.compile(r"^(?:查|查询|查一下|搜索|找一下|看看|看下|显示|列出|导出|统计|帮我查|怎么|如何|为什么|能不能)")
_VISIT_WORDS = re.compile(
    r"拜访|走访|拜会|上门|面谈|见了|去了|聊了|谈了|沟通|交流|洽谈|回访|复访|考察|参观|汇报|演示|电话|约了|见面|接待|陪同|"
    r"报价|方案|跟进|签|丢|客户"
)


# Requests to the bot, not reports: 「华为的拜访记录给我看看」, 「明天提醒我给华为张总打电话」.
_REQUEST = re.compile(
    r"(?:给我看看|给我看下|发给我|发我一下|帮我看看|调出来)$|^[^,，。]{0,4}提醒我|"
    r"^把[^,，。]{1,12}(?:手机号?|电话|联系方式|微信号?|邮箱)发给?我$"
)


def _looks_like_visit(text: str, has_customer: bool, has_contact: bool) -> bool:
    bare = re.sub(r"[\s,，。.!！?？~～]+", "", text)
    if not bare or _NOT_VISIT.match(bare) or _QUERY.match(bare) or _REQUEST.search(bare):
        return False
    if asks_the_bot(text):
        return False
    return has_customer or has_contact or bool(_VISIT_WORDS.search(text))


# ------------------------------------------------------------------- parse
def _local_now(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = now.tzinfo if isinstance(now.tzinfo, ZoneInfo) else BUSINESS_TZ
    return now.astimezone(tz)


def parse_visit(
    text: str, now: datetime, customers: Sequence[CustomerRef] | CustomerIndex, *, english: bool = True
) -> VisitDraft:
    """Understand one visit message; ``now`` is the (aware) time the message was sent."""
    if english and is_english(text):
        return english_visit(text, now, customers)  # english.py: frame in Chinese, note as written
    local_now = _local_now(now)
    today = local_now.date()
    norm = normalize_text(text)
    index = customers if isinstance(customers, CustomerIndex) else index_for(tuple(customers))

    # A date word inside a known customer's name is the name (「昆明天一」, 「九号公司」)
    times = [t for t in find_times(norm, local_now) if not index.names_over(norm.lower(), t.start, t.end)]
    times = sorted(times + _process_durations(norm, local_now, times), key=lambda t: t.start)
    time_spans = [(t.start, t.end) for t in times]
    mention_span, candidates = match_customers(norm, index, time_spans)
    blocked = time_spans + ([mention_span] if mention_span else [])
    # Every exact customer name is blocked for people too: 「晚上跟徐工罗总吃饭」 names 徐工, not a 徐 工程师;
    # so is the customer's own name written again (「拜访了龙腾光电 龙腾曾工要方案」: 曾工, not 龙腾曾).
    own = candidates[0][0] if candidates else -1
    named = [
        (h.start, h.end)
        for h in index.hits(norm.lower(), blocked)
        if max(h.scores.values()) >= 0.95 and (len(candidates) > 1 or h.scores.get(own, 0.0) >= 0.95)
    ]
    contact = find_contact(norm, blocked + named)
    if mention_span is not None:
        mention: str | None = norm[mention_span[0] : mention_span[1]]
    else:
        mention = unknown_mention(norm, contact, blocked)

    named_at = [at for at in (mention_span[0] if mention_span else None, contact.start if contact else None) if at is not None]
    visit_tm, follow_tm = _assign_roles(norm, times, today, named_at)
    visited_at, explicit = _visited_at(visit_tm, local_now)
    follow_up = None if follow_tm is None else _to_date(follow_tm.value("future"))
    if follow_up is not None and follow_up < today:
        follow_up = None  # a follow-up in the past is a misreading, not a plan

    frame = list(blocked)
    if contact is not None:
        frame.append((contact.start, contact.end))
    mention_spans = [mention_span] if mention_span else []
    if mention and not mention_span:
        at = norm.find(mention)
        mention_spans = [(at, at + len(mention))]
    # The customer's own date (「他们下个月招标」) is what happened, not the rep's next step: keep it in the note.
    theirs = follow_tm is not None and _customers_date(norm, follow_tm, today)
    summary, next_step = summary_and_next(norm, None if theirs else follow_tm, visit_tm, frame + mention_spans)

    amount_blocked = time_spans
    draft = VisitDraft(
        text=text,
        customer_mention=mention,
        candidates=candidates,
        contact_name=contact.name if contact else None,
        contact_title=contact.title if contact else None,
        visited_at=visited_at,
        visited_at_explicit=explicit,
        summary=summary,
        next_step=next_step,
        next_follow_up=follow_up,
        # dictated text: its phrases read whole once the blanks between words are closed (「订单 取消 了」); the
        # text as written answers where the closed reading finds nothing (its clauses merged)
        stage_hint=find_stage_hint(stage_text(closed_words(norm))) or find_stage_hint(stage_text(norm)),
        amount=deal_amount(norm, amount_blocked),
        is_visit=_looks_like_visit(norm, bool(candidates), contact is not None),
        # 「下午拜访了华为」 sent at 10:00 names a time still ahead: questioned, not stored (an hour's slack).
        future_visit=visited_at.date() > today or (explicit and visited_at > local_now + timedelta(hours=1)),
    )
    return refine(draft, norm)  # title as written, more stage phrases (visit_fields.py)


# -------------------------------------------------------------------- edits
_CANCEL = re.compile(r"^(?:取消|算了|不记了|不要了|撤销|作废|删掉|删除|别记了|不用了|cancel)(?:吧|了|这条|记录)?$", re.I)
_SET = r"(?:改成|改为|改到|换成|应该是|应是|是|为|:|：)"
_EDIT_FOLLOW = re.compile(rf"(?:跟进|回访|下次)(?:时间|日期)?{_SET}\s*(?P<v>.+)|^(?:改成|改为|改到)\s*(?P<w>.+?)(?:再)?(?:跟进|回访)$")
_EDIT_CUSTOMER = re.compile(rf"^(?:客户|公司|单位)(?:名称?)?{_SET}\s*(?P<v>.+)$|^不是.{{1,12}}?[,，\s]*是(?P<w>.+)$")
_EDIT_CONTACT = re.compile(rf"^(?:联系人|对接人|见的人?|见的是)(?:姓名)?{_SET}\s*(?P<v>.+)$")
_EDIT_TIME = re.compile(rf"^(?:拜访)?(?:时间|日期|拜访时间|拜访日期){_SET}\s*(?P<v>.+)$")
_EDIT_STAGE = re.compile(rf"^(?:阶段|状态|商机阶段){_SET}\s*(?P<v>.+)$")
_EDIT_AMOUNT = re.compile(rf"^(?:金额|预算|报价|合同金额|商机金额){_SET}\s*(?P<v>.+)$")
_STAGE_BY_LABEL = {"潜在": Stage.LEAD, "评估": Stage.EVALUATION, "谈判": Stage.NEGOTIATION, "成交": Stage.WON, "流失": Stage.LOST}


def parse_edit(text: str, now: datetime) -> EditRequest | None:
    """A correction to a pending draft, or None when the message is not one.

    Only explicit correction phrasing counts ("改成/是/为…"); a message that
    merely contains a date is a new visit, not an edit.
    """
    local_now = _local_now(now)
    norm = normalize_text(text).rstrip("。.!！~～")
    if _CANCEL.match(norm):
        return EditRequest(cancel=True)
    if m := _EDIT_FOLLOW.search(norm):
        value = (m.group("v") or m.group("w") or "").strip()
        times = find_times(value, local_now)
        if times:
            return EditRequest(next_follow_up=_to_date(times[0].value("future")))
        return None
    if m := _EDIT_TIME.match(norm):
        times = find_times(m.group("v"), local_now)
        if times:
            at, _ = _visited_at(times[0], local_now)
            return EditRequest(visited_at=at)
        return None
    if m := _EDIT_CUSTOMER.match(norm):
        value = (m.group("v") or m.group("w") or "").strip(" 的")
        return EditRequest(customer_mention=value) if value else None
    if m := _EDIT_CONTACT.match(norm):
        value = m.group("v").strip()
        found = find_contact(value, [])
        if found is not None:
            return EditRequest(contact_name=found.name, contact_title=found.title)
        return EditRequest(contact_name=value) if value else None
    if m := _EDIT_STAGE.match(norm):
        value = m.group("v").strip()
        stage = _STAGE_BY_LABEL.get(value) or find_stage_hint(value)
        return EditRequest(stage_hint=stage) if stage else None
    if m := _EDIT_AMOUNT.match(norm):
        amount = deal_amount(m.group("v"), [])
        if amount is None:
            number = to_decimal(m.group("v").strip())
            amount = number
        return EditRequest(amount=amount) if amount is not None else None
    if m := re.match(r"^(?:改成|改为|改到)\s*(?P<v>.+)$", norm):
        times = find_times(m.group("v"), local_now)
        if times and re.search(r"跟进|回访|再", m.group("v")):
            return EditRequest(next_follow_up=_to_date(times[0].value("future")))
    # "下周四再跟进" on its own: nothing but a date and a follow-up word.
    times = find_times(norm, local_now)
    if len(times) == 1:
        rest = norm[: times[0].start] + norm[times[0].end :]
        if _BARE_FOLLOW.fullmatch(rest.strip(" ,，")):
            return EditRequest(next_follow_up=_to_date(times[0].value("future")))
    return None


_BARE_FOLLOW = re.compile(r"(?:再|之前|前)?(?:跟进|回访|复访|再约|约|联系|再联系|再去|去)(?:吧|一下)?")
