"""The visit's note and next step: which words of the message are what was discussed, which the plan.

The message is cut into clauses at punctuation, blanks and the words that open a new point (聊了, 反馈, 下一步…).
The clause holding the follow-up date (from the plan word before it: 「…我下周四再打电话」) and the clauses after
it with a next-step cue (再, 跟进, 需要…) are the next step (with no date, a clause that opens with 下一步,
下次…); the rest is the note, less the clauses that only repeat the frame the card shows anyway (the time, the
customer, the contact, the visit verbs). The caller passes no follow-up when the date is the customer's own
(「他们下个月招标」), so it stays in the note.

Written by hand: what a rep's chat message frames and what it reports is ours to know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from handlers.understand.clauses import clause_before, without_word_gaps
from handlers.understand.date_roles import FOLLOW_BEFORE, PLAN
from handlers.understand.timeexpr import TimeMatch

_SPLIT_BEFORE = re.compile(
    r"(?=聊了|聊的|谈了|谈到|沟通了|讨论了|介绍了|演示了|汇报了|交流了|确认了|了解了|反馈|提出|表示|(?<![再里上中])说|他们|对方|客户说|"
    rf"主要|重点|下一步|下次|后续|约了|准备|需要|{PLAN})"
)
_FRAME_WORDS = re.compile(
    r"今天|刚刚|刚才|刚|拜访了|拜访|走访了|走访|去了|去|见了|见|到了|上门|和|跟|与|的|了|在|客户|公司|那边|一下|一趟|"
    r"一次|过去|下午|上午|中午|晚上|早上|现场|陪|带|同事|领导|经理|我|我们|又|先|还|也|就|是|这边|接待|会面|面谈|约见|"
    r"[\s,，。.:：;；!！、~～]"
)
_NEXT_CUE = re.compile(r"下一步|下次|后续|再|跟进|回访|复访|需要|准备|计划|等|待")


def dictated(text: str) -> bool:
    """Whether blanks in the message separate words, not clauses: voice input and some reps put a blank after
    every word or two (「龙腾 这个 单 我们 主动 放弃 了 利润 太 低」). Cut there, each piece is a word or two and the
    frame filter below would drop 「太」, 「低」 from the note."""
    words = text.split()
    return len(words) >= 6 and sum(len(w) for w in words) / len(words) <= 3.0


def _clauses(text: str, cuts: Iterable[int]) -> list[tuple[int, int]]:
    points = {0, len(text)}
    for m in re.finditer(r"[,，。;；!！?？\n]" if dictated(text) else r"[,，。;；!！?？\n]|\s", text):
        points.add(m.start())
        points.add(m.end())
    points.update(cuts)
    for m in _SPLIT_BEFORE.finditer(text):
        points.add(m.start())
    ordered = sorted(points)
    spans = []
    for a, b in zip(ordered, ordered[1:], strict=False):
        piece = text[a:b].strip(" ,，。;；!！?？\n")
        if piece:
            offset = text.index(piece, a)
            spans.append((offset, offset + len(piece)))
    return spans


def summary_and_next(
    text: str,
    follow: TimeMatch | None,
    visit: TimeMatch | None,
    frame_spans: Sequence[tuple[int, int]],
) -> tuple[str | None, str | None]:
    cuts = [follow.start] if follow else []
    if follow is not None:
        before = clause_before(text, follow.start)
        cue = FOLLOW_BEFORE.search(before)
        if cue is not None:
            cut = cue.start()
            if (me := before.rfind("我")) > cut:
                cut = me  # 「…定供应商我下周四再打电话」: the rep's plan starts at 我
            cuts = [follow.start - len(before) + cut]
    pieces = _clauses(text, cuts)
    # A bare subject split off before a date (「他们」|「下个月招标」) belongs to the clause after it.
    merged: list[tuple[int, int]] = []
    for a, b in pieces:
        if merged and text[merged[-1][0] : merged[-1][1]] in ("他们", "对方", "客户", "他") and a == merged[-1][1]:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    pieces = merged
    summary: list[str] = []
    nexts: list[str] = []
    follow_piece_seen = False
    for a, b in pieces:
        piece = text[a:b]
        is_follow_piece = follow is not None and (a <= follow.start < b or (bool(cuts) and a == cuts[0]))
        if is_follow_piece or (follow_piece_seen and _NEXT_CUE.search(piece)) or (
            follow is None and re.match(r"(?:下一步|下次|后续|需要|准备|计划)", piece)
        ):
            follow_piece_seen = follow_piece_seen or is_follow_piece
            nexts.append(piece)
            continue
        # Remove what the frame already says (time, customer, contact, visit verbs).
        residue = list(piece)
        for s, e in frame_spans:
            for i in range(max(s, a), min(e, b)):
                residue[i - a] = " "
        if visit is not None:
            for i in range(max(visit.start, a), min(visit.end, b)):
                residue[i - a] = " "
        rest = _FRAME_WORDS.sub("", "".join(residue))
        if len(rest) >= 2:
            summary.append(piece)
    if dictated(text):
        # the blanks between the words of dictated text are no content: 「利润 太 低」 is saved as 「利润太低」
        summary, nexts = ([without_word_gaps(p) for p in part] for part in (summary, nexts))
    return ("，".join(summary) or None), ("，".join(nexts) or None)


def closed_words(text: str) -> str:
    """Dictated text with the blanks between its Chinese words removed (「订单 取消 了」 → 「订单取消了」), so that
    phrases of several words read as they do typed; any other text as it is."""
    return without_word_gaps(text) if dictated(text) else text
