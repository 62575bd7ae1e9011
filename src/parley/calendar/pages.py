"""Pages of the calendar: week, month and list views, the event form, the details popup,
answers from emails, import and feed, and the administrators' calendar settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_skeleton, format_time, get_day_names
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from parley import i18n
from parley.accounts.models import User
from parley.accounts.schemas import Email
from parley.calendar import conference as links
from parley.calendar import emails, recurrence, service
from parley.calendar import site as calendar_site
from parley.calendar.context import Services
from parley.calendar.models import ANSWERS, CANCELLED, NEEDS_ACTION, CalendarEvent
from parley.calendar.schemas import EventIn
from parley.calendar.views import MAX_IMPORT_BYTES, feed_url, local_text
from parley.csrf import check_csrf
from parley.deps import AdminUser, CurrentUser, DbSession, Id, Viewer
from parley.errors import N_, Invalid, ParleyError
from parley.forms import form_data, parse
from parley.people import service as people
from parley.providers import service as providers
from parley.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
admin_router = APIRouter(
    prefix="/admin", include_in_schema=False, dependencies=[Depends(check_csrf)]
)

# The browser tells its time zone in this cookie (calendar.js); pages show times in it.
ZONE_COOKIE = "parley_tz"
VIEWS = ("week", "month", "list")
# The list view shows this many days from the chosen one.
LIST_DAYS = 30
# A month cell shows this many events, then "n more".
MONTH_CELL_EVENTS = 3
_email = TypeAdapter(Email)


def _services(request: Request) -> Services:
    state = request.app.state
    return Services(
        settings=state.settings, runtime=state.providers, bus=state.bus, secret=state.secret
    )


def viewer_zone(request: Request) -> str:
    zone = request.cookies.get(ZONE_COOKIE, "")
    return zone if zone in recurrence.zone_names() else "UTC"


def _message(exc: ParleyError) -> str:
    return i18n.gettext(exc.message, **exc.params)


# Views of the calendar


@dataclass
class Segment:
    """The part of an occurrence shown in one day of the week view."""

    occurrence: service.Occurrence
    top: int  # minutes from midnight
    bottom: int
    lane: int = 0
    lanes: int = 1


@dataclass
class Day:
    day: date
    all_day: list[service.Occurrence] = field(default_factory=list)
    timed: list[service.Occurrence] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)


def _lanes(segments: list[Segment]) -> None:
    """Put overlapping segments side by side (greedy, per group of overlaps)."""
    segments.sort(key=lambda s: (s.top, -s.bottom))
    group: list[Segment] = []
    ends: list[int] = []
    group_end = -1
    for segment in [*segments, None]:
        if segment is None or segment.top >= group_end:
            for member in group:
                member.lanes = len(ends)
            if segment is None:
                break
            group, ends, group_end = [], [], -1
        lane = next((i for i, end in enumerate(ends) if end <= segment.top), None)
        if lane is None:
            ends.append(segment.bottom)
            lane = len(ends) - 1
        else:
            ends[lane] = segment.bottom
        segment.lane = lane
        group.append(segment)
        group_end = max(group_end, segment.bottom)


def _days(found: list[service.Occurrence], first: date, count: int, tz: str) -> list[Day]:
    days = [Day(first + timedelta(days=n)) for n in range(count)]
    by_date = {d.day: d for d in days}
    zone = recurrence.zone(tz)
    for occurrence in found:
        if occurrence.all_day:
            day = occurrence.starts_at.date()
            while day < occurrence.ends_at.date():
                if day in by_date:
                    by_date[day].all_day.append(occurrence)
                day += timedelta(days=1)
            continue
        start = occurrence.starts_at.astimezone(zone)
        end = occurrence.ends_at.astimezone(zone)
        day = start.date()
        while day <= end.date():
            if day in by_date and (day < end.date() or end.time() != time()):
                day_start = datetime.combine(day, time(), tzinfo=zone)
                top = max(0, int((start - day_start).total_seconds() // 60))
                bottom = min(1440, int((end - day_start).total_seconds() // 60))
                by_date[day].timed.append(occurrence)
                by_date[day].segments.append(Segment(occurrence, top, max(bottom, top + 15)))
            day += timedelta(days=1)
    for day_ in days:
        _lanes(day_.segments)
    return days


def _period(view: str, anchor: date) -> tuple[date, int]:
    """The first day shown and how many days, for a view around `anchor`."""
    if view == "week":
        return anchor - timedelta(days=anchor.weekday()), 7
    if view == "month":
        first = anchor.replace(day=1)
        start = first - timedelta(days=first.weekday())
        return start, 42
    return anchor, LIST_DAYS


def _shift(view: str, anchor: date, step: int) -> date:
    if view == "week":
        return anchor + timedelta(days=7 * step)
    if view == "month":
        month = anchor.month - 1 + step
        return date(anchor.year + month // 12, month % 12 + 1, 1)
    return anchor + timedelta(days=LIST_DAYS * step)


def _title(view: str, first: date, count: int, anchor: date, language: str) -> str:
    if view == "month":
        return format_skeleton("yMMMM", anchor, locale=language)
    last = first + timedelta(days=count - 1)
    return (
        f"{format_date(first, 'long', locale=language)} – "
        f"{format_date(last, 'long', locale=language)}"
    )


def _anchor(text: str, tz: str) -> date:
    try:
        return service.parse_day(text) if text else datetime.now(recurrence.zone(tz)).date()
    except Invalid:
        return datetime.now(recurrence.zone(tz)).date()


@router.get("/calendar")
async def calendar_page(
    request: Request, user: CurrentUser, db: DbSession, view: str = "week", date: str = ""
) -> Response:
    tz = viewer_zone(request)
    view = view if view in VIEWS else "week"
    anchor = _anchor(date, tz)
    first, count = _period(view, anchor)
    zone = recurrence.zone(tz)
    after = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)
    before = datetime.combine(first + timedelta(days=count), time(), tzinfo=zone).astimezone(UTC)
    found = await service.occurrences(db=db, user=user, after=after, before=before, timezone=tz)
    language = i18n.get_language()
    today = datetime.now(zone).date()
    days = _days(found, first, count, tz)
    return render(
        request,
        "calendar/index.html",
        {
            "view": view,
            "anchor": anchor,
            "today": today,
            "days": days,
            "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
            "tz": tz,
            "title": _title(view, first, count, anchor, language),
            "previous": _shift(view, anchor, -1).isoformat(),
            "next": _shift(view, anchor, 1).isoformat(),
            "weekdays": [get_day_names("abbreviated", locale=language)[i] for i in range(7)],
            "hours": [format_time(time(h), "short", locale=language) for h in range(24)],
            "day_label": lambda d: format_skeleton("MMMEd", d, locale=language),
            "long_day": lambda d: format_date(d, "full", locale=language),
            "clock": lambda o: _clock(o, tz, language),
            "cell_limit": MONTH_CELL_EVENTS,
            "has_events": bool(found),
        },
    )


def _clock(occurrence: service.Occurrence, tz: str, language: str) -> str:
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
    mine = service.attendee_of(user, event)
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
    event, role = await service.get_visible(db=db, user=user, event_id=event_id)
    context = await _details_context(request, db, user, event, role)
    return render(request, "calendar/_details.html" if popup else "calendar/event.html", context)


@router.post("/calendar/events/{event_id}/answer")
async def answer(event_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    event, _role = await service.get_visible(db=db, user=user, event_id=event_id)
    data = await form_data(request)
    attendee = service.attendee_of(user, event)
    value = data.get("answer", "")
    if attendee is None or value not in ANSWERS or value == NEEDS_ACTION:
        raise Invalid(N_("Choose one of the options."))
    await service.answer(db=db, attendee=attendee, value=value)
    return RedirectResponse(f"/calendar/events/{event.id}", status_code=303)


@router.post("/calendar/events/{event_id}/cancel")
async def cancel(event_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    event, _role = await service.get_visible(db=db, user=user, event_id=event_id)
    await service.cancel(db=db, services=_services(request), actor=user, event=event)
    return RedirectResponse(f"/calendar/events/{event.id}", status_code=303)


@router.post("/calendar/events/{event_id}/delete")
async def delete(event_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    event, _role = await service.get_visible(db=db, user=user, event_id=event_id)
    await service.delete(db=db, services=_services(request), actor=user, event=event)
    return RedirectResponse("/calendar", status_code=303)


# The event form


def _split_local(event: CalendarEvent, value: datetime, *, end: bool) -> tuple[str, str]:
    text = local_text(event, value, end=end)
    return (text, "") if event.all_day else (text[:10], text[11:16])


def _values_of(event: CalendarEvent) -> dict[str, str]:
    start_date, start_time = _split_local(event, event.starts_at, end=False)
    end_date, end_time = _split_local(event, event.ends_at, end=True)
    rule = recurrence.Rule.from_json(event.recurrence)
    return {
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "timezone": event.timezone,
        "all_day": "on" if event.all_day else "",
        "start_date": start_date,
        "start_time": start_time or "09:00",
        "end_date": end_date,
        "end_time": end_time or "10:00",
        "attendees": "\n".join(a.email for a in event.attendees),
        "repeat": rule.freq if rule else "none",
        "interval": str(rule.interval) if rule else "1",
        "ends": ("count" if rule.count else "until" if rule.until else "never")
        if rule
        else "never",
        "count": str(rule.count) if rule and rule.count else "10",
        "until": rule.until.isoformat() if rule and rule.until else "",
        "conference_id": str(event.conference_id or ""),
    }


def _new_values(request: Request, day: str, hour: str) -> dict[str, str]:
    tz = viewer_zone(request)
    first = _anchor(day, tz)
    start = int(hour) if hour.isdigit() and int(hour) < 23 else 9
    return {
        "title": "",
        "description": "",
        "location": "",
        "timezone": tz,
        "all_day": "",
        "start_date": first.isoformat(),
        "start_time": f"{start:02d}:00",
        "end_date": first.isoformat(),
        "end_time": f"{start + 1:02d}:00",
        "attendees": "",
        "repeat": "none",
        "interval": "1",
        "ends": "never",
        "count": "10",
        "until": "",
        "conference_id": "",
    }


def _event_input(values: dict[str, str]) -> tuple[EventIn | None, dict[str, str]]:
    """Read the form into the API's schema; errors by field, in words people understand."""
    errors: dict[str, str] = {}
    all_day = values.get("all_day") == "on"
    addresses = [a for a in re.split(r"[\s,;]+", values.get("attendees", "")) if a]
    attendees = []
    for address in addresses:
        try:
            attendees.append({"email": _email.validate_python(address)})
        except ValidationError:
            errors["attendees"] = i18n.gettext(
                N_("This is not an email address: %(value)s"), value=address[:100]
            )
            break
    recurrence_in: dict[str, Any] | None = None
    if values.get("repeat") in recurrence.FREQUENCIES:
        recurrence_in = {"freq": values["repeat"]}
        try:
            recurrence_in["interval"] = int(values.get("interval") or 1)
            if values.get("ends") == "count":
                recurrence_in["count"] = int(values.get("count") or 0)
        except ValueError:
            errors["repeat"] = i18n.gettext(N_("Type a whole number."))
        if values.get("ends") == "until":
            try:
                recurrence_in["until"] = service.parse_day(values.get("until", ""))
            except Invalid as exc:
                errors["repeat"] = _message(exc)
    conference = values.get("conference_id", "")
    data = {
        "title": values.get("title", ""),
        "description": values.get("description", "").replace("\r\n", "\n"),
        "location": values.get("location", ""),
        "timezone": values.get("timezone", "UTC"),
        "all_day": all_day,
        "start": values.get("start_date", "")
        + ("" if all_day else "T" + (values.get("start_time") or "00:00")),
        "end": values.get("end_date", "")
        + ("" if all_day else "T" + (values.get("end_time") or "00:00")),
        "attendees": attendees,
        "recurrence": recurrence_in,
        "conference_id": int(conference) if conference.isdigit() else None,
    }
    form, field_errors = parse(EventIn, data)
    for name, message in field_errors.items():
        errors.setdefault(name, message)
    return (form if not errors else None), errors


