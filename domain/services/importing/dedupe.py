"""Which rows name the same customer, in the file and in the database.

Two passes. The strict pass groups spellings by ``company_key``: same core
after width, case, spaces and the legal form are ignored, with the place
("苏州", "深圳市", "（苏州）") compared separately. 苏州X and X meet, 苏州X and
无锡X do not; an X next to both is ambiguous and reported, not guessed.

The short-name pass joins a name without a legal form ("华为", "苏州精工") to
the one customer whose name it abbreviates (same ``normalize_name`` core, and
contained in its key), as ``find_customers`` would. Two candidates → the row
is reported as ambiguous.

Pure: the database's customers come in as ``ExistingCustomer`` values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from domain.names import CompanyKey
from domain.names import company_key as _company_key
from domain.names import normalize_name as _normalize_name

# Grouping asks for the same names' keys many times over; both functions are pure.
company_key = lru_cache(maxsize=65536)(_company_key)
normalize_name = lru_cache(maxsize=65536)(_normalize_name)


@dataclass
class ExistingCustomer:
    id: int
    name: str
    aliases: list[str] = field(default_factory=list)
    owner_id: int | None = None
    level: str | None = None
    industry: str | None = None
    region: str | None = None
    tags: list[str] = field(default_factory=list)

    def spellings(self) -> list[str]:
        return [self.name, *self.aliases]


@dataclass(eq=False)
class Cluster:
    """One customer: an existing one, or one the import will create."""

    existing: ExistingCustomer | None = None
    spellings: dict[str, list[int]] = field(default_factory=dict)  # file spelling → its rows
    keys: dict[str, CompanyKey] = field(default_factory=dict)
    via_short_name: set[str] = field(default_factory=set)  # spellings joined in the short-name pass

    def add(self, spelling: str, key: CompanyKey, rows: list[int]) -> None:
        self.spellings.setdefault(spelling, []).extend(rows)
        self.keys[spelling] = key

    @property
    def rows(self) -> list[int]:
        return sorted(r for rows in self.spellings.values() for r in rows)

    def name(self) -> str:
        """The existing name, or the fullest, most used spelling (with legal form and place first)."""
        if self.existing is not None:
            return self.existing.name
        return min(
            self.spellings,
            key=lambda s: (
                not self.keys[s].has_legal_form,
                self.keys[s].place is None,
                -len(self.spellings[s]),
                min(self.spellings[s]),
            ),
        )

    def all_keys(self) -> list[CompanyKey]:
        keys = list(self.keys.values())
        if self.existing is not None:
            keys += [company_key(s) for s in self.existing.spellings()]
        return keys

    def place(self) -> str | None:
        places = {k.place for k in self.all_keys() if k.place}
        return next(iter(places)) if len(places) == 1 else None

    def is_short(self) -> bool:
        if self.existing is not None:
            return not company_key(self.existing.name).has_legal_form
        return not any(k.has_legal_form for k in self.keys.values())

    def loose(self) -> set[str]:
        names = list(self.spellings)
        if self.existing is not None:
            names += self.existing.spellings()
        return {normalize_name(n) for n in names}


@dataclass
class Clustering:
    clusters: list[Cluster]
    ambiguous: dict[int, str]  # row → reason


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def cluster_customers(
    entries: Sequence[tuple[int, str, CompanyKey]], existing: Iterable[ExistingCustomer]
) -> Clustering:
    """Group rows ``(row, spelling, key)`` into customers; existing customers are matched, never merged."""
    existing = list(existing)
    by_exact: dict[str, ExistingCustomer] = {}
    by_core: dict[str, list[tuple[ExistingCustomer, str | None]]] = {}
    by_loose: dict[str, list[ExistingCustomer]] = {}
    for ex in existing:
        for s in ex.spellings():
            by_exact.setdefault(s, ex)
            k = company_key(s)
            by_core.setdefault(k.core, []).append((ex, k.place))
            by_loose.setdefault(normalize_name(s), []).append(ex)

    spelling_rows: dict[str, list[int]] = {}
    spelling_key: dict[str, CompanyKey] = {}
    for row, spelling, key in entries:
        spelling_rows.setdefault(spelling, []).append(row)
        spelling_key[spelling] = key
    by_file_core: dict[str, list[str]] = {}
    for spelling, key in spelling_key.items():
        by_file_core.setdefault(key.core, []).append(spelling)

    of_existing: dict[int, Cluster] = {}
    clusters: list[Cluster] = []
    ambiguous: dict[int, str] = {}

    def cluster_for(ex: ExistingCustomer) -> Cluster:
        if ex.id not in of_existing:
            of_existing[ex.id] = Cluster(existing=ex)
            clusters.append(of_existing[ex.id])
        return of_existing[ex.id]

    # -- strict pass
    for core, spellings in by_file_core.items():
        local: list[tuple[Cluster, str | None]] = []
        seen: set[int] = set()
        for ex, place in sorted(by_core.get(core, []), key=lambda e: e[0].id):
            if ex.id not in seen:
                seen.add(ex.id)
                local.append((cluster_for(ex), place))
        placed = [s for s in spellings if spelling_key[s].place]
        placeless = [s for s in spellings if not spelling_key[s].place]
        places = {spelling_key[s].place for s in placed} | {p for _, p in local if p}
        for s in placed + placeless:
            key, rows = spelling_key[s], spelling_rows[s]
            target: Cluster | None = None
            exact = by_exact.get(s)
            if exact is not None:
                target = cluster_for(exact)
            elif key.place:
                same = [c for c, p in local if p == key.place]
                if same:
                    target = same[0]
                elif len(places) == 1 and len(local) == 1 and local[0][1] is None:
                    target = local[0][0]  # "精工机械有限公司" in the database, "苏州精工机械有限公司" in the file
            elif len({id(c) for c, _ in local}) == 1:
                target = local[0][0]
            elif local:
                names = "、".join(dict.fromkeys(c.name() for c, _ in local))
                for r in rows:
                    ambiguous[r] = f"客户「{s}」可能是以下几家之一：{names}；请写全称（含城市）"
                continue
            if target is None:
                target = Cluster()
                clusters.append(target)
            target.add(s, key, rows)
            if all(c is not target for c, _ in local):
                local.append((target, key.place))

    # -- short-name pass
    by_loose_cluster: dict[str, list[Cluster]] = {}
    for c in clusters:
        for lc in c.loose():
            by_loose_cluster.setdefault(lc, []).append(c)
    merged_into: dict[int, Cluster] = {}

    def live(c: Cluster) -> Cluster:
        while id(c) in merged_into:
            c = merged_into[id(c)]
        return c

    def abbreviates(short: Cluster, full: Cluster) -> bool:
        short_keys, full_keys = short.all_keys(), full.all_keys()
        return _compatible(short.place(), full.place()) and any(
            s.core != f.core and s.core in f.core for s in short_keys for f in full_keys
        )

    for c in list(clusters):
        if c.existing is not None or id(c) in merged_into or not c.spellings:
            continue
        candidates: dict[int, Cluster] = {}
        for lc in c.loose():
            others = [live(o) for o in by_loose_cluster.get(lc, [])]
            others += [cluster_for(ex) if ex.id in of_existing else Cluster(existing=ex) for ex in by_loose.get(lc, [])]
            for other in others:
                if other is c:
                    continue
                ident = other.existing.id if other.existing else id(other)
                if c.is_short():
                    fits = abbreviates(c, other)
                else:  # a full name in the file, a short name in the database ("华为" typed in chat)
                    fits = other.existing is not None and other.is_short() and abbreviates(other, c)
                if fits:
                    candidates.setdefault(ident, other)
        if len(candidates) == 1:
            target = next(iter(candidates.values()))
            if target.existing is not None:
                target = cluster_for(target.existing)
            for s, rows in c.spellings.items():
                target.add(s, c.keys[s], rows)
                target.via_short_name.add(s)
            c.spellings.clear()
            merged_into[id(c)] = target
        elif len(candidates) > 1 and c.is_short():
            names = "、".join(sorted(o.name() for o in candidates.values()))
            for r in c.rows:
                ambiguous[r] = f"客户「{c.name()}」可能是以下几家之一：{names}；请写全称"
            c.spellings.clear()
    return Clustering([c for c in clusters if c.spellings], ambiguous)
