"""A real Chromium (Debian's), driven by Playwright, against a real `parley serve`."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.browser.server import ParleyServer
from tests.services import REQUIRE_SERVICES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent.parent.parent / "test-artifacts" / "screenshots"
# Flags that make Chromium work on a machine with no network, no GPU and no sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        message = "Chromium is not installed (Debian package 'chromium')"
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ParleyServer]:
    """A fresh Parley (its own SQLite database) for this test."""
    with ParleyServer(tmp_path) as running:
        yield running


@contextmanager
def page_opener(
    browser: Browser, base_url: str, timeout_ms: int = 10_000
) -> Iterator[Callable[..., Page]]:
    """Opens pages in new browser contexts (a person each, with their language); closes them."""
    contexts: list[BrowserContext] = []

    def open_page(locale: str = "en-GB", base_url: str = base_url) -> Page:
        context = browser.new_context(
            base_url=base_url, locale=locale, viewport={"width": 1280, "height": 800}
        )
        context.set_default_timeout(timeout_ms)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(browser: Browser, server: ParleyServer) -> Iterator[Callable[..., Page]]:
    """Open a page in a new browser context: a person of their own, with their language."""
    with page_opener(browser, server.url) as open_page:
        yield open_page


def screenshot(page: Page, name: str) -> None:
    """Keep a picture of the page for people to look at (test-artifacts/screenshots)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def wait_until(check: Callable[[], bool], what: str, timeout: float = 15) -> float:
    """Poll `check` until it holds; return how long that took, or fail saying what was awaited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
