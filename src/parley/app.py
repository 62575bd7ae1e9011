"""The application factory: `create_app(settings)` builds everything, with no module globals."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley import __version__, db, i18n, migrations
from parley.accounts import pages as account_pages
from parley.accounts import verification
from parley.accounts import views as account_views
from parley.admin import api as admin_api
from parley.admin import pages as admin_pages
from parley.admin import views as admin_views
from parley.bbb import views as bbb_views
from parley.bus import create_bus
from parley.caldav import views as caldav_views
from parley.calendar import pages as calendar_pages
from parley.calendar import views as calendar_views
from parley.csrf import CsrfCookieMiddleware
from parley.documents import api as document_api
from parley.documents import views as document_views
from parley.documents.yjs import SharedRooms
from parley.errors import API_ERRORS, N_, NotAuthenticated, ParleyError, error_responses
from parley.health import router as health_router
from parley.job_kinds import handlers as job_handlers
from parley.jobs.worker import JobContext, SystemClock, Worker
from parley.media.sfu import Sfu
from parley.meetings import api as meeting_api
from parley.meetings import pages as meeting_pages
from parley.meetings import socket as meeting_socket
from parley.meetings.hub import Hubs
from parley.people import live as people_live
from parley.people import pages as people_pages
from parley.people import views as people_views
from parley.people.presence import Presence
from parley.providers import pages as provider_pages
from parley.providers import views as provider_views
from parley.providers.http import create_client as create_http_client
from parley.providers.service import ProviderRuntime
from parley.ratelimit import Counters, RateLimiter, create_counters
from parley.rooms import pages as room_pages
from parley.rooms import views as room_views
from parley.runtime import Limiters, Runtime
from parley.sessions import api as session_api
from parley.sessions import pages as session_pages
from parley.settings import Settings
from parley.sockets import AddressSlots
from parley.templating import STATIC_DIR, create_templates, render

log = logging.getLogger(__name__)

# Shared videos play in the embeds of these services (PeerTube servers come from settings).
EMBED_ORIGINS = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    frames = " ".join(
        ["'self'", *EMBED_ORIGINS, *(f"https://{h}" for h in settings.peertube_hosts)]
    )
    policy = (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: https: http:; "
        "connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; "
        f"frame-src {frames}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", policy.encode()),
    ]
    if settings.effective_public_url.startswith("https://"):
        # Served over HTTPS: browsers must never fall back to plain HTTP for this host.
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


class LanguageMiddleware:
    """Use the browser's language for the request; a logged-in person's profile overrides it."""

    def __init__(self, app: ASGIApp, *, default: str) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            header = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
            i18n.set_language(i18n.negotiate(header, default=self.default))
        await self.app(scope, receive, send)


class EmptyQueryMiddleware:
    """In the API, a query parameter sent empty (`?q=`) counts as not sent: it takes its
    default, as an empty search field of a form means "no filter", instead of a refusal."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/") and scope["query_string"]:
            pairs = scope["query_string"].split(b"&")
            kept = [pair for pair in pairs if pair.partition(b"=")[2]]
            scope = {**scope, "query_string": b"&".join(kept)}
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _wants_json(request: Request) -> bool:
    """The API (the calendar feed is one of its operations), and a page's own script asking
    for JSON, get errors as JSON."""
    path = request.url.path
    accepts = request.headers.get("accept", "")
    return (
        path.startswith(("/api/", "/calendar/feed/"))
        or path == "/healthz"
        or accepts.startswith("application/json")
    )


