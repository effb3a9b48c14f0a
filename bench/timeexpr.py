"""JioNLP's single-day time-parser cases through our resolver (``handlers.understand.timeexpr``).

The cases are public test data transcribed into tests/data/jionlp_time_cases.yaml (source path and
commit in its header). Prints the share right overall, for relative / absolute cases, and for the
cases a sales chat can contain (the goal: >= 95 %), then every miss. Also times a parse.

    python bench/timeexpr.py [--misses]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.clock import BUSINESS_TZ  # noqa: E402
from handlers.understand.timeexpr import Prefer, find_times  # noqa: E402

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "jionlp_time_cases.yaml"


def load_cases() -> list[dict[str, object]]:
    return list(yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"])


def answer(text: str, now_iso: str, reading: Prefer) -> date | None:
    """The day our resolver gives for the first expression of ``text``, None when it finds none."""
    now = datetime.fromisoformat(now_iso).replace(tzinfo=BUSINESS_TZ)
    matches = find_times(text, now)
    if not matches:
        return None
    value = matches[0].value(reading)
    return value.date() if isinstance(value, datetime) else value


def score(cases: list[dict[str, object]]) -> tuple[int, int, list[tuple[dict[str, object], date | None]]]:
    right, misses = 0, []
    for case in cases:
        got = answer(str(case["text"]), str(case["now"]), "future" if case["reading"] == "future" else "current")
        if got is not None and got.isoformat() == case["day"]:
            right += 1
        else:
            misses.append((case, got))
    return right, len(cases), misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print every miss")
    args = parser.parse_args()
    cases = load_cases()
    sales = [c for c in cases if "not_sales" not in c]
    groups = {
        "all single-day cases": cases,
        "relative": [c for c in cases if c["relative"]],
        "absolute": [c for c in cases if not c["relative"]],
        "sales-chat cases (goal >= 95 %)": sales,
        "sales-chat relative": [c for c in sales if c["relative"]],
        "sales-chat absolute": [c for c in sales if not c["relative"]],
    }
    for name, group in groups.items():
        right, total, _ = score(group)
        print(f"{name:34s} {right:4d}/{total:<4d} {100 * right / max(total, 1):5.1f} %")
    start = time.perf_counter()
    for _ in range(20):
        score(cases)
    per_case = (time.perf_counter() - start) / (20 * len(cases))
    print(f"resolve per expression: {per_case * 1e3:.3f} ms")
    if args.misses:
        for case, got in score(sales)[2]:
            print(f"  MISS line {case['line']}: {case['text']!r} now={case['now']} want {case['day']} got {got}")


if __name__ == "__main__":
    main()
