"""A live poll and a reaction between three people, through the pages."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.people import (
    guest_without_devices,
    join_meeting,
    make_member,
    open_new_room,
    open_panel,
)
from tests.browser.server import ParleyServer


def test_a_poll_is_answered_once_and_its_results_published_then_a_reaction(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Class council")
    ada.goto(link)
    join_meeting(ada, camera=False, microphone=False)
    bea = guest_without_devices(new_page, link, "Bea")
    cy = guest_without_devices(new_page, link, "Cy")
    expect(ada.locator("#participant-count")).to_have_text("(3)")
    open_panel(bea, "Polls")
    expect(bea.get_by_role("button", name="Start a poll")).to_be_hidden()
    open_panel(bea, "Chat")

    open_panel(ada, "Polls")
    ada.get_by_role("button", name="Start a poll").click()
    ada.get_by_label("Question").fill("Where shall we eat?")
    ada.get_by_label("Kind of answers").select_option(label="My own answers")
    ada.get_by_label("One answer per line (up to 10)").fill("Pizza\nPasta\nSalad")
    screenshot(ada, "poll-form-en")
    ada.get_by_role("button", name="Start the poll").click()

    for voter in (bea, cy):
        # The Polls tab opens by itself for the people asked.
        expect(voter.get_by_role("tab", name="Polls", selected=True)).to_be_visible()
        card = voter.locator("#poll-card")
        expect(card).to_be_visible()
        expect(card).to_contain_text("Where shall we eat?")
        card.get_by_label("Pizza").check()
        card.get_by_role("button", name="Send my answer").click()
        expect(card).to_contain_text("Thank you, your answer is in.")
    screenshot(bea, "poll-answered-en")
    expect(ada.locator("#poll-card")).to_contain_text("2 answered")

    # Bea reloads: still the same person for the poll, and a second answer is refused.
    bea.reload()
    expect(bea.locator("#poll-card")).to_contain_text("Thank you, your answer is in.")
    open_panel(bea, "Polls")
    expect(bea.locator("#poll-card")).to_be_visible()
    expect(bea.get_by_role("button", name="Send my answer")).to_be_hidden()
    bea.wait_for_function("() => window.parleyMedia && window.parleyMedia.you")
    poll_id = ada.evaluate("() => Number(document.getElementById('poll-answer').dataset.poll)")
    bea.evaluate(
        "(poll) => window.parleyMedia.send({type: 'poll.answer', poll, choices: [1]})",
        poll_id or 1,
    )
    expect(bea.get_by_text("You have already answered this poll.")).to_be_visible()
    expect(ada.locator("#poll-card")).to_contain_text("2 answered")

    ada.get_by_role("button", name="Publish the results").click()
    for page in (ada, bea, cy):
        bars = page.locator(".poll-bars li")
        expect(bars.nth(0)).to_contain_text("Pizza")
        expect(bars.nth(0)).to_contain_text("2 · 100 %")
        expect(bars.nth(1)).to_contain_text("0 · 0 %")
        expect(bars.nth(2)).to_contain_text("Salad")
    screenshot(cy, "poll-published-en")
    cy.get_by_role("button", name="Close", exact=True).click()
    expect(cy.locator("#poll-card")).to_be_hidden()

    # A reaction shows on the sender's tile and in the list, for everyone, then goes.
    bea.get_by_role("button", name="React").click()
    bea.get_by_role("button", name="Applause").click()
    reaction = ada.get_by_role("img", name="Bea reacts 👏")
    expect(reaction.first).to_be_visible()
    expect(cy.get_by_role("img", name="Bea reacts 👏").first).to_be_visible()
    screenshot(ada, "meeting-reaction-en")
    expect(reaction).to_have_count(0, timeout=8000)
