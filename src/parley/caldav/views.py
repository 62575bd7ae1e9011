"""CalDAV over HTTP: discovery, PROPFIND, REPORT, GET, PUT and DELETE.

Requests are authenticated by HTTP Basic with the member's email and an app password,
never by the session cookie: no request here carries ambient authority a cross-site page
could use, which is why these routes do not take the CSRF check the pages take.

Layout: `/dav/` (the root), `/dav/principals/<id>/`, `/dav/calendars/<id>/` (the home)
and `/dav/calendars/<id>/calendar/` (the member's calendar, its objects under it).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from parley import i18n
from parley.accounts import app_passwords as passwords
from parley.accounts.models import User
from parley.caldav import store
from parley.caldav import xml as dav
from parley.caldav.xml import CALDAV, CS, DAV, tag
from parley.deps import DbSession, Id
from parley.errors import ParleyError
from parley.runtime import CurrentRuntime

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

ROOT = "/dav/"
CALENDAR_NAME = "calendar"
# A calendar object larger than this is no event a person wrote.
MAX_BODY_BYTES = 1024 * 1024
REALM = "Parley calendar"
XML_TYPE = "application/xml; charset=utf-8"
ICS_TYPE = "text/calendar; charset=utf-8"
ALLOW = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT"
DAV_HEADER = "1, 3, calendar-access"
COLLECTION_METHODS = ["OPTIONS", "PROPFIND", "REPORT", "GET", "HEAD"]
OBJECT_METHODS = ["OPTIONS", "PROPFIND", "GET", "HEAD", "PUT", "DELETE"]


def principal_path(user_id: int) -> str:
    return f"{ROOT}principals/{user_id}/"


def home_path(user_id: int) -> str:
    return f"{ROOT}calendars/{user_id}/"


def calendar_path(user_id: int) -> str:
    return f"{home_path(user_id)}{CALENDAR_NAME}/"


class Refused(Exception):
    """An answer other than a multistatus: a status, headers and an optional body."""

    def __init__(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        self.response = Response(
            body,
            status_code=status,
            media_type=XML_TYPE if body else None,
            headers={"DAV": DAV_HEADER, **(headers or {})},
        )


def _unauthorized() -> Refused:
    return Refused(401, headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'})


async def _user(request: Request, db: DbSession) -> User:
    credentials = passwords.basic_credentials(request.headers.get("authorization", ""))
    if credentials is None:
        raise _unauthorized()
    user = await passwords.authenticate(db=db, email=credentials[0], password=credentials[1])
    if user is None:
        raise _unauthorized()
    return user


async def _body(request: Request) -> bytes:
    """The request body, refused with 413 beyond the limit (whatever Content-Length says)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refused(413)
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            raise Refused(413)
    return data


def _xml_body(data: bytes) -> ET.Element | None:
    try:
        return dav.parse(data)
    except dav.BadXml as exc:
        raise Refused(400, dav.error(DAV, "invalid-xml", "The XML body is malformed.")) from exc


def _multistatus(body: bytes) -> Response:
    return Response(body, status_code=207, media_type=XML_TYPE, headers={"DAV": DAV_HEADER})


def _own(user: User, user_id: int) -> None:
    if user.id != user_id:
        raise Refused(403, dav.error(DAV, "need-privileges", "This is another member's."))


def _depth(request: Request, default: str = "0") -> str:
    depth = request.headers.get("depth", default).strip().lower()
    if depth == "infinity":
        raise Refused(403, dav.error(DAV, "propfind-finite-depth"))
    if depth not in ("0", "1"):
        raise Refused(400, dav.error(DAV, "invalid-depth", "Depth is 0 or 1."))
    return depth


def _wanted(root: ET.Element | None) -> list[str] | None:
    """The properties a PROPFIND asks for; None for allprop (or an empty body)."""
    if root is None:
        return None
    if root.tag != tag(DAV, "propfind"):
        raise Refused(400, dav.error(DAV, "invalid-xml", "A PROPFIND body is DAV:propfind."))
    prop = root.find(tag(DAV, "prop"))
    if prop is None:
        return None
    return [child.tag for child in prop]


