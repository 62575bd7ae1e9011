"""Every page a person reaches passes axe-core's WCAG 2.1 A/AA rules, on a desktop screen and a
phone, in English, and a few of them in French: no "serious" or "critical" violation; the
minor and moderate ones are printed for whoever runs the test with -s.

One server, one browser and one logged-in context per person serve all the pages, so the
whole module runs in a few minutes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser import axe
from tests.browser.conftest import screenshot
from tests.browser.people import PASSWORD, join_meeting
from tests.browser.server import ParleyServer

SCREENS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# A fixed week in the future, so the calendar shows the same event whenever the test runs.
DAY = "2030-03-12"
ADMIN = "ada@example.org"
MEMBER = "grace@example.org"


def open_context(browser: Browser, base_url: str, locale: str) -> BrowserContext:
    """A context whose pages accept axe's injected script: Parley's Content-Security-Policy
    allows only its own scripts, and the check must not change what the page does."""
    context = browser.new_context(
        base_url=base_url, locale=locale, timezone_id="Europe/Paris", bypass_csp=True
    )
    context.set_default_timeout(15_000)
    return context


@dataclass
class Site:
    """The running server and what the test made in it: ids and links the pages need."""

    server: ParleyServer
    room_id: str = ""
    link: str = ""
    closed_link: str = ""
    waiting_link: str = ""
    member_id: str = ""
    event_id: str = ""
    session_id: str = ""
    provider_id: str = ""
    setup_blocking: list[axe.Violation] = field(default_factory=list)


@dataclass
class People:
    """The browser contexts that visit the pages: the administrator, logged in, per language,
    and fresh contexts for people with no account."""

    browser: Browser
    site: Site
    # Logged-in pages, by language (Ada's) or by email and language (the member's).
    admins: dict[str, Page] = field(default_factory=dict)
    strangers: list[BrowserContext] = field(default_factory=list)
    tabs: list[Page] = field(default_factory=list)

    def context(self, locale: str) -> BrowserContext:
        context = open_context(self.browser, self.site.server.url, locale)
        return context

    def admin(self, locale: str) -> Page:
        """Ada, the administrator, logged in once per language; her page is reused."""
        return self._logged_in(ADMIN, locale)

    def member(self, locale: str) -> Page:
        """Grace, a member invited to the event, logged in once per language."""
        return self._logged_in(MEMBER, locale)

    def _logged_in(self, email: str, locale: str) -> Page:
        key = locale if email == ADMIN else f"{email} {locale}"
        if key not in self.admins:
            page = self.context(locale).new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto("/login")
            page.locator("input[name=email]").fill(email)
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("form button[type=submit]").first.click()
            expect(page.locator("form[action='/logout']")).to_be_attached()
            self.admins[key] = page
        return self.admins[key]

    def stranger(self, locale: str) -> Page:
        """Someone with no account and no cookie yet (a guest, or a person about to sign up)."""
        context = self.context(locale)
        self.strangers.append(context)
        return context.new_page()

    def tab(self, locale: str) -> Page:
        """A new tab of the administrator's, closed after the page is checked."""
        page = self.admin(locale).context.new_page()
        self.tabs.append(page)
        return page

    def close_visits(self) -> None:
        """Close the strangers' contexts and the administrator's extra tabs."""
        for page in self.tabs:
            page.close()
        self.tabs.clear()
        for context in self.strangers:
            context.close()
        self.strangers.clear()

    def close(self) -> None:
        for page in self.admins.values():
            page.context.close()
        self.close_visits()


