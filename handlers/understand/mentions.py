"""Which customer a visit message names: the mention and the candidates, best first.

The spellings of each customer's registered name (字号, city + 字号, short name, aliases, pinyin) are looked up
span by span by ``domain.customer_mentions.CustomerIndex``, at a cost independent of the number of customers.
This module chooses among its hits: when a longer hit contains a shorter one ("华为终端" contains "华为"), the
longer one is the mention and the shorter customer is kept as a weaker candidate; the first confident one wins
over names said later (competitors, a second stop). A company the index does not know is guessed from the words
around the contact or after a visit verb (``unknown_mention``), so the caller can offer to create it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from domain.customer_mentions import CustomerIndex, CustomerRef
from domain.customer_mentions import Hit as _Hit
from handlers.understand.contacts import ContactMention
from handlers.understand.titles import title_start


@lru_cache(maxsize=32)
def index_for(customers: tuple[CustomerRef, ...]) -> CustomerIndex:
    return CustomerIndex(customers)


def match_customers(
    text: str, index: CustomerIndex, blocked: Sequence[tuple[int, int]]
) -> tuple[tuple[int, int] | None, tuple[tuple[int, float], ...]]:
    """(mention span, candidates best first) for a normalised text."""
    hits = index.hits(text.lower(), blocked)
    if not hits:
        return None, ()
    # Hits that overlap form one cluster ("华为" inside "华为终端"). The mention is
    # the longest hit of the first confident cluster: reps name the customer
    # before competitors or a second stop ("先去的精工…然后去了苏州精密").
    hits.sort(key=lambda h: (h.start, -h.end))
    clusters: list[list[_Hit]] = []
    for hit in hits:
        if clusters and hit.start < max(h.end for h in clusters[-1]):
            clusters[-1].append(hit)
        else:
            clusters.append([hit])
    confident = [c for c in clusters if max(max(h.scores.values()) for h in c) >= 0.75]
    chosen = confident[0] if confident else max(clusters, key=lambda c: max(max(h.scores.values()) for h in c))
    mention = max(chosen, key=lambda h: (h.end - h.start, max(h.scores.values()), -h.start))
    exact = [h for h in chosen if max(h.scores.values()) >= 0.95]
    if exact:
        # An exact name wins over an overlapping partial one ("苏州精工": 精工, not 苏州精密),
        # unless the partial one contains it and is clearly longer ("汇川联合动力").
        best_exact = max(exact, key=lambda h: (h.end - h.start, -h.start))
        wider = [
            h
            for h in chosen
            if h.start <= best_exact.start
            and best_exact.end <= h.end
            and (
                (h.end - h.start) >= (best_exact.end - best_exact.start) + 2
                or max(h.scores.values()) >= 0.85  # a whole short name around it: 森达熏蒸 holds 达熏蒸
            )
        ]
        mention = max(wider, key=lambda h: (h.end - h.start, max(h.scores.values()))) if wider else best_exact
    scores: dict[int, float] = {}
    span_len = mention.end - mention.start
    for hit in hits:
        inside = mention.start <= hit.start and hit.end <= mention.end
        for cid, score in hit.scores.items():
            if hit is mention:
                value = score
            elif inside:
                value = score * (hit.end - hit.start) / span_len  # "华为" inside "华为终端"
            else:
                value = score * 0.5  # named elsewhere in the message
            scores[cid] = max(value, scores.get(cid, 0.0))
    if _NEW_COMPANY.search(text) and mention.end - mention.start < 4:
        # 「新客户 深圳市科达精密」, 「昆山一家做PCB的」: the rep says the company is new, so a short part of its name
        # that is also one of ours (精密, 昆山) is offered, never picked
        scores = {cid: min(score, 0.7) for cid, score in scores.items()}
    said = text[mention.start : mention.end].lower()  # among equals, a 字号 as parsed before a guessed cut
    ranked = sorted(
        ((cid, round(s, 3)) for cid, s in scores.items() if s >= 0.3), key=lambda x: (-x[1], index.guessed(x[0], said), x[0])
    )
    return (mention.start, mention.end), tuple(ranked[:5])


_NEW_COMPANY = re.compile(r"新客户|一家|陌拜|新开发的|没合作过|第一次合作")


# ----------------------------------------------------------- unknown mention
_UNKNOWN_MENTION = re.compile(
    r"(?:拜访了?|走访了?|去了?|到|见了?|在)(?:一家|一个|新客户|客户)?[:：]?\s*"
    r"(?P<c>[\u4e00-\u9fffA-Za-z0-9]{2,14}?)(?:公司|集团|厂)?(?=的|那边|[,，。\s]|$)"
)


def unknown_mention(text: str, contact: ContactMention | None, blocked: Sequence[tuple[int, int]]) -> str | None:
    """Best guess at a company the index doesn't know, so the caller can offer to create it."""
    if contact is not None and contact.start > 0:
        head = text[: contact.start].rstrip("的 ")
        # The contact's title is no part of the company's name (「海康的IT经理小张」: 海康, not 海康的IT经理).
        if (cut := title_start(head)) is not None:
            head = head[:cut].rstrip("的 ")
        m = re.search(r"(?:拜访了?|走访了?|去了?|见了?|到|和|跟|与|^)(?P<c>[\u4e00-\u9fffA-Za-z0-9]{2,14})$", head)
        if m and not any(s < m.end("c") and m.start("c") < e for s, e in blocked):
            return m.group("c")
    m = _UNKNOWN_MENTION.search(text)
    if m and not any(s < m.end("c") and m.start("c") < e for s, e in blocked):
        return m.group("c")
    return None
