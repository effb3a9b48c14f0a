"""The card as plain text, for every platform's fallback when a card cannot be sent or updated.

Users must still learn what happened (a stale card is the failure we avoid), so the
status comes right after the title. Each renderer cuts it to its platform's limit.
"""

from __future__ import annotations

from cards.model import Card


def plain_text(card: Card) -> str:
    lines = [f"【{card.title}】"]
    if card.status:
        lines.append(f"状态：{card.status}")
    if card.subtitle:
        lines.append(card.subtitle)
    if card.description:
        lines.append(card.description)
    lines += [f"{f.label}：{f.value}" for f in card.fields]
    if card.quote_text:
        lines.append(f"「{card.quote_text}」")
    if card.link is not None:
        lines.append(f"{card.link.text}：{card.link.url}")
    if card.image_url:
        lines.append(f"图片：{card.image_url}")
    return "\n".join(lines)