def _make_content(page: Page, site: Site) -> None:
    """What the pages show: a member, sign-up on, three rooms (open, closed, with a waiting
    room), an event, a session, a provider."""
    page.goto("/admin/users")
    page.get_by_label("Name", exact=True).fill("Grace Hopper")
    page.get_by_label("Email address").fill(MEMBER)
    page.get_by_label("Initial password").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("status")).to_have_text("Account created for Grace Hopper.")
    page.locator("#f-signup_enabled").check()
    page.locator("#f-signup_enabled").locator("xpath=ancestor::form").locator(
        "button[type=submit]"
    ).click()
    expect(page.locator("#f-signup_enabled")).to_be_checked()

    page.goto("/rooms")
    page.get_by_label("Room name").fill("Always closed")
    page.get_by_role("button", name="Create", exact=True).click()
    site.closed_link = page.get_by_label("Invitation link").input_value()
    page.goto("/rooms")
    page.get_by_label("Room name").fill("Weekly team meeting")
    page.get_by_role("button", name="Create", exact=True).click()
    page.get_by_role("button", name="Open the room").click()
    site.link = page.get_by_label("Invitation link").input_value()
    site.room_id = page.url.split("?")[0].rsplit("/", 1)[1]
    assert site.closed_link != site.link
    page.goto("/rooms")
    page.get_by_label("Room name").fill("Office hours")
    page.get_by_role("button", name="Create", exact=True).click()
    page.get_by_role("button", name="Open the room").click()
    page.get_by_label("Waiting room").select_option("guests")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("status").first).to_have_text("Settings saved.")
    site.waiting_link = page.get_by_label("Invitation link").input_value()

    page.goto("/people")
    href = page.get_by_role("link", name=re.compile("Grace Hopper")).first.get_attribute("href")
    assert href is not None
    site.member_id = href.rsplit("/", 1)[1]

    page.goto(f"/calendar/new?date={DAY}&hour=10")
    page.get_by_label("Title").fill("Design review")
    page.get_by_label("Add an attendee").fill(MEMBER)
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_label("Description").fill("We look at the new screens together.")
    page.get_by_role("button", name="Save and send the invitations").click()
    expect(page.get_by_role("status").first).to_contain_text("Event saved.")
    site.event_id = page.url.split("?")[0].rsplit("/", 1)[1]

    page.goto("/sessions/new")
    page.get_by_label("Title").fill("Beginners' Spanish")
    page.get_by_label("Description").fill("Greetings and numbers.")
    page.get_by_label("Day").fill("2030-03-13")
    page.get_by_label("Start").fill("18:30")
    page.get_by_label("Duration (minutes)").fill("90")
    page.get_by_label("Places").fill("10")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Beginners' Spanish")).to_be_visible()
    site.session_id = page.url.split("?")[0].rsplit("/", 1)[1]

    page.goto("/admin/providers/new?kind=bbb")
    page.get_by_label("Name people see").fill("Campus BigBlueButton")
    page.get_by_label("API address").fill("http://127.0.0.1:9/bigbluebutton/")
    page.get_by_label("Shared secret").fill("a shared secret")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_be_visible()
    site.provider_id = page.url.split("?")[0].rsplit("/", 1)[1]


def _first_run(people: People) -> list[axe.Violation]:
    """Check the setup page while the site has no administrator yet, then create Ada with it;
    her page stays logged in for the English visits."""
    page = people.context("en-GB").new_page()
    page.goto("/setup")
    expect(page.locator("input[name=email]")).to_be_visible()
    blocking = _check_screens(page, "setup-{screen}-en-GB")
    page.set_viewport_size(SCREENS["desktop"])  # type: ignore[arg-type]
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create the administrator").click()
    expect(page.get_by_role("heading", name="Hello, Ada Lovelace")).to_be_visible()
    page.on("dialog", lambda dialog: dialog.accept())
    people.admins["en-GB"] = page
    return blocking


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[People]:
    """One server for the module; the setup page is checked before anything else exists."""
    with ParleyServer(tmp_path_factory.mktemp("accessibility")) as server:
        visitors = People(browser, Site(server))
        visitors.site.setup_blocking = _first_run(visitors)
        _make_content(visitors.admin("en-GB"), visitors.site)
        yield visitors
        visitors.close()


@pytest.fixture(scope="module")
def site(people: People) -> Site:
    return people.site


# How to reach each page: who goes there and what they do, given the site.
Visit = Callable[[People, Site, str], Page]


