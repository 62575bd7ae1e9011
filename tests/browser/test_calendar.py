"""Seed 001 in a browser: an event with two attendees gets a videoconference link before it
is saved; the invitations arrive by real email with an .ics holding the link; the link,
removed from the event, still opens the room; cancelling sends METHOD:CANCEL."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.people import log_in, make_member
from tests.browser.server import ParleyServer
from tests.mailbox import Mailbox, text_of

ADMIN_TEXT = "Trouble joining? Call the help desk on 01 23 45 67 89."
# A fixed week in the future, so the views and screenshots do not depend on today.
DAY = "2030-03-12"


@pytest.fixture
def server(tmp_path: Path, mailbox: Mailbox) -> Iterator[ParleyServer]:
    with ParleyServer(tmp_path, extra_env={"PARLEY_SMTP_PORT": str(mailbox.port)}) as running:
        yield running


@pytest.fixture
def person(browser: Browser, server: ParleyServer) -> Iterator[Callable[..., Page]]:
    """A person in Paris, with their language, in a browser context of their own."""
    contexts: list[BrowserContext] = []

    def open_page(locale: str = "en-GB") -> Page:
        context = browser.new_context(
            base_url=server.url,
            locale=locale,
            timezone_id="Europe/Paris",
            viewport={"width": 1280, "height": 860},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        # Cancelling and deleting ask first; this person says yes.
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield open_page
    for context in contexts:
        context.close()


def _ics(message: EmailMessage) -> Calendar:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return Calendar.from_ical(payload)
    raise AssertionError("no .ics attached")


def _guest_enters(page: Page, link: str) -> None:
    """Someone without an account follows the link, types a name and reaches the meeting."""
    page.goto(link)
    expect(page.get_by_role("heading", name="Design review")).to_be_visible()
    page.get_by_label("Your name").fill("Bob")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#prejoin")).to_be_visible()


def test_an_event_with_a_videoconference_and_its_invitations(
    person: Callable[..., Page], server: ParleyServer, mailbox: Mailbox
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    make_member(server, "grace@example.org", "Grace Hopper")

    # The administrator writes the text that goes with every link.
    ada = person()
    ada.goto("/admin/calendar")
    log_in(ada, "ada@example.org")
    ada.get_by_label("English").fill(ADMIN_TEXT)
    ada.get_by_label("Français").fill("Un souci ? Appelez l'assistance au 01 23 45 67 89.")
    ada.get_by_label("Resource address").fill("visio@example.org")
    ada.get_by_role("button", name="Save").click()
    expect(ada.get_by_role("status")).to_have_text("Settings saved.")
    screenshot(ada, "calendar-admin-en")

    # A new event, two attendees: a member picked from the list and someone outside.
    ada.goto(f"/calendar/new?date={DAY}&hour=10")
    ada.get_by_label("Title").fill("Design review")
    expect(ada.get_by_label("Time zone")).to_have_value("Europe/Paris")
    ada.get_by_label("Add an attendee").fill("grace@example.org")
    ada.get_by_role("button", name="Add", exact=True).click()
    ada.get_by_label("Add an attendee").fill("bob@example.net")
    ada.get_by_label("Add an attendee").press("Enter")
    expect(ada.get_by_label("Attendees")).to_have_value("grace@example.org\nbob@example.net")
    ada.get_by_label("Description").fill("We look at the new screens together.")

    # "Add a videoconference": the link appears before anything is saved, and works.
    ada.get_by_role("button", name="Add a videoconference").click()
    link_field = ada.locator("#conference-url")
    expect(link_field).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/r/[a-z]{4}-"))
    link = link_field.input_value()
    expect(ada.locator("#conference-text")).to_have_text(ADMIN_TEXT)
    expect(ada.get_by_role("button", name="Copy the link")).to_be_visible()
    screenshot(ada, "calendar-form-link-en")
    # Bob follows it at once: the event's room answers, closed until its owner opens it.
    bob = person()
    bob.goto(link)
    expect(bob.get_by_role("heading", name="Design review")).to_be_visible()
    expect(bob.get_by_text("This room is not open yet.")).to_be_visible()
    # Ada follows it in another tab and opens the room; Bob is asked his name at once.
    ada_tab = ada.context.new_page()
    ada_tab.goto(link)
    ada_tab.get_by_role("button", name="Open the room and join").click()
    expect(ada_tab.locator("#prejoin")).to_be_visible()
    ada_tab.close()
    expect(bob.get_by_label("Your name")).to_be_visible(timeout=15_000)
    assert mailbox.messages == []

    ada.get_by_role("button", name="Save and send the invitations").click()
    expect(ada.get_by_role("status").first).to_contain_text("Event saved.")
    event_url = ada.url.split("?")[0]

    # Two invitations arrive; their .ics parse and hold the link.
    messages = mailbox.wait_for(2)
    assert sorted(str(m["To"]) for m in messages) == ["bob@example.net", "grace@example.org"]
    for message in messages:
        assert message["Subject"] == "Invitation: Design review"
        assert link in text_of(message) and ADMIN_TEXT in text_of(message)
        invitation = _ics(message)
        assert invitation["METHOD"] == "REQUEST"
        vevent = invitation.events[0]
        assert str(vevent["URL"]) == link and [c.uri for c in vevent.conferences] == [link]
        assert link in str(vevent["DESCRIPTION"]) and vevent["SEQUENCE"] == 0
        assert vevent.start.hour == 10 and str(vevent.start.tzinfo) == "Europe/Paris"
        assert {str(a) for a in vevent.attendees} == {
            "mailto:grace@example.org",
            "mailto:bob@example.net",
        }

    # Grace sees it in her week, and its details show the link and the text.
    grace = person()
    grace.goto(f"/calendar?view=week&date={DAY}")
    log_in(grace, "grace@example.org")
    chip = grace.locator(".cal-event", has_text="Design review")
    expect(chip).to_contain_text("10:00")
    screenshot(grace, "calendar-week-en")
    chip.click()
    popup = grace.get_by_role("dialog")
    expect(popup.get_by_role("link", name="Join the videoconference")).to_have_attribute(
        "href", link
    )
    expect(popup).to_contain_text(ADMIN_TEXT)
    expect(popup).to_contain_text("Organised by Ada Lovelace")
    screenshot(grace, "calendar-details-en")
    popup.get_by_role("button", name="Accept").click()
    grace.goto(f"/calendar?view=month&date={DAY}")
    expect(grace.locator(".cal-event", has_text="Design review")).to_be_visible()
    screenshot(grace, "calendar-month-en")

    # Ada removes the link from the event (✕) and saves: the old link still opens the room.
    ada.goto(event_url)
    expect(ada.get_by_text("Grace Hopper")).to_contain_text("Accepted")
    ada.get_by_role("link", name="Edit").click()
    ada.get_by_role("button", name="Remove the videoconference from this event").click()
    expect(ada.locator("#conference-box")).to_be_hidden()
    expect(ada.locator("#conference-notice")).to_contain_text("Its link keeps working")
    ada.get_by_role("button", name="Save and tell the attendees").click()
    expect(ada.get_by_role("status").first).to_contain_text("Event saved.")
    expect(ada.get_by_role("link", name="Join the videoconference")).to_have_count(0)
    updates = mailbox.wait_for(4)[2:]
    for message in updates:
        assert message["Subject"] == "Updated invitation: Design review"
        vevent = _ics(message).events[0]
        assert vevent["SEQUENCE"] == 1 and "CONFERENCE" not in vevent
    _guest_enters(person(), link)

    # Adding one again makes a new link, and says so.
    ada.get_by_role("link", name="Edit").click()
    ada.get_by_role("button", name="Add a videoconference").click()
    expect(ada.locator("#conference-url")).not_to_have_value(link)
    expect(ada.locator("#conference-url")).to_have_value(re.compile("/r/"))

    # Cancelled: both attendees get METHOD:CANCEL.
    ada.goto(event_url)
    ada.get_by_role("button", name="Cancel the event").click()
    expect(ada.locator(".state-cancelled")).to_have_text("Cancelled")
    cancellations = mailbox.wait_for(6)[4:]
    assert sorted(str(m["To"]) for m in cancellations) == ["bob@example.net", "grace@example.org"]
    for message in cancellations:
        cancel = _ics(message)
        assert cancel["METHOD"] == "CANCEL" and cancel.events[0]["SEQUENCE"] == 2

    # The same pages in French.
    french = person(locale="fr-FR")
    french.goto(f"/calendar?view=week&date={DAY}")
    french.get_by_label("Adresse e-mail").fill("ada@example.org")
    french.get_by_label("Mot de passe").fill("a good long password")
    french.get_by_role("button", name="Se connecter").click()
    expect(french.locator(".cal-event", has_text="Design review")).to_be_visible()
    screenshot(french, "calendar-week-fr")
    french.goto(f"/calendar?view=month&date={DAY}")
    screenshot(french, "calendar-month-fr")
    french.goto(f"/calendar/new?date={DAY}&hour=14")
    french.locator("#conference-add-button").click()
    expect(french.locator("#conference-url")).to_have_value(re.compile("/r/"))
    screenshot(french, "calendar-form-link-fr")
    french.goto(f"/calendar?view=week&date={DAY}")
    french.locator(".cal-event", has_text="Design review").click()
    expect(french.get_by_role("dialog")).to_be_visible()
    screenshot(french, "calendar-details-fr")
    french.goto("/admin/calendar")
    screenshot(french, "calendar-admin-fr")
