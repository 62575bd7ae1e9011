"""Sessions in the browser: an organiser publishes one, members register until it is full
and the next goes on the waiting list; the organiser's page lists them; administration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.people import log_in, make_member
from tests.browser.server import ParleyServer


def test_publish_register_and_the_waiting_list(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    make_member(server, "grace@example.org", "Grace Hopper")
    make_member(server, "linus@example.org", "Linus Torvalds")

    ada = new_page()
    ada.goto("/sessions")
    log_in(ada, "ada@example.org")
    expect(ada.get_by_text("No session planned.")).to_be_visible()
    ada.get_by_role("link", name="Publish a session").click()
    ada.get_by_label("Title").fill("Beginners' Spanish")
    ada.get_by_label("Description").fill("Greetings and numbers.")
    ada.get_by_label("Day").fill((date.today() + timedelta(days=3)).isoformat())
    ada.get_by_label("Start").fill("18:30")
    ada.get_by_label("Duration (minutes)").fill("90")
    ada.get_by_label("Places").fill("1")
    screenshot(ada, "session-new-en")
    ada.get_by_role("button", name="Publish").click()
    expect(ada.get_by_role("heading", name="Beginners' Spanish")).to_be_visible()
    expect(ada.get_by_text("The meeting will be made on Parley rooms at")).to_be_visible()

    grace = new_page()
    grace.goto("/sessions")
    log_in(grace, "grace@example.org")
    row = grace.locator(".session-item", has_text="Beginners' Spanish")
    expect(row).to_contain_text("1 place left")
    row.get_by_role("button", name="Register").click()
    expect(row.get_by_text("Registered")).to_be_visible()
    screenshot(grace, "sessions-en")

    linus = new_page(locale="fr-FR")
    linus.goto("/sessions")
    linus.get_by_label("Adresse e-mail").fill("linus@example.org")
    linus.get_by_label("Mot de passe").fill("a good long password")
    linus.get_by_role("button", name="Se connecter").click()
    row = linus.locator(".session-item", has_text="Beginners' Spanish")
    expect(row).to_contain_text("Complet")
    row.get_by_role("button", name="S'inscrire sur la liste d'attente").click()
    expect(row.get_by_text("Sur la liste d'attente")).to_be_visible()
    screenshot(linus, "sessions-fr")

    # Grace leaves: Linus gets her place.
    row = grace.locator(".session-item", has_text="Beginners' Spanish")
    row.get_by_role("button", name="Unregister").click()
    ada.reload()
    table = ada.locator("#registered")
    expect(table).to_contain_text("Linus Torvalds")
    expect(table.locator("tr", has_text="Linus Torvalds")).to_contain_text("Registered")
    screenshot(ada, "session-organiser-en")

    ada.goto("/admin/sessions")
    expect(ada.get_by_role("heading", name="Scheduled")).to_be_visible()
    expect(ada.get_by_text("Make the meeting")).to_be_visible()
    screenshot(ada, "admin-sessions-en")
