"""Traditional Chinese → simplified, for matching only (what is stored and shown stays as written).

Reps on a Hong Kong or Taiwan input method type 「重慶銀龍」 and 「週三」; customer lists exported from
such systems carry traditional names. OpenCC's dictionaries (the maintained converter; here its
pure-Python port, opencc-python-reimplemented) map them, phrase-aware. Converting costs ~0.1 ms a
message, so text without any traditional character is returned untouched (a set test in C), which keeps
building the customer index of 100,000 names as fast as before.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import opencc


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional() -> frozenset[str]:
    """Every character OpenCC's t2s character table changes (its first choice differs from the character)."""
    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        if values.split() and values.split()[0] != key:
            chars.add(key)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    """``text`` in simplified characters; the same string object when it has no traditional character."""
    if _traditional().isdisjoint(text):
        return text
    return str(_converter().convert(text))