def _element(name: str, text: str | None = None, *children: ET.Element) -> ET.Element:
    return dav.element(name, text, children)


def _privileges(*names: str) -> ET.Element:
    return _element(
        tag(DAV, "current-user-privilege-set"),
        None,
        *[_element(tag(DAV, "privilege"), None, ET.Element(tag(DAV, n))) for n in names],
    )


def _resourcetype(*kinds: str) -> ET.Element:
    return _element(tag(DAV, "resourcetype"), None, *[ET.Element(k) for k in kinds])


def _href_prop(name: str, path: str) -> ET.Element:
    return _element(name, None, dav.href(path))


def _common(user: User, name: str) -> ET.Element | None:
    """Properties every resource answers the same way."""
    if name == tag(DAV, "current-user-principal"):
        return _href_prop(name, principal_path(user.id))
    if name == tag(DAV, "principal-URL"):
        return _href_prop(name, principal_path(user.id))
    if name == tag(CALDAV, "calendar-home-set"):
        return _href_prop(name, home_path(user.id))
    if name == tag(CALDAV, "calendar-user-address-set"):
        return _href_prop(name, f"mailto:{user.email}")
    if name == tag(DAV, "owner"):
        return _href_prop(name, principal_path(user.id))
    return None


def _answer(path: str, wanted: list[str], props: dict[str, ET.Element]) -> ET.Element:
    found = [props[name] for name in wanted if name in props]
    missing = [name for name in wanted if name not in props]
    return dav.response(path, found, missing)


def _principal_props(user: User, wanted: list[str]) -> dict[str, ET.Element]:
    props: dict[str, ET.Element] = {
        tag(DAV, "resourcetype"): _resourcetype(tag(DAV, "principal")),
        tag(DAV, "displayname"): _element(tag(DAV, "displayname"), user.display_name),
        tag(DAV, "current-user-privilege-set"): _privileges("read"),
    }
    for name in wanted:
        if (value := _common(user, name)) is not None:
            props[name] = value
    return props


async def _calendar_props(
    db: DbSession, user: User, wanted: list[str], objects: list[store.CalendarObject] | None
) -> dict[str, ET.Element]:
    props: dict[str, ET.Element] = {
        tag(DAV, "resourcetype"): _resourcetype(tag(DAV, "collection"), tag(CALDAV, "calendar")),
        tag(DAV, "displayname"): _element(tag(DAV, "displayname"), "Parley"),
        tag(CALDAV, "supported-calendar-component-set"): _element(
            tag(CALDAV, "supported-calendar-component-set"),
            None,
            ET.Element(tag(CALDAV, "comp"), {"name": "VEVENT"}),
        ),
        tag(CALDAV, "supported-calendar-data"): _element(
            tag(CALDAV, "supported-calendar-data"),
            None,
            ET.Element(
                tag(CALDAV, "calendar-data"), {"content-type": "text/calendar", "version": "2.0"}
            ),
        ),
        tag(CALDAV, "max-resource-size"): _element(
            tag(CALDAV, "max-resource-size"), str(MAX_BODY_BYTES)
        ),
        tag(DAV, "current-user-privilege-set"): _privileges(
            "read", "write", "write-content", "bind", "unbind", "read-current-user-privilege-set"
        ),
        tag(DAV, "supported-report-set"): _element(
            tag(DAV, "supported-report-set"),
            None,
            *[
                _element(
                    tag(DAV, "supported-report"),
                    None,
                    _element(tag(DAV, "report"), None, ET.Element(report)),
                )
                for report in (
                    tag(CALDAV, "calendar-query"),
                    tag(CALDAV, "calendar-multiget"),
                    tag(DAV, "sync-collection"),
                )
            ],
        ),
    }
    if {tag(CS, "getctag"), tag(DAV, "sync-token")} & set(wanted):
        found = objects if objects is not None else await store.objects(db=db, user=user)
        token = store.token_of(await store.current_state(db=db, user=user, found=found))
        props[tag(CS, "getctag")] = _element(tag(CS, "getctag"), token)
        props[tag(DAV, "sync-token")] = _element(tag(DAV, "sync-token"), token)
    for name in wanted:
        if (value := _common(user, name)) is not None:
            props[name] = value
    return props


