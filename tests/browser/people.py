"""Accounts made from the shell, as an administrator would, before people open their browsers."""

from __future__ import annotations

import subprocess
import sys

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
