"""REST API of the calendar: events, answers, links, import, and the private feed."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import Response

from parley import i18n
from parley.accounts.models import User
from parley.calendar import conference as links
from parley.calendar import feeds, ics, importing, recurrence, service, times, visibility
from parley.calendar import site as calendar_site
from parley.calendar.models import CalendarEvent, Conference
from parley.calendar.schemas import (
    AnswerIn,
    AttendeeOut,
    ChoiceOut,
    ConferenceIn,
    ConferenceOut,
    EventIn,
    EventOut,
    FeedOut,
    ImportOut,
    OccurrenceOut,
    PersonOut,
    RecurrenceIn,
)
from parley.csrf import CsrfProtected
from parley.deps import CurrentUser, DbSession, Id
from parley.errors import N_, Invalid, NotFound
from parley.runtime import CurrentRuntime

router = APIRouter(prefix="/api/v1", tags=["calendar"])
feed_router = APIRouter(tags=["calendar"])

ICS_TYPE = "text/calendar; charset=utf-8"


def conference_out(
    conference: Conference | None, site: calendar_site.CalendarSite
) -> ConferenceOut | None:
    if conference is None:
        return None
    return ConferenceOut(
        id=conference.id,
        url=conference.url,
        provider=conference.provider_name,
        text=site.text(i18n.get_language()),
    )


def event_out(
    event: CalendarEvent,
    viewer: User,
    site: calendar_site.CalendarSite,
    *,
    conference_error: str | None = None,
) -> EventOut:
    mine = visibility.attendee_of(viewer, event)
    rule = recurrence.Rule.from_json(event.recurrence)
    return EventOut(
        id=event.id,
        uid=event.uid,
        title=event.title,
        description=event.description,
        location=event.location,
        timezone=event.timezone,
        all_day=event.all_day,
        start=times.local_text(event, event.starts_at),
        end=times.local_text(event, event.ends_at, end=True),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        recurrence=RecurrenceIn(
            freq=rule.freq, interval=rule.interval, count=rule.count, until=rule.until
        )
        if rule is not None
        else None,
        status=event.status,
        sequence=event.sequence,
        organizer=PersonOut(
            id=event.organizer.id, name=event.organizer.display_name, email=event.organizer.email
        ),
        attendees=[
            AttendeeOut(
                email=a.email,
                name=a.name,
                user_id=a.user_id,
                is_resource=a.is_resource,
                answer=a.partstat,
            )
            for a in event.attendees
        ],
        conference=conference_out(event.conference, site),
        can_edit=event.organizer_id == viewer.id,
        my_answer=mine.partstat if mine is not None and event.organizer_id != viewer.id else None,
        conference_error=conference_error,
    )


def _moment(text: str, timezone: str) -> datetime:
    if not text:
        raise Invalid(N_("Say from when and until when."), code="bad_window")
    if len(text) == 10:
        # A day starts at midnight where the reader is.
        day = times.parse_day(text)
        return datetime.combine(day, time(), tzinfo=recurrence.zone(timezone)).astimezone(UTC)
    return times.parse_moment(text, timezone)


@router.get("/events", response_model=list[OccurrenceOut])
async def list_events(
    user: CurrentUser, db: DbSession, start: str = "", end: str = "", timezone: str = "UTC"
) -> list[OccurrenceOut]:
    """Occurrences of my events and those I am invited to between `start` and `end`.

    `start` and `end`: dates or local times in `timezone` (at most 400 days apart).
    Repeating events are expanded into their occurrences.
    """
    times.check_zone(timezone)
    after, before = _moment(start, timezone), _moment(end, timezone)
    found = await visibility.occurrences(
        db=db, user=user, after=after, before=before, timezone=timezone
    )
    return [
        OccurrenceOut(
            event_id=o.event.id,
            title=o.event.title,
            all_day=o.all_day,
            start=times.local_text(o.event, o.starts_at),
            end=times.local_text(o.event, o.ends_at, end=True),
            starts_at=o.starts_at,
            ends_at=o.ends_at,
            status=o.event.status,
            can_edit=o.role == "organizer",
            my_answer=o.my_answer,
            conference_url=o.event.conference.url if o.event.conference else None,
        )
        for o in found
    ]


@router.post("/events", response_model=EventOut, status_code=status.HTTP_201_CREATED)
async def create_event(
    body: EventIn,
    user: CurrentUser,
    db: DbSession,
    runtime: CurrentRuntime,
    _csrf: CsrfProtected,
) -> EventOut:
    """Create an event and email its attendees an invitation (with an .ics).

    Inviting the videoconference resource (its address is in the administration) adds a
    link as `add_conference` does; if it cannot be made, the event is saved without it and
    `conference_error` says why.
    """
    saved = await service.create(db=db, runtime=runtime, organizer=user, data=body)
    site = await calendar_site.load(db=db)
    return event_out(saved.event, user, site, conference_error=saved.conference_error)


@router.get("/events/{event_id}", response_model=EventOut)
async def get_event(event_id: Id, user: CurrentUser, db: DbSession) -> EventOut:
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    return event_out(event, user, await calendar_site.load(db=db))


@router.put("/events/{event_id}", response_model=EventOut)
async def update_event(
    event_id: Id,
    body: EventIn,
    user: CurrentUser,
    db: DbSession,
    runtime: CurrentRuntime,
    _csrf: CsrfProtected,
) -> EventOut:
    """Replace the event (organiser only). Leaving out `conference_id` removes the link from
    the event (the link keeps working). Attendees are told of changes with a new SEQUENCE."""
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    saved = await service.update(db=db, runtime=runtime, actor=user, event=event, data=body)
    site = await calendar_site.load(db=db)
    return event_out(saved.event, user, site, conference_error=saved.conference_error)


@router.post("/events/{event_id}/cancel", response_model=EventOut)
async def cancel_event(
    event_id: Id,
    user: CurrentUser,
    db: DbSession,
    runtime: CurrentRuntime,
    _csrf: CsrfProtected,
) -> EventOut:
    """Cancel the event (organiser only): attendees get METHOD:CANCEL."""
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    await service.cancel(db=db, runtime=runtime, actor=user, event=event)
    return event_out(event, user, await calendar_site.load(db=db))


@router.delete("/events/{event_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_event(
    event_id: Id,
    user: CurrentUser,
    db: DbSession,
    runtime: CurrentRuntime,
    _csrf: CsrfProtected,
) -> Response:
    """Delete the event (organiser only); attendees of one still to come get METHOD:CANCEL."""
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    await service.delete(db=db, runtime=runtime, actor=user, event=event)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/events/{event_id}/answer", response_model=EventOut)
async def answer_event(
    event_id: Id, body: AnswerIn, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> EventOut:
    """Accept, decline or say maybe, as an attendee."""
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    attendee = visibility.attendee_of(user, event)
    if attendee is None:
        raise NotFound(N_("You are not invited to this event."), code="not_invited")
    await service.answer(db=db, attendee=attendee, value=body.answer)
    return event_out(event, user, await calendar_site.load(db=db))


@router.get("/events/{event_id}/ics", response_class=Response)
async def event_ics(event_id: Id, user: CurrentUser, db: DbSession) -> Response:
    """The event as an .ics file (METHOD:PUBLISH), for a calendar program."""
    event, _role = await visibility.get_visible(db=db, user=user, event_id=event_id)
    site = await calendar_site.load(db=db)
    component = ics.event_component(event, event.organizer, text=site.text(i18n.get_language()))
    return Response(
        ics.calendar([component], method="PUBLISH"),
        media_type=ICS_TYPE,
        headers={"content-disposition": 'attachment; filename="event.ics"'},
    )


@router.get("/calendar/providers", response_model=list[ChoiceOut])
async def providers(user: CurrentUser, db: DbSession) -> list[ChoiceOut]:
    """The videoconference services offered for events, the default first."""
    return [ChoiceOut(key=c.key, name=c.name) for c in await links.choices(db=db)]


@router.post(
    "/calendar/conferences", response_model=ConferenceOut, status_code=status.HTTP_201_CREATED
)
async def make_conference(
    body: ConferenceIn,
    user: CurrentUser,
    db: DbSession,
    runtime: CurrentRuntime,
    _csrf: CsrfProtected,
) -> ConferenceOut:
    """Make a videoconference link now, for an event being written (valid at once).

    Give its `id` as the event's `conference_id` when saving. Each call makes a new link;
    links are never deleted, so one removed from an event keeps working.
    """
    made = await service.make_link(
        db=db,
        runtime=runtime,
        owner=user,
        provider=body.provider,
        title=body.title,
        start=body.start,
        end=body.end,
        timezone=body.timezone,
    )
    result = conference_out(made, await calendar_site.load(db=db))
    assert result is not None
    return result


@router.post("/calendar/import", response_model=ImportOut)
async def import_calendar(
    user: CurrentUser,
    db: DbSession,
    runtime: CurrentRuntime,
    _csrf: CsrfProtected,
    file: Annotated[UploadFile, File()],
    timezone: Annotated[str, Form(max_length=64)] = "UTC",
) -> ImportOut:
    """Add the events of an .ics file (one event or a calendar) to my calendar.

    All or nothing; no invitation is sent. Events already imported (same UID) are updated.
    """
    data = await file.read(importing.MAX_IMPORT_BYTES + 1)
    if len(data) > importing.MAX_IMPORT_BYTES:
        raise Invalid(N_("This file is too large (2 MB at most)."), code="too_large")
    result = await importing.import_file(
        db=db, runtime=runtime, user=user, data=data, timezone=timezone
    )
    return ImportOut(
        created=result.created,
        updated=result.updated,
        conference_errors=result.conference_errors,
    )


@router.get("/calendar/feed", response_model=FeedOut)
async def get_feed(user: CurrentUser, db: DbSession, runtime: CurrentRuntime) -> FeedOut:
    """My private feed's address, or null when it is off."""
    feed = await feeds.feed_of(db=db, user=user)
    token = feeds.feed_token(runtime.secret, feed) if feed is not None else None
    return FeedOut(url=feeds.feed_url(runtime, token) if token else None)


