"""Seed 000 from start to end: create a room, open it, share its link, join, wait, close."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.people import choose, join_meeting, log_in, make_member
from tests.browser.server import ParleyServer


def _create_and_open(owner: Page, name: str) -> str:
    owner.goto("/rooms")
    owner.get_by_label("Room name").fill(name)
    owner.get_by_role("button", name="Create", exact=True).click()
    expect(owner.get_by_role("heading", name=name)).to_be_visible()
    expect(owner.get_by_text("Closed", exact=True)).to_be_visible()
    owner.get_by_role("button", name="Open the room").click()
    expect(owner.get_by_text("Open · 0 people")).to_be_visible()
    link = owner.get_by_label("Invitation link").input_value()
    assert "/r/" in link
    return link


def test_the_whole_story_with_two_members_and_a_guest(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    make_member(server, "grace@example.org", "Grace Hopper")

    owner = new_page()
    owner.on("dialog", lambda dialog: dialog.accept())
    owner.goto("/rooms")
    log_in(owner, "ada@example.org")
    expect(owner.get_by_text("You have no rooms yet.")).to_be_visible()
    screenshot(owner, "rooms-empty-en")

    link = _create_and_open(owner, "Weekly team meeting")
    owner.get_by_role("button", name="Copy the invitation link").click()
    expect(owner.get_by_role("button", name="Copied!")).to_be_visible()
    screenshot(owner, "room-detail-open-en")

    # The second member follows the link logged out, logs in and lands in the room.
    member = new_page()
    member.goto(link)
    # Guests are welcome in this room, so the page offers a member the way to log in.
    member.get_by_role("link", name="Log in").click()
    log_in(member, "grace@example.org")
    expect(member.get_by_role("heading", name="Weekly team meeting")).to_be_visible()
    expect(member.get_by_text("You are in the meeting as Grace Hopper.")).to_be_visible()
    join_meeting(member, camera=False)

    owner.get_by_role("link", name="Join").click()
    join_meeting(owner, camera=False)
    participants = owner.locator("#participant-list")
    expect(participants).to_contain_text("Grace Hopper")
    expect(participants).to_contain_text("Ada Lovelace (you)")
    expect(member.locator("#participant-list")).to_contain_text("Ada Lovelace")

    # A guest types only a name.
    guest = new_page()
    guest.goto(link)
    guest.get_by_label("Your name").fill("Visitor <b>Bold</b>")
    guest.get_by_role("button", name="Start").click()
    expect(guest.get_by_text("You are in the meeting as Visitor <b>Bold</b>.")).to_be_visible()
    join_meeting(guest, camera=False)
    expect(participants).to_contain_text("Visitor <b>Bold</b>")
    expect(owner.locator("#participant-count")).to_have_text("(3)")
    screenshot(owner, "meeting-three-people-en")

    # "My rooms", in another tab, counts who is in the room.
    rooms_tab = owner.context.new_page()
    rooms_tab.goto("/rooms")
    expect(rooms_tab.get_by_text("Open · 3 people")).to_be_visible()
    screenshot(rooms_tab, "rooms-list-en")
    rooms_tab.close()

    # Closing ends the meeting for everyone in it, with a clear message.
    choose(owner, "Moderation", "End the meeting for all")
    for page in (owner, member, guest):
        expect(page.get_by_role("heading", name="The meeting has ended.")).to_be_visible()
    screenshot(guest, "meeting-ended-en")

    # The link now says the room is not open, and enters by itself when it opens.
    member.goto(link)
    expect(member.get_by_text("This room is not open yet.")).to_be_visible()
    screenshot(member, "room-closed-waiting-en")
    owner.goto(link)
    expect(owner.get_by_text("This room is closed.")).to_be_visible()
    owner.get_by_role("button", name="Open the room and join").click()
    expect(owner.get_by_text("You are in the meeting as Ada Lovelace.")).to_be_visible()
    expect(member.get_by_text("You are in the meeting as Grace Hopper.")).to_be_visible()


def test_waiting_room_and_access_code(new_page: Callable[..., Page], server: ParleyServer) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    owner = new_page()
    owner.goto("/rooms")
    log_in(owner, "ada@example.org")
    link = _create_and_open(owner, "Office hours")
    owner.get_by_label("Waiting room").select_option("guests")
    owner.get_by_label("Access code").fill("4711")
    owner.get_by_role("button", name="Save the settings").click()
    expect(owner.get_by_role("status").first).to_have_text("Settings saved.")
    owner.goto(link)
    expect(owner.get_by_text("You are in the meeting as Ada Lovelace.")).to_be_visible()
    join_meeting(owner, camera=False)

    guest = new_page()
    guest.goto(link)
    guest.get_by_label("Your name").fill("Student")
    guest.get_by_label("Access code").fill("1234")
    guest.get_by_role("button", name="Start").click()
    expect(guest.get_by_role("alert")).to_have_text("This access code is not right.")
    guest.get_by_label("Access code").fill("4711")
    guest.get_by_role("button", name="Start").click()
    expect(guest.get_by_text("Waiting for a moderator to let you in…")).to_be_visible()
    screenshot(guest, "waiting-room-guest-en")

    waiting = owner.locator("#waiting-list")
    expect(waiting).to_contain_text("Student")
    screenshot(owner, "waiting-room-moderator-en")
    owner.get_by_role("button", name="Admit: Student").click()
    expect(guest.get_by_text("You are in the meeting as Student.")).to_be_visible()
    join_meeting(guest, camera=False)
    expect(owner.locator("#participant-list")).to_contain_text("Student")
    expect(owner.locator("#waiting-panel")).to_be_hidden()


def test_members_only_room_sends_guests_to_login(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    owner = new_page()
    owner.goto("/rooms")
    log_in(owner, "ada@example.org")
    link = _create_and_open(owner, "Board")
    owner.get_by_label("Guests may join").uncheck()
    owner.get_by_role("button", name="Save the settings").click()

    visitor = new_page()
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="Log in to Parley")).to_be_visible()


def test_the_story_in_french(new_page: Callable[..., Page], server: ParleyServer) -> None:
    make_member(server, "marie@example.org", "Marie Curie", admin=True)
    owner = new_page(locale="fr-FR")
    owner.goto("/rooms")
    owner.get_by_label("Adresse e-mail").fill("marie@example.org")
    owner.get_by_label("Mot de passe").fill("a good long password")
    owner.get_by_role("button", name="Se connecter").click()
    owner.get_by_label("Nom de la salle").fill("Conseil de classe")
    owner.get_by_role("button", name="Créer", exact=True).click()
    expect(owner.get_by_text("Fermée", exact=True)).to_be_visible()
    owner.get_by_role("button", name="Ouvrir la salle").click()
    expect(owner.get_by_text("Ouverte · 0 personne")).to_be_visible()
    screenshot(owner, "room-detail-fr")
    link = owner.get_by_label("Lien d’invitation").input_value()

    guest = new_page(locale="fr-FR")
    guest.goto(link)
    guest.get_by_label("Votre nom").fill("Parent d’élève")
    guest.get_by_role("button", name="Commencer").click()
    expect(
        guest.get_by_text("Vous êtes dans la réunion en tant que Parent d’élève.")
    ).to_be_visible()
    screenshot(guest, "meeting-fr")
