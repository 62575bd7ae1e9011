"""People in two browsers: presence dots, calls (declined, unanswered, accepted with video),
an invitation from inside a meeting, and a guest invited by a real email."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, wait_until
from tests.browser.people import choose, join_meeting, log_in, make_member, open_new_room, plays
from tests.browser.server import ParleyServer
from tests.mailbox import Mailbox, text_of


@pytest.fixture
def server(tmp_path: Path, mailbox: Mailbox) -> Iterator[ParleyServer]:
    env = {
        "PARLEY_SMTP_PORT": str(mailbox.port),
        "PARLEY_CALL_RING_SECONDS": "6",
        "PARLEY_INVITATIONS_PER_PERSON": "30/minute",
    }
    with ParleyServer(tmp_path, extra_env=env) as running:
        yield running


def _popin(page: Page) -> object:
    return page.get_by_role("alertdialog")


def test_presence_and_calls(new_page: Callable[..., Page], server: ParleyServer) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    make_member(server, "grace@example.org", "Grace Hopper")

    ada = new_page()
    ada.goto("/people")
    log_in(ada, "ada@example.org")
    grace_row = ada.locator(".member-item", has_text="Grace Hopper")
    expect(grace_row.locator(".presence-label")).to_have_text("Offline")

    # Grace logs in elsewhere: her dot turns green on Ada's page, without a reload.
    grace = new_page()
    grace.goto("/rooms")
    log_in(grace, "grace@example.org")
    expect(grace_row.locator(".presence-label")).to_have_text("Online")
    expect(grace_row.locator(".presence")).to_have_class(re.compile("presence-online"))
    screenshot(ada, "people-en")

    # Ada calls; Grace's page rings; Grace declines; Ada is told.
    grace_row.get_by_role("button", name="Call Grace Hopper").click()
    expect(ada.locator("#call-status")).to_contain_text("Calling Grace Hopper")
    popin = grace.get_by_role("alertdialog")
    expect(popin).to_contain_text("Ada Lovelace")
    expect(popin).to_contain_text("is calling you")
    screenshot(grace, "call-ringing-en")
    popin.get_by_role("button", name="Decline").click()
    expect(popin).to_have_count(0)
    expect(ada.locator("#call-status")).to_contain_text("Grace Hopper declined the call.")
    screenshot(ada, "call-declined-en")

    # Again, and nobody answers: Ada hears nothing more, Grace gets a missed call.
    ada.goto("/people")
    ada.locator(".member-item", has_text="Grace Hopper").get_by_role(
        "button", name="Call Grace Hopper"
    ).click()
    expect(grace.get_by_role("alertdialog")).to_be_visible()
    expect(ada.locator("#call-status")).to_contain_text(
        "Grace Hopper did not answer.", timeout=15_000
    )
    expect(grace.get_by_role("alertdialog")).to_have_count(0)
    expect(grace.locator("#bell-count")).to_have_text("1")
    grace.locator("#bell").click()
    expect(grace.get_by_text("Missed call from Ada Lovelace")).to_be_visible()
    screenshot(grace, "notifications-en")
    expect(grace.locator("#bell-count")).to_be_hidden()

    # A third time, Grace accepts: both are in the call and see each other.
    ada.goto("/people")
    ada.locator(".member-item", has_text="Grace Hopper").get_by_role(
        "button", name="Call Grace Hopper"
    ).click()
    grace.get_by_role("alertdialog").get_by_role("button", name="Accept").click()
    join_meeting(grace)
    join_meeting(ada)
    wait_until(lambda: plays(ada, "u2"), "Grace's video on Ada's page")
    wait_until(lambda: plays(grace, "u1"), "Ada's video on Grace's page")
    screenshot(grace, "call-started-en")

    # Grace leaves Parley: Ada's People page shows her offline again.
    grace.context.close()
    ada.goto("/people")
    expect(
        ada.locator(".member-item", has_text="Grace Hopper").locator(".presence-label")
    ).to_have_text("Offline", timeout=15_000)

    # The same page in French.
    french = new_page(locale="fr-FR")
    french.goto("/people")
    log_in_fr = french.get_by_label("Adresse e-mail")
    log_in_fr.fill("grace@example.org")
    french.get_by_label("Mot de passe").fill("a good long password")
    french.get_by_role("button", name="Se connecter").click()
    expect(french.get_by_role("heading", name="Personnes")).to_be_visible()
    screenshot(french, "people-fr")


def test_inviting_a_member_and_a_guest_from_the_meeting(
    new_page: Callable[..., Page], server: ParleyServer, mailbox: Mailbox
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    make_member(server, "grace@example.org", "Grace Hopper")
    ada = new_page()
    link = open_new_room(ada, "Board meeting")
    ada.goto(link)
    join_meeting(ada, camera=False, microphone=False)

    grace = new_page()
    grace.goto("/rooms")
    log_in(grace, "grace@example.org")

    choose(ada, "More", "Invite people")
    dialog = ada.locator("#invite-dialog")
    row = dialog.locator(".invite-item", has_text="Grace Hopper")
    expect(row.locator(".presence")).to_have_class(re.compile("presence-online"))
    screenshot(ada, "meeting-invite-en")
    row.get_by_role("button", name="Invite Grace Hopper").click()
    expect(row.locator(".invite-state")).to_have_text("Ringing…")

    popin = grace.get_by_role("alertdialog")
    expect(popin).to_contain_text("invites you to join “Board meeting”")
    popin.get_by_role("button", name="Accept").click()
    expect(row.locator(".invite-state")).to_have_text("Accepted")
    join_meeting(grace, camera=False, microphone=False)
    expect(ada.locator("#participant-list")).to_contain_text("Grace Hopper")

    # A guest by email: the server sends it; the mail program way is prefilled too.
    dialog.get_by_label("Email addresses (separated by commas or spaces)").fill("guest@example.net")
    mailto = dialog.get_by_role("link", name="Open in my mail program").get_attribute("href")
    assert mailto is not None and mailto.startswith("mailto:guest@example.net?subject=")
    assert "Board%20meeting" in mailto and link.replace(":", "%3A").replace("/", "%2F") in mailto
    dialog.get_by_role("button", name="Send the invitation").click()
    expect(dialog.get_by_role("status")).to_have_text("Invitation sent to 1 addresses.")
    message = mailbox.wait_for(1)[0]
    assert message["To"] == "guest@example.net"
    body = text_of(message)
    emailed = re.search(r"http://\S+/r/[a-z-]+", body)
    assert emailed is not None and emailed.group(0) == link

    guest = new_page()
    guest.goto(emailed.group(0))
    guest.get_by_label("Your name").fill("Linus")
    guest.get_by_role("button", name="Start").click()
    join_meeting(guest, camera=False, microphone=False)
    expect(ada.locator("#participant-list")).to_contain_text("Linus")
