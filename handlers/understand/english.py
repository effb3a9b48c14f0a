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
        (r"\bwechat(?:ed)?[ -]?call(?:ed)?\b", "微信语音"),
        (r"\bcall(?:ed)?\b", "电话"),
    )
)
_WEEKDAY_RX = re.compile(rf"\b(?P<p>next|this|last|on)?\s*(?:week\s+)?(?P<d>{_WD})\b\.?", re.I)
_CONTACT_RX = re.compile(
    r"\b(?i:met|with|saw|called|meeting with|talked to|spoke (?:to|with))\s+"
    r"(?P<n>(?:Mr|Ms|Mrs|Miss|Dr)\.?\s+[A-Z][a-z]+|[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)"
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


def to_chinese_frame(text: str) -> str:
    """The message with its dates and visit verbs in Chinese (names and everything else as written)."""
    out = text
    for rx, replacement in _RULES:
        out = rx.sub(replacement, out)

    def weekday(m: re.Match[str]) -> str:
        prefix = {"next": "下", "this": "本", "last": "上"}.get((m.group("p") or "").lower(), "")
        return f"{prefix}周{_WEEKDAYS[m.group('d').lower()]}"

    return _WEEKDAY_RX.sub(weekday, out)


_HONORIFIC_RX = re.compile(r"\b(?P<n>(?:Mr|Ms|Mrs|Miss|Dr)\.?\s+[A-Z][a-z]+)")


def english_contact(text: str) -> str | None:
    """「Mr. Wang」 wherever it stands (「Called Siemens, Mr. Wang wants…」), else the name after a verb."""
    m = _HONORIFIC_RX.search(text) or _CONTACT_RX.search(text)
    return re.sub(r"\s+", " ", m.group("n")) if m else None


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
        contact_name=english_contact(text) or draft.contact_name,
        contact_title=None,
        summary=english_note(text),
        next_step="，".join(follow) or None,
    )
