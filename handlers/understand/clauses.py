"""The clause around a position in a message: what a rule may read next to a name or a date.

The contact, date-role and note rules judge a word by the words of its own clause ("唐总不在 跟采购小李聊了会":
不在 is about 唐总 only), never across a comma or a full stop. One definition of where a clause ends, shared
by them, so they cut the message the same way.
"""

from __future__ import annotations

import re

_CLAUSE_END = ",，。;；!！?？\n"
# A blank between two Chinese characters: in dictated text (a blank after every word) it is no clause end, only
# the gap between words; the rules that read a phrase across it remove it (notes, amounts, contacts).
_WORD_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


def without_word_gaps(text: str) -> str:
    """``text`` with the blanks between Chinese characters removed (「订单 取消 了」 → 「订单取消了」)."""
    return _WORD_GAP.sub("", text)


def clause_after(text: str, end: int) -> str:
    """The rest of the clause from ``end``."""
    stop = min((i for c in _CLAUSE_END if (i := text.find(c, end)) != -1), default=len(text))
    return text[end:stop]


def clause_before(text: str, start: int) -> str:
    """The clause up to ``start``."""
    begin = max(text.rfind(c, 0, start) for c in _CLAUSE_END) + 1
    return text[begin:start]
