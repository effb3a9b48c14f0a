"""A real browser (Debian's chromium, driven by Playwright) on a running `salesbot demo`.

Chromium comes from the system (``/usr/bin/chromium``; ``SALESBOT_CHROMIUM`` overrides),
never from ``playwright install``. Missing chromium or Playwright skips these tests on a
laptop but fails them loudly in CI (``CI=true``), where scripts/test installs chromium.

Screenshots of every journey go to ``$SALESBOT_ARTEFACTS/browser`` (default
``tests/artifacts/browser``, ignored by git) so a person can look at them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.simulator.stack import BackgroundDemo, DemoStack, build_demo

ROOT = Path(__file__).resolve().parent.parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    explicit = os.environ.get("SALESBOT_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def artefacts() -> Path:
    base = Path(os.environ.get("SALESBOT_ARTEFACTS") or ROOT / "tests" / "artifacts")
    folder = base / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[dev]')")
    executable = chromium_path()
    if executable is None:
        _missing("chromium is not installed (apt-get install chromium)")
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=[*args, "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@dataclass
class Simulator:
    """The running demo and helpers to open it in a browser tab as one person."""

    stack: DemoStack
    browser: Any
    artefacts: Path
    url: str
    pages: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, userid: str, platform: str = "wecom", *, phone: bool = False) -> Any:
        """A fresh tab (own cookies) on the simulator as ``userid`` (their WeCom id), ready to chat.

        On WeCom the app greets whoever opens it (enter_agent → help card); DingTalk has no such event.
        ``phone``: a phone-sized window (390×844), as a person on the road sees the chat.
        """
        size = {"width": 390, "height": 844} if phone else {"width": 1400, "height": 900}
        context = self.browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai")
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{userid}: {exc}"))
        page.goto(f"{self.url}?as={userid}&platform={platform}")
        if platform == "wecom":
            page.locator("#chat [data-testid=card]", has_text="销售助手可以帮你").last.wait_for(timeout=20_000)
        else:
            page.locator("body.ding #chat").wait_for(timeout=20_000)
        self.pages.append(page)
        return page

    def phone(self, page: Any, url: str) -> Any:
        """The same page in a phone-sized tab of the same browser context (same login), full height."""
        tab = page.context.new_page()
        tab.set_viewport_size({"width": 390, "height": 844})
        tab.goto(url)
        return tab

    def shot(self, page: Any, name: str, *, full_page: bool = False) -> Path:
        path = self.artefacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture(scope="module")
def simulator(browser: Any, artefacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    stack = build_demo(database_url=f"sqlite:///{db}", port=0)
    server = BackgroundDemo(stack)
    url = server.start()
    sim = Simulator(stack, browser, artefacts, url)
    try:
        yield sim
    finally:
        for page in sim.pages:
            page.context.close()
        server.stop()


@pytest.fixture
def sim(simulator: Simulator) -> Iterator[Simulator]:
    """The module's simulator; a test fails if any page threw a JavaScript error meanwhile."""
    simulator.errors.clear()
    yield simulator
    assert not simulator.errors, f"JavaScript errors: {simulator.errors}"
