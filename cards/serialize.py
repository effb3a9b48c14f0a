"""Cards to and from plain JSON, so the outbox and the card table can store them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from cards.model import Button, Card, Field, Link, Select, SelectOption


def card_to_dict(card: Card) -> dict[str, Any]:
    return asdict(card)


def card_from_dict(data: dict[str, Any]) -> Card:
    link = data.get("link")
    return Card(
        title=data["title"],
        card_id=data["card_id"],
        subtitle=data.get("subtitle"),
        description=data.get("description"),
        fields=[Field(**f) for f in data.get("fields", [])],
        quote_text=data.get("quote_text"),
        buttons=[Button(**b) for b in data.get("buttons", [])],
        selects=[
            Select(
                question_key=s["question_key"],
                title=s["title"],
                options=[SelectOption(**o) for o in s.get("options", [])],
                selected_id=s.get("selected_id"),
            )
            for s in data.get("selects", [])
        ],
        status=data.get("status"),
        link=Link(**link) if link else None,
        image_url=data.get("image_url"),
        source=data.get("source", "销售助手"),
    )
