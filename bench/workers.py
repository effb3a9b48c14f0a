"""OCR photos per minute with 1 and 2 `salesbot worker --queues ocr` processes, and chat latency meanwhile.

Goal (issue #17), on the 2-core dev machine:
  * 2 OCR workers read >= 1.8x the photos per minute of 1;
  * chat replies are unaffected by OCR load: median reply latency while both OCR
    workers are busy within 1.2x of the idle median.

What runs (real processes, as deployed): `salesbot serve --no-worker` (web), one
`salesbot worker --queues chat,delivery`, and one then two `salesbot worker --queues ocr`
with SALESBOT_OCR_THREADS=1 (one engine thread each) pinned to a core each (`--no-pin` to
let them float), so two engines share two cores instead of fighting over them, started under `nice` (chat gets the CPU first when both
want it -- on a machine that also runs chat; on their own machines it changes nothing).
PostgreSQL (scratch database, dropped at the end) + Redis (wake-ups); the fake WeCom
plays the platform. Photos are generated quotations (tests/ocr/make_quotes.py) scaled
to --max-side pixels; chat is 「帮助」 answered with the help card, timed from the
callback's send to the reply's arrival at the fake WeCom.

    .venv/bin/python bench/workers.py                    # ~2-3 min on an idle machine
    .venv/bin/python bench/workers.py --photos 4 --chat 6

Prints the figures and the load average before and after: on a shared machine
(other processes busy) the ratios are what to compare, and only runs on a quiet
machine are comparable with each other. Exit code 0 when both goals are met.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bot.fakes.wecom_driver import WeComDriver  # noqa: E402
from bot.fakes.wecom_server import AppConfig, FakeWeCom  # noqa: E402
from bot.fakes.wecom_server import User as FakeUser  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from domain.db import Database, normalize_url  # noqa: E402
from tests.e2e.wecom_stack import AES_KEY, AGENT_ID, CORP_ID, MEMBERS, SECRET, TOKEN, wecom_env  # noqa: E402
from tests.factories import load_example_org  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get(
    "BENCH_REDIS_URL", os.environ.get("SALESBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
)
PHOTO_SENDERS = ["ZhangWei", "ChenJing", "ZhaoLei", "SunLi"]
CHATTER = "LiuYang"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _photos(count: int, max_side: int, first_seed: int) -> list[bytes]:
    """Distinct quotations (the same photo twice would be answered 「已识别过」)."""
    from PIL import Image

    from tests.ocr.make_quotes import make_quote

    out = []
    for seed in range(first_seed, first_seed + count):
        image = Image.open(io.BytesIO(make_quote(seed).image))
        image.thumbnail((max_side, max_side))
        buf = io.BytesIO()
        image.convert("RGB").save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


class Stack:
    def __init__(self, db_url: str, tmp: Path) -> None:
        self.fake = FakeWeCom(
            [AppConfig(corp_id=CORP_ID, corpsecret=SECRET, agent_id=AGENT_ID)],
            users=[FakeUser(u, u) for u in MEMBERS],
        )
        self.fake.start()
        self.env = wecom_env(
            db_url,
            self.fake.base_url,
            SALESBOT_SCHEDULER="off",
            SALESBOT_LOG_LEVEL="WARNING",
            SALESBOT_OCR_THREADS="1",
            OMP_NUM_THREADS="1",
        )
        self.env["SALESBOT_REDIS_URL"] = REDIS_URL
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.port = _free_port()
        self.driver = WeComDriver(
            f"http://127.0.0.1:{self.port}/callbacks/wecom", TOKEN, AES_KEY, CORP_ID, AGENT_ID, fake=self.fake
        )
        self._msg = 0
        self._lock = threading.Lock()

    def start(self, name: str, *args: str, nice: int = 0, cpu: int | None = None) -> None:
        def prepare() -> None:
            if nice:
                os.nice(nice)
            if cpu is not None:
                os.sched_setaffinity(0, {cpu})  # one core per OCR worker: the engines never share one

        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            env=self.env,
            cwd=self.tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=prepare if (nice or cpu is not None) else None,  # noqa: PLW1509
        )

    def wait_log(self, name: str, needle: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while needle not in (self.tmp / f"{name}.log").read_text(errors="replace"):
            if time.monotonic() > deadline or self.procs[name].poll() is not None:
                raise SystemExit(
                    f"{name} did not start:\n" + (self.tmp / f"{name}.log").read_text(errors="replace")
                )
            time.sleep(0.1)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit("web did not become ready")

    def msg_id(self) -> str:
        with self._lock:
            self._msg += 1
            return f"{uuid.uuid4().int % 10**12}{self._msg:06d}"

    def seen(self, user: str) -> int:
        return len(self.fake.inbox_of(user))

    def results(self) -> int:
        """Photos answered with a result (review card or a reason it could not be read)."""
        from handlers.quotes import RECEIVED

        return sum(
            1 for user in PHOTO_SENDERS for m in self.fake.inbox_of(user) if (m.content or "") != RECEIVED
        )

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.driver.close()
        self.fake.stop()


def chat_latency(stack: Stack, count: int, gap: float = 0.3) -> list[float]:
    """「帮助」 → help card, one at a time; seconds from send to arrival."""
    out = []
    for _ in range(count):
        before = stack.seen(CHATTER)
        started = time.perf_counter()
        stack.driver.send_text(CHATTER, "帮助", msg_id=stack.msg_id())
        while stack.seen(CHATTER) <= before:
            if time.perf_counter() - started > 30:
                raise SystemExit("chat reply did not arrive within 30 s")
            time.sleep(0.02)  # the fake WeCom shares this process: do not starve it
        out.append(time.perf_counter() - started)
        time.sleep(gap)
    return out


def ocr_round(stack: Stack, db: Database, photos: list[bytes], chat: int = 0) -> tuple[float, list[float]]:
    """Send every photo at once; photos per minute from the first send to the last job finished
    (the jobs' own timestamps, so reply delivery is not counted), and chat latency meanwhile."""
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from domain.models import Job

    done_before = stack.results()
    media = [stack.fake.add_media(p, "image/jpeg") for p in photos]
    round_start = datetime.now(UTC)
    started = time.perf_counter()
    for i, media_id in enumerate(media):
        stack.driver.send_image(PHOTO_SENDERS[i % len(PHOTO_SENDERS)], media_id, msg_id=stack.msg_id())
    latencies: list[float] = []
    chatter = None
    if chat:
        time.sleep(1.0)  # let the engines get busy first
        chatter = threading.Thread(target=lambda: latencies.extend(chat_latency(stack, chat)))
        chatter.start()
    while stack.results() < done_before + len(photos):
        if time.perf_counter() - started > 600:
            raise SystemExit("OCR results did not arrive within 10 minutes")
        time.sleep(0.2)
    if chatter is not None:
        chatter.join()
    with db.sessions() as s:
        count, last = s.execute(
            select(func.count(), func.max(Job.finished_at)).where(Job.created_at >= round_start)
        ).one()
    assert count == len(photos), (count, len(photos))
    return len(photos) / (last - round_start).total_seconds() * 60, latencies


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=6, help="photos per round (default 6)")
    parser.add_argument("--chat", type=int, default=10, help="chat messages per latency sample (default 10)")
    parser.add_argument("--max-side", type=int, default=1200, help="longest photo side in px (default 1200)")
    parser.add_argument(
        "--nice", type=int, default=10, help="niceness of the OCR workers (default 10; 0: none)"
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin OCR worker i to core i")
    args = parser.parse_args()

    import tempfile

    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"salesbot_bench_workers_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = normalize_url(PG_URL).rsplit("/", 1)[0] + "/" + name
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    try:
        upgrade(db_url)
        db = Database(db_url)
        load_example_org(db)
        warm, one, two = (
            _photos(n, args.max_side, seed)
            for n, seed in ((2, 100), (args.photos, 200), (2 * args.photos, 300))
        )
        with tempfile.TemporaryDirectory() as tmp:
            stack = Stack(db_url, Path(tmp))
            try:
                stack.start("web", "serve", "--port", str(stack.port), "--no-worker")
                stack.start("chat", "worker", "--queues", "chat,delivery")
                cores = os.cpu_count() or 1
                pin = (lambda i: None) if args.no_pin else (lambda i: i % cores)  # noqa: E731
                stack.start("ocr1", "worker", "--queues", "ocr", nice=args.nice, cpu=pin(0))
                for proc in ("chat", "ocr1"):
                    stack.wait_log(proc, "worker running")
                stack.wait_ready()
                chat_latency(stack, 3)  # warm-up (token, first connections)
                results["chat_idle"] = chat_latency(stack, args.chat)
                ocr_round(stack, db, warm)  # warm-up round
                results["ppm_1"], _ = ocr_round(stack, db, one)
                stack.start("ocr2", "worker", "--queues", "ocr", nice=args.nice, cpu=pin(1))
                stack.wait_log("ocr2", "worker running")
                results["ppm_2"], results["chat_busy"] = ocr_round(stack, db, two, chat=args.chat)
            finally:
                stack.stop()
                db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    load_after = os.getloadavg()

    ratio = results["ppm_2"] / results["ppm_1"]
    idle, busy = statistics.median(results["chat_idle"]), statistics.median(results["chat_busy"])
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    print(f"OCR photos/min, 1 worker : {results['ppm_1']:.1f}  ({args.photos} photos, {args.max_side} px)")
    print(f"OCR photos/min, 2 workers: {results['ppm_2']:.1f}  ({2 * args.photos} photos)")
    print(f"  ratio 2/1 = {ratio:.2f}   goal >= 1.8: {'met' if ratio >= 1.8 else 'NOT met'}")
    print(f"chat reply median, idle        : {idle * 1000:.0f} ms  (n={len(results['chat_idle'])})")
    print(f"chat reply median, 2 OCR busy  : {busy * 1000:.0f} ms  (n={len(results['chat_busy'])})")
    print(
        f"  ratio busy/idle = {busy / idle:.2f}   goal <= 1.2: {'met' if busy / idle <= 1.2 else 'NOT met'}"
    )
    return 0 if ratio >= 1.8 and busy / idle <= 1.2 else 1


if __name__ == "__main__":
    sys.exit(main())
