"""Accounts made from the shell, as an administrator would, before people open their browsers."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any, Literal

from playwright.sync_api import Page, expect

from tests.browser.server import ParleyServer

PASSWORD = "a good long password"


def make_member(server: ParleyServer, email: str, name: str, *, admin: bool = False) -> None:
    command = [sys.executable, "-m", "parley", "user", "create", "--email", email]
    command += ["--name", name, "--password", PASSWORD] + (["--admin"] if admin else [])
    subprocess.run(command, env=server.env, check=True, capture_output=True, timeout=60)


def log_in(page: Page, email: str) -> None:
    """Fill the login form the page shows and send it."""
    expect(page.get_by_role("heading", name="Log in to Parley")).to_be_visible()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def join_meeting(page: Page, *, camera: bool = True, microphone: bool = True) -> None:
    """Go through the pre-join screen: choose the devices, then press Join."""
    expect(page.locator("#prejoin")).to_be_visible()
    for wanted, toggle in ((camera, "#prejoin-camera"), (microphone, "#prejoin-mic")):
        button = page.locator(toggle)
        expect(button).to_have_attribute("aria-pressed", "true")
        if not wanted:
            button.click()
            expect(button).to_have_attribute("aria-pressed", "false")
    page.locator("#join-button").click()
    expect(page.locator("#prejoin")).to_be_hidden()


def open_new_room(owner: Page, name: str, email: str = "ada@example.org") -> str:
    """Log in from "My rooms", create a room, open it; return its invitation link."""
    owner.goto("/rooms")
    log_in(owner, email)
    owner.get_by_label("Room name").fill(name)
    owner.get_by_role("button", name="Create", exact=True).click()
    owner.get_by_role("button", name="Open the room").click()
    link: str = owner.get_by_label("Invitation link").input_value()
    return link


def arrive_as_guest(new_page: Callable[..., Page], link: str, name: str, **options: Any) -> Page:
    """A new person follows the link, types a name and presses Start (the pre-join screen)."""
    page = new_page(**options)
    page.goto(link)
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Start").click()
    return page


def guest_without_devices(new_page: Callable[..., Page], link: str, name: str) -> Page:
    """A guest in the meeting with camera and microphone off (for tests about something else)."""
    page = arrive_as_guest(new_page, link, name)
    join_meeting(page, camera=False, microphone=False)
    return page


def open_panel(page: Page, name: str) -> None:
    """Open a tab of the meeting's side panel (Participants, Chat, Notes, Polls) from the bar."""
    tab = page.get_by_role("tab", name=re.compile(f"^{name}"))
    if tab.is_visible() and tab.get_attribute("aria-selected") == "true":
        return
    if tab.is_visible():
        tab.click()
    else:
        page.locator(f'.control[data-panel="{name.lower()}"]').click()
    expect(page.get_by_role("tab", name=re.compile(f"^{name}"), selected=True)).to_be_visible()


def choose(
    page: Page,
    menu: str,
    item: str,
    role: Literal["menuitem", "menuitemradio", "menuitemcheckbox"] = "menuitem",
) -> None:
    """Open one of the meeting's menus (More, Moderation) and choose an item."""
    opener = page.get_by_role("button", name=menu, exact=True)
    if opener.get_attribute("aria-expanded") != "true":
        opener.click()
    expect(page.get_by_role(role, name=item, exact=True)).to_be_visible()
    page.get_by_role(role, name=item, exact=True).click()


def act_on(page: Page, person: str, action: str) -> None:
    """A moderator's action on one participant, from their row in the Participants panel."""
    open_panel(page, "Participants")
    page.get_by_role("button", name=f"Actions for {person}").click()
    page.get_by_role("menuitem", name=action, exact=True).click()


def my_id(page: Page) -> str:
    """The page's participant id, once the meeting's snapshot has arrived."""
    page.wait_for_function("() => window.parleyMedia && window.parleyMedia.you")
    return str(page.evaluate("() => window.parleyMedia.you.id"))


def plays(page: Page, tile: str) -> bool:
    """Whether the tile `tile` (a participant id, or `<id>:screen`) plays a video."""
    video = page.locator(f'[data-tile="{tile}"] video')
    return video.count() == 1 and bool(video.evaluate("v => v.videoWidth > 0 && !v.paused"))
