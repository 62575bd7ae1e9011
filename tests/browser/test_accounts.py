"""A person sets Parley up, logs out and in, and is sent back where they were going."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.server import ParleyServer

PASSWORD = "a good long password"


def test_first_run_logout_login_and_a_wrong_password(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    page = new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Welcome to Parley")).to_be_visible()
    screenshot(page, "setup-en")

    page.get_by_role("button", name="Create the administrator").click()
    expect(page.get_by_text("This field is required.").first).to_be_visible()

    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create the administrator").click()
    expect(page.get_by_role("heading", name="Hello, Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Administration")
    screenshot(page, "home-en")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Parley")).to_be_visible()

    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email address")).to_have_value("ada@example.org")
    screenshot(page, "login-wrong-password-en")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Ada Lovelace")).to_be_visible()


def test_protected_page_goes_to_login_and_back(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    admin = new_page()
    admin.goto("/setup")
    admin.get_by_label("Your name").fill("Ada")
    admin.get_by_label("Email address").fill("ada@example.org")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Create the administrator").click()
    admin.goto("/admin/users")
    admin.get_by_label("Name", exact=True).fill("Grace Hopper")
    admin.get_by_label("Email address").fill("grace@example.org")
    admin.get_by_label("Initial password").fill(PASSWORD)
    admin.get_by_role("button", name="Create the account").click()
    expect(admin.get_by_role("status")).to_have_text("Account created for Grace Hopper.")
    expect(admin.get_by_role("cell", name="grace@example.org")).to_be_visible()
    screenshot(admin, "admin-users-en")

    member = new_page()
    member.goto("/profile")
    expect(member).to_have_url(f"{server.url}/login?next=%2Fprofile")
    member.get_by_label("Email address").fill("grace@example.org")
    member.get_by_label("Password").fill(PASSWORD)
    member.get_by_role("button", name="Log in").click()
    expect(member).to_have_url(f"{server.url}/profile")
    expect(member.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(member.get_by_role("navigation", name="Main")).not_to_contain_text("Administration")

    member.get_by_label("Token name").fill("my script")
    member.get_by_role("button", name="Create a token").click()
    expect(member.locator("#new-token")).to_contain_text("parley_")
    member.get_by_role("button", name="Copy").click()
    expect(member.get_by_role("button", name="Copied!")).to_be_visible()
    screenshot(member, "profile-token-en")


def test_the_interface_speaks_french(new_page: Callable[..., Page], server: ParleyServer) -> None:
    page = new_page(locale="fr-FR")
    page.goto("/")
    expect(page.get_by_role("heading", name="Bienvenue dans Parley")).to_be_visible()
    page.get_by_label("Votre nom").fill("Marie Curie")
    page.get_by_label("Adresse e-mail").fill("marie@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer l’administrateur").click()
    expect(page.get_by_role("heading", name="Bonjour, Marie Curie")).to_be_visible()
    expect(page.get_by_role("navigation", name="Navigation principale")).to_contain_text("Salles")
    screenshot(page, "home-fr")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion à Parley")).to_be_visible()
    page.get_by_label("Adresse e-mail").fill("marie@example.org")
    page.get_by_label("Mot de passe").fill("mauvais")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("Adresse e-mail ou mot de passe incorrect.")
    screenshot(page, "login-fr")
