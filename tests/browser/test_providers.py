"""Seeds 001 and 002: an administrator plugs in BigBlueButton and connects Zoom, in a browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.browser.conftest import screenshot
from tests.browser.people import PASSWORD, log_in, make_member
from tests.browser.server import ParleyServer
from tests.providers.fakes.bbb import FakeBBB
from tests.providers.fakes.server import FakeServer
from tests.providers.fakes.zoom import FakeZoom


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[str, FakeBBB, FakeZoom]]:
    bbb, zoom = FakeBBB(), FakeZoom()
    app = Starlette(routes=[Mount("/bbb", app=bbb.app()), Mount("/zoom", app=zoom.app())])
    with FakeServer(app) as running:
        yield running.url, bbb, zoom


def test_an_administrator_adds_bbb_tests_it_and_connects_zoom(
    new_page: Callable[..., Page],
    server: ParleyServer,
    fakes: tuple[str, FakeBBB, FakeZoom],
) -> None:
    url, bbb, zoom = fakes
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    page = new_page()
    page.goto("/admin/providers")
    log_in(page, "ada@example.org")
    expect(page.get_by_role("heading", name="Meeting providers")).to_be_visible()
    expect(page.get_by_text("No provider yet: add one below.")).to_be_visible()
    screenshot(page, "providers-empty-en")

    # BigBlueButton: the address and secret `bbb-conf --secret` prints, then a test.
    page.get_by_role("link", name="Add BigBlueButton").click()
    page.get_by_label("Name people see").fill("Campus BigBlueButton")
    page.get_by_label("API address").fill(f"{url}/bbb/bigbluebutton/")
    page.get_by_label("Shared secret").fill(bbb.secret)
    page.get_by_label("Checksum algorithm").select_option("sha256")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text(
        "Configuration saved. Press Test connection to check it."
    )
    expect(page.get_by_label("Shared secret")).to_have_value("")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_contain_text("Connection works.")
    expect(page.locator("#test-result")).to_contain_text("accepted Parley's checksum")
    screenshot(page, "providers-bbb-tested-en")

    # A wrong secret is explained on the page, not as a server error.
    bbb.secret = "the secret was changed on the server"
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("alert")).to_contain_text("check the shared secret")
    bbb.secret = "bbb-shared-secret"

    # Zoom: the app's credentials, then "Connect Zoom" and Zoom's consent page.
    page.get_by_role("link", name="← Meeting providers").click()
    page.get_by_role("link", name="Add Zoom").click()
    page.get_by_label("Name people see").fill("Zoom of the sales team")
    page.get_by_label("Client ID").fill(zoom.client_id)
    page.get_by_label("Client secret").fill(zoom.client_secret)
    page.get_by_label("Secret token").fill("a webhook secret token")
    page.get_by_label("Zoom sign-in address").fill(f"{url}/zoom")
    page.get_by_label("Zoom API address").fill(f"{url}/zoom/v2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("No account connected yet.")).to_be_visible()
    screenshot(page, "providers-zoom-to-connect-en")
    page.get_by_role("link", name="Connect Zoom").click()
    expect(
        page.get_by_role("heading", name="Parley would like to access your Zoom account")
    ).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("status")).to_have_text("Account connected.")
    expect(page.locator("#connected-account")).to_have_text("host@zoom.example")
    screenshot(page, "providers-zoom-connected-en")

    page.get_by_role("link", name="← Meeting providers").click()
    expect(page.get_by_role("cell", name="Zoom of the sales team")).to_be_visible()
    expect(page.get_by_text("Connected as host@zoom.example")).to_be_visible()
    screenshot(page, "providers-list-en")

    # The same pages in French.
    french = new_page(locale="fr-FR")
    french.goto("/admin/providers")
    french.locator("#f-email").fill("ada@example.org")
    french.locator("#f-password").fill(PASSWORD)
    french.locator("button[type=submit]").click()
    expect(french.locator("html")).to_have_attribute("lang", "fr")
    expect(french.get_by_role("cell", name="Campus BigBlueButton")).to_be_visible()
    screenshot(french, "providers-list-fr")
    french.get_by_role("link", name="Zoom of the sales team").click()
    expect(french.locator("#connected-account")).to_have_text("host@zoom.example")
    screenshot(french, "providers-zoom-connected-fr")
