"""Finding the customers a chat message names, at a cost that does not grow with the list.

``CustomerIndex`` holds, for every customer, the spellings a rep may use
(``domain.customer_names.name_keys``: 字号, city + 字号, short name, aliases…)
in plain dicts and one sorted list, so a message of n characters costs about
n × 16 dict look-ups and bisections whatever the number of customers:

* exact spellings → 1.0 (two customers sharing a 字号 are both offered);
* the start of a spelling ("成都蓉城医疗" of 成都蓉城医疗器械, a unique prefix)
  → 0.5–0.9 by how much was typed, found by bisecting the sorted keys;
* short names that abbreviate a registered name ("卧龙电驱" for 卧龙电气驱动,
  "川能动力" for 四川省新能源动力) → 0.85 when the characters appear in order
  from the start of the name, found through per-character posting sets;
* Latin letters: aliases (CATL), the 字号's pinyin ("byd", "biyadi") and a
  pinyin typo scored with ``rapidfuzz``; dictation homophones ("华伟" → 华为)
  through pypinyin readings bucketed by the first two syllables.

The index is plain data built from ``CustomerRef`` records; keeping it current
with the database is ``domain.services.customer_index``'s job.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import islice, product
from types import ModuleType

from domain.customer_names import (
    INDUSTRY_WORDS,
    PROVINCE_ABBREVIATIONS,
    brand_stems,
    fold,
    name_keys,
    parse_company_name,
    places,
)

__all__ = ["CustomerIndex", "CustomerRef", "Hit"]

MAX_KEY = 16  # longest span of a message tried as a spelling
PREFIX_CAP = 40  # a span that starts more spellings than this says nothing about which customer


@dataclass(frozen=True)
class CustomerRef:
    """A customer the rep may mean: id, registered name, known aliases and owner."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()
    owner_id: int | None = None


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    scores: dict[int, float] = field(hash=False)


# Latin words reps use that happen to be pinyin initials of some name.
LATIN_STOP = frozenset(
    ["ok", "po", "pm", "am", "ppt", "pdf", "poc", "erp", "mes", "crm", "it", "bom", "ceo", "cto", "cfo", "vp", "hr", "qa", "qc", "rd", "kpi", "ai", "ar", "vr", "sop", "bd", "gm", "ka", "oem", "odm", "plc", "dcs", "scada", "mrp", "wms", "api", "sdk", "ui", "app", "pc", "wifi", "nda", "demo", "pk", "cc", "bug"]
)
# Words of any visit message that are also real 字号 somewhere (远景, 未来, 合作…): never a customer on their own.
MESSAGE_WORDS = frozenset(
    ["今天", "明天", "昨天", "后天", "上午", "下午", "中午", "晚上", "早上", "拜访", "走访", "报价", "方案", "合同", "跟进", "回访", "客户", "公司", "集团", "有限", "股份", "采购", "技术", "产品", "项目", "价格", "合作", "沟通", "交流", "下周", "本周", "上周", "周一", "周二", "周三", "周四", "周五", "周六", "周日", "经理", "老板", "总监", "工程", "设备", "样品", "测试", "发展", "未来", "远景", "需求", "预算", "订单", "签约", "中国", "国际",
     # (parts of registered names that are everyday words: 「数字能源」, 「终端客户」, 「汽车行业」, 「联合开发」, 「新时代」)
     "数字", "终端", "汽车", "联合", "时代"]
)
_LATIN_TOKEN = re.compile(r"[a-z][a-z0-9&+\-]*")


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


# ------------------------------------------------------------------ pinyin
_pypinyin_module: ModuleType | None = None


def _pypinyin() -> ModuleType:
    """Import pypinyin on first use, without its phrase dictionary (~45 MB, ~100 ms):
    per-character readings with every heteronym (重 → zhong/chong) are what we match."""
    global _pypinyin_module
    if _pypinyin_module is None:
        os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
        os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "true")
        import pypinyin

        _pypinyin_module = pypinyin
    return _pypinyin_module


@lru_cache(maxsize=65536)
def readings(ch: str) -> frozenset[str]:
    """Toneless pinyin readings of one character (empty for non-CJK)."""
    if not _is_cjk(ch):
        return frozenset()
    pp = _pypinyin()
    result = pp.pinyin(ch, style=pp.Style.NORMAL, heteronym=True, errors="ignore")
    return frozenset(result[0]) if result else frozenset()


