"""Emails from templates (`templates/emails/<name>.txt` and `.html`), in the reader's language."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from parley import i18n
from parley.templating import TEMPLATES_DIR

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR / "emails"),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    keep_trailing_newline=True,
)
_environment.install_gettext_callables(  # type: ignore[attr-defined]
    lambda message: i18n.translations(i18n.get_language()).gettext(message),
    lambda singular, plural, n: i18n.translations(i18n.get_language()).ngettext(
        singular, plural, n
    ),
    newstyle=True,
)


def render(template: str, language: str | None, /, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML bodies of email `template`, written in `language`."""
    with i18n.using(language):
        text = _environment.get_template(f"{template}.txt").render(**context)
        html = _environment.get_template(f"{template}.html").render(**context)
    return text, html
