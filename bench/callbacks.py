"""Benchmark: acked WeCom callbacks per second and latency, against a bare FastAPI endpoint.

Run from the repository root::

    .venv/bin/python bench/callbacks.py [--seconds 10] [--rate 200] [--db sqlite,postgres]

For each target -- a bare FastAPI app with one POST endpoint answering an empty 200, then
salesbot's real app (``bot.app:app_factory``, the same entry point ``salesbot serve`` uses)
on SQLite and on PostgreSQL -- it measures:

1. max throughput: a closed loop of ``--concurrency`` clients sending back to back;
2. latency at a fixed open-loop rate (``--rate`` req/s for ``--seconds``): requests are
   *scheduled* at fixed intervals and latency counts from the scheduled time, so a slow
   server cannot hide its queueing by slowing the sender down (coordinated omission).

Every salesbot request is a distinct, validly signed, current encrypted text message
(its own MsgId), so each one is a real decrypt + parse + inbox INSERT, never a duplicate.
After each salesbot target the inbox row count is compared with the number of 200s the
server gave: an acknowledged callback that is not in the inbox would be a lost message.

Why separate processes: each server runs under uvicorn (one worker, production defaults)
in its own child process.  Were it a thread of this process, the load generator and the
server would share one GIL, and we would measure their contention rather than the server.
The background worker is disabled (``SALESBOT_WORKER=false``) so only the callback path is
measured -- in production the worker shares the process and the CPU.

All traffic goes to 127.0.0.1; every phase is bounded in time and in request count.  A
PostgreSQL target uses a scratch database created for the run and dropped at its end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PATH = "/callbacks/wecom"

# The official WXBizMsgCrypt sample values (also used by the unit tests).
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP_ID = "wx5823bf96d3bd56c7"
AGENT_ID = 1000002

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

WARMUP_REQUESTS = 300
REQUEST_TIMEOUT_S = 5.0  # WeCom's own timeout before it retries
GOAL_RATIO = 0.5
GOAL_P99_MS = 50.0


# --------------------------------------------------------------------------- server side (child process)
def bare_app() -> FastAPI:
    """The baseline: FastAPI with one POST endpoint that reads the body and answers an empty 200."""
    app = FastAPI()

    @app.post(PATH)
    async def receive(request: Request) -> PlainTextResponse:
        await request.body()
        return PlainTextResponse("")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve(kind: str, port: int) -> None:
    """Child-process entry: run one app under uvicorn, one worker, as ``salesbot serve`` does."""
    import uvicorn

    if kind == "bare":
        uvicorn.run(bare_app(), host=HOST, port=port, log_config=None)
    else:  # the real app, configured from the SALESBOT_* environment the parent set
        uvicorn.run("bot.app:app_factory", factory=True, host=HOST, port=port, log_config=None)


# --------------------------------------------------------------------------- targets and server processes
@dataclass
class Target:
    name: str
    kind: str  # "bare" or "salesbot"
    database_url: str | None = None
    cleanup: list[Any] = field(default_factory=list)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def salesbot_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESBOT_")}
    env.update(
        SALESBOT_DATABASE_URL=database_url,
        SALESBOT_WORKER="false",
        SALESBOT_LOG_LEVEL="INFO",  # production default: one JSON access line per request
        SALESBOT_WECOM_CORP_ID=CORP_ID,
        SALESBOT_WECOM_AGENT_ID=str(AGENT_ID),
        SALESBOT_WECOM_SECRET="bench-secret",
        SALESBOT_WECOM_TOKEN=TOKEN,
        SALESBOT_WECOM_AES_KEY=AES_KEY,
        # Never reached (nothing is sent with the worker off), but keep it local anyway.
        SALESBOT_WECOM_API_BASE=f"http://{HOST}:9",
    )
    return env


class ServerProcess:
    """One uvicorn server in a child process; ``cpu_s()`` reads its CPU time from /proc."""

    def __init__(self, target: Target, workdir: Path) -> None:
        self.target = target
        self.port = free_port()
        self.log_path = workdir / f"server-{target.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> None:
        env = salesbot_env(self.target.database_url or "") if self.target.kind == "salesbot" else None
        cmd = [sys.executable, __file__, "--serve", self.target.kind, "--port", str(self.port)]
        with self.log_path.open("wb") as log:
            # cwd = the scratch dir, so no stray .env file configures the server.
            self.proc = subprocess.Popen(
                cmd, env=env, cwd=self.log_path.parent, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        tail = self.log_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"{self.target.name} server did not start:\n{tail}")

    def cpu_s(self) -> float:
        """User + system CPU seconds of the server process (all its threads)."""
        assert self.proc is not None
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown runs the lifespan exit
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------- databases
def prepare_sqlite(workdir: Path) -> Target:
    from bot.migrate import upgrade

    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    return Target("sqlite", "salesbot", url)


def prepare_postgres() -> Target:
    """A scratch database, migrated; dropped by ``drop_postgres`` at the end of the run."""
    import psycopg

    from bot.migrate import upgrade

    name = f"salesbot_bench_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    target = Target("postgres", "salesbot", url, cleanup=[name])
    try:
        upgrade(url)
    except BaseException:
        drop_postgres(target)
        raise
    return target


def drop_postgres(target: Target) -> None:
    import psycopg

    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in target.cleanup:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def inbox_rows(database_url: str) -> int:
    from sqlalchemy import text

    from domain.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM inbox")).scalar_one())
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- requests
@dataclass(frozen=True)
class Envelope:
    """One ready-to-send callback: path with signed query, and the encrypted XML body."""

    path: str
    body: bytes


def build_envelopes(count: int) -> list[Envelope]:
    """``count`` distinct text messages (fresh MsgIds, current timestamps, valid signatures)."""
    from bot.fakes.wecom_driver import WeComDriver

    driver = WeComDriver(f"http://{HOST}{PATH}", TOKEN, AES_KEY, CORP_ID, AGENT_ID)
    try:
        out = []
        for i in range(count):
            xml = driver.text_xml(f"bench-user-{i % 50}", f"客户张总想了解报价，明天下午拜访 #{i}")
            body, params = driver.envelope(xml)
            out.append(Envelope(f"{PATH}?{urlencode(params)}", body))
        return out
    finally:
        driver.close()


def new_client(base_url: str, connections: int) -> httpx.AsyncClient:
    """HTTP/1.1 keep-alive client; ``connections`` bounds the sockets it opens."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        base_url=base_url,
        limits=limits,
        timeout=REQUEST_TIMEOUT_S,
        headers={"Content-Type": "text/xml"},
    )


