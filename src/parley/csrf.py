"""CSRF protection: SameSite cookies, an Origin check, and a signed double-submit token.

Every response carries a `parley_csrf` cookie; pages put the same value in their forms
(`csrf_token`) and in a `<meta>` tag the scripts send back as `X-CSRF-Token`. A state-changing
request must bring the value back unless it carries no ambient authority: a bearer token, or
JSON sent without any session cookie (a cross-site page cannot send JSON without a CORS
preflight, which Parley never grants).
"""

from __future__ import annotations

import contextlib
import secrets
from http.cookies import SimpleCookie
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.errors import N_, Forbidden
from parley.runtime import runtime_of
from parley.security import constant_time_equal, sign

CSRF_COOKIE = "parley_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SESSION_COOKIE = "parley_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def make_token(secret: str) -> str:
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{sign(secret, 'csrf', nonce)[:32]}"


def valid_token(secret: str, token: str) -> bool:
    nonce, _, signature = token.partition(".")
    return bool(nonce) and constant_time_equal(signature, sign(secret, "csrf", nonce)[:32])


class CsrfCookieMiddleware:
    """Make sure every browser holds a signed CSRF token, and expose it to the request."""

    def __init__(self, app: ASGIApp, *, secret: str, secure: bool) -> None:
        self.app = app
        self.secret = secret
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = SimpleCookie()
        for name, value in scope["headers"]:
            if name == b"cookie":
                # A malformed cookie header counts as none.
                with contextlib.suppress(Exception):
                    cookies.load(value.decode("latin-1"))
        current = cookies[CSRF_COOKIE].value if CSRF_COOKIE in cookies else ""
        fresh = not (current and valid_token(self.secret, current))
        token = make_token(self.secret) if fresh else current
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                cookie = f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
                if self.secure:
                    cookie += "; Secure"
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def same_origin(request: Request, public_url: str) -> bool:
    """Tell whether the request's Origin (when sent) is this site."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    allowed = {urlsplit(public_url).netloc} if public_url else set()
    allowed.add(request.headers.get("host", ""))
    return urlsplit(origin).netloc in allowed


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request that another site could have forged."""
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    settings = runtime_of(request).settings
    if not same_origin(request, settings.effective_public_url):
        raise Forbidden(N_("This request came from another site and was refused."), code="csrf")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json") and SESSION_COOKIE not in request.cookies:
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not (expected and sent and constant_time_equal(expected, sent)):
        raise Forbidden(N_("Your form has expired. Reload the page and try again."), code="csrf")


CsrfProtected = Annotated[None, Depends(check_csrf)]
