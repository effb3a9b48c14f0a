"""Understanding layer: one free Chinese chat message → structured data.

Pure functions, no database and no chat platform: the handlers feed a message
text, the message time and the company's customers, and get back a draft to
show the rep for confirmation. Nothing here reads the clock.

Public API::

    from handlers.understand import parse_visit, parse_edit, CustomerRef
    draft = parse_visit("今天拜访了华为的张总，聊了报价，下周三再跟进", now, customers)

    from handlers.understand.timeexpr import resolve, find_times
    resolve("下周三下午3点", now)  # → aware datetime
"""

from handlers.understand.timeexpr import TimeMatch, find_times, resolve
from handlers.understand.visit_text import (
    CustomerIndex,
    CustomerRef,
    EditRequest,
    VisitDraft,
    parse_edit,
    parse_visit,
)

__all__ = [
    "CustomerIndex",
    "CustomerRef",
    "EditRequest",
    "TimeMatch",
    "VisitDraft",
    "find_times",
    "parse_edit",
    "parse_visit",
    "resolve",
]