def _admin_goes(path: str | Callable[[Site], str], *, shows: str = "main") -> Visit:
    def visit(people: People, site: Site, locale: str) -> Page:
        page = people.admin(locale)
        response = page.goto(path(site) if callable(path) else path)
        assert response is not None and response.ok, f"{page.url} answered {response}"
        expect(page.locator(shows).first).to_be_visible()
        return page

    return visit


def _member_goes(path: str | Callable[[Site], str], *, shows: str = "main") -> Visit:
    def visit(people: People, site: Site, locale: str) -> Page:
        page = people.member(locale)
        response = page.goto(path(site) if callable(path) else path)
        assert response is not None and response.ok, f"{page.url} answered {response}"
        expect(page.locator(shows).first).to_be_visible()
        return page

    return visit


def _stranger_goes(path: str | Callable[[Site], str], *, shows: str = "main") -> Visit:
    def visit(people: People, site: Site, locale: str) -> Page:
        page = people.stranger(locale)
        page.goto(path(site) if callable(path) else path)
        expect(page.locator(shows).first).to_be_visible()
        return page

    return visit


def _guest_at_prejoin(people: People, site: Site, locale: str) -> Page:
    page = people.stranger(locale)
    page.goto(site.link)
    page.locator("input[name=name]").fill("Visitor")
    page.locator("form button[type=submit]").first.click()
    expect(page.locator("#prejoin")).to_be_visible()
    return page


def _guest_waiting(people: People, site: Site, locale: str) -> Page:
    page = people.stranger(locale)
    page.goto(site.waiting_link)
    page.locator("input[name=name]").fill("Student")
    page.locator("form button[type=submit]").first.click()
    expect(page.locator(".waiting-state")).to_be_visible()
    return page


def _guest_in_meeting(people: People, site: Site, locale: str) -> Page:
    page = _guest_at_prejoin(people, site, locale)
    page.locator("#join-button").click()
    expect(page.locator("#prejoin")).to_be_hidden()
    expect(page.locator("#participant-list")).to_contain_text("Visitor")
    return page


def _moderator_in_meeting(people: People, site: Site, locale: str) -> Page:
    # A new tab: one that was in the meeting goes straight back in, without the pre-join.
    page = people.tab(locale)
    page.goto(site.link)
    join_meeting(page, camera=True, microphone=True)
    expect(page.locator("#participant-list")).to_contain_text("Ada Lovelace")
    return page


def _moderator_with_tools(people: People, site: Site, locale: str) -> Page:
    """The meeting with a chat message, the notes panel and the whiteboard showing."""
    page = _moderator_in_meeting(people, site, locale)
    page.locator("#chat-text").fill("Hello everyone")
    page.locator("#chat-form button[type=submit]").click()
    # (The other language's run may have left its own line in the room's chat.)
    expect(page.locator("#chat-list li", has_text="Hello everyone").last).to_be_visible()
    page.locator("#more-button").click()
    page.locator("#show-whiteboard").click()
    page.locator("[data-tool=pen]").wait_for()
    expect(page.locator("#stage")).to_have_attribute("data-layout", "presentation")
    # The notes panel comes last: it covers part of the toolbar.
    page.locator("#notes-button").click()
    expect(page.locator("#notes-panel")).to_be_visible()
    return page


def _moderator_dialog(*openers: str, dialog: str) -> Visit:
    """The meeting with a dialog (or a menu) open, reached by pressing `openers` in turn."""

    def visit(people: People, site: Site, locale: str) -> Page:
        page = _moderator_in_meeting(people, site, locale)
        for opener in openers:
            page.locator(opener).click()
        expect(page.locator(dialog)).to_be_visible()
        return page

    return visit


def _moderator_layout(choice: str, panel: str) -> Visit:
    """The meeting in one layout, with one tab of the side panel open."""

    def visit(people: People, site: Site, locale: str) -> Page:
        page = _moderator_in_meeting(people, site, locale)
        page.locator("#more-button").click()
        page.locator(f'[data-layout-choice="{choice}"]').click()
        expect(page.locator("#stage")).to_have_attribute("data-layout", choice)
        page.locator(f'.control[data-panel="{panel}"]').click()
        expect(page.locator(f"#{panel}-panel")).to_be_visible()
        return page

    return visit


