"""``salesbot demo``: build the demo stack, print the simulator's address, maybe open a browser, serve."""

from __future__ import annotations

import logging
import os
import sys
import threading
import webbrowser

import typer

from bot.logs import setup_logging


def _can_open_browser() -> bool:
    """Only with a desktop: on a bare server ``webbrowser`` would start a text browser in this terminal."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_demo(*, host: str, port: int, database: str, open_browser: bool, fresh: bool) -> None:
    from bot.simulator.stack import build_demo, serve

    setup_logging("WARNING")
    # A clock jump skips the runs it jumps over, by design: not worth a warning line each in the demo.
    logging.getLogger("salesbot.scheduler").setLevel(logging.ERROR)
    typer.echo("正在准备演示数据和模拟企业微信… / preparing the demo…")
    try:
        stack = build_demo(database_url=database, host=host, port=port, fresh=fresh)
    except OSError as exc:
        typer.echo(f"端口 {port} 无法使用 / cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        typer.echo("换一个端口试试 / try another port: salesbot demo --port 8001", err=True)
        raise typer.Exit(1) from None
    url = stack.simulator_url
    typer.echo("")
    typer.echo(f"  模拟器 / simulator:  {url}")
    typer.echo(f"  模拟企业微信 / fake WeCom API:  {stack.fake.base_url}")
    typer.echo(f"  演示数据库 / database:  {database}")
    typer.echo("")
    typer.echo("  Ctrl+C 退出 / to stop")
    if open_browser and _can_open_browser():
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    serve(stack)
