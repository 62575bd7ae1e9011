"""The meeting room as people use it: layouts, the side panel, menus, shortcuts, a phone."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, wait_until
from tests.browser.people import (
    arrive_as_guest,
    choose,
    join_meeting,
    make_member,
    my_id,
    open_new_room,
    open_panel,
    plays,
)
from tests.browser.server import ParleyServer


def _meeting(new_page: Callable[..., Page], server: ParleyServer, *guests: str) -> list[Page]:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Design review")
    ada.goto(link)
    join_meeting(ada)
    pages = [ada]
    for name in guests:
        page = arrive_as_guest(new_page, link, name)
        join_meeting(page)
        pages.append(page)
    for page in pages:
        expect(page.locator("#participant-list .person")).to_have_count(len(pages))
    return pages


def _layout(page: Page) -> str | None:
    return page.locator("#stage").get_attribute("data-layout")


def test_the_room_fills_the_window_and_switches_layouts(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    ada, bea, cy = _meeting(new_page, server, "Bea", "Cy")
    # No site navigation inside the meeting: the room's name, its duration, the controls.
    expect(ada.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(ada.get_by_role("heading", name="Design review")).to_be_visible()
    expect(ada.get_by_role("timer", name="Meeting duration")).to_have_text(
        re.compile(r"^\d\d:\d\d$")
    )
    toolbar = ada.get_by_role("toolbar", name="Meeting controls")
    for name in ("Mute", "Stop the camera", "Share the screen", "Raise my hand", "React", "More"):
        expect(toolbar.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(toolbar.get_by_role("button", name="Leave")).to_be_visible()
    box = toolbar.bounding_box()
    assert box is not None and box["y"] + box["height"] >= 800 - 2  # at the bottom

    # Grid by default: everyone the same size.
    assert _layout(ada) == "grid"
    expect(ada.locator("#tiles .tile")).to_have_count(3)
    screenshot(ada, "room-grid-en")

    # Speaker: one person large, the others in a strip.
    choose(ada, "More", "Speaker", "menuitemradio")
    expect(ada.locator("#stage")).to_have_attribute("data-layout", "speaker")
    expect(ada.locator("#spotlight .tile")).to_have_count(1)
    expect(ada.locator("#tiles .tile")).to_have_count(2)

    # Pinning a person shows them large.
    choose(ada, "More", "Grid", "menuitemradio")
    expect(ada.locator("#stage")).to_have_attribute("data-layout", "grid")
    ada.get_by_role("button", name="Pin: Cy").click()
    expect(ada.locator("#spotlight")).to_contain_text("Cy")
    ada.get_by_role("button", name="Unpin: Cy").click()
    expect(ada.locator("#stage")).to_have_attribute("data-layout", "grid")

    # Following the content: the whiteboard, once shown, takes the stage for everyone who follows.
    choose(ada, "More", "Follow the content", "menuitemradio")
    choose(ada, "More", "Whiteboard")
    for page in (ada, bea):
        expect(page.locator("#board")).to_be_visible()
        expect(page.locator("#stage")).to_have_attribute("data-layout", "presentation")
        expect(page.locator("#tiles .tile")).to_have_count(3)
    screenshot(bea, "room-presentation-en")
    # Someone who prefers the grid keeps it, and is told something is presented.
    choose(cy, "More", "Grid", "menuitemradio")
    expect(cy.locator("#stage")).to_have_attribute("data-layout", "grid")
    expect(cy.locator("#board")).to_be_hidden()
    cy.get_by_role("button", name="Show the presentation").click()
    expect(cy.locator("#board")).to_be_visible()


def test_the_side_panel_counts_what_was_missed(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    ada, bea = _meeting(new_page, server, "Bea")
    ada.get_by_role("button", name="Close the panel").click()
    expect(ada.locator("#side-panel")).to_be_hidden()
    bea.get_by_label("Message", exact=True).fill("One")
    bea.get_by_role("button", name="Send").click()
    bea.get_by_label("Message", exact=True).fill("Two")
    bea.get_by_role("button", name="Send").click()
    chat = ada.locator('.control[data-panel="chat"]')
    expect(chat.locator(".badge")).to_have_text("2")
    expect(chat).to_have_accessible_name("Chat (2 unread)")
    chat.click()
    expect(ada.get_by_role("tab", name="Chat", selected=True)).to_be_visible()
    expect(ada.locator("#chat-list")).to_contain_text("Two")
    expect(chat.locator(".badge")).to_be_hidden()
    # The list: search, and raised hands first.
    open_panel(ada, "Participants")
    expect(ada.get_by_role("tab", name="Participants (2)")).to_be_visible()
    ada.get_by_label("Search the participants").fill("be")
    expect(ada.locator("#participant-list .person")).to_have_count(1)
    ada.get_by_label("Search the participants").fill("nobody")
    expect(ada.get_by_text("Nobody by that name.")).to_be_visible()
    ada.get_by_label("Search the participants").fill("")
    bea.get_by_role("button", name="Raise my hand").click()
    expect(ada.locator("#participant-list .person").first).to_contain_text("Bea")
    expect(ada.locator("#announcer")).to_contain_text("Bea raised their hand.")
    # Who leaves is said by name, and the list follows.
    bea.get_by_role("button", name="Leave").click()
    expect(ada.locator("#announcer")).to_contain_text("Bea left.")
    expect(ada.get_by_role("tab", name="Participants (1)")).to_be_visible()


def test_every_control_has_a_key(new_page: Callable[..., Page], server: ParleyServer) -> None:
    ada, bea = _meeting(new_page, server, "Bea")
    ada.locator("#stage").click(position={"x": 5, "y": 5})
    ada.keyboard.press("m")
    expect(ada.get_by_role("button", name="Unmute")).to_be_visible()
    ada.keyboard.press("m")
    expect(ada.get_by_role("button", name="Mute", exact=True)).to_be_visible()
    ada.keyboard.press("v")
    expect(ada.get_by_role("button", name="Start the camera")).to_be_visible()
    ada.keyboard.press("h")
    expect(bea.locator("#tiles").get_by_role("img", name="Hand raised")).to_be_visible()
    ada.keyboard.press("h")
    expect(bea.locator("#tiles").get_by_role("img", name="Hand raised")).to_have_count(0)
    ada.keyboard.press("p")
    expect(ada.get_by_role("tab", name="Participants (2)", selected=True)).to_be_visible()
    ada.keyboard.press("c")
    expect(ada.get_by_role("tab", name="Chat", selected=True)).to_be_visible()
    ada.keyboard.press("c")
    expect(ada.locator("#side-panel")).to_be_hidden()
    ada.keyboard.press("g")
    expect(ada.locator("#stage")).to_have_attribute("data-layout", "grid")
    ada.keyboard.press("g")
    expect(ada.locator("#stage")).to_have_attribute("data-layout", "speaker")
    ada.keyboard.press("Shift+?")
    help_dialog = ada.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Raise or lower my hand")
    screenshot(ada, "room-shortcuts-en")
    ada.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    # Typing a message is not taken for shortcuts.
    open_panel(ada, "Chat")
    ada.get_by_label("Message", exact=True).fill("")
    ada.get_by_label("Message", exact=True).press_sequentially("hmm")
    expect(ada.get_by_role("button", name="Raise my hand")).to_be_visible()
    # A menu is walked with the arrow keys and closed with Escape.
    ada.get_by_role("button", name="More", exact=True).focus()
    ada.keyboard.press("Enter")
    expect(ada.get_by_role("menu", name="More")).to_be_visible()
    expect(ada.get_by_role("menuitemradio", name="Follow the content")).to_be_focused()
    ada.keyboard.press("ArrowDown")
    expect(ada.get_by_role("menuitemradio", name="Grid")).to_be_focused()
    ada.keyboard.press("Escape")
    expect(ada.get_by_role("menu", name="More")).to_be_hidden()
    expect(ada.get_by_role("button", name="More", exact=True)).to_be_focused()


def test_on_a_phone_video_comes_first_and_panels_are_sheets(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Design review")
    ada.goto(link)
    join_meeting(ada)
    phone = new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(link)
    phone.get_by_label("Your name").fill("Bea")
    phone.get_by_role("button", name="Start").click()
    join_meeting(phone)
    expect(phone.locator("#tiles .tile")).to_have_count(2)
    # The essential controls fit at the bottom, named for screen readers, without hovering.
    toolbar = phone.get_by_role("toolbar", name="Meeting controls")
    for name in ("Mute", "Stop the camera", "Raise my hand", "React", "More", "Leave", "Chat"):
        button = toolbar.get_by_role("button", name=name, exact=True)
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["y"] > 844 - 80
    expect(ada.get_by_role("button", name="Pin: Bea")).to_be_visible()
    # Screen sharing and the other panels are in the More menu.
    phone.get_by_role("button", name="More", exact=True).click()
    expect(phone.get_by_role("menuitem", name="Share the screen")).to_be_visible()
    phone.get_by_role("menuitem", name="Polls").click()
    sheet = phone.locator("#side-panel")
    expect(sheet).to_be_visible()
    box = sheet.bounding_box()
    assert box is not None and box["width"] == 390 and box["y"] + box["height"] == 844
    screenshot(phone, "room-phone-sheet-en")
    phone.get_by_role("button", name="Close the panel").click()
    expect(sheet).to_be_hidden()
    # Turned sideways, the stage keeps most of the screen.
    phone.set_viewport_size({"width": 844, "height": 390})
    stage = phone.locator("#stage").bounding_box()
    assert stage is not None and stage["height"] > 390 * 0.6
    screenshot(phone, "room-phone-landscape-en")


def test_the_presenter_role_is_handed_over_and_enforced(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    ada, bea = _meeting(new_page, server, "Bea")
    # The first moderator presents.
    open_panel(ada, "Participants")
    ada_row = ada.locator("#participant-list .person", has_text="Ada Lovelace")
    expect(ada_row.get_by_text("Presenter", exact=True)).to_be_visible()
    bea.get_by_role("button", name="More", exact=True).click()
    expect(bea.get_by_role("menuitem", name="Whiteboard")).to_be_hidden()
    bea.keyboard.press("Escape")
    # A participant who tries anyway (a hand-made message) is refused by the server.
    bea.evaluate(
        "() => window.parleyMedia.send({type: 'video.share', url: 'https://example.org/a.mp4'})"
    )
    expect(bea.locator("#meeting-notice")).to_contain_text("Only the presenter can do this.")

    # Ada hands the role to Bea, who now shows the whiteboard; Ada no longer can.
    ada.get_by_role("button", name="Actions for Bea").click()
    ada.get_by_role("menuitem", name="Make presenter").click()
    expect(bea.locator("#meeting-info")).to_contain_text("You are the presenter now")
    expect(ada_row.get_by_text("Presenter", exact=True)).to_have_count(0)
    expect(
        ada.locator("#participant-list .person", has_text="Bea").get_by_text(
            "Presenter", exact=True
        )
    ).to_be_visible()
    choose(bea, "More", "Whiteboard")
    expect(ada.locator("#board")).to_be_visible()
    expect(ada.locator("#stage")).to_have_attribute("data-layout", "presentation")
    ada.get_by_role("button", name="More", exact=True).click()
    expect(ada.get_by_role("menuitem", name="Whiteboard")).to_be_hidden()
    expect(
        ada.get_by_role("menuitem", name="Present a document")
    ).to_be_visible()  # moderators upload
    ada.keyboard.press("Escape")

    # A moderator sets the layout for everyone.
    choose(ada, "Moderation", "Grid", "menuitemradio")
    expect(bea.locator("#stage")).to_have_attribute("data-layout", "grid")
    expect(bea.get_by_role("button", name="Show the presentation")).to_be_visible()
    bea.get_by_role("button", name="More", exact=True).click()
    expect(bea.get_by_role("menuitemradio", name="Grid")).to_be_checked()
    bea.keyboard.press("Escape")


def test_a_webinar_shows_the_stage_and_brings_a_viewer_on_it(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Open lecture")
    ada.get_by_label("Webinar").check()
    ada.get_by_role("button", name="Save the settings").click()
    expect(ada.get_by_text("Settings saved.")).to_be_visible()
    ada.goto(link)
    join_meeting(ada)
    viewers = []
    for name in ("Bea", "Cy"):
        page = arrive_as_guest(new_page, link, name)
        join_meeting(page)
        viewers.append(page)
    bea, cy = viewers
    # A viewer is told, publishes nothing, and sees only the stage (and counts everyone).
    expect(bea.locator("#meeting-info")).to_contain_text("This meeting is a webinar")
    expect(bea.get_by_role("button", name="Unmute")).to_be_disabled()
    expect(bea.get_by_role("button", name="Start the camera")).to_be_disabled()
    assert bea.evaluate(
        "() => window.parleyMedia.local.cam === null && window.parleyMedia.local.mic === null"
    )
    expect(bea.locator("#tiles .tile")).to_have_count(1)
    expect(bea.locator("#tiles")).to_contain_text("Ada Lovelace")
    open_panel(bea, "Participants")
    expect(bea.get_by_role("tab", name="Participants (3)")).to_be_visible()
    expect(bea.locator("#participant-list")).not_to_contain_text("Cy")
    wait_until(lambda: plays(bea, my_id(ada)), "Ada's video for a viewer")
    # The moderator sees everyone in the list, and only the stage on the stage.
    open_panel(ada, "Participants")
    expect(ada.locator("#participant-list .person")).to_have_count(3)
    expect(ada.locator("#tiles .tile")).to_have_count(1)

    # Bea raises her hand and is brought on stage: she publishes, Cy sees and hears her.
    bea.get_by_role("button", name="Raise my hand").click()
    ada.get_by_role("button", name="Actions for Bea").click()
    ada.get_by_role("menuitem", name="Bring on stage").click()
    expect(bea.locator("#meeting-info")).to_contain_text("brought you on stage")
    bea.get_by_role("button", name="Unmute").click()
    bea.get_by_role("button", name="Start the camera").click()
    expect(cy.locator("#tiles .tile")).to_have_count(2)
    wait_until(lambda: plays(cy, my_id(bea)), "Bea's video for another viewer")
    screenshot(cy, "room-webinar-viewer-en")

    # Taken off stage: her devices stop and she is in the audience again.
    ada.get_by_role("button", name="Actions for Bea").click()
    ada.get_by_role("menuitem", name="Take off stage").click()
    expect(bea.locator("#meeting-info")).to_contain_text("You are back in the audience.")
    expect(bea.get_by_role("button", name="Start the camera")).to_be_disabled()
    expect(cy.locator("#tiles .tile")).to_have_count(1)


def test_full_screen_and_picture_in_picture_from_the_more_menu(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    ada, bea = _meeting(new_page, server, "Bea")
    bea_id = my_id(bea)
    wait_until(lambda: plays(ada, bea_id), "Bea's camera plays on Ada's page")

    choose(ada, "More", "Full screen")
    wait_until(
        lambda: ada.evaluate("() => document.fullscreenElement?.className") == "room-app",
        "the room fills the screen",
    )
    ada.get_by_role("button", name="More", exact=True).click()
    expect(ada.get_by_role("menuitem", name="Leave full screen")).to_be_visible()
    ada.keyboard.press("Escape")
    ada.keyboard.press("f")
    wait_until(lambda: ada.evaluate("() => document.fullscreenElement") is None, "full screen ends")

    # Picture in picture shows the other person's camera, and the menu says how to leave it.
    choose(ada, "More", "Picture in picture")
    wait_until(
        lambda: (
            ada.evaluate(
                "() => document.pictureInPictureElement?.closest('[data-participant]')"
                "?.dataset.participant"
            )
            == bea_id
        ),
        "Bea's camera is in picture in picture",
    )
    choose(ada, "More", "Leave picture in picture")
    wait_until(
        lambda: ada.evaluate("() => document.pictureInPictureElement") is None,
        "picture in picture ends",
    )
