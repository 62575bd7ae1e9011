"""Pages of the calendar: week, month and list views, the event form, the details popup,
answers from emails, import and feed, and the administrators' calendar settings.

Where events go on the views is computed by `parley.calendar.layout`; the forms are read by
`parley.calendar.forms`. This module turns requests into those calls and renders the result.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_skeleton, format_time, get_day_names
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from parley import i18n
from parley.accounts.models import User
from parley.calendar import conference as links
from parley.calendar import emails, feeds, forms, importing, layout, recurrence, service, visibility
from parley.calendar import site as calendar_site
from parley.calendar.models import ANSWERS, CANCELLED, NEEDS_ACTION, CalendarEvent
from parley.csrf import check_csrf
from parley.deps import AdminUser, CurrentUser, DbSession, Id, Viewer
from parley.errors import N_, Invalid, ParleyError
from parley.forms import form_data
from parley.people import service as people
from parley.providers import service as providers
from parley.runtime import runtime_of
from parley.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
admin_router = APIRouter(
    prefix="/admin", include_in_schema=False, dependencies=[Depends(check_csrf)]
)

# The browser tells its time zone in this cookie (calendar.js); pages show times in it.
ZONE_COOKIE = "parley_tz"
# A month cell shows this many events, then "n more".
MONTH_CELL_EVENTS = 3


def viewer_zone(request: Request) -> str:
    zone = request.cookies.get(ZONE_COOKIE, "")
    return zone if zone in recurrence.zone_names() else "UTC"


# Views of the calendar


def _title(view: str, first: date, count: int, anchor: date, language: str) -> str:
    if view == "month":
        return format_skeleton("yMMMM", anchor, locale=language)
    last = first + timedelta(days=count - 1)
    return (
        f"{format_date(first, 'long', locale=language)} – "
        f"{format_date(last, 'long', locale=language)}"
    )


@router.get("/calendar")
async def calendar_page(
    request: Request, user: CurrentUser, db: DbSession, view: str = "week", date: str = ""
) -> Response:
    tz = viewer_zone(request)
    view = view if view in layout.VIEWS else "week"
    anchor = forms.anchor(date, tz)
    first, count = layout.period(view, anchor)
    after, before = layout.window(first, count, tz)
    found = await visibility.occurrences(db=db, user=user, after=after, before=before, timezone=tz)
    language = i18n.get_language()
    today = datetime.now(recurrence.zone(tz)).date()
    days = layout.days(found, first, count, tz)
    return render(
        request,
        "calendar/index.html",
        {
            "view": view,
            "anchor": anchor,
            "today": today,
            "days": days,
            "weeks": layout.weeks(days),
            "tz": tz,
            "title": _title(view, first, count, anchor, language),
            "previous": layout.shift(view, anchor, -1).isoformat(),
            "next": layout.shift(view, anchor, 1).isoformat(),
            "weekdays": [get_day_names("abbreviated", locale=language)[i] for i in range(7)],
            "hours": [format_time(time(h), "short", locale=language) for h in range(24)],
            "day_label": lambda d: format_skeleton("MMMEd", d, locale=language),
            "long_day": lambda d: format_date(d, "full", locale=language),
            "clock": lambda o: _clock(o, tz, language),
            "cell_limit": MONTH_CELL_EVENTS,
            "has_events": bool(found),
        },
    )


def _clock(occurrence: visibility.Occurrence, tz: str, language: str) -> str:
    if occurrence.all_day:
        return i18n.gettext(N_("All day"))
    start, end = occurrence.local_start(tz), occurrence.local_end(tz)
    return (
        f"{format_time(start, 'short', locale=language)} – "
        f"{format_time(end, 'short', locale=language)}"
    )


# Details of an event


def _when(event: CalendarEvent, tz: str, language: str) -> list[str]:
    """The event's time in words: in the reader's zone, and in the event's when it differs."""
    lines = [emails.describe_when(event, language)]
    if not event.all_day and tz != event.timezone:
        zone = recurrence.zone(tz)
        start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
        lines.insert(
            0,
            f"{format_date(start, 'full', locale=language)}, "
            f"{format_time(start, 'short', locale=language)} – "
            f"{format_time(end, 'short', locale=language)} ({tz})",
        )
    return lines


async def _details_context(
    request: Request, db: DbSession, user: User, event: CalendarEvent, role: str
) -> dict[str, Any]:
    site = await calendar_site.load(db=db)
    language = i18n.get_language()
    mine = visibility.attendee_of(user, event)
    return {
        "event": event,
        "role": role,
        "when": _when(event, viewer_zone(request), language),
        "conference": event.conference,
        "conference_text": site.text(language),
        "my_answer": mine.partstat if mine is not None and role == "attendee" else None,
        "people": [a for a in event.attendees if not a.is_resource],
        "cancelled": event.status == CANCELLED,
    }


@router.get("/calendar/events/{event_id}")
async def event_page(
    event_id: Id, request: Request, user: CurrentUser, db: DbSession, popup: bool = False
) -> Response:
    event, role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    context = await _details_context(request, db, user, event, role)
    return render(request, "calendar/_details.html" if popup else "calendar/event.html", context)


