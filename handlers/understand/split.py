"""One message, several customers: 「上午去了海康，下午又跑了趟精工…」 is two visits.

A new visit starts at a clause that *goes to* a customer (去了 / 跑了趟 / 拜访 / 见了 / 电话…)
other than the one before; clauses without a customer stay with the visit before them. A customer
only named in passing (「他们和海康在比价」) has no such verb and starts nothing. Each part is then
parsed on its own, so its time (上午 / 下午), contact and follow-up stay with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.understand.visit_text import CustomerIndex, CustomerRef, VisitDraft, parse_visit

_CLAUSE = re.compile(r"[^，,。;；!！\n]+")
_GOES_TO = re.compile(r"去了?|跑了?一?趟|拜访了?|走访了?|见了|到了|转到|电话|打给|约了|visited|met", re.I)


@dataclass(frozen=True)
class Part:
    text: str
    draft: VisitDraft


def split_visits(text: str, now: datetime, customers: Sequence[CustomerRef] | CustomerIndex) -> list[Part]:
    """The message's visits when it reports two or more customers, else an empty list."""
    clauses = [m.group(0) for m in _CLAUSE.finditer(text) if m.group(0).strip()]
    if len(clauses) < 2:
        return []
    segments: list[list[str]] = []
    owners: list[int | None] = []
    for clause in clauses:
        draft = parse_visit(clause, now, customers)
        customer = draft.customer_id
        starts_new = (
            customer is not None
            and (not owners or customer != owners[-1])
            and _GOES_TO.search(clause) is not None
        )
        if starts_new or not segments:
            if segments and owners[-1] is None and customer is not None:
                owners[-1] = customer  # the first clause had no customer yet: this one completes it
                segments[-1].append(clause)
                continue
            segments.append([clause])
            owners.append(customer)
        else:
            segments[-1].append(clause)
    distinct = {o for o in owners if o is not None}
    if len(segments) < 2 or len(distinct) < 2:
        return []
    parts = []
    for segment in segments:
        part_text = "，".join(c.strip() for c in segment)
        parts.append(Part(part_text, parse_visit(part_text, now, customers)))
    return parts
