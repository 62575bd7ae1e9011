"""Screenshots of the meeting room in each layout, on a desktop and on a phone.

    make screenshots   (python -m tests.browser.screenshots [--out docs/screenshots])

Starts its own Parley (embedded default), a moderator and two guests with Chromium's fake
camera, and photographs: the pre-join screen, the grid, the speaker layout, the presentation
(the whiteboard), the participants panel with a raised hand, the chat, the moderation menu,
on 1280×800 and on a 390×844 phone.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.people import arrive_as_guest, join_meeting, make_member, open_new_room
from tests.browser.server import ParleyServer

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def shoot(page: Page, out: Path, name: str) -> None:
    page.wait_for_timeout(600)
    page.screenshot(path=out / f"{name}.png")
    print(out / f"{name}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as workdir,
        ParleyServer(Path(workdir)) as server,
        sync_playwright() as driver,
    ):
        make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        contexts = []

        def new_page(size: str = "desktop") -> Page:
            context = browser.new_context(base_url=server.url, locale="en-GB", viewport=SIZES[size])
            context.set_default_timeout(15_000)
            contexts.append(context)
            return context.new_page()

        owner = new_page()
        link = open_new_room(owner, "Design review")
        owner.goto(link)
        shoot(owner, out, "prejoin-desktop")
        join_meeting(owner)
        guests = []
        for name in ("Grace Hopper", "Alan Turing"):
            guest = arrive_as_guest(new_page, link, name)
            join_meeting(guest)
            guests.append(guest)
        phone = arrive_as_guest(lambda: new_page("phone"), link, "Katherine Johnson")
        shoot(phone, out, "prejoin-phone")
        join_meeting(phone)
        expect(owner.locator("#tiles .tile")).to_have_count(4)
        guests[0].get_by_role("button", name="Raise my hand").click()
        guests[1].get_by_label("Message").fill(
            "Good morning! The slides are at https://example.org/slides"
        )
        guests[1].get_by_role("button", name="Send").click()
        shoot(owner, out, "grid-desktop")
        shoot(phone, out, "grid-phone")
        for page in (owner, phone):
            page.get_by_role("button", name="More").click()
            page.get_by_role("menuitemradio", name="Speaker").click()
        shoot(owner, out, "speaker-desktop")
        shoot(phone, out, "speaker-phone")
        owner.get_by_role("button", name="More").click()
        owner.get_by_role("menuitem", name="Whiteboard").click()
        for page in (owner, phone):
            page.get_by_role("button", name="More").click()
            page.get_by_role("menuitemradio", name="Follow the content").click()
        expect(owner.locator("#board")).to_be_visible()
        shoot(owner, out, "presentation-desktop")
        shoot(phone, out, "presentation-phone")
        owner.get_by_role("button", name="Participants").first.click()
        shoot(owner, out, "participants-desktop")
        phone.get_by_role("button", name="Chat").first.click()
        shoot(phone, out, "chat-phone")
        owner.get_by_role("button", name="Moderation").click()
        shoot(owner, out, "moderation-desktop")
        for context in contexts:
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
