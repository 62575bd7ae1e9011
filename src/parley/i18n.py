"""English and French from one gettext catalogue (`locale/<lang>/LC_MESSAGES/messages.po`).

English is the source language. The catalogue is read from the `.po` files at start, so no
compiled `.mo` file is kept in the tree; the language of the request in hand is held in a
context variable that templates, errors and the browser's strings all read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"

_current: ContextVar[str] = ContextVar("parley_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> NullTranslations:
    """Load the catalogue of `language`; English (the source) has none."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


@cache
def browser_messages(language: str) -> dict[str, str]:
    """The catalogue as a plain mapping, for the strings the browser shows."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po_path.exists():
        return {}
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def negotiate(accept_language: str | None, *, default: str = DEFAULT_LANGUAGE) -> str:
    """Pick the best of our languages from an Accept-Language header."""
    if not accept_language:
        return default
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else default


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def get_language() -> str:
    return _current.get()


@contextmanager
def using(language: str | None) -> Iterator[None]:
    """Speak `language` inside the block (an email to someone else, say), then go back."""
    token = _current.set(language if language in LANGUAGES else get_language())
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, **params: object) -> str:
    """Translate `message` into the current language, then fill `%(name)s` parameters."""
    text = translations(get_language()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(get_language()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


_ = gettext
