"""One catalogue: every string of the code, templates and scripts has its French translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from parley import i18n

ROOT = Path(__file__).parent.parent


def _extracted() -> set[str]:
    method_map = [
        ("src/**.py", "python"),
        ("src/parley/templates/**.html", "jinja2"),
        ("frontend/src/**.js", "javascript"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=method_map,
        keywords=keywords,
        options_map={"src/parley/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        found.update([message] if isinstance(message, str) else message[:1])
    return found


def test_every_string_has_a_french_translation() -> None:
    with (i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="fr")
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and m.string and all(m.string) and not m.fuzzy
    }
    extracted = _extracted()
    assert len(extracted) > 50
    missing = sorted(extracted - translated)
    assert not missing, f"translate these in locale/fr/LC_MESSAGES/messages.po: {missing}"


def test_placeholders_survive_translation() -> None:
    i18n.set_language("fr")
    try:
        assert i18n.gettext("Hello, %(name)s", name="Ada") == "Bonjour, Ada"
    finally:
        i18n.set_language("en")
    assert i18n.gettext("Hello, %(name)s", name="Ada") == "Hello, Ada"


def test_accept_language_negotiation() -> None:
    assert i18n.negotiate("fr-CA,fr;q=0.9,en;q=0.8") == "fr"
    assert i18n.negotiate("de-DE,de;q=0.9,en;q=0.5") == "en"
    assert i18n.negotiate("de, fr;q=0.4, en;q=0.3") == "fr"
    assert i18n.negotiate("en;q=0, fr;q=0.1") == "fr"
    assert i18n.negotiate("") == "en"
    assert i18n.negotiate("garbage;;;q=x,,") == "en"