def _object_props(item: store.CalendarObject, wanted: list[str]) -> dict[str, ET.Element]:
    props = {
        tag(DAV, "resourcetype"): _resourcetype(),
        tag(DAV, "getetag"): _element(tag(DAV, "getetag"), item.etag),
        tag(DAV, "getcontenttype"): _element(
            tag(DAV, "getcontenttype"), "text/calendar; charset=utf-8; component=VEVENT"
        ),
        tag(DAV, "getcontentlength"): _element(tag(DAV, "getcontentlength"), str(len(item.body))),
    }
    if tag(CALDAV, "calendar-data") in wanted:
        props[tag(CALDAV, "calendar-data")] = _element(
            tag(CALDAV, "calendar-data"), item.body.decode("utf-8")
        )
    return props


DEFAULT_PROPS = [
    tag(DAV, "resourcetype"),
    tag(DAV, "displayname"),
    tag(DAV, "getetag"),
    tag(DAV, "getcontenttype"),
]


def _options() -> Response:
    return Response(status_code=200, headers={"DAV": DAV_HEADER, "Allow": ALLOW})


def _handle(exc: Refused) -> Response:
    return exc.response


# Discovery


@router.api_route("/.well-known/caldav", methods=["GET", "HEAD", "OPTIONS", "PROPFIND"])
async def well_known(request: Request, db: DbSession) -> Response:
    """Send clients to the root (RFC 6764); a PROPFIND is answered as the root answers it,
    for clients that do not follow a redirect of a PROPFIND."""
    if request.method == "PROPFIND":
        return await root(request, db)
    if request.method == "OPTIONS":
        return _options()
    return RedirectResponse(ROOT, status_code=301)


@router.api_route(ROOT, methods=["OPTIONS", "PROPFIND", "GET", "HEAD"])
async def root(request: Request, db: DbSession) -> Response:
    if request.method == "OPTIONS":
        return _options()
    try:
        user = await _user(request, db)
        if request.method in ("GET", "HEAD"):
            return RedirectResponse(calendar_path(user.id), status_code=303)
        _depth(request)
        wanted = _wanted(_xml_body(await _body(request))) or DEFAULT_PROPS
        props = {tag(DAV, "resourcetype"): _resourcetype(tag(DAV, "collection"))}
        for name in wanted:
            if (value := _common(user, name)) is not None:
                props[name] = value
        return _multistatus(dav.multistatus([_answer(ROOT, wanted, props)]))
    except Refused as exc:
        return _handle(exc)


@router.api_route(f"{ROOT}principals/{{user_id}}/", methods=["OPTIONS", "PROPFIND"])
async def principal(request: Request, user_id: Id, db: DbSession) -> Response:
    if request.method == "OPTIONS":
        return _options()
    try:
        user = await _user(request, db)
        _own(user, user_id)
        _depth(request)
        wanted = _wanted(_xml_body(await _body(request))) or DEFAULT_PROPS
        props = _principal_props(user, wanted)
        return _multistatus(dav.multistatus([_answer(principal_path(user.id), wanted, props)]))
    except Refused as exc:
        return _handle(exc)


