"""A presentation between three people, through the pages: upload, follow, draw, join late."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.people import (
    choose,
    guest_without_devices,
    join_meeting,
    make_member,
    open_new_room,
)
from tests.browser.server import ParleyServer
from tests.browser.test_notes import french_guest
from tests.documents import samples


def _drag(page: Page, points: list[tuple[float, float]]) -> None:
    """Draw with the mouse through `points` (fractions of the drawing surface)."""
    box = page.locator("#board-canvas").bounding_box()
    assert box is not None
    x, y = points[0]
    page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=4)
    page.mouse.up()


def _ink_at(page: Page, x: float, y: float) -> int:
    """How opaque the drawing layer is around a point (fractions of the surface)."""
    return int(
        page.evaluate(
            """([x, y]) => {
              const canvas = document.getElementById('board-canvas');
              const context = canvas.getContext('2d');
              const cx = Math.round(x * canvas.width), cy = Math.round(y * canvas.height);
              const data = context.getImageData(cx - 3, cy - 3, 7, 7).data;
              let most = 0;
              for (let i = 3; i < data.length; i += 4) most = Math.max(most, data[i]);
              return most;
            }""",
            [x, y],
        )
    )


def _upload(page: Page, path: Path) -> None:
    choose(page, "More", "Present a document")
    page.get_by_label("Document", exact=True).set_input_files(path)
    page.get_by_role("button", name="Upload and show").click()


def test_a_pdf_is_presented_followed_and_drawn_on(
    new_page: Callable[..., Page], server: ParleyServer, tmp_path: Path
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Quarterly review")
    ada.goto(link)
    join_meeting(ada, camera=False, microphone=False)
    bea = guest_without_devices(new_page, link, "Bea")
    bea.get_by_role("button", name="More", exact=True).click()
    expect(
        bea.get_by_role("menuitem", name="Invite people").or_(
            bea.get_by_role("menuitem", name="Copy the invitation link")
        )
    ).to_be_visible()
    expect(bea.get_by_role("menuitem", name="Present a document")).to_be_hidden()
    bea.keyboard.press("Escape")

    slides = tmp_path / "quarterly review.pdf"
    slides.write_bytes(samples.pdf(5))
    _upload(ada, slides)
    screenshot(ada, "presentation-upload-en")
    # Bea sees page 1 as soon as it is ready, then follows Ada to page 3.
    for page in (ada, bea):
        expect(page.locator("#board-title")).to_have_text("quarterly review.pdf")
        expect(page.locator("#board-page")).to_have_text("Page 1 of 5")
        expect(page.locator("#board-image")).to_have_attribute("src", f"{_path(page)}/pages/1")
    bea.wait_for_function("() => document.getElementById('board-image').naturalWidth === 1600")
    ada.get_by_role("button", name="Next").click()
    expect(bea.locator("#board-page")).to_have_text("Page 2 of 5")
    ada.get_by_role("button", name="Go to page 3").click()
    expect(bea.locator("#board-page")).to_have_text("Page 3 of 5")
    expect(bea.locator("#board-image")).to_have_attribute("src", f"{_path(bea)}/pages/3")

    # Participants may not draw until Ada lets them.
    expect(bea.locator("#board-tools")).to_be_hidden()
    expect(bea.get_by_text("The presenter has not opened drawing to participants.")).to_be_visible()
    _drag(ada, [(0.2, 0.5), (0.4, 0.55), (0.6, 0.5)])
    expect(bea.locator("#board")).to_have_attribute("data-strokes", "1")
    assert _ink_at(bea, 0.4, 0.55) > 0
    ada.get_by_label("Participants may draw").check()
    expect(bea.locator("#board-tools")).to_be_visible()
    bea.get_by_role("button", name="Rectangle").click()
    _drag(bea, [(0.7, 0.2), (0.9, 0.4)])
    expect(ada.locator("#board")).to_have_attribute("data-strokes", "2")
    # The presenter's pointer is shown to the others.
    box = ada.locator("#board-canvas").bounding_box()
    assert box is not None
    ada.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
    expect(bea.locator(".pointer", has_text="Ada Lovelace")).to_be_visible()
    screenshot(bea, "presentation-annotated-en")

    # Someone who comes in now lands on page 3 with its drawings (in French).
    chloe = french_guest(new_page, link, "Chloé")
    expect(chloe.locator("#board-image")).to_have_attribute("src", f"{_path(ada)}/pages/3")
    expect(chloe.locator("#board")).to_have_attribute("data-strokes", "2")
    chloe.wait_for_function("() => document.getElementById('board-image').naturalWidth > 0")
    screenshot(chloe, "presentation-annotated-fr")

    # The annotated page, as a picture.
    with bea.expect_download() as download:
        bea.get_by_role("button", name="Save the page as PNG").click()
    with Image.open(download.value.path()) as picture:
        assert picture.size == (1600, 900)
        red, green, blue = picture.convert("RGB").getpixel((int(0.4 * 1600), int(0.55 * 900)))
        assert red > 150 and green < 100, (red, green, blue)

    # Downloading the original is the presenter's call.
    expect(bea.locator("#board-download")).to_be_hidden()
    ada.get_by_label("Allow download").check()
    expect(bea.locator("#board-download")).to_be_visible()


def test_bad_files_get_a_clear_message(
    new_page: Callable[..., Page], server: ParleyServer, tmp_path: Path
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Bad files")
    ada.goto(link)
    join_meeting(ada, camera=False, microphone=False)

    fake = tmp_path / "notes.pdf"
    fake.write_text("Not a PDF at all, whatever its name says.")
    _upload(ada, fake)
    error = ada.locator("#upload-error")
    expect(error).to_contain_text("Parley cannot show this kind of file.")
    screenshot(ada, "presentation-error-en")
    ada.get_by_role("button", name="Cancel").click()

    locked = tmp_path / "secret.pdf"
    locked.write_bytes(samples.pdf(2, encrypted=True))
    _upload(ada, locked)
    expect(ada.locator("#upload-dialog")).to_be_hidden()
    expect(ada.locator("#board-failed")).to_contain_text("This PDF is protected by a password.")
    screenshot(ada, "presentation-failed-en")
    # The meeting carries on: the whiteboard works.
    choose(ada, "More", "Whiteboard")
    expect(ada.locator("#board-title")).to_have_text("Whiteboard")
    _drag(ada, [(0.3, 0.3), (0.5, 0.5)])
    expect(ada.locator("#board")).to_have_attribute("data-strokes", "1")


def _path(page: Page) -> str:
    slug = page.evaluate("() => document.querySelector('[data-documents]').dataset.slug")
    presentation = page.evaluate("() => window.parleyBoard.state.stage.presentation")
    return f"/r/{slug}/documents/{presentation}"