@lru_cache(maxsize=65536)
def common_reading(ch: str) -> str:
    """The everyday toneless reading of a character (氏 → shi, never its rare jing)."""
    if not _is_cjk(ch):
        return ch
    pp = _pypinyin()
    return str(pp.lazy_pinyin(ch, style=pp.Style.NORMAL, errors="ignore")[0] or ch)


def _initials(reading: str) -> tuple[str, ...]:
    if reading[:2] in ("zh", "ch", "sh"):
        return (reading[:2], reading[0])
    return (reading[0],)


def pinyin_score(token: str, chars: str) -> float | None:
    """How ``token`` ("huawei", "hw", "huaw") spells ``chars`` in pinyin, or None.

    Every character must be spelled, by a full reading or an initial: 0.9 all
    full syllables, 0.75 all initials, 0.8 mixed.
    """
    rs = [readings(c) for c in chars]
    if not all(rs):
        return None

    @cache
    def walk(i: int, j: int) -> tuple[int, int] | None:
        if j == len(chars):
            return (0, 0) if i == len(token) else None
        best: tuple[int, int] | None = None
        for r in rs[j]:
            if token.startswith(r, i):
                rest = walk(i + len(r), j + 1)
                if rest is not None and (best is None or rest[0] + 1 > best[0]):
                    best = (rest[0] + 1, rest[1])
            for ini in _initials(r):
                if token.startswith(ini, i):
                    rest = walk(i + len(ini), j + 1)
                    if rest is not None and best is None:
                        best = (rest[0], rest[1] + 1)
        return best

    found = walk(0, 0)
    if found is None:
        return None
    full, _ = found
    return 0.9 if full == len(chars) else 0.75 if full == 0 else 0.8


def _sounds(chars: str, limit: int) -> set[str]:
    """Toneless pinyin of ``chars`` ("华为" → {"huawei"}), heteronym combinations bounded to ``limit``."""
    rs = [sorted(readings(c)) for c in chars]
    if not all(rs):
        return set()
    return {" ".join(p) for p in islice(product(*rs), limit)}


def _spellings(chars: str, limit: int = 8) -> tuple[set[str], set[str]]:
    """(full pinyin spellings, initials spellings) of ``chars``, heteronyms bounded to ``limit`` each."""
    rs = [sorted(readings(c)) for c in chars]
    if not all(rs):
        return set(), set()
    full = {"".join(p) for p in islice(product(*rs), limit)}
    inits = {"".join(r[0] for r in p) for p in islice(product(*rs), limit)}
    return full, inits


_AddFn = Callable[[int, int, int, float], None]