def _login_refused(people: People, site: Site, locale: str) -> Page:
    page = people.stranger(locale)
    page.goto("/login")
    page.locator("input[name=email]").fill(ADMIN)
    page.locator("input[name=password]").fill("not my password")
    page.locator("form button[type=submit]").first.click()
    expect(page.get_by_role("alert")).to_be_visible()
    return page


def _signup_refused(people: People, site: Site, locale: str) -> Page:
    page = people.stranger(locale)
    page.goto("/signup")
    page.locator("input[name=email]").fill("not an address")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("input[name=email]")).to_have_attribute("aria-invalid", "true")
    return page


def _event_dialog(people: People, site: Site, locale: str) -> Page:
    page = people.admin(locale)
    page.goto(f"/calendar?view=week&date={DAY}")
    page.locator(f"#cal-week-body [data-event='{site.event_id}']").first.click()
    expect(page.locator("#event-dialog")).to_be_visible()
    return page


def _guest_left(people: People, site: Site, locale: str) -> Page:
    page = _guest_in_meeting(people, site, locale)
    page.locator(f"form[action='/r/{site.link.rsplit('/', 1)[1]}/leave'] button").click()
    page.wait_for_url(re.compile(r".*/leave$|.*/r/.*"))
    return page


PAGES: dict[str, Visit] = {
    "login": _stranger_goes("/login"),
    "signup": _stranger_goes("/signup", shows="input[name=email]"),
    "not-found": _stranger_goes("/r/no-such-room"),
    "home": _admin_goes("/"),
    "rooms": _admin_goes("/rooms"),
    "room-settings": _admin_goes(lambda site: f"/rooms/{site.room_id}"),
    "room-entry-guest": _stranger_goes(lambda site: site.link, shows="input[name=name]"),
    "room-closed-guest": _stranger_goes(lambda site: site.closed_link),
    "room-waiting-guest": _guest_waiting,
    "prejoin-guest": _guest_at_prejoin,
    "meeting-guest": _guest_in_meeting,
    "meeting-moderator": _moderator_in_meeting,
    "meeting-moderator-tools": _moderator_with_tools,
    "meeting-speaker-participants": _moderator_layout("speaker", "participants"),
    "meeting-grid-polls": _moderator_layout("grid", "polls"),
    "meeting-more-menu": _moderator_dialog("#more-button", dialog="#more-menu"),
    "meeting-moderation-menu": _moderator_dialog("#moderation-button", dialog="#moderation-menu"),
    "meeting-shortcuts": _moderator_dialog(
        "#more-button", "#shortcuts-button", dialog="#shortcuts-dialog"
    ),
    "meeting-poll-dialog": _moderator_dialog("#polls-button", "#start-poll", dialog="#poll-dialog"),
    "meeting-settings-dialog": _moderator_dialog(
        "#more-button", "#settings-button", dialog="#settings-dialog"
    ),
    "meeting-invite-dialog": _moderator_dialog(
        "#more-button", "#invite-button", dialog="#invite-dialog"
    ),
    "meeting-left-guest": _guest_left,
    "login-refused": _login_refused,
    "signup-refused": _signup_refused,
    "event-dialog": _event_dialog,
    "home-member": _member_goes("/"),
    "event-attendee": _member_goes(lambda site: f"/calendar/events/{site.event_id}"),
    "session-member": _member_goes(lambda site: f"/sessions/{site.session_id}"),
    "sessions-member": _member_goes("/sessions"),
    "people": _admin_goes("/people"),
    "member": _admin_goes(lambda site: f"/people/{site.member_id}"),
    "call": _admin_goes(lambda site: f"/call/{site.member_id}"),
    "notifications": _admin_goes("/notifications"),
    "calendar-week": _admin_goes(f"/calendar?view=week&date={DAY}"),
    "calendar-month": _admin_goes(f"/calendar?view=month&date={DAY}"),
    "calendar-list": _admin_goes(f"/calendar?view=list&date={DAY}"),
    "event-new": _admin_goes(f"/calendar/new?date={DAY}&hour=10"),
    "event": _admin_goes(lambda site: f"/calendar/events/{site.event_id}"),
    "event-edit": _admin_goes(lambda site: f"/calendar/events/{site.event_id}/edit"),
    "calendar-subscribe": _admin_goes("/calendar/subscribe"),
    "sessions": _admin_goes("/sessions"),
    "session-new": _admin_goes("/sessions/new"),
    "session": _admin_goes(lambda site: f"/sessions/{site.session_id}"),
    "profile": _admin_goes("/profile"),
    "admin-users": _admin_goes("/admin/users"),
    "admin-rooms": _admin_goes("/admin/rooms"),
    "admin-providers": _admin_goes("/admin/providers"),
    "admin-provider-new": _admin_goes("/admin/providers/new?kind=bbb"),
    "admin-provider": _admin_goes(lambda site: f"/admin/providers/{site.provider_id}"),
    "admin-calendar": _admin_goes("/admin/calendar"),
    "admin-storage": _admin_goes("/admin/storage"),
    "admin-sessions": _admin_goes("/admin/sessions"),
}
# Pages whose look an accessibility fix changed: kept as pictures for people to look at.
PICTURED = {"home", "calendar-week", "calendar-month"}
FRENCH_PAGES = [
    "login",
    "rooms",
    "meeting-guest",
    "meeting-moderator-tools",
    "calendar-week",
    "event-new",
    "admin-users",
]
CASES = [pytest.param(name, "en-GB", id=f"{name}-en") for name in PAGES] + [
    pytest.param(name, "fr-FR", id=f"{name}-fr") for name in FRENCH_PAGES
]