@router.post("/calendar/events/{event_id}/answer")
async def answer(event_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    data = await form_data(request)
    attendee = visibility.attendee_of(user, event)
    value = data.get("answer", "")
    if attendee is None or value not in ANSWERS or value == NEEDS_ACTION:
        raise Invalid(N_("Choose one of the options."))
    await service.answer(db=db, attendee=attendee, value=value)
    return RedirectResponse(f"/calendar/events/{event.id}", status_code=303)


@router.post("/calendar/events/{event_id}/cancel")
async def cancel(event_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    await service.cancel(db=db, runtime=runtime_of(request), actor=user, event=event)
    return RedirectResponse(f"/calendar/events/{event.id}", status_code=303)


@router.post("/calendar/events/{event_id}/delete")
async def delete(event_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    await service.delete(db=db, runtime=runtime_of(request), actor=user, event=event)
    return RedirectResponse("/calendar", status_code=303)


# The event form


async def _form_page(
    request: Request,
    db: DbSession,
    user: User,
    *,
    event: CalendarEvent | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    conference = None
    conference_id = values.get("conference_id", "")
    if conference_id.isdigit():
        try:
            conference = await links.owned(db=db, owner=user, conference_id=int(conference_id))
        except Invalid:
            values["conference_id"] = ""
    site = await calendar_site.load(db=db)
    members = [m for m in await people.members(db=db, query="") if m.id != user.id]
    answers = {a.email: a.partstat for a in event.attendees} if event is not None else {}
    return render(
        request,
        "calendar/form.html",
        {
            "event": event,
            "values": values,
            "errors": errors or {},
            "notice": notice,
            "zones": sorted(recurrence.zone_names()),
            "choices": await links.choices(db=db),
            "conference": conference,
            "conference_text": site.text(i18n.get_language()),
            "members": members[:500],
            "answers": answers,
            "resource": site.resource,
        },
        status_code=status_code,
    )


@router.get("/calendar/new")
async def new_event(
    request: Request, user: CurrentUser, db: DbSession, date: str = "", hour: str = ""
) -> Response:
    return await _form_page(
        request, db, user, event=None, values=forms.new_values(viewer_zone(request), date, hour)
    )


@router.get("/calendar/events/{event_id}/edit")
async def edit_event(event_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    visibility.require_organizer(user, event)
    return await _form_page(request, db, user, event=event, values=forms.values_of(event))


async def _save(
    request: Request, db: DbSession, user: User, event: CalendarEvent | None
) -> Response:
    values = await form_data(request)
    action = values.pop("action", "save")
    if action in {"add_conference", "remove_conference"}:
        # Without scripts, the buttons of the videoconference part come here.
        notice = None
        if action == "add_conference":
            replaced = bool(values.get("conference_id"))
            try:
                made = await service.make_link(
                    db=db,
                    runtime=runtime_of(request),
                    owner=user,
                    provider=values.get("provider") or None,
                    title=values.get("title", ""),
                    start="",
                    end="",
                    timezone="UTC",
                )
            except ParleyError as exc:
                return await _form_page(
                    request, db, user, event=event, values=values,
                    errors={"conference": forms.message(exc)}, status_code=502,
                )  # fmt: skip
            values["conference_id"] = str(made.id)
            if replaced:
                notice = i18n.gettext(
                    N_("This is a new link. The previous one still works for anyone who has it.")
                )
        else:
            values["conference_id"] = ""
        return await _form_page(request, db, user, event=event, values=values, notice=notice)
    form, errors = forms.event_input(values)
    if form is not None:
        runtime = runtime_of(request)
        try:
            if event is None:
                saved = await service.create(db=db, runtime=runtime, organizer=user, data=form)
            else:
                saved = await service.update(
                    db=db, runtime=runtime, actor=user, event=event, data=form
                )
        except ParleyError as exc:
            errors = {forms.ERROR_FIELDS.get(exc.code, "__all__"): forms.message(exc)}
        else:
            query = {"saved": "1"}
            if saved.conference_error:
                query["link_failed"] = "1"
            return RedirectResponse(
                f"/calendar/events/{saved.event.id}?{urlencode(query)}", status_code=303
            )
    return await _form_page(
        request, db, user, event=event, values=values, errors=errors, status_code=422
    )


@router.post("/calendar/new")
async def create_event(request: Request, user: CurrentUser, db: DbSession) -> Response:
    return await _save(request, db, user, None)


@router.post("/calendar/events/{event_id}/edit")
async def update_event(
    event_id: Id, request: Request, user: CurrentUser, db: DbSession
) -> Response:
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    visibility.require_organizer(user, event)
    return await _save(request, db, user, event)


# Answers from the links in invitation emails (no login needed: the link is the secret)


@router.get("/calendar/rsvp/{attendee_id}/{token}")
async def rsvp_page(
    attendee_id: Id, token: str, request: Request, db: DbSession, viewer: Viewer, answer: str = ""
) -> Response:
    attendee, event = await service.attendee_for_token(
        db=db, secret=runtime_of(request).secret, attendee_id=attendee_id, token=token[:100]
    )
    return render(
        request,
        "calendar/rsvp.html",
        {
            "event": event,
            "attendee": attendee,
            "token": token,
            "suggested": answer if answer in ANSWERS else "",
            "when": _when(event, event.timezone, i18n.get_language()),
            "cancelled": event.status == CANCELLED,
            "done": False,
        },
    )


@router.post("/calendar/rsvp/{attendee_id}/{token}")
async def rsvp(
    attendee_id: Id, token: str, request: Request, db: DbSession, viewer: Viewer
) -> Response:
    attendee, event = await service.attendee_for_token(
        db=db, secret=runtime_of(request).secret, attendee_id=attendee_id, token=token[:100]
    )
    value = (await form_data(request)).get("answer", "")
    if value not in ANSWERS or value == NEEDS_ACTION:
        raise Invalid(N_("Choose one of the options."))
    if event.status == CANCELLED:
        raise Invalid(N_("This event is cancelled."), code="cancelled")
    await service.answer(db=db, attendee=attendee, value=value)
    return render(
        request,
        "calendar/rsvp.html",
        {
            "event": event,
            "attendee": attendee,
            "token": token,
            "suggested": "",
            "when": _when(event, event.timezone, i18n.get_language()),
            "cancelled": False,
            "done": True,
        },
    )


# Import and subscribe


async def _subscribe_page(
    request: Request,
    db: DbSession,
    user: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    runtime = runtime_of(request)
    feed = await feeds.feed_of(db=db, user=user)
    return render(
        request,
        "calendar/subscribe.html",
        {
            "feed_url": feeds.feed_url(runtime, feeds.feed_token(runtime.secret, feed))
            if feed is not None
            else None,
            "tz": viewer_zone(request),
            "notice": notice,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/calendar/subscribe")
async def subscribe(request: Request, user: CurrentUser, db: DbSession) -> Response:
    return await _subscribe_page(request, db, user)


@router.post("/calendar/feed")
async def feed_address(request: Request, user: CurrentUser, db: DbSession) -> Response:
    data = await form_data(request)
    if data.get("action") == "stop":
        await feeds.stop_feed(db=db, user=user)
        notice = i18n.gettext(N_("Your calendar address is turned off. It no longer works."))
    else:
        await feeds.new_feed_address(db=db, user=user)
        notice = i18n.gettext(
            N_("Your calendar has a new address. Any address given before no longer works.")
        )
    return await _subscribe_page(request, db, user, notice=notice)


@router.post("/calendar/import")
async def import_file(request: Request, user: CurrentUser, db: DbSession) -> Response:
    form = await request.form()
    try:
        upload = form.get("file")
        timezone = str(form.get("timezone") or viewer_zone(request))
        if upload is None or isinstance(upload, str) or not upload.filename:
            error = i18n.gettext(N_("Choose an .ics file."))
            return await _subscribe_page(request, db, user, error=error, status_code=422)
        data = await upload.read(importing.MAX_IMPORT_BYTES + 1)
    finally:
        # The upload's temporary file goes now, not when the garbage collector finds it.
        await form.close()
    if len(data) > importing.MAX_IMPORT_BYTES:
        error = i18n.gettext(N_("This file is too large (2 MB at most)."))
        return await _subscribe_page(request, db, user, error=error, status_code=422)
    try:
        result = await importing.import_file(
            db=db, runtime=runtime_of(request), user=user, data=data, timezone=timezone
        )
    except ParleyError as exc:
        return await _subscribe_page(request, db, user, error=forms.message(exc), status_code=422)
    notice = i18n.gettext(
        N_("Imported: %(created)s new events, %(updated)s updated."),
        created=result.created,
        updated=result.updated,
    )
    if result.conference_errors:
        notice += " " + " ".join(result.conference_errors)
    return await _subscribe_page(request, db, user, notice=notice)


# The administrators' settings


async def _admin_page(
    request: Request,
    db: DbSession,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    site: calendar_site.CalendarSite | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/calendar.html",
        {
            "site": site or await calendar_site.load(db=db),
            "configs": await providers.list_configs(db=db),
            "languages": i18n.LANGUAGES,
            "notice": notice,
            "errors": errors or {},
            "text_max": calendar_site.TEXT_MAX,
        },
        status_code=status_code,
    )


@admin_router.get("/calendar")
async def admin_calendar(request: Request, _admin: AdminUser, db: DbSession) -> Response:
    return await _admin_page(request, db)


@admin_router.post("/calendar")
async def change_admin_calendar(request: Request, _admin: AdminUser, db: DbSession) -> Response:
    known = {row.id for row in await providers.list_configs(db=db)}
    site, errors = forms.site_input(await request.form(), known)
    if errors:
        return await _admin_page(request, db, errors=errors, site=site, status_code=422)
    await calendar_site.save(db=db, site=site)
    return await _admin_page(request, db, notice=i18n.gettext(N_("Settings saved.")))