@router.api_route(f"{ROOT}calendars/{{user_id}}/", methods=["OPTIONS", "PROPFIND"])
async def home(request: Request, user_id: Id, db: DbSession) -> Response:
    if request.method == "OPTIONS":
        return _options()
    try:
        user = await _user(request, db)
        _own(user, user_id)
        depth = _depth(request)
        wanted = _wanted(_xml_body(await _body(request))) or DEFAULT_PROPS
        props = {
            tag(DAV, "resourcetype"): _resourcetype(tag(DAV, "collection")),
            tag(DAV, "current-user-privilege-set"): _privileges("read"),
        }
        for name in wanted:
            if (value := _common(user, name)) is not None:
                props[name] = value
        answers = [_answer(home_path(user.id), wanted, props)]
        if depth == "1":
            calendar = await _calendar_props(db, user, wanted, None)
            answers.append(_answer(calendar_path(user.id), wanted, calendar))
        return _multistatus(dav.multistatus(answers))
    except Refused as exc:
        return _handle(exc)


# The calendar


@router.api_route(f"{ROOT}calendars/{{user_id}}/{CALENDAR_NAME}/", methods=COLLECTION_METHODS)
async def calendar(request: Request, user_id: Id, db: DbSession) -> Response:
    if request.method == "OPTIONS":
        return _options()
    try:
        user = await _user(request, db)
        _own(user, user_id)
        if request.method in ("GET", "HEAD"):
            return Response(b"", status_code=200, media_type="text/plain")
        if request.method == "REPORT":
            return await _report(request, db, user)
        depth = _depth(request)
        wanted = _wanted(_xml_body(await _body(request))) or DEFAULT_PROPS
        found = await store.objects(db=db, user=user) if depth == "1" else None
        path = calendar_path(user.id)
        answers = [_answer(path, wanted, await _calendar_props(db, user, wanted, found))]
        for item in found or []:
            answers.append(_answer(path + item.name, wanted, _object_props(item, wanted)))
        return _multistatus(dav.multistatus(answers))
    except Refused as exc:
        return _handle(exc)


def _report_props(root: ET.Element) -> list[str]:
    prop = root.find(tag(DAV, "prop"))
    return [child.tag for child in prop] if prop is not None else [tag(DAV, "getetag")]


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise Refused(400, dav.error(CALDAV, "valid-filter", "A time-range is UTC.")) from exc


async def _report(request: Request, db: DbSession, user: User) -> Response:
    root = _xml_body(await _body(request))
    if root is None:
        raise Refused(400, dav.error(DAV, "invalid-xml", "A REPORT has a body."))
    path = calendar_path(user.id)
    wanted = _report_props(root)
    if root.tag == tag(CALDAV, "calendar-multiget"):
        answers = []
        for node in root.findall(tag(DAV, "href")):
            target = (node.text or "").strip()
            name = target[len(path) :] if target.startswith(path) else ""
            item = await store.find(db=db, user=user, name=name) if name else None
            answers.append(
                _answer(target, wanted, _object_props(item, wanted))
                if item is not None
                else dav.gone(target)
            )
        return _multistatus(dav.multistatus(answers))
    if root.tag == tag(CALDAV, "calendar-query"):
        start = end = None
        filtered = root.find(tag(CALDAV, "filter"))
        if filtered is not None:
            for comp in filtered.iter(tag(CALDAV, "comp-filter")):
                if comp.get("name", "").upper() not in ("VCALENDAR", "VEVENT"):
                    # Only events live here: a query for to-dos finds nothing.
                    return _multistatus(dav.multistatus([]))
            window = filtered.find(f".//{tag(CALDAV, 'time-range')}")
            if window is not None:
                start, end = _time(window.get("start")), _time(window.get("end"))
        found = [
            item
            for item in await store.objects(db=db, user=user)
            if store.overlaps(item.event, start, end)
        ]
        return _multistatus(
            dav.multistatus(
                _answer(path + item.name, wanted, _object_props(item, wanted)) for item in found
            )
        )
    if root.tag == tag(DAV, "sync-collection"):
        token = (root.findtext(tag(DAV, "sync-token")) or "").strip()
        found = await store.objects(db=db, user=user)
        before: dict[str, str] = {}
        if token:
            state = await store.state_for_token(db=db, user=user, token=token)
            if state is None:
                raise Refused(403, dav.error(DAV, "valid-sync-token"))
            before = state.etags
        now = await store.current_state(db=db, user=user, found=found)
        answers = [
            _answer(path + item.name, wanted, _object_props(item, wanted))
            for item in found
            if before.get(item.name) != item.etag
        ]
        names = {item.name for item in found}
        answers += [dav.gone(path + name) for name in sorted(before) if name not in names]
        return _multistatus(dav.multistatus(answers, sync_token=store.token_of(now)))
    raise Refused(403, dav.error(DAV, "supported-report"))


