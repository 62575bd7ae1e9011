"""iCalendar (RFC 5545, 5546 and 7986) in and out: invitations, cancellations, the feed, imports.

What goes out is what mail and calendar programs expect of an invitation: METHOD, UID,
SEQUENCE, DTSTAMP, ORGANIZER, ATTENDEE with PARTSTAT and RSVP, times with their VTIMEZONE
(see `zones`), a series' RRULE and EXDATE, and the videoconference link in LOCATION (when
there is no place), URL, DESCRIPTION and RFC 7986's CONFERENCE.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from icalendar import STATUS, Calendar, Event, Parameters, vCalAddress, vRecur, vUri

from parley import __version__, i18n
from parley.accounts.models import User
from parley.calendar import recurrence, zones
from parley.calendar.models import (
    CANCELLED,
    DESCRIPTION_MAX,
    LOCATION_MAX,
    TITLE_MAX,
    UID_MAX,
    Attendee,
    CalendarEvent,
)
from parley.errors import N_, Invalid

PRODID = f"-//Parley//Parley {__version__}//EN"
# A file with more events than this is not something a person imports by hand.
MAX_IMPORTED_EVENTS = 500


def _local(value: datetime, timezone: str) -> datetime:
    return value.astimezone(recurrence.zone(timezone))


def link_block(url: str, text: str) -> str:
    """The lines about the videoconference that descriptions and emails carry."""
    lines = [i18n.gettext(N_("Videoconference: %(url)s"), url=url)]
    if text:
        lines.append(text)
    return "\n".join(lines)


def _add_conference(component: Event, url: str, *, label: str) -> None:
    """Add RFC 7986's CONFERENCE with FEATURE as its grammar's comma list.

    icalendar's `Conference` joins the features into one quoted value
    (`FEATURE="AUDIO,VIDEO"`), which readers that split the list take as one unknown
    feature; a list parameter is written unquoted, `FEATURE=AUDIO,VIDEO`.
    """
    component.add(
        "CONFERENCE",
        vUri(url),
        parameters=Parameters(VALUE="URI", FEATURE=["AUDIO", "VIDEO"], LABEL=label),
    )


def event_component(
    event: CalendarEvent,
    organizer: User,
    *,
    text: str,
    attendees: Sequence[Attendee] | None = None,
    cancelled: bool = False,
) -> Event:
    """The VEVENT of `event`, in the current language (for the administrators' text)."""
    component = Event.new(
        uid=event.uid,
        summary=event.title,
        sequence=event.sequence,
        stamp=datetime.now(UTC),
        created=event.created_at,
        last_modified=event.updated_at,
        organizer=vCalAddress.new(organizer.email, cn=organizer.display_name),
        status=STATUS.CANCELLED if cancelled or event.status == CANCELLED else STATUS.CONFIRMED,
    )
    if event.all_day:
        component.start = event.starts_at.date()
        component.end = event.ends_at.date()
    else:
        component.start = _local(event.starts_at, event.timezone)
        component.end = _local(event.ends_at, event.timezone)
    rule = recurrence.Rule.from_json(event.recurrence)
    if rule is not None:
        component.add(
            "RRULE",
            vRecur(recurrence.to_ical(rule, timezone=event.timezone, all_day=event.all_day)),
        )
        if event.exdates:
            component.add("EXDATE", _excluded_starts(event))
    description = event.description.strip()
    location = event.location.strip()
    conference = event.conference
    if conference is not None:
        block = link_block(conference.url, text)
        description = f"{description}\n\n{block}" if description else block
        location = location or conference.url
        component.url = conference.url
        _add_conference(component, conference.url, label=conference.provider_name)
    if description:
        component.description = description
    if location:
        component.location = location
    people = [
        vCalAddress.new(
            a.email,
            cn=a.name or None,
            cutype="RESOURCE" if a.is_resource else "INDIVIDUAL",
            role="NON-PARTICIPANT" if a.is_resource else "REQ-PARTICIPANT",
            partstat=a.partstat.upper(),
            rsvp=None if a.is_resource else not cancelled,
        )
        for a in (event.attendees if attendees is None else attendees)
    ]
    if people:
        component.attendees = people
    return component


def _excluded_starts(event: CalendarEvent) -> list[date] | list[datetime]:
    """EXDATE's values: the skipped days' starts, at the series' time (or dates)."""
    days = sorted(recurrence.skipped_days(event.exdates))
    if event.all_day:
        return days
    start = _local(event.starts_at, event.timezone)
    return [datetime.combine(day, start.timetz()) for day in days]


def calendar(
    components: Iterable[Event], *, method: str | None = None, name: str | None = None
) -> bytes:
    """A VCALENDAR of `components`, with the VTIMEZONEs their times need."""
    result = Calendar.new(prodid=PRODID, method=method, name=name)
    events = list(components)
    for component in events:
        result.add_component(component)
    # icalendar's own VTIMEZONEs end in 2038; these hold for every date an event may have.
    first_year = min((event.start.year for event in events), default=datetime.now(UTC).year)
    known = recurrence.zone_names()
    timezones = [
        zones.vtimezone(tzid, first_year=first_year)
        for tzid in sorted(result.get_missing_tzids())
        if tzid in known and tzid != "UTC"
    ]
    result.subcomponents[0:0] = timezones
    data: bytes = result.to_ical()
    return data


# Reading a file someone imports


@dataclass
class ParsedEvent:
    uid: str
    title: str
    description: str
    location: str
    timezone: str
    all_day: bool
    starts_at: datetime
    ends_at: datetime
    rule: recurrence.Rule | None
    cancelled: bool
    attendees: list[tuple[str, str]] = field(default_factory=list)
    # The days the series skips (EXDATE), in the event's zone.
    excluded: list[date] = field(default_factory=list)


def _zone_name(value: tzinfo | None) -> str:
    key = getattr(value, "key", None)
    if isinstance(key, str) and key in recurrence.zone_names():
        return key
    return "UTC"


def _bad(message: str, **params: object) -> Invalid:
    return Invalid(message, code="bad_ics", **params)


def _read_event(
    component: Event,
    *,
    default_timezone: str,
    position: int,
    cancelled_dates: Sequence[date | datetime] = (),
) -> ParsedEvent:
    """One event of the file; `cancelled_dates` are its occurrences cancelled one by one."""
    summary = str(component.get("SUMMARY") or "").strip()
    label = summary or f"#{position}"
    broken = {name for name, _message in component.errors}
    if "RDATE" in component:
        raise _bad(
            N_(
                "The event “%(event)s” adds dates to its series (RDATE), which Parley cannot"
                " import yet: nothing was imported."
            ),
            event=label,
        )
    if "EXDATE" in broken:
        raise _bad(N_("The event “%(event)s” skips dates that cannot be read."), event=label)
    if broken & {"DTSTART", "DTEND", "DURATION", "RRULE"} or "DTSTART" not in component:
        raise _bad(N_("The event “%(event)s” has no valid start or end."), event=label)
    try:
        start = component.start
        end = component.end
    except Exception as exc:
        raise _bad(N_("The event “%(event)s” has no valid start or end."), event=label) from exc
    all_day = not isinstance(start, datetime)
    if all_day:
        if isinstance(end, datetime):
            end = end.date()
        if end <= start:
            end = start + timedelta(days=1)
        starts_at = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        ends_at = datetime.combine(end, datetime.min.time(), tzinfo=UTC)
        timezone = default_timezone
        tz: tzinfo | None = None
    else:
        assert isinstance(start, datetime) and isinstance(end, datetime)
        # A time without a zone is "floating": read it in the importer's zone.
        timezone = (
            default_timezone
            if start.tzinfo is None
            else ("UTC" if start.utcoffset() == timedelta(0) else _zone_name(start.tzinfo))
        )
        tz = recurrence.zone(timezone)
        if start.tzinfo is None:
            start = start.replace(tzinfo=tz)
        if end.tzinfo is None:
            end = end.replace(tzinfo=tz)
        starts_at, ends_at = start.astimezone(UTC), end.astimezone(UTC)
        if ends_at < starts_at:
            raise _bad(N_("The event “%(event)s” ends before it starts."), event=label)
    rule = None
    if "RRULE" in component:
        rules = component.get("RRULE")
        first_rule = rules[0] if isinstance(rules, list) else rules
        try:
            rule = recurrence.from_ical(first_rule, first=start, tz=tz)
        except Invalid as exc:
            raise _bad(
                N_("The event “%(event)s”: %(problem)s"),
                event=label,
                problem=i18n.gettext(exc.message, **exc.params),
            ) from exc
    attendees = []
    for address in component.attendees:
        email = address.email.strip().lower() if address.email else ""
        if email and "@" in email:
            attendees.append((email, str(address.params.get("CN") or "")))
    uid = str(component.get("UID") or "").strip()
    excluded = (
        _skipped(
            [*component.exdates, *cancelled_dates],
            rule=rule,
            starts_at=starts_at,
            timezone=timezone,
            all_day=all_day,
        )
        if rule is not None
        else []
    )
    return ParsedEvent(
        uid=uid[:UID_MAX],
        title=(summary or i18n.gettext(N_("Untitled event")))[:TITLE_MAX],
        description=str(component.get("DESCRIPTION") or "")[:DESCRIPTION_MAX],
        location=str(component.get("LOCATION") or "")[:LOCATION_MAX],
        timezone=timezone,
        all_day=all_day,
        starts_at=starts_at,
        ends_at=ends_at,
        rule=rule,
        cancelled=str(component.get("STATUS") or "").upper() == "CANCELLED",
        attendees=attendees,
        excluded=excluded,
    )


def _skipped(
    values: Sequence[date | datetime],
    *,
    rule: recurrence.Rule,
    starts_at: datetime,
    timezone: str,
    all_day: bool,
) -> list[date]:
    """The days of the series that EXDATE's `values` take out, in the event's zone.

    A date-time takes out the occurrence that starts then (RFC 5545), a date the one of
    that day; one that matches no occurrence takes out nothing and is not kept.
    """
    tz = recurrence.zone(timezone)
    days = set()
    for value in values:
        if all_day:
            day = value.date() if isinstance(value, datetime) else value
            low = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
            high = low + timedelta(days=1)
        elif isinstance(value, datetime):
            low = (value if value.tzinfo is not None else value.replace(tzinfo=tz)).astimezone(UTC)
            high = low + timedelta(seconds=1)
        else:
            low = datetime.combine(value, datetime.min.time(), tzinfo=tz).astimezone(UTC)
            high = datetime.combine(value + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        found = next(
            recurrence.starts(
                rule=rule,
                starts_at=starts_at,
                timezone=timezone,
                all_day=all_day,
                after=low,
                before=high.astimezone(UTC),
            ),
            None,
        )
        if found is not None:
            days.add(found.date() if all_day else found.astimezone(tz).date())
    return sorted(days)


def parse(data: bytes, *, default_timezone: str = "UTC") -> list[ParsedEvent]:
    """The events of an .ics file (one event or a whole calendar); Invalid for a bad file.

    A series keeps the days it skips (EXDATE), and an occurrence cancelled on its own (a
    RECURRENCE-ID with STATUS:CANCELLED) is skipped too. Other changes to single
    occurrences, and dates added to a series (RDATE), are refused with the event's name:
    imported as the rule says, the series would silently differ from the file.
    """
    try:
        calendars = Calendar.from_ical(data, multiple=True)
    except Exception as exc:
        raise _bad(N_("This file is not a valid iCalendar (.ics) file.")) from exc
    events = [
        component
        for cal in calendars
        for component in cal.walk("VEVENT")
        if isinstance(component, Event)
    ]
    components = [c for c in events if "RECURRENCE-ID" not in c]
    if not components:
        raise _bad(N_("This file holds no event."))
    if len(components) > MAX_IMPORTED_EVENTS:
        raise _bad(
            N_("This file holds more than %(max)s events: import a smaller one."),
            max=MAX_IMPORTED_EVENTS,
        )
    cancelled = _cancelled_occurrences(events, components)
    return [
        _read_event(
            component,
            default_timezone=default_timezone,
            position=position,
            cancelled_dates=cancelled.get(str(component.get("UID") or ""), []),
        )
        for position, component in enumerate(components, start=1)
    ]


def _cancelled_occurrences(
    events: Sequence[Event], series: Sequence[Event]
) -> dict[str, list[date | datetime]]:
    """The occurrences cancelled one by one, by their series' UID; Invalid for other changes."""
    repeating = {str(c.get("UID") or ""): c for c in series if "RRULE" in c}
    cancelled: dict[str, list[date | datetime]] = {}
    for component in events:
        if "RECURRENCE-ID" not in component:
            continue
        uid = str(component.get("UID") or "")
        parent = repeating.get(uid)
        status = str(component.get("STATUS") or "").upper()
        when = getattr(component.get("RECURRENCE-ID"), "dt", None)
        if parent is None or status != "CANCELLED" or not isinstance(when, date):
            named = parent if parent is not None else component
            raise _bad(
                N_(
                    "The event “%(event)s” changes single occurrences of its series"
                    " (RECURRENCE-ID), which Parley cannot import yet: nothing was imported."
                ),
                event=str(named.get("SUMMARY") or "").strip() or uid or "?",
            )
        cancelled.setdefault(uid, []).append(when)
    return cancelled