# Which form field shows which refusal of the service.
_ERROR_FIELDS = {
    "end_before_start": "end",
    "too_long": "end",
    "nonexistent_time": "start",
    "bad_date": "start",
    "bad_timezone": "timezone",
    "bad_recurrence": "repeat",
    "too_many_occurrences": "repeat",
    "overlapping_repeats": "repeat",
}


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
    return await _form_page(request, db, user, event=None, values=_new_values(request, date, hour))


@router.get("/calendar/events/{event_id}/edit")
async def edit_event(event_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    event, _role = await service.get_visible(db=db, user=user, event_id=event_id)
    service.require_organizer(user, event)
    return await _form_page(request, db, user, event=event, values=_values_of(event))


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
                    services=_services(request),
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
                    errors={"conference": _message(exc)}, status_code=502,
                )  # fmt: skip
            values["conference_id"] = str(made.id)
            if replaced:
                notice = i18n.gettext(
                    N_("This is a new link. The previous one still works for anyone who has it.")
                )
        else:
            values["conference_id"] = ""
        return await _form_page(request, db, user, event=event, values=values, notice=notice)
    form, errors = _event_input(values)
    if form is not None:
        services = _services(request)
        try:
            if event is None:
                saved = await service.create(db=db, services=services, organizer=user, data=form)
            else:
                saved = await service.update(
                    db=db, services=services, actor=user, event=event, data=form
                )
        except ParleyError as exc:
            errors = {_ERROR_FIELDS.get(exc.code, "__all__"): _message(exc)}
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
    event, _role = await service.get_visible(db=db, user=user, event_id=event_id)
    service.require_organizer(user, event)
    return await _save(request, db, user, event)


