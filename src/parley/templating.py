"""Server-rendered pages: one Jinja2 environment, translated through the catalogue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import HTMLResponse

from parley import __version__, i18n
from parley.errors import N_
from parley.runtime import runtime_of

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str
    # Parts still being built are listed so people see what is coming, but are not links.
    available: bool = True
    admin_only: bool = False


NAVIGATION = (
    NavItem("rooms", N_("Rooms"), "/rooms"),
    NavItem("calendar", N_("Calendar"), "/calendar"),
    NavItem("sessions", N_("Sessions"), "/sessions"),
    NavItem("people", N_("People"), "/people"),
    NavItem("admin", N_("Administration"), "/admin/users", admin_only=True),
)


def _context(request: Request) -> dict[str, Any]:
    language = i18n.get_language()
    return {
        "lang": language,
        "languages": i18n.LANGUAGES,
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "navigation": NAVIGATION,
        "version": __version__,
        "browser_messages": Markup(  # noqa: S704 - JSON with <, >, & escaped below
            json.dumps(i18n.browser_messages(language), ensure_ascii=False)
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        ),
    }


def create_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[_context])
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    # Jinja's new-style gettext fills `%(name)s` itself, so it gets the bare lookups.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations(i18n.get_language()).gettext(message),
        lambda singular, plural, n: i18n.translations(i18n.get_language()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.globals["asset_exists"] = lambda name: (STATIC_DIR / "dist" / name).exists()
    return templates


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = runtime_of(request).templates
    response = templates.TemplateResponse(request, name, context or {}, status_code=status_code)
    return response
