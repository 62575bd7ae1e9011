"""Storage quotas through the pages: the Documents box tells a moderator what is used of what,
an upload that does not fit says why, deleting frees space, and administrators see it all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.people import choose, join_meeting, make_member, open_new_room
from tests.browser.server import ParleyServer
from tests.documents import samples


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ParleyServer]:
    with ParleyServer(tmp_path, extra_env={"PARLEY_ROOM_STORAGE_MB": "1"}) as running:
        yield running


def _upload(page: Page, path: Path) -> None:
    choose(page, "More", "Present a document")
    page.get_by_label("Document", exact=True).set_input_files(path)
    page.get_by_role("button", name="Upload and show").click()


def test_the_documents_box_shows_usage_and_a_file_that_does_not_fit_is_explained(
    new_page: Callable[..., Page], server: ParleyServer, tmp_path: Path
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    ada.on("dialog", lambda dialog: dialog.accept())
    link = open_new_room(ada, "Quarterly review")
    ada.goto(link)
    join_meeting(ada, camera=False, microphone=False)

    first = tmp_path / "first.pdf"
    first.write_bytes(samples.pdf_of_size(600_000))
    _upload(ada, first)
    expect(ada.locator("#upload-dialog")).not_to_be_visible()
    choose(ada, "More", "Documents")
    usage = ada.locator("#documents-usage")
    expect(usage).to_contain_text("Room: 0.6 MB of 1 MB used")
    expect(usage).to_contain_text("Your documents: 0.6 MB of 1,000 MB used")
    screenshot(ada, "storage-documents-box-en")

    # Declared too large for what is left, then refused at once: the dialog says why.
    second = tmp_path / "second.pdf"
    second.write_bytes(samples.pdf_of_size(3_000_000))
    ada.get_by_role("dialog", name="Documents").get_by_role("button", name="Close").click()
    _upload(ada, second)
    expect(ada.locator("#upload-error")).to_have_text(
        "This room uses 0.6 MB of 1 MB: this file of 2.9 MB does not fit. "
        "Delete a document of the room to make space."
    )
    ada.get_by_role("button", name="Cancel").click()

    # Ada administers the site too: in another tab, the storage page lists her room.
    admin = ada.context.new_page()
    admin.goto("/admin/storage")
    rooms = admin.get_by_role("table").first
    expect(rooms.get_by_role("row").nth(1)).to_contain_text("Quarterly review")
    expect(rooms.get_by_role("row").nth(1)).to_contain_text("0.6 MB of 1 MB")
    screenshot(admin, "storage-admin-en")

    choose(ada, "More", "Documents")
    ada.get_by_role("button", name="Delete first.pdf").click()
    expect(usage).to_contain_text("Room: 0 MB of 1 MB used")
    admin.reload()
    expect(admin.get_by_text("No room holds any document.")).to_be_visible()
