"""English and mixed messages: 「Visited Huawei today, met Mr. Zhang, budget 500k, follow up next Wednesday」.

Reps at foreign-owned customers write in English. Rather than a second parser, the few English
words that carry a visit's frame (dates, visit verbs) are rewritten into the Chinese the visit
parser knows; the contact ("Mr. Zhang") and the note are taken from the English as written, so the
note keeps its clauses ("budget 500k") instead of being cut at every space.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from handlers.understand.titles import EN_TITLE as _EN_TITLE

if TYPE_CHECKING:
    from handlers.understand.visit_text import CustomerIndex, CustomerRef, VisitDraft

_WEEKDAYS = {
    "monday": "一",
    "tuesday": "二",
    "wednesday": "三",
    "thursday": "四",
    "friday": "五",
    "saturday": "六",
    "sunday": "日",
    "mon": "一",
    "tue": "二",
    "wed": "三",
    "thu": "四",
    "fri": "五",
    "sat": "六",
    "sun": "日",
}
_WD = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))

# (pattern, replacement) applied in order, case-insensitively, on word boundaries.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), r)
    for p, r in (
        (r"\bthis morning\b", "今天上午"),
        (r"\bthis afternoon\b", "今天下午"),
        (r"\btoday\b", "今天"),
        (r"\byesterday\b", "昨天"),
        (r"\btomorrow\b", "明天"),
        (r"\bday after tomorrow\b", "后天"),
        (r"\bnext week\b(?!\s*(?:" + _WD + r"))", "下周"),
        (r"\bend of (?:the )?month\b", "月底"),
        (r"\bend of next month\b", "下个月底"),
        (r"\bnext month\b", "下个月"),
        (r"\bin (\d+) days\b", r"\1天后"),
        (r"\bvisited\b", "拜访了"),
        (r"\bfollow(?:ed)?[ -]up\b", "跟进"),
        # a video or WeChat call is that, not a phone call (visit_fields.detect_channel reads the frame)
        (r"\bvideo[ -]?(?:call|chat)(?:ed)?\b", "视频会议"),
        (r"\b(?:zoom|teams|webex)[ -]?(?:call|meeting)s?\b", "视频会议"),
        (r"\bwechat(?:ed)?[ -]?call(?:ed)?\b", "微信语音"),
        (r"\bcall(?:ed)?\b", "电话"),
    )
)
_WEEKDAY_RX = re.compile(rf"\b(?P<p>next|this|last|on)?\s*(?:week\s+)?(?P<d>{_WD})\b\.?", re.I)
# A Chinese surname in pinyin with its honorific, in pinyin or in Chinese (「Zhang zong」, 「He jingli」, 「Feng 经理」),
# else a first name and maybe a surname (「Linda」, 「Linda Wang」).
_PINYIN_HONORIFIC = r"zong|gong|jingli|zongjian|zhuguan|zhuren|kezhang|buzhang|chuzhang|changzhang|laoban|shifu"
_SURNAME_HONORIFIC = (
    rf"[A-Z][a-z]+\s(?:{_PINYIN_HONORIFIC})(?![A-Za-z])|[A-Z][a-z]+\s?(?:经理|总监|总工|主任|主管|科长|部长|处长|厂长|"
    r"[总工](?![\u4e00-\u9fff])|[总工](?=[说的也在和聊讲问]))"  # not the 工 of 「Huawei 工程师」
)
_NAME = rf"{_SURNAME_HONORIFIC}|[A-Z][a-z]+(?:\s[A-Z][a-z]+)?"
CONTACT_RX = re.compile(
    r"\b(?i:met|with|saw|called|meeting with|talked to|spoke (?:to|with))\s+"
    rf"(?P<n>(?:Mr|Ms|Mrs|Miss|Dr)\.?\s+[A-Z][a-z]+|{_NAME})"
)
_FRAME_WORDS = frozenset(
    ["visit", "visited", "met", "meet", "saw", "went", "go", "to", "today", "yesterday", "tomorrow", "this", "morning", "afternoon", "with", "at", "the", "a", "an", "and", "mr", "ms", "mrs", "miss", "dr", "on", "in", "follow", "followed", "up", "next", "last", "week", "we", "i"]
    + list(_WEEKDAYS)
)


def is_english(text: str) -> bool:
    """Mostly Latin letters: at least three English words and fewer CJK characters than letters."""
    letters = len(re.findall(r"[A-Za-z]", text))
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    return len(re.findall(r"[A-Za-z]{2,}", text)) >= 3 and letters > 2 * cjk


def _in_chinese(text: str, rules: tuple[tuple[re.Pattern[str], str], ...], weekdays: re.Pattern[str]) -> str:
    """``text`` with ``rules`` applied in order, then its weekdays (「next Friday」 → 下周五)."""
    out = text
    for rx, replacement in rules:
        out = rx.sub(replacement, out)

    def weekday(m: re.Match[str]) -> str:
        prefix = {"next": "下", "this": "本", "last": "上"}.get((m.group("p") or "").lower(), "")
        return f"{prefix}周{_WEEKDAYS[m.group('d').lower()]}"

    return weekdays.sub(weekday, out)


def to_chinese_frame(text: str) -> str:
    """The message with its dates and visit verbs in Chinese (names and everything else as written)."""
    return _in_chinese(text, _RULES, _WEEKDAY_RX)


# The date words of the frame above, for Chinese messages with English words in them (「next Monday再follow up」,
# 「让我们Friday之前submit报价」, 「合同next week签」): only the days, nothing else of the message is translated.
# (ASCII word boundaries: 「Monday再」 has no \b between its letters and the Chinese after them otherwise)
_DATE_RULES = tuple(
    (re.compile(rx.pattern, re.I | re.ASCII), to) for rx, to in _RULES if re.search(r"[今明昨后周月天]", to)
)
_WEEKDAY_ASCII = re.compile(_WEEKDAY_RX.pattern, re.I | re.ASCII)


def dates_in_chinese(text: str) -> str:
    """``text`` with English day words written in Chinese (the rest as written), for the Chinese date parser."""
    if not re.search(r"[A-Za-z]", text):
        return text
    return _in_chinese(text, _DATE_RULES, _WEEKDAY_ASCII)


_HONORIFIC_RX = re.compile(r"\b(?P<n>(?:Mr|Ms|Mrs|Miss|Dr)\.?\s+[A-Z][a-z]+)")


# The English title (titles.EN_TITLE) written right after or before the name.
# (in brackets the company may come first: 「Ms. Li (Haier quality manager)」)
_EN_TITLE_AFTER = re.compile(
    rf"^\s*(?:,\s*|\(\s*(?:(?-i:[A-Z][\w&]*)(?:'s)?\s+)?|\s+)(?:the\s+|our\s+|their\s+)?(?P<t>{_EN_TITLE})", re.I
)
_EN_TITLE_BEFORE = re.compile(rf"(?:^|[\s,(])(?P<t>{_EN_TITLE})\s*[,:]?\s*$", re.I)


# A first name as the subject of what the contact said or will do (「…, Linda will reply by Thursday」).
_SUBJECT_RX = re.compile(
    r"(?:^|[,;.]\s*|\band\s+)(?P<n>[A-Z][a-z]{2,11})\s+(?:will|would|said|says|wants|asked|agreed|confirmed|"
    r"replied|promised|needs|thinks|liked|requested|mentioned|prefers|is going to)\b"
)


# 「met Huawei IT director Tony」: the name right after a title.
_TITLED_NAME_RX = re.compile(rf"(?i:{_EN_TITLE})\s+(?P<n>[A-Z][a-z]{{2,11}})\b")


# 「Huawei Shenzhen office」: a word after the company that names one of its places, not a person.
_NOT_A_PLACE = r"(?!\s+(?i:office|plant|factory|site|branch|team|campus|headquarters|HQ|base|park|centre|center|lab)\b)"


def first_name_after_customer(text: str, customer: str | None) -> str | None:
    """「Bosch Linda wechat: …」: a first name right after the company, when nothing else names the contact (a
    city may stand there too: 「CATL Ningde」, so the parser's own contact comes first)."""
    if not customer:
        return None
    m = re.search(rf"(?<![A-Za-z]){re.escape(customer)}\s+(?P<n>[A-Z][a-z]{{2,11}})(?![A-Za-z]){_NOT_A_PLACE}", text)
    return m.group("n") if m and m.group("n").lower() not in _FRAME_WORDS else None


def english_contact(text: str, customer: str | None = None) -> str | None:
    """「Mr. Wang」 wherever it stands (「Called Siemens, Mr. Wang wants…」), else a name right after a title
    (「IT director Tony」), else the name after a verb, else a first name saying or doing something (never
    the customer's name: 「met Huawei …」, 「Siemens wants a demo」)."""
    m = _HONORIFIC_RX.search(text) or _TITLED_NAME_RX.search(text)
    if m is None and customer:
        # 「Huawei Zhang zong」, 「Schneider Feng 经理」: a surname with its honorific right after the company
        m = re.search(rf"(?<![A-Za-z]){re.escape(customer)}\s+(?P<n>{_SURNAME_HONORIFIC})", text)
    if m is None:
        m = next(
            (s for s in CONTACT_RX.finditer(text) if not customer or s.group("n").lower() not in customer.lower()),
            None,
        )
        if m and customer and len(words := m.group("n").split()) > 1 and words[0].lower() in customer.lower().split():
            return " ".join(words[1:])  # 「with Bosch Linda」: the company, then the person
    if m is None:
        m = next(
            (s for s in _SUBJECT_RX.finditer(text) if not customer or s.group("n").lower() not in customer.lower()),
            None,
        )
    return re.sub(r"\s+", " ", m.group("n")) if m else None


def english_title(text: str, name: str | None) -> str | None:
    """The contact's title written next to the name: 「Linda (purchasing manager)」, 「IT director Tony」."""
    if not name or (at := text.find(name)) < 0:
        return None
    m = _EN_TITLE_AFTER.match(text[at + len(name) :]) or _EN_TITLE_BEFORE.search(text[max(0, at - 40) : at])
    return m.group("t") if m else None


def english_note(text: str) -> str | None:
    """The clauses that say something beyond the visit's frame (who, when, follow-up date)."""
    text = re.sub(r"\b(Mr|Ms|Mrs|Dr)\.", r"\1", text)
    clauses = [c.strip() for c in re.split(r"[,;.，；。!！\n]+(?:\s|$)|[,;，；。!！\n]", text) if c.strip()]
    return "，".join(c for c in clauses if not _frame_only(c)) or None


def _frame_only(clause: str) -> bool:
    """Only who / when / where: visit verbs, time words, names (capitalised) and small words."""
    words = re.findall(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]", clause)
    return all(w.lower() in _FRAME_WORDS or w[:1].isupper() for w in words)


def english_visit(text: str, now: datetime, customers: Sequence[CustomerRef] | CustomerIndex) -> VisitDraft:
    """Parse an English message: the frame through the Chinese parser, contact and note as written."""
    from handlers.understand.visit_text import parse_visit  # visit_text imports this module

    draft = parse_visit(to_chinese_frame(text), now, customers, english=False)
    follow = [c.strip() for c in re.split(r"[,;，；。]", text) if re.search(r"follow|call back|next step", c, re.I)]
    return replace(
        draft,
        text=text,
        contact_name=(
            name := english_contact(text, draft.customer_mention)
            or draft.contact_name
            or first_name_after_customer(text, draft.customer_mention)
        ),
        # 「met 刘总 (purchasing director)」; a Chinese title beside a Chinese name was read by the frame's parse
        contact_title=english_title(text, name) or (draft.contact_title if name == draft.contact_name else None),
        summary=english_note(text),
        next_step="，".join(follow) or None,
    )