class CustomerIndex:
    """Spellings of every customer, for matching messages and typed names."""

    def __init__(self, customers: Iterable[CustomerRef] = ()) -> None:
        self.customers: dict[int, CustomerRef] = {}
        self.keys: dict[str, dict[int, float]] = {}  # folded spelling → {customer: score}
        self._keys_of: dict[int, list[str]] = {}
        self._aliases: dict[str, set[int]] = {}  # folded alias → customers: an alias outranks a shared 字号
        self._sorted: list[str] = []  # every spelling, for prefix look-ups by bisection
        self._latin: dict[str, set[int]] | None = None  # built on the first Latin token
        self._latin_first: dict[str, set[str]] = {}  # Latin spellings by first letter, for typos
        self._by_reading: dict[str, set[str]] | None = None  # homophones by pinyin, built on first need
        self._chars: dict[str, set[int]] | None = None  # abbreviations, built on first need
        self._firsts: dict[str, set[int]] | None = None
        batch = list(customers)
        for ref in batch:
            self._add(ref, sort=False)
        self._sorted = sorted(self.keys)

    def __len__(self) -> int:
        return len(self.customers)

    # ------------------------------------------------------------ building
    def _spellings_of(self, ref: CustomerRef) -> dict[str, float]:
        keys = name_keys(ref.name)
        for alias in ref.aliases:
            folded = fold(alias)
            keys[folded] = 1.0
            for key, score in name_keys(alias).items():
                keys.setdefault(key, score)
        return {k: v for k, v in keys.items() if len(k) >= 2 and k not in MESSAGE_WORDS}

    def _add(self, ref: CustomerRef, sort: bool = True) -> None:
        self.customers[ref.id] = ref
        for alias in ref.aliases:
            self._aliases.setdefault(fold(alias), set()).add(ref.id)
        spellings = self._spellings_of(ref)
        self._keys_of[ref.id] = list(spellings)
        for key, score in spellings.items():
            slot = self.keys.get(key)
            if slot is None:
                self.keys[key] = {ref.id: score}
                if sort:
                    insort(self._sorted, key)
            else:
                slot[ref.id] = max(score, slot.get(ref.id, 0.0))
        if self._latin is not None:
            self._add_latin(ref, spellings)
        if self._by_reading is not None:
            self._add_readings(spellings)
        if self._chars is not None:
            self._add_chars(ref)

    def remove(self, customer_id: int) -> None:
        ref = self.customers.pop(customer_id, None)
        if ref is None:
            return
        for alias in ref.aliases:
            owners = self._aliases.get(fold(alias))
            if owners is not None:
                owners.discard(customer_id)
                if not owners:
                    del self._aliases[fold(alias)]
        for key in self._keys_of.pop(customer_id, []):
            slot = self.keys.get(key)
            if slot is not None:
                slot.pop(customer_id, None)
                if not slot:
                    del self.keys[key]  # the sorted list keeps the string; look-ups skip it
        if self._latin is not None:
            for ids in self._latin.values():
                ids.discard(customer_id)
        if self._chars is not None:
            for ids in self._chars.values():
                ids.discard(customer_id)
        if self._firsts is not None:
            for ids in self._firsts.values():
                ids.discard(customer_id)

    def update(self, refs: Iterable[CustomerRef], removed: Iterable[int] = ()) -> None:
        """Apply changed customers (added, renamed, new aliases) and removed ones."""
        for customer_id in removed:
            self.remove(customer_id)
        for ref in refs:
            self.remove(ref.id)
            self._add(ref)

    def _add_latin(self, ref: CustomerRef, spellings: dict[str, float]) -> None:
        assert self._latin is not None
        for key in spellings:
            if key.isascii() and key.isalnum():
                self._latin.setdefault(key, set()).add(ref.id)
                self._latin_first.setdefault(key[0], set()).add(key)
        parsed = parse_company_name(ref.name)
        for chars in {parsed.brand, parsed.core, *(fold(a) for a in ref.aliases)}:
            if 2 <= len(chars) <= 4 and all(_is_cjk(c) for c in chars):
                full, inits = _spellings(chars, 2)
                for spelling in full | inits:
                    self._latin.setdefault(spelling, set()).add(ref.id)
                    self._latin_first.setdefault(spelling[0], set()).add(spelling)

    def _latin_table(self) -> dict[str, set[int]]:
        if self._latin is None:
            self._latin = {}
            for ref in self.customers.values():
                self._add_latin(ref, dict.fromkeys(self._keys_of.get(ref.id, ()), 1.0))
        return self._latin

    def _add_readings(self, spellings: Iterable[str]) -> None:
        assert self._by_reading is not None
        for key in spellings:
            if 2 <= len(key) <= 4 and all(_is_cjk(c) for c in key):
                for sound in _sounds(key, 4):
                    self._by_reading.setdefault(sound, set()).add(key)

    def _reading_table(self) -> dict[str, set[str]]:
        if self._by_reading is None:
            self._by_reading = {}
            self._add_readings(self.keys)
        return self._by_reading

    def warm(self) -> CustomerIndex:
        """Build the tables that are otherwise built on first need (pinyin, abbreviations),
        so that no rep's message pays for them."""
        self._latin_table()
        self._reading_table()
        self._char_tables()
        return self

    def _abbreviation_sources(self, ref: CustomerRef) -> list[tuple[str, int]]:
        """(spelling, where its 字号 starts) that a short name may abbreviate."""
        parsed = parse_company_name(ref.name)
        whole = parsed.folded[: len(parsed.folded) - len(parsed.branch)] or parsed.folded
        brand_at = whole.find(parsed.brand) if parsed.brand else 0
        sources = [(whole, max(brand_at, 0))]
        if parsed.core:
            sources.append((parsed.core + parsed.form, 0))
        abbreviation = PROVINCE_ABBREVIATIONS.get(parsed.place)
        if abbreviation:
            sources.append((abbreviation + parsed.core + parsed.form, 1))
        return sources

    def _add_chars(self, ref: CustomerRef) -> None:
        assert self._chars is not None and self._firsts is not None
        for source, _ in self._abbreviation_sources(ref):
            self._firsts.setdefault(source[0], set()).add(ref.id)
            for ch in set(source):
                self._chars.setdefault(ch, set()).add(ref.id)

    def _char_tables(self) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
        if self._chars is None or self._firsts is None:
            self._chars, self._firsts = {}, {}
            for ref in self.customers.values():
                self._add_chars(ref)
        return self._chars, self._firsts

    # ------------------------------------------------------------ matching
    def exact(self, key: str) -> dict[int, float]:
        """Customers spelled exactly ``key``. When it is someone's alias (a name the
        company taught the bot, or one learnt from a rep's pick), the others drop to 0.9."""
        slot = self.keys.get(key)
        if not slot:
            return {}
        slot = dict(slot)  # a copy: another thread may be applying changes (reads take no lock)
        owners = self._aliases.get(key)
        if not owners or len(slot) == 1:
            return slot
        return {cid: score if cid in owners else min(score, 0.9) for cid, score in slot.items()}

    def guessed(self, cid: int, span: str) -> bool:
        """Whether ``span`` names customer ``cid`` only by a guessed cut of its 字号 (中信 of 中信特钢),
        not by its 字号 or short name as parsed (中信 of 中信重工): among equals, the latter go first."""
        ref = self.customers.get(cid)
        if ref is None:
            return True
        parsed = parse_company_name(ref.name)
        return not any(part and span.endswith(part) for part in (parsed.brand, parsed.core))

    def names_over(self, lowered: str, start: int, end: int) -> bool:
        """Whether a customer's spelling, written in full, covers ``lowered[start:end]`` and more.

        A date word inside a known name is part of the name, not a date: 「昆明天一」 holds 明天,
        「九号公司」 holds 九号. Only whole spellings at 1.0 count (a 字号, city + 字号, the whole
        name), so 「明天」 alone or 「九号」 alone stays a date. Bounded: at most MAX_KEY² look-ups.
        """
        for i in range(max(0, end - MAX_KEY), start + 1):
            for j in range(max(end, i + 3), min(len(lowered), i + MAX_KEY) + 1):
                if j - i > end - start and any(score >= 1.0 for score in self.keys.get(lowered[i:j], {}).values()):
                    return True
        return False

    def _with_prefix(self, prefix: str) -> list[str] | None:
        """Spellings that start with ``prefix``; None when there are too many to mean anything."""
        out: list[str] = []
        i = bisect_left(self._sorted, prefix)
        while i < len(self._sorted) and self._sorted[i].startswith(prefix):
            key = self._sorted[i]
            if key in self.keys:
                out.append(key)
                if len(out) > PREFIX_CAP:
                    return None
            i += 1
        return out

    def _covers_brand(self, cid: int, span: str) -> bool:
        ref = self.customers.get(cid)
        if ref is None:
            return False
        return any(span.startswith(stem) for stem in brand_stems(parse_company_name(ref.name)))

    def hits(self, lowered: str, blocked: Sequence[tuple[int, int]]) -> list[Hit]:
        """Every place in ``lowered`` (a folded message) that names a customer, exactly or partly."""
        found: dict[tuple[int, int], dict[int, float]] = {}
        generic = _generic_words()

        def add(start: int, end: int, cid: int, score: float) -> None:
            if any(s < end and start < e for s, e in blocked):
                return
            slot = found.setdefault((start, end), {})
            slot[cid] = max(score, slot.get(cid, 0.0))

        exact_seen = False
        n = len(lowered)
        for i in range(n):
            if not (_is_cjk(lowered[i]) or lowered[i].isalnum()):
                continue
            for j in range(i + 2, min(n, i + MAX_KEY) + 1):
                span = lowered[i:j]
                if span.isascii() and (
                    (i > 0 and lowered[i - 1].isascii() and lowered[i - 1].isalnum())
                    or (j < n and lowered[j].isascii() and lowered[j].isalnum())
                ):
                    continue  # letters name a customer only as a whole word ("er" is not in "haier")
                slot = self.exact(span)
                if slot:
                    for cid, score in slot.items():
                        add(i, j, cid, score)
                    exact_seen = True
                if span in MESSAGE_WORDS or span.isascii():
                    continue
                longer = self._with_prefix(span)
                if longer is None:
                    continue
                if span in generic:
                    # A place alone ("去宁德见了…"): its few customers are offered, never picked.
                    for key in longer[:5] if len(longer) <= 5 else ():
                        for cid in list(self.keys.get(key, ())):
                            add(i, j, cid, min(0.7, round(0.5 + 0.4 * len(span) / len(key), 3)))
                    continue
                if not longer:
                    break  # nothing starts with this span, so nothing starts with a longer one
                for key in longer:
                    if key == span or len(key) < 3 or 2 * len(span) < len(key):
                        continue
                    for cid in list(self.keys.get(key, ())):
                        score = 0.5 + 0.4 * len(span) / len(key)
                        if self._covers_brand(cid, span):
                            score = max(score, 0.85)  # 字号 + the start of the industry: a short name
                        elif score >= 0.8:
                            score = 0.7  # "贵州益" of 贵州益明: part of a 字号 is never a confident pick
                        add(i, j, cid, round(score, 3))
        for m in _LATIN_TOKEN.finditer(lowered):
            self._latin_hits(m.group(), m.start(), m.end(), add)
        self._abbreviation_hits(lowered, found, add)
        if not exact_seen:
            self._homophones(lowered, found, add)
        return [Hit(s, e, scores) for (s, e), scores in found.items()]

    def _latin_hits(self, token: str, start: int, end: int, add: _AddFn) -> None:
        if token in self.keys:
            return  # an exact alias, already found
        if token in LATIN_STOP or len(token) < 2:
            return
        table = self._latin_table()
        ids = table.get(token)
        if ids and len(ids) > PREFIX_CAP:
            return  # "hw" spells hundreds of names: it names none of them
        if ids:
            for cid in list(ids):
                ref = self.customers[cid]
                parsed = parse_company_name(ref.name)
                spelled = (parsed.brand, parsed.core, *(fold(a) for a in ref.aliases))
                score = max(
                    (s for chars in spelled if (s := pinyin_score(token, chars)) is not None),
                    default=0.9,
                )
                if score == 0.75 and len(token) >= 3:
                    score = 0.85  # three or more initials ("byd") rarely spell a name by chance
                add(start, end, cid, score)
            return
        if len(token) < 5:
            return
        from rapidfuzz import fuzz, process  # a typo in a pinyin spelling ("biyadii")

        bucket = [k for k in list(self._latin_first.get(token[0], ())) if abs(len(k) - len(token)) <= 2]
        for key, ratio, _ in process.extract(token, bucket, scorer=fuzz.ratio, score_cutoff=80, limit=5):
            for cid in table[key]:
                add(start, end, cid, 0.8 if ratio >= 85 else 0.7)

    def _abbreviation_hits(self, lowered: str, found: dict[tuple[int, int], dict[int, float]], add: _AddFn) -> None:
        """Short names that keep characters of a registered name in order ("卧龙电驱", "云铝股份")."""
        covered = {span for span, slot in found.items() if max(slot.values()) >= 0.8}
        chars, firsts = self._char_tables()
        n = len(lowered)
        for i in range(n):
            if not _is_cjk(lowered[i]) or lowered[i] not in firsts:
                continue
            for j in range(min(n, i + 8), i + 2, -1):
                span = lowered[i:j]
                if (i, j) in covered or not all(_is_cjk(c) for c in span) or span in MESSAGE_WORDS:
                    continue
                postings = sorted((chars.get(c, set()) for c in set(span[1:])), key=len)
                if not postings or not postings[0] or len(postings[0]) > 5000:
                    continue
                candidates = firsts.get(span[0], set()) & postings[0]
                for other in postings[1:]:
                    if not candidates:
                        break
                    candidates = candidates & other
                for cid in list(candidates)[:PREFIX_CAP]:
                    ref = self.customers.get(cid)
                    if ref is None:
                        continue
                    for source, brand_at in self._abbreviation_sources(ref):
                        if source.startswith(span[0]) and _abbreviates(span, source, brand_at):
                            if span not in source:  # a plain prefix or substring is found elsewhere
                                add(i, j, cid, 0.85 if len(span) >= 4 else 0.75)
                            break

    def _homophones(self, lowered: str, found: dict[tuple[int, int], dict[int, float]], add: _AddFn) -> None:
        """Dictation typos: same pinyin, at least one identical character ("华伟" → 华为). Never
        confident when the very characters typed start another customer's name (天津中鑫 of
        天津中鑫环塑钢 is not 天津众鑫)."""
        table = self._reading_table()
        plain = _plain_words()
        for i in range(len(lowered) - 1):
            for n in (2, 3, 4):
                window = lowered[i : i + n]
                if len(window) < n or not all(_is_cjk(c) for c in window) or window in plain:
                    continue
                keys: set[str] = set()
                for sound in _sounds(window, 16):
                    keys |= table.get(sound, set())
                for key in keys:
                    if key not in self.keys or len(key) != n:
                        continue
                    same = sum(x == y for x, y in zip(window, key, strict=True))
                    # Dictation writes a character's common reading: 李氏 is not heard in 李经(理).
                    if 0 < same < n and all(x == y or common_reading(x) == common_reading(y) for x, y in zip(window, key, strict=True)):
                        # Two characters sound alike by chance too often (李经/李氏) to save without asking.
                        typed = found.get((i, i + n), {})
                        for cid in list(self.keys.get(key, ())):
                            add(i, i + n, cid, 0.8 if n >= 3 and not typed.keys() - {cid} else 0.75)

    # ------------------------------------------------------------ typed names
    def lookup(self, text: str, limit: int = 5) -> list[tuple[int, float, str]]:
        """Customers a typed name ("查客户 华为", an answer to 「哪家客户？」) may mean, best first.

        (customer id, score, reason): the whole name, an alias or a spelling made
        of whole parts → 1.0 (0.95 when what was typed is not part of the registered
        name); the start of a spelling or a short name → 0.5–0.9; a known name inside
        what was typed ("华为终端" when only 华为 is known) → 0.6–0.9 by how much it covers.
        """
        typed = text.strip()
        folded = fold(typed)
        if len(folded) < 2 and not folded.isascii():
            return []
        found: dict[int, tuple[float, str]] = {}

        def offer(cid: int, score: float, reason: str) -> None:
            if cid in self.customers and (cid not in found or found[cid][0] < score):
                found[cid] = (round(score, 3), reason)

        slot = self.exact(folded)
        for cid, score in slot.items():
            ref = self.customers[cid]
            if fold(ref.name) == folded:
                offer(cid, 1.0, "全称")
            elif any(fold(a) == folded for a in ref.aliases):
                offer(cid, 1.0, "别名")
            else:
                offer(cid, min(score, 1.0 if typed in ref.name else 0.95), "简称")
        for hit in self.hits(folded, []):
            whole = hit.start == 0 and hit.end == len(folded)
            for cid, score in hit.scores.items():
                if whole:
                    offer(cid, min(score, 0.9), "部分匹配")
                elif score >= 0.95:
                    offer(cid, 0.6 + 0.3 * (hit.end - hit.start) / len(folded), "部分匹配")
        ranked = sorted(
            found.items(), key=lambda kv: (-kv[1][0], self.guessed(kv[0], folded), self.customers[kv[0]].name)
        )
        return [(cid, score, reason) for cid, (score, reason) in ranked[:limit]]


def _abbreviates(span: str, source: str, brand_at: int) -> bool:
    """Whether ``span`` keeps characters of ``source`` in order the way short names do:
    from its start, and the first character after the place is the 字号's first
    ("云铝股份" of 云南铝业股份, "卧龙电驱" of 卧龙电气驱动; not "天津发来" of 天津开发区金悦来…)."""
    positions = []
    at = 0
    for ch in span:
        at = source.find(ch, at)
        if at < 0:
            return False
        positions.append(at)
        at += 1
    if positions[0] != 0:
        return False
    after_place = [p for p in positions if p >= brand_at]
    return bool(after_place) and after_place[0] == brand_at


@lru_cache(maxsize=1)
def _plain_words() -> frozenset[str]:
    """Ordinary words a message may contain that are never a misheard name."""
    return _generic_words() | frozenset(INDUSTRY_WORDS)


@lru_cache(maxsize=1)
def _generic_words() -> frozenset[str]:
    """Spans that start too many names to be worth a prefix search: places and message words."""
    big, _ = places()
    return frozenset(big) | MESSAGE_WORDS