# Objects


def _matches(header: str, etag: str | None) -> bool:
    values = [value.strip() for value in header.split(",")]
    if "*" in values:
        return etag is not None
    return etag is not None and etag in values


def _check_preconditions(request: Request, current: store.CalendarObject | None) -> None:
    etag = current.etag if current is not None else None
    if_match = request.headers.get("if-match")
    if if_match is not None and not _matches(if_match, etag):
        raise Refused(412)
    if_none = request.headers.get("if-none-match")
    if if_none is not None and _matches(if_none, etag):
        raise Refused(412)


@router.api_route(f"{ROOT}calendars/{{user_id}}/{CALENDAR_NAME}/{{name}}", methods=OBJECT_METHODS)
async def calendar_object(
    request: Request, user_id: Id, name: str, db: DbSession, runtime: CurrentRuntime
) -> Response:
    if request.method == "OPTIONS":
        return _options()
    try:
        user = await _user(request, db)
        _own(user, user_id)
        current = await store.find(db=db, user=user, name=name)
        if request.method in ("GET", "HEAD"):
            if current is None:
                raise Refused(404)
            return Response(
                current.body if request.method == "GET" else b"",
                media_type=ICS_TYPE,
                headers={"ETag": current.etag, "DAV": DAV_HEADER},
            )
        if request.method == "PROPFIND":
            if current is None:
                raise Refused(404)
            wanted = _wanted(_xml_body(await _body(request))) or DEFAULT_PROPS
            answer = _answer(calendar_path(user.id) + name, wanted, _object_props(current, wanted))
            return _multistatus(dav.multistatus([answer]))
        _check_preconditions(request, current)
        if current is not None and current.event.organizer_id != user.id:
            raise Refused(
                403, dav.error(DAV, "need-privileges", "Only the organiser changes an event.")
            )
        if request.method == "DELETE":
            if current is None:
                raise Refused(404)
            await store.remove(db=db, runtime=runtime, user=user, current=current)
            return Response(status_code=204, headers={"DAV": DAV_HEADER})
        data = await _body(request)
        if not name.endswith(".ics") or len(name) > 255 or "/" in name:
            raise Refused(403, dav.error(DAV, "need-privileges", "Objects are named *.ics."))
        media = request.headers.get("content-type", "text/calendar").split(";")[0].strip()
        if media.lower() != "text/calendar":
            raise Refused(415, dav.error(CALDAV, "supported-calendar-data"))
        try:
            event = await store.put(
                db=db, runtime=runtime, user=user, name=name, current=current, data=data
            )
        except store.BadCalendarData as exc:
            raise Refused(exc.status, dav.error(CALDAV, exc.condition, exc.reason)) from exc
        except ParleyError as exc:
            raise Refused(
                400,
                dav.error(CALDAV, "valid-calendar-data", i18n.gettext(exc.message, **exc.params)),
            ) from exc
        log.info("caldav put", extra={"event": event.id, "user": user.id})
        # No ETag: the stored object differs from the body (Parley may add the link), so
        # the client reads it back (RFC 4791 5.3.4).
        return Response(status_code=201 if current is None else 204, headers={"DAV": DAV_HEADER})
    except Refused as exc:
        return _handle(exc)