def _check(page: Page, where: str) -> list[axe.Violation]:
    """Print what axe finds; return the violations that fail the test (with a screenshot)."""
    violations = axe.check(page)
    print(axe.report(where, violations))
    blocking = [violation for violation in violations if violation.blocking]
    if blocking:
        screenshot(page, f"a11y-{where}")
    return blocking


def _check_screens(page: Page, where: str, *, picture: bool = False) -> list[axe.Violation]:
    """Check the page at each screen size in turn (it reflows); `where` has a {screen}."""
    blocking: list[axe.Violation] = []
    for screen, size in SCREENS.items():
        page.set_viewport_size(size)  # type: ignore[arg-type]
        blocking += _check(page, where.format(screen=screen))
        if picture:
            screenshot(page, f"a11y-{where.format(screen=screen)}")
    return blocking


def _describe(violations: list[axe.Violation]) -> str:
    return "\n".join(violation.describe() for violation in violations)


@pytest.mark.parametrize(("name", "locale"), CASES)
def test_the_page_passes_axe(people: People, site: Site, name: str, locale: str) -> None:
    """One visit per page; the check runs at each screen size in turn (the page reflows)."""
    try:
        page = PAGES[name](people, site, locale)
        blocking = _check_screens(page, f"{name}-{{screen}}-{locale}", picture=name in PICTURED)
        assert not blocking, _describe(blocking)
    finally:
        # Guests leave the meeting with their context; the next page starts afresh.
        people.close_visits()


def test_the_first_run_setup_page_passes_axe(site: Site) -> None:
    # Checked by the `people` fixture, before the administrator it creates exists.
    assert not site.setup_blocking, _describe(site.setup_blocking)


def test_the_check_reports_what_it_finds(people: People) -> None:
    """The check itself: a nameless button and pale text on a real page are reported, with
    the elements that break the rules."""
    page = people.stranger("en-GB")
    try:
        page.goto("/login")
        page.evaluate(
            """() => document.querySelector("main").insertAdjacentHTML("beforeend",
                 '<button id="nameless"></button><p id="pale" style="color:#ddd">Pale</p>')"""
        )
        found = {violation.rule: violation for violation in axe.check(page)}
        assert found["button-name"].impact == "critical"
        assert found["button-name"].targets == ["#nameless"]
        assert found["color-contrast"].targets == ["#pale"]
        assert "#pale" in axe.report("login", list(found.values()))
    finally:
        people.close_visits()
