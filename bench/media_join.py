"""Time to the first remote video frame, peer to peer, between two real Chromium pages.

    make bench-media            (or: uv run python bench/media_join.py --runs 7)

Each run: Ada is in a new meeting with her camera on; Bea waits on the pre-join screen with
her camera and microphone already open, then presses Join. Measured in Bea's page, from
the click to the first decoded frame of Ada's video (`framesDecoded` in getStats), which is
signalling, ICE, DTLS and the first key frame. Then Ada shares her screen: from her click
to the first decoded frame of the screen on Bea's page (both pages read the same clock).
Prints every run and the medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.people import PASSWORD, make_member  # noqa: E402
from tests.browser.server import ParleyServer  # noqa: E402

# Resolves with the time (performance.now() and Date.now()) when `count` remote videos have
# decoded a frame, polling the statistics every few milliseconds.
FIRST_FRAMES = """(count) => new Promise((resolve) => {
    const poll = async () => {
        const media = window.parleyMedia;
        let decoding = 0;
        if (media && media.transport) {
            for (const peer of media.transport.peers.values()) {
                for (const stats of (await peer.pc.getStats()).values()) {
                    if (stats.type === "inbound-rtp" && stats.kind === "video"
                        && stats.framesDecoded > 0) decoding += 1;
                }
            }
        }
        if (decoding >= count) resolve({now: performance.now(), wall: Date.now()});
        else setTimeout(poll, 5);
    };
    poll();
})"""


def _watch(page: Page, name: str, count: int) -> None:
    """Start watching for `count` decoded remote videos; the promise waits in window[name]."""
    page.evaluate(f"(count) => {{ window.{name} = ({FIRST_FRAMES})(count); }}", count)


def _page(browser: Browser, server: ParleyServer) -> Page:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    return context.new_page()


def _devices_ready(page: Page) -> None:
    page.locator("#prejoin").wait_for()
    page.wait_for_function(
        "() => document.getElementById('prejoin-camera').getAttribute('aria-pressed') === 'true'"
        " && document.getElementById('preview-video').videoWidth > 0"
        " && !document.getElementById('connectivity-list').textContent.includes('…')"
    )


def one_run(browser: Browser, server: ParleyServer, number: int) -> tuple[float, float]:
    ada = _page(browser, server)
    ada.goto("/login")
    ada.get_by_label("Email address").fill("ada@example.org")
    ada.get_by_label("Password").fill(PASSWORD)
    ada.get_by_role("button", name="Log in").click()
    ada.goto("/rooms")
    ada.get_by_label("Room name").fill(f"Bench {number}")
    ada.get_by_role("button", name="Create", exact=True).click()
    ada.get_by_role("button", name="Open the room").click()
    link = ada.get_by_label("Invitation link").input_value()
    ada.goto(link)
    _devices_ready(ada)
    ada.locator("#join-button").click()

    bea = _page(browser, server)
    bea.goto(link)
    bea.get_by_label("Your name").fill("Bea")
    bea.get_by_role("button", name="Start").click()
    _devices_ready(bea)
    bea.evaluate(
        """() => document.getElementById('join-button').addEventListener(
            'click', () => { window.pressed = performance.now(); }, {capture: true})"""
    )
    _watch(bea, "joinFrames", 1)
    bea.locator("#join-button").click()
    first = bea.evaluate("() => window.joinFrames")
    join_ms = first["now"] - bea.evaluate("() => window.pressed")

    # Screen share: Ada's click to Bea's first decoded frame of it.
    _watch(bea, "screenFrames", 2)
    ada.evaluate(
        """() => document.getElementById('screen-button').addEventListener(
            'click', () => { window.pressed = Date.now(); }, {capture: true})"""
    )
    ada.get_by_role("button", name="Share the screen").click()
    shown = bea.evaluate("() => window.screenFrames")
    share_ms = shown["wall"] - ada.evaluate("() => window.pressed")
    for page in (ada, bea):
        page.context.close()
    return join_ms, share_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, ParleyServer(Path(workdir)) as server:
        make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            one_run(browser, server, 0)  # warm-up: caches, first database writes
            joins, shares = [], []
            for number in range(1, args.runs + 1):
                started = time.monotonic()
                join_ms, share_ms = one_run(browser, server, number)
                joins.append(join_ms)
                shares.append(share_ms)
                print(
                    f"run {number}: join -> first remote frame {join_ms:6.0f} ms, "
                    f"share -> first screen frame {share_ms:6.0f} ms "
                    f"({time.monotonic() - started:.1f} s)",
                    flush=True,
                )
            browser.close()
    print(
        f"median of {args.runs}: join -> first remote frame {statistics.median(joins):.0f} ms "
        f"(min {min(joins):.0f}, max {max(joins):.0f}); "
        f"share -> first screen frame {statistics.median(shares):.0f} ms "
        f"(min {min(shares):.0f}, max {max(shares):.0f})"
    )


if __name__ == "__main__":
    main()