@router.post("/calendar/feed", response_model=FeedOut)
async def new_feed(
    user: CurrentUser,
    db: DbSession,
    runtime: CurrentRuntime,
    _csrf: CsrfProtected,
) -> FeedOut:
    """Turn my feed on with a new secret address; any previous address stops working."""
    feed = await feeds.new_feed_address(db=db, user=user)
    return FeedOut(url=feeds.feed_url(runtime, feeds.feed_token(runtime.secret, feed)))


@router.delete("/calendar/feed", status_code=status.HTTP_204_NO_CONTENT)
async def stop_feed(user: CurrentUser, db: DbSession, _csrf: CsrfProtected) -> Response:
    """Turn my feed off: its address stops working."""
    await feeds.stop_feed(db=db, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@feed_router.get("/calendar/feed/{token}.ics", response_class=Response)
async def feed(token: str, db: DbSession, runtime: CurrentRuntime) -> Response:
    """A member's calendar for calendar programs to subscribe to; the address is the secret."""
    user = await feeds.user_for_feed(db=db, secret=runtime.secret, token=token[:200])
    if user is None:
        raise NotFound(N_("This calendar address is not valid (any more)."))
    site = await calendar_site.load(db=db)
    language = user.language or i18n.get_language()
    with i18n.using(language):
        components = [
            ics.event_component(event, event.organizer, text=site.text(language))
            for event in await feeds.feed_events(db=db, user=user)
        ]
        name = i18n.gettext(N_("Parley: %(name)s"), name=user.display_name)
    return Response(
        ics.calendar(components, method="PUBLISH", name=name),
        media_type=ICS_TYPE,
        headers={"cache-control": "private, max-age=300"},
    )
