"""Small helpers for the reminder texts the jobs send.

WeCom refuses a text message over 2048 bytes (a Chinese character is three),
so a list that would not fit is cut with "……等共 N 项" instead of failing
the whole reminder.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

TEXT_LIMIT_BYTES = 2000  # WeCom: 2048 bytes for text; a little margin


def md(day: date) -> str:
    """11月25日"""
    return f"{day.month}月{day.day}日"


def yuan(amount: Decimal | int | float | None) -> str:
    return "" if amount is None else f"¥{Decimal(str(amount)):,.0f}"


def compose(sections: list[tuple[str, list[str]]], head: str, tail: str = "") -> str:
    """``head``, then each (title, lines) section, then ``tail``, within the byte limit.

    Lines are dropped from the end of each section first (with a count of how many
    were left out) so every section keeps its title and its first lines.
    """

    def render(limits: list[int]) -> str:
        out = [head]
        for (title, lines), keep in zip(sections, limits, strict=True):
            if not lines:
                continue
            if title:
                out.append(title)
            out.extend(lines[:keep])
            if keep < len(lines):
                out.append(f"……等共 {len(lines)} 项")
        if tail:
            out.append(tail)
        return "\n".join(out)

    limits = [min(len(lines), 40) for _, lines in sections]  # 40 lines never fit in 2 KB anyway
    text = render(limits)
    while len(text.encode("utf-8")) > TEXT_LIMIT_BYTES and any(n > 1 for n in limits):
        biggest = max(range(len(limits)), key=lambda i: limits[i])
        limits[biggest] -= 1
        text = render(limits)
    return text