@dataclass
class Tally:
    acked: int = 0  # 200 answers
    errors: int = 0  # anything else: other status, timeout, connection error
    latencies_s: list[float] = field(default_factory=list)


async def post(client: httpx.AsyncClient, env: Envelope, tally: Tally, since: float) -> None:
    try:
        response = await client.post(env.path, content=env.body)
    except httpx.HTTPError:
        tally.errors += 1
        return
    tally.latencies_s.append(time.perf_counter() - since)
    if response.status_code == 200:
        tally.acked += 1
    else:
        tally.errors += 1


async def closed_loop(
    base_url: str, envelopes: Sequence[Envelope], concurrency: int, seconds: float
) -> tuple[Tally, float]:
    """``concurrency`` clients back to back until ``seconds`` pass or envelopes run out."""
    tally = Tally()
    queue: Iterator[Envelope] = iter(envelopes)
    async with new_client(base_url, concurrency) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def one_client() -> None:
            for env in queue:
                await post(client, env, tally, time.perf_counter())
                if time.perf_counter() >= deadline:
                    return

        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return tally, elapsed


async def open_loop(base_url: str, envelopes: Sequence[Envelope], rate: float) -> Tally:
    """Send at a fixed ``rate``; latency counts from each request's *scheduled* time."""
    tally = Tally()
    async with new_client(base_url, 256) as client:
        start = time.perf_counter() + 0.05
        tasks = []
        for i, env in enumerate(envelopes):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(client, env, tally, scheduled)))
        await asyncio.gather(*tasks)
    return tally


