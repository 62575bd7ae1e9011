"""Two or three people in a meeting: chat, private messages, hands, removal, reconnection."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.people import (
    act_on,
    arrive_as_guest,
    choose,
    join_meeting,
    make_member,
    open_new_room,
    open_panel,
)
from tests.browser.server import ParleyServer


def _open_room(owner: Page, name: str) -> str:
    link = open_new_room(owner, name)
    owner.goto(link)
    join_meeting(owner, camera=False)
    expect(owner.locator("#participant-list")).to_contain_text("Ada Lovelace")
    return link


def _guest(new_page: Callable[..., Page], link: str, name: str) -> Page:
    page = arrive_as_guest(new_page, link, name)
    join_meeting(page, camera=False)
    expect(page.locator("#participant-list")).to_contain_text(name)
    return page


def _say(page: Page, text: str, to: str | None = None) -> None:
    if to is not None:
        page.get_by_label("To", exact=True).select_option(label=to)
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_role("button", name="Send").click()


def test_chat_hands_private_messages_and_removal(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    owner = new_page()
    link = _open_room(owner, "Chemistry class")
    bea = _guest(new_page, link, "Bea")
    cy = _guest(new_page, link, "Cy")

    _say(owner, "Welcome! Slides: https://example.org/slides")
    expect(bea.locator("#chat-list")).to_contain_text("Welcome! Slides:")
    expect(bea.get_by_role("link", name="https://example.org/slides")).to_have_attribute(
        "rel", "noopener noreferrer nofollow"
    )
    _say(bea, "Thanks <script>alert(1)</script>")
    expect(owner.locator("#chat-list")).to_contain_text("Thanks <script>alert(1)</script>")

    _say(bea, "Psst, Cy", to="Cy")
    expect(cy.locator("#chat-list")).to_contain_text("Bea to Cy (private)")
    expect(cy.locator("#chat-list")).to_contain_text("Psst, Cy")
    _say(owner, "Everyone sees this")
    expect(cy.locator("#chat-list")).to_contain_text("Everyone sees this")
    expect(owner.locator("#chat-list")).not_to_contain_text("Psst, Cy")

    cy.get_by_role("button", name="Raise my hand").click()
    open_panel(owner, "Participants")
    cy_row = owner.locator("#participant-list .person").first
    expect(cy_row).to_contain_text("Cy")  # raised hands come first
    expect(cy_row.get_by_role("img", name="Hand raised")).to_be_visible()
    expect(owner.locator("#tiles").get_by_role("img", name="Hand raised")).to_be_visible()
    expect(cy.get_by_role("button", name="Lower my hand")).to_be_visible()
    screenshot(owner, "meeting-chat-hand-en")

    choose(owner, "Moderation", "Lower all hands")
    expect(owner.get_by_role("img", name="Hand raised")).to_have_count(0)

    act_on(owner, "Bea", "Remove from the meeting")
    expect(bea.get_by_role("heading", name="You were removed from the meeting.")).to_be_visible()
    expect(owner.locator("#participant-list")).not_to_contain_text("Bea")
    expect(cy.locator("#participant-list")).not_to_contain_text("Bea")
    expect(cy.locator("#announcer")).to_contain_text("A moderator removed Bea.")
    screenshot(bea, "meeting-removed-en")


def test_a_participant_cannot_use_moderator_controls(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    owner = new_page()
    link = _open_room(owner, "Board")
    guest = _guest(new_page, link, "Visitor")
    expect(guest.get_by_role("button", name="Moderation")).to_be_hidden()
    expect(guest.get_by_role("menuitem", name="Mute everyone")).to_be_hidden()
    expect(guest.get_by_role("button", name="Clear")).to_be_hidden()
    open_panel(guest, "Participants")
    expect(guest.get_by_label("Actions for Ada Lovelace")).to_have_count(0)
    open_panel(guest, "Chat")
    # Even a hand-made message is refused by the server (and a second socket of the same
    # person takes the meeting over from the page, which says so).
    guest.evaluate(
        """() => new Promise((resolve) => {
            const ws = new WebSocket(`ws://${location.host}${location.pathname}/live`);
            ws.onopen = () => {
                ws.send(JSON.stringify({type: "hello"}));
                ws.send(JSON.stringify({type: "mod.end"}));
            };
            ws.onmessage = (e) => {
                if (JSON.parse(e.data).type === "error") { ws.close(); resolve(); }
            };
        })"""
    )
    expect(
        guest.get_by_role("heading", name="This meeting is open in another tab.")
    ).to_be_visible()
    _say(owner, "still here")
    expect(owner.locator("#chat-list")).to_contain_text("still here")
    expect(owner.get_by_role("heading", name="The meeting has ended.")).to_be_hidden()
    guest.get_by_role("button", name="Use it here").click()
    expect(guest.locator("#chat-list")).to_contain_text("still here")


def test_chat_survives_a_server_restart(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    owner = new_page()
    link = _open_room(owner, "Study group")
    guest = _guest(new_page, link, "Dana")
    _say(guest, "before the restart")
    expect(owner.locator("#chat-list")).to_contain_text("before the restart")

    server.stop()
    expect(owner.locator("#connection-status").get_by_text("Reconnecting…")).to_be_visible()
    server.start()
    expect(owner.locator("#connection-status").get_by_text("Reconnecting…")).to_be_hidden(
        timeout=20_000
    )
    expect(owner.locator("#chat-list")).to_contain_text("before the restart")
    _say(owner, "after the restart")
    expect(guest.locator("#chat-list")).to_contain_text("after the restart", timeout=20_000)
    expect(guest.locator("#chat-list")).to_contain_text("before the restart")
