"""The queues a worker serves, in a module of their own.

``salesbot worker --queues`` names them in its options; importing ``bot.worker`` for that
would load the handlers (and the message understanding) on every ``salesbot`` command.
"""

from __future__ import annotations

#: The queues a worker can serve: inbox events, OCR jobs, outbox deliveries (chat and ERP).
QUEUES = ("chat", "ocr", "delivery")


def parse_queues(text: str) -> tuple[str, ...]:
    """``"chat,ocr"`` → ("chat", "ocr"); ValueError naming an unknown queue."""
    names = tuple(dict.fromkeys(q.strip() for q in text.split(",") if q.strip()))
    unknown = [q for q in names if q not in QUEUES]
    if unknown or not names:
        raise ValueError(
            f"unknown queue(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(QUEUES)}"
        )
    return names
