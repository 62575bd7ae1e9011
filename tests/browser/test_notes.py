"""Shared notes between two people, through the pages: typing together, cursors, the lock."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.people import guest_without_devices, join_meeting, make_member, open_new_room
from tests.browser.server import ParleyServer


def _open_notes(page: Page) -> None:
    page.get_by_role("button", name="Notes").click()
    expect(page.locator("#notes-panel")).to_be_visible()
    page.wait_for_function("() => window.parleyNotes && window.parleyNotes.socket.synced")


def _converge(first: Page, second: Page, seconds: float = 5.0) -> None:
    """Wait until both editors hold the same document."""
    script = "() => JSON.stringify(window.parleyNotes.editor.getJSON())"
    deadline = time.monotonic() + seconds
    while (mine := first.evaluate(script)) != (theirs := second.evaluate(script)):
        assert time.monotonic() < deadline, (mine, theirs)
        time.sleep(0.1)


def test_two_people_type_together_and_a_lock_stops_the_participant(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Editorial meeting")
    ada.goto(link)
    join_meeting(ada, camera=False, microphone=False)
    bea = guest_without_devices(new_page, link, "Bea")
    for page in (ada, bea):
        _open_notes(page)

    ada_text = ada.get_by_role("textbox", name="Shared notes")
    bea_text = bea.get_by_role("textbox", name="Shared notes")
    ada_text.click()
    ada.get_by_role("button", name="Title").click()
    ada.keyboard.type("Agenda")
    ada.keyboard.press("Enter")
    expect(bea_text.locator("h1")).to_have_text("Agenda")

    # Both type at the same moment, key by key, each in a paragraph of their own.
    bea_text.click()
    bea.keyboard.press("Control+End")
    bea.keyboard.press("Enter")
    for ada_key, bea_key in zip("Budget from Ada", "Hiring from Bea", strict=True):
        ada.keyboard.type(ada_key)
        bea.keyboard.type(bea_key)
    for page in (ada, bea):
        text = page.get_by_role("textbox", name="Shared notes")
        expect(text).to_contain_text("Budget from Ada")
        expect(text).to_contain_text("Hiring from Bea")
    # Then both at the very same place: whatever the order, both copies end the same.
    ada.keyboard.type(" and")
    bea_text.click()
    bea.keyboard.press("Control+Home")
    ada_text.click()
    ada.keyboard.press("Control+Home")
    for ada_key, bea_key in zip("12345", "abcde", strict=True):
        ada.keyboard.type(ada_key)
        bea.keyboard.type(bea_key)
    _converge(ada, bea)
    heading = ada.evaluate("() => window.parleyNotes.editor.getJSON().content[0]")
    text = "".join(part["text"] for part in heading["content"])
    assert sorted(text) == sorted("12345abcdeAgenda"), text
    # Bea sees Ada's named cursor.
    expect(bea.locator(".collaboration-carets__label", has_text="Ada Lovelace")).to_be_visible()
    screenshot(bea, "notes-two-people-en")

    # The lock: Ada locks, Bea's editor becomes read-only and says why.
    ada.get_by_label("Lock the notes for participants").check()
    expect(bea.get_by_text("A moderator has locked the notes")).to_be_visible()
    expect(bea_text).to_have_attribute("contenteditable", "false")
    expect(bea.locator("#notes-toolbar")).to_be_hidden()
    screenshot(bea, "notes-locked-en")
    # Even a change sent behind the page's back is refused by the server, and lost by no one.
    bea.evaluate(
        "() => { const n = window.parleyNotes; "
        "n.editor.setEditable(true); n.editor.commands.insertContent(' SNEAKY'); }"
    )
    expect(
        bea.get_by_text("The notes are locked: only moderators can edit them now.")
    ).to_be_visible()
    expect(bea_text).not_to_contain_text("SNEAKY")
    expect(ada_text).not_to_contain_text("SNEAKY")
    expect(bea_text).to_contain_text("Hiring from Bea")
    # Moderators still write.
    ada_text.click()
    ada.keyboard.press("Control+End")
    ada.keyboard.type(" (decided)")
    expect(bea_text).to_contain_text("(decided)")

    ada.get_by_label("Lock the notes for participants").uncheck()
    expect(bea_text).to_have_attribute("contenteditable", "true")

    # The export holds what was written.
    with ada.expect_download() as download:
        ada.locator(".notes-export summary").click()
        ada.get_by_role("link", name="As Markdown").click()
    markdown = download.value.path().read_text(encoding="utf-8")
    assert markdown.startswith("# ") and "Agenda" in markdown.splitlines()[0], markdown
    assert "Budget from Ada" in markdown


def french_guest(new_page: Callable[..., Page], link: str, name: str) -> Page:
    """A guest whose browser speaks French comes in, camera and microphone off."""
    page = new_page(locale="fr-FR")
    page.goto(link)
    page.get_by_label("Votre nom").fill(name)
    page.get_by_role("button", name="Commencer").click()
    join_meeting(page, camera=False, microphone=False)
    return page


def test_the_notes_panel_in_french(new_page: Callable[..., Page], server: ParleyServer) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Conseil de classe")
    ada.goto(link)
    join_meeting(ada, camera=False, microphone=False)
    chloe = french_guest(new_page, link, "Chloé")
    for page in (ada, chloe):
        page.locator("#notes-button").click()
        page.wait_for_function("() => window.parleyNotes && window.parleyNotes.socket.synced")
    chloe.locator("#notes-editor .notes-text").click()
    chloe.keyboard.type("Ordre du jour : les sorties de fin d’année")
    expect(ada.locator("#notes-editor")).to_contain_text("les sorties de fin d’année")
    ada.locator("#notes-lock input").check()
    expect(chloe.locator("#notes-locked")).to_be_visible()
    screenshot(chloe, "notes-locked-fr")