# --------------------------------------------------------------------------- CPU accounting
def machine_busy_s() -> float:
    """CPU seconds spent non-idle by the whole machine (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuSnapshot:
    wall: float
    server: float
    client: float
    machine: float

    @classmethod
    def take(cls, server: ServerProcess) -> CpuSnapshot:
        return cls(time.perf_counter(), server.cpu_s(), time.process_time(), machine_busy_s())


def others_pct(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """Busy CPU of everything but the server and this process, in % of one core."""
    rest = (after.machine - before.machine) - (after.server - before.server) - (after.client - before.client)
    return max(0.0, rest) / (after.wall - before.wall) * 100


def wait_until_quiet(max_wait_s: float, threshold_pct: float = 20.0) -> None:
    """Wait (at most ``max_wait_s``) until the machine has been idle for one second.

    Dev machines are shared: a test suite running next to the benchmark halves its numbers.
    """
    deadline = time.monotonic() + max_wait_s
    while True:
        before, started = machine_busy_s(), time.perf_counter()
        time.sleep(1)
        busy_pct = (machine_busy_s() - before) / (time.perf_counter() - started) * 100
        if busy_pct < threshold_pct:
            return
        if time.monotonic() > deadline:
            print(f"  machine still busy ({busy_pct:.0f}% of a core); measuring anyway")
            return
        print(f"  machine busy ({busy_pct:.0f}% of a core), waiting ...", flush=True)
        time.sleep(4)


# --------------------------------------------------------------------------- one target
@dataclass
class Result:
    name: str
    throughput: float = 0.0
    server_cpu_us: float = 0.0  # server CPU per request in the throughput phase
    client_cpu_pct: float = 0.0  # this process's CPU during the throughput phase, % of a core
    others_pct: float = 0.0  # everything else during both phases (PostgreSQL included), % of a core
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: int = 0
    acked: int = 0
    rows: int | None = None


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_target(target: Target, workdir: Path, args: argparse.Namespace) -> Result:
    result = Result(target.name)
    at_rate = int(args.rate * args.seconds)
    # Built before the server starts so the client's crypto is not measured; timestamps stay fresh.
    envelopes = build_envelopes(WARMUP_REQUESTS + args.max_requests + at_rate)
    warmup = envelopes[:WARMUP_REQUESTS]
    burst = envelopes[WARMUP_REQUESTS : WARMUP_REQUESTS + args.max_requests]
    steady = envelopes[WARMUP_REQUESTS + args.max_requests :]
    wait_until_quiet(args.wait_quiet)
    server = ServerProcess(target, workdir)
    server.start()
    try:
        warm, _ = asyncio.run(closed_loop(server.url, warmup, args.concurrency, 30))

        t0 = CpuSnapshot.take(server)
        burst_tally, elapsed = asyncio.run(closed_loop(server.url, burst, args.concurrency, args.seconds))
        t1 = CpuSnapshot.take(server)
        result.throughput = burst_tally.acked / elapsed
        result.server_cpu_us = (t1.server - t0.server) / max(1, len(burst_tally.latencies_s)) * 1e6
        result.client_cpu_pct = (t1.client - t0.client) / elapsed * 100
        if len(burst_tally.latencies_s) + burst_tally.errors >= len(burst):
            print(f"  note: {target.name} used all {len(burst)} requests; raise --max-requests")

        time.sleep(1)  # let the server settle before the latency phase
        t2 = CpuSnapshot.take(server)
        steady_tally = asyncio.run(open_loop(server.url, steady, args.rate))
        t3 = CpuSnapshot.take(server)
        result.others_pct = (
            others_pct(t0, t1) * (t1.wall - t0.wall) + others_pct(t2, t3) * (t3.wall - t2.wall)
        ) / ((t1.wall - t0.wall) + (t3.wall - t2.wall))
        result.p50_ms = percentile(steady_tally.latencies_s, 0.50) * 1000
        result.p99_ms = percentile(steady_tally.latencies_s, 0.99) * 1000
        result.max_ms = max(steady_tally.latencies_s, default=float("nan")) * 1000
        result.errors = warm.errors + burst_tally.errors + steady_tally.errors
        result.acked = warm.acked + burst_tally.acked + steady_tally.acked
    finally:
        server.stop()
    if target.kind == "salesbot" and target.database_url:
        result.rows = inbox_rows(target.database_url)
    return result


# --------------------------------------------------------------------------- report
def verdict(r: Result, ratio: float) -> tuple[bool, str]:
    checks = {
        f"ratio>={GOAL_RATIO}": ratio >= GOAL_RATIO,
        f"p99<{GOAL_P99_MS:g}ms": r.p99_ms < GOAL_P99_MS,
        "no errors": r.errors == 0,
        "rows=acked": r.rows == r.acked,
    }
    failed = [name for name, ok in checks.items() if not ok]
    return not failed, "PASS" if not failed else "FAIL (" + ", ".join(failed) + ")"


def print_report(results: Sequence[Result], args: argparse.Namespace) -> bool:
    bare = next((r for r in results if r.name == "bare"), None)
    head = (
        f"{'target':<9} {'req/s':>6} {'vs bare':>7} {'srv us/req':>10} {'client':>6} {'others':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} {'acked':>6} {'rows':>6}  goal"
    )
    print()
    print(
        f"throughput: closed loop, {args.concurrency} clients, {args.seconds:g} s | latency: open loop "
        f"{args.rate:g} req/s for {args.seconds:g} s | salesbot worker disabled (callback path only)"
    )
    print(head)
    print("-" * len(head))
    all_pass = True
    for r in results:
        ratio = r.throughput / bare.throughput if bare and bare.throughput else float("nan")
        goal = ""
        if r.name != "bare":
            ok, goal = verdict(r, ratio)
            all_pass &= ok
        print(
            f"{r.name:<9} {r.throughput:>6.0f} {ratio:>6.2f}x {r.server_cpu_us:>10.0f} "
            f"{r.client_cpu_pct:>5.0f}% {r.others_pct:>5.0f}% {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} "
            f"{r.max_ms:>7.1f} {r.errors:>6} {r.acked:>6} {'-' if r.rows is None else r.rows:>6}  {goal}"
        )
    print(
        "columns: srv us/req = server CPU per request (throughput phase); client / others = CPU of this "
        "load generator / of everything else on the machine (PostgreSQL included), in % of one core"
    )
    if bare and bare.client_cpu_pct > 85:
        print(
            "note: the load generator used ~a whole core on 'bare': the bare throughput is a lower bound "
            "(client-bound), so the 'vs bare' ratios are optimistic; compare 'srv us/req' too."
        )
    noisy = [r.name for r in results if r.name != "postgres" and r.others_pct > 25]
    if noisy:
        print(f"warning: other processes were busy during {', '.join(noisy)}: numbers are noisy, rerun.")
    print("overall:", "PASS" if all_pass else "FAIL")
    return all_pass


# --------------------------------------------------------------------------- main
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase")
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop request rate (req/s)")
    parser.add_argument("--db", default="sqlite,postgres", help="comma list of sqlite, postgres")
    parser.add_argument("--concurrency", type=int, default=8, help="closed-loop clients")
    parser.add_argument(
        "--max-requests", type=int, default=30_000, help="cap on requests in the throughput phase"
    )
    parser.add_argument(
        "--wait-quiet", type=float, default=30.0, help="max seconds to wait for an idle machine per target"
    )
    parser.add_argument("--serve", choices=["bare", "salesbot"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    databases = [d.strip() for d in args.db.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgres"}
    if unknown:
        raise SystemExit(f"unknown --db {', '.join(sorted(unknown))}")
    sys.path.insert(0, str(REPO))
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="salesbot-bench-") as tmp:
        workdir = Path(tmp)
        targets = [Target("bare", "bare")]
        try:
            if "sqlite" in databases:
                targets.append(prepare_sqlite(workdir))
            if "postgres" in databases:
                targets.append(prepare_postgres())
            for target in targets:
                print(f"running {target.name} ...", flush=True)
                results.append(run_target(target, workdir, args))
        finally:
            for target in targets:
                if target.name == "postgres":
                    drop_postgres(target)
    return 0 if print_report(results, args) else 1


if __name__ == "__main__":
    sys.exit(main())
