"""A real Chromium follows a BigBlueButton join URL into Parley's meeting page."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.bbb.helpers import Api, fields, new_id
from tests.browser.conftest import browser, page_opener, playwright
from tests.browser.people import join_meeting, open_panel

__all__ = ["browser", "playwright"]


@pytest.fixture
def new_page(browser: Browser, api: Api) -> Iterator[Callable[..., Page]]:
    with page_opener(browser, api.server.url) as open_page:
        yield open_page


def test_join_url_leads_into_the_meeting_with_name_and_role(
    api: Api, new_page: Callable[..., Page]
) -> None:
    meeting_id = new_id()
    created = fields(api.call("create", [("meetingID", meeting_id), ("name", "Biology")]))
    assert created["returncode"] == "SUCCESS"
    people = {"Grace Hopper": "MODERATOR", "Alan Turing": "VIEWER"}
    pages = {}
    for name, role in people.items():
        page = new_page()
        page.goto(api.url("join", [("meetingID", meeting_id), ("fullName", name), ("role", role)]))
        expect(page.locator(".room-title")).to_have_text("Biology")
        join_meeting(page, camera=False, microphone=False)
        # Only a moderator has the Moderation menu (the first one also presents).
        moderation = page.get_by_role("button", name="Moderation")
        if role == "MODERATOR":
            expect(moderation).to_be_visible()
            expect(page.locator("#my-role")).to_have_text("Presenter")
        else:
            expect(moderation).to_be_hidden()
            expect(page.locator("#my-role")).to_have_text("Participant")
        expect(page.get_by_text(f"You are in the meeting as {name}.")).to_be_attached()
        pages[name] = page
    open_panel(pages["Grace Hopper"], "Participants")
    expect(pages["Grace Hopper"].get_by_text("Alan Turing").first).to_be_visible()
    info = api.call("getMeetingInfo", [("meetingID", meeting_id)])
    roles = {a.findtext("fullName"): a.findtext("role") for a in info.iter("attendee")}
    assert roles == people
