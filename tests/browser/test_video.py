"""A video file shared in a meeting: everyone's player follows the presenter's.

`tests/fixtures/clock.mp4` is 45 s of a moving test pattern, 96x72 at 5 frames a second,
H.264 (made with `ffmpeg -f lavfi -i testsrc=size=96x72:rate=5:duration=45 -c:v libx264
-profile:v baseline -pix_fmt yuv420p -g 5 -crf 40 -movflags +faststart clock.mp4`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, wait_until
from tests.browser.people import (
    choose,
    guest_without_devices,
    join_meeting,
    make_member,
    open_new_room,
)
from tests.browser.server import ParleyServer

CLIP = Path(__file__).parent.parent / "fixtures" / "clock.mp4"


class _RangeHandler(BaseHTTPRequestHandler):
    """Serves the clip with byte ranges, as a web server does (browsers seek with them)."""

    def do_GET(self) -> None:
        data = CLIP.read_bytes()
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("range", ""))
        if match:
            start = int(match.group(1) or 0)
            end = min(int(match.group(2) or len(data) - 1), len(data) - 1)
            self.send_response(206)
            self.send_header("content-range", f"bytes {start}-{end}/{len(data)}")
            data = data[start : end + 1]
        else:
            self.send_response(200)
        self.send_header("content-type", "video/mp4")
        self.send_header("accept-ranges", "bytes")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def clip_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/clock.mp4"
    server.shutdown()
    server.server_close()


def position(page: Page) -> float:
    return float(page.evaluate("() => document.querySelector('#shared-video video').currentTime"))


def test_a_shared_video_follows_the_presenter(
    new_page: Callable[..., Page], server: ParleyServer, clip_url: str
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Film club")
    ada.goto(link)
    join_meeting(ada, camera=False, microphone=False)
    bea = guest_without_devices(new_page, link, "Bea")

    # A hostile address is refused with a clear message, in the dialog.
    choose(ada, "More", "Share a video")
    ada.get_by_label("Address of the video").fill("javascript:alert(document.cookie)")
    ada.get_by_role("button", name="Share", exact=True).click()
    expect(ada.locator("#video-error")).to_contain_text("This address cannot be shared")
    ada.get_by_label("Address of the video").fill("https://unknown.example/watch?v=dQw4w9WgXcQ")
    ada.get_by_role("button", name="Share", exact=True).click()
    expect(ada.locator("#video-error")).to_contain_text("YouTube, Vimeo or PeerTube")
    screenshot(ada, "video-refused-en")

    ada.get_by_label("Address of the video").fill(clip_url)
    ada.get_by_role("button", name="Share", exact=True).click()
    expect(bea.locator("#shared-video video")).to_be_attached()
    expect(bea.get_by_text("Ada Lovelace shares a video")).to_be_visible()
    # The presenter plays: the other's player plays too.
    ada.locator("#shared-video video").evaluate("v => v.play()")
    wait_until(lambda: position(bea) > 1, "Bea's player to play", timeout=10)

    # The presenter seeks: within 2 s the other is within 1 s of the new position.
    ada.locator("#shared-video video").evaluate("v => { v.currentTime = 30; }")
    took = wait_until(
        lambda: abs(position(bea) - position(ada)) < 1 and position(ada) >= 30,
        "Bea's player to follow the seek",
        timeout=2,
    )
    assert took < 2
    screenshot(bea, "video-shared-en")

    # A late joiner starts near the current position.
    cy = guest_without_devices(new_page, link, "Cy")
    wait_until(
        lambda: (
            cy.locator("#shared-video video").count() == 1 and abs(position(cy) - position(ada)) < 1
        ),
        "Cy's player to start where the others are",
        timeout=5,
    )
    assert position(cy) > 30

    # Pause and stop reach everyone.
    ada.locator("#shared-video video").evaluate("v => v.pause()")
    wait_until(
        lambda: bool(bea.evaluate("() => document.querySelector('#shared-video video').paused")),
        "Bea's player to pause",
        timeout=3,
    )
    ada.get_by_role("button", name="Stop the video").click()
    expect(bea.locator("#shared-video")).to_be_hidden()
    expect(cy.locator("#shared-video video")).to_have_count(0)