def _error_response(
    request: Request, status: int, code: str, message: str, extra: dict[str, Any] | None = None
) -> Response:
    if _wants_json(request):
        return JSONResponse({"code": code, "detail": message, **(extra or {})}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"code": exc.code, "detail": i18n.gettext(exc.message)},
                status_code=401,
                headers={"www-authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(ParleyError)
    async def parley_error(request: Request, exc: ParleyError) -> Response:
        message = i18n.gettext(exc.message, **exc.params)
        return _error_response(request, exc.status_code, exc.code, message, exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            404: N_("This page does not exist."),
            405: N_("This action is not allowed here."),
        }
        message = i18n.gettext(messages.get(exc.status_code, str(exc.detail)))
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error_response(request, exc.status_code, code, message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        message = i18n.gettext(N_("Some of the data sent is not valid."))
        if _wants_json(request):
            return JSONResponse(
                {"code": "invalid", "detail": message, "errors": errors}, status_code=422
            )
        return render(request, "error.html", {"status": 422, "message": message}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        message = i18n.gettext(N_("Something went wrong on our side. Please try again."))
        return _error_response(request, 500, "server_error", message)


def _limiters(settings: Settings, counters: Counters) -> Limiters:
    """The app's limiters, all counting in `counters` (shared by the processes)."""
    return Limiters(
        login=RateLimiter("login", settings.login_attempts, counters),
        access_code=RateLimiter("room-code", settings.access_code_attempts, counters),
        invitation=RateLimiter("invitations", settings.invitations_per_person, counters),
        email=RateLimiter("email-invitations", settings.email_invitations, counters),
        verification=RateLimiter("verification", verification.EMAILS_PER_ADDRESS, counters),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the Parley application for `settings` (read from the environment by default)."""
    settings = settings or Settings()
    secret = settings.secret()
    templates = create_templates()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.create_engine(settings.effective_database_url)
        if settings.auto_migrate:
            await migrations.upgrade(engine)
        bus = create_bus(settings.bus_url)
        await bus.connect()
        counters = create_counters(settings.bus_url)
        limiters = _limiters(settings, counters)
        database = db.session_factory(engine)
        presence = Presence(bus, beat_seconds=settings.presence_beat_seconds)
        await presence.start()
        # One HTTP client for every outgoing call (meeting providers, Janus), with timeouts.
        http = create_http_client(timeout_seconds=settings.provider_timeout_seconds)
        sfu = Sfu(settings=settings, http=http, database=database, secret=secret)
        await sfu.start()
        hubs = Hubs(
            bus=bus,
            database=database,
            peertube_hosts=settings.peertube_hosts,
            presence=presence,
            sfu=sfu,
        )
        await hubs.start()
        # Shared notes and whiteboards, relayed between processes on the bus.
        documents = SharedRooms(
            bus=bus,
            database=database,
            documents_dir=settings.effective_documents_dir,
        )
        await documents.start()
        providers = ProviderRuntime(
            http=http,
            database=database,
            bus=bus,
            public_url=settings.effective_public_url,
            secret=secret,
        )
        worker = None
        if settings.jobs_in_process:
            context = JobContext(
                database=database,
                bus=bus,
                settings=settings,
                clock=SystemClock(),
                providers=providers,
            )
            worker = Worker(
                context,
                job_handlers(),
                concurrency=settings.jobs_concurrency,
                poll_seconds=settings.jobs_poll_seconds,
                lease_seconds=settings.jobs_lease_seconds,
            )
            await worker.start()
        app.state.runtime = Runtime(
            settings=settings,
            secret=secret,
            templates=templates,
            limiters=limiters,
            anonymous_sockets=AddressSlots(settings.anonymous_sockets_per_address),
            engine=engine,
            database=database,
            bus=bus,
            http=http,
            presence=presence,
            sfu=sfu,
            hubs=hubs,
            documents=documents,
            providers=providers,
            worker=worker,
        )
        log.info("parley started", extra={"url": settings.effective_public_url})
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            await documents.stop()
            await hubs.stop()
            await sfu.stop()
            await presence.stop()
            await counters.close()
            await bus.disconnect()
            await http.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Parley",
        version=__version__,
        description="Parley's REST API. Authenticate with a session cookie "
        "(`POST /api/v1/auth/login`) or with `Authorization: Bearer <personal API token>`.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
    )

    _install_error_handlers(app)
    # Every operation of the API declares the refusals it may answer, with their body.
    refusals = error_responses(*API_ERRORS)
    app.include_router(
        health_router, responses={503: {"description": "The database does not answer."}}
    )
    app.include_router(account_views.router, responses=refusals)
    app.include_router(admin_views.router, responses=refusals)
    app.include_router(admin_api.router, responses=refusals)
    app.include_router(room_views.router, responses=refusals)
    app.include_router(account_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(room_pages.router)
    app.include_router(meeting_socket.router)
    app.include_router(people_views.router, responses=refusals)
    app.include_router(people_pages.router)
    app.include_router(people_live.router)
    app.include_router(calendar_views.router, responses=refusals)
    app.include_router(calendar_views.feed_router, responses=refusals)
    app.include_router(caldav_views.router)
    app.include_router(calendar_pages.router)
    app.include_router(calendar_pages.admin_router)
    app.include_router(session_api.router, responses=refusals)
    app.include_router(session_pages.router)
    app.include_router(meeting_api.router, responses=refusals)
    app.include_router(meeting_pages.router)
    app.include_router(provider_views.router, responses=refusals | error_responses(413))
    app.include_router(provider_pages.router)
    app.include_router(document_api.router, responses=refusals | error_responses(413, 415))
    app.include_router(document_views.router)
    if settings.bbb_api_secret.get_secret_value():
        app.include_router(bbb_views.router)
    STATIC_DIR.mkdir(exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.add_middleware(EmptyQueryMiddleware)
    app.add_middleware(LanguageMiddleware, default=settings.default_language)
    app.add_middleware(CsrfCookieMiddleware, secret=secret, secure=settings.secure_cookies)
    app.add_middleware(SecurityHeadersMiddleware, headers=security_headers(settings))
    return app
