"""Emails from templates (`templates/emails/<name>.txt` and `.html`), in the reader's language.

`render` writes one email. `stencil` writes one for many readers at once: the values that
differ from one reader to the next (a name, a personal link) are left as holes, and
`Stencil.fill` puts each reader's in, escaped for HTML where the template would have escaped
them. A hundred members of one session cost two template renders, not two hundred.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape

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

# Holes are letters and digits only: escaping leaves them as they are, and no text a person
# writes contains one (a fresh random part per process).
_HOLE_SALT = secrets.token_hex(8)


def render(template: str, language: str | None, /, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML bodies of email `template`, written in `language`."""
    with i18n.using(language):
        text = _environment.get_template(f"{template}.txt").render(**context)
        html = _environment.get_template(f"{template}.html").render(**context)
    return text, html


@dataclass(frozen=True)
class Stencil:
    """An email rendered once, with holes for what differs from one reader to the next."""

    text: str
    html: str
    holes: dict[str, str]
    _pattern: re.Pattern[str]

    def fill(self, **values: str) -> tuple[str, str]:
        """The text and HTML bodies for one reader: the same as `render` with `values`."""
        texts = {self.holes[name]: value for name, value in values.items()}
        htmls = {hole: str(escape(value)) for hole, value in texts.items()}
        return (
            self._pattern.sub(lambda found: texts[found.group()], self.text),
            self._pattern.sub(lambda found: htmls[found.group()], self.html),
        )


def stencil(
    template: str, language: str | None, /, personal: tuple[str, ...], **context: Any
) -> Stencil:
    """Render `template` once for the readers whose values named in `personal` differ.

    Each of them becomes a hole that `Stencil.fill` fills in. The templates print those
    values (`{{ name }}`, or through `_()`) and may test whether one is given
    (`{% if link %}`), nothing more: so a stencil serves readers whose `personal` values are
    all non-empty; an empty value goes in `context`, with a stencil of its own.
    """
    holes = {name: f"PARLEYHOLE{_HOLE_SALT}{index}X" for index, name in enumerate(personal)}
    text, html = render(template, language, **context, **holes)
    pattern = re.compile("|".join(re.escape(hole) for hole in holes.values()) or "(?!)")
    return Stencil(text=text, html=html, holes=holes, _pattern=pattern)
