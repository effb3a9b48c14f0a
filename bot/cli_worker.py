"""``salesbot worker``: a process that only works queues, apart from the web processes.

Web processes (``salesbot serve --no-worker``) store events and answer callbacks;
worker processes on any number of machines handle them. ``--queues`` splits the work
so OCR runs on its own machines (only they load the engine) while chat stays quick.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import typer

from bot.queues import QUEUES


def worker_command(
    queues: str = typer.Option(
        ",".join(QUEUES),
        "--queues",
        help="Comma-separated: chat (inbox events), ocr (quote photos), delivery (outgoing messages).",
    ),
    stop_timeout: float = typer.Option(
        60.0, "--stop-timeout", help="On SIGTERM, seconds to finish the work in hand before exiting."
    ),
) -> None:
    """Work the queues until SIGTERM / Ctrl+C, then finish what is in hand and exit."""
    from bot.logs import setup_logging
    from bot.queues import parse_queues
    from bot.runtime import Runtime
    from bot.settings import load_settings

    try:
        chosen = parse_queues(queues)
    except ValueError as exc:
        typer.echo(f"参数错误 / invalid --queues: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = load_settings()
    setup_logging(settings.log_level)
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    priority = "normal"
    if chosen == ("ocr",):
        # Before any thread starts, so the engine's threads and every other one inherit it.
        from bot.priority import lower_priority

        priority = lower_priority(settings.ocr_priority)
    rt = Runtime.build(settings)
    try:
        if "ocr" in chosen:
            _load_ocr_engine(settings.ocr_engine, settings.ocr_threads)
        worker = rt.make_worker(chosen)
        worker.start()
        typer.echo(f"worker 已启动 / worker running: {', '.join(chosen)} (CPU priority {priority})", err=True)
        while not stop.wait(1):
            pass
        finished = worker.stop(timeout=stop_timeout)
        typer.echo(
            "worker 已停止 / worker stopped"
            + (
                ""
                if finished
                else " (work still in hand; its lease will run out and another worker takes it)"
            ),
            err=True,
        )
    finally:
        rt.close()


def _load_ocr_engine(name: str, threads: int | None) -> None:
    """Load and warm the engine before taking jobs, so the first photo is not the slow one."""
    try:
        from bot.ocr.engines import get_engine, warm_up

        warm_up(get_engine(name, threads))
    except ImportError as exc:  # the ocr extra is missing: say so now, not at the first photo
        typer.echo(f"OCR 引擎无法加载 / OCR engine unavailable ({exc}); install salesbot[ocr]", err=True)
        raise typer.Exit(2) from None