# Answers from the links in invitation emails (no login needed: the link is the secret)


@router.get("/calendar/rsvp/{attendee_id}/{token}")
async def rsvp_page(
    attendee_id: Id, token: str, request: Request, db: DbSession, viewer: Viewer, answer: str = ""
) -> Response:
    attendee, event = await service.attendee_for_token(
        db=db, secret=request.app.state.secret, attendee_id=attendee_id, token=token[:100]
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
        db=db, secret=request.app.state.secret, attendee_id=attendee_id, token=token[:100]
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
    services = _services(request)
    feed = await service.feed_of(db=db, user=user)
    return render(
        request,
        "calendar/subscribe.html",
        {
            "feed_url": feed_url(services, service.feed_token(services.secret, feed))
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
        await service.stop_feed(db=db, user=user)
        notice = i18n.gettext(N_("Your calendar address is turned off. It no longer works."))
    else:
        await service.new_feed_address(db=db, user=user)
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
        data = await upload.read(MAX_IMPORT_BYTES + 1)
    finally:
        # The upload's temporary file goes now, not when the garbage collector finds it.
        await form.close()
    if len(data) > MAX_IMPORT_BYTES:
        error = i18n.gettext(N_("This file is too large (2 MB at most)."))
        return await _subscribe_page(request, db, user, error=error, status_code=422)
    try:
        result = await service.import_file(
            db=db, services=_services(request), user=user, data=data, timezone=timezone
        )
    except ParleyError as exc:
        return await _subscribe_page(request, db, user, error=_message(exc), status_code=422)
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
    form = await request.form()
    errors: dict[str, str] = {}
    known = {row.id for row in await providers.list_configs(db=db)}
    provider_ids = []
    for value in form.getlist("provider"):
        if not (isinstance(value, str) and value.isdigit() and int(value) in known):
            errors["providers"] = i18n.gettext(N_("Choose one of the options."))
            break
        provider_ids.append(int(value))
    offer_parley = form.get("offer_parley") == "on"
    if not offer_parley and not provider_ids:
        errors["providers"] = i18n.gettext(
            N_("Offer at least one service, or people cannot add a videoconference.")
        )
    texts = {}
    for language in i18n.LANGUAGES:
        text = str(form.get(f"text_{language}") or "").replace("\r\n", "\n").strip()
        if len(text) > calendar_site.TEXT_MAX:
            errors[f"text_{language}"] = i18n.gettext(
                N_("At most %(count)s characters."), count=calendar_site.TEXT_MAX
            )
        texts[language] = text
    resource = str(form.get("resource") or "").strip().lower()
    if resource:
        try:
            resource = _email.validate_python(resource)
        except ValidationError:
            errors["resource"] = i18n.gettext(N_("Enter a valid email address."))
    site = calendar_site.CalendarSite(
        offer_parley=offer_parley, provider_ids=provider_ids, texts=texts, resource=resource
    )
    if errors:
        return await _admin_page(request, db, errors=errors, site=site, status_code=422)
    await calendar_site.save(db=db, site=site)
    return await _admin_page(request, db, notice=i18n.gettext(N_("Settings saved.")))
