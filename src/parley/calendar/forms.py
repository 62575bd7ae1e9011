"""Reading the calendar's HTML forms: the event form, the day a page asks for, the
administrators' settings; and filling the event form from a stored event.

Values are read into the API's schemas (`EventIn`, `CalendarSite`), so a page and a client
program are refused the same things; errors come back by field, in words people understand.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData

from parley import i18n
from parley.accounts.schemas import Email
from parley.calendar import recurrence, times
from parley.calendar import site as calendar_site
from parley.calendar.models import CalendarEvent
from parley.calendar.schemas import EventIn
from parley.errors import N_, Invalid, ParleyError
from parley.forms import parse

_email = TypeAdapter(Email)

# Which form field shows which refusal of the service.
ERROR_FIELDS = {
    "end_before_start": "end",
    "too_long": "end",
    "nonexistent_time": "start",
    "bad_date": "start",
    "bad_timezone": "timezone",
    "bad_recurrence": "repeat",
    "too_many_occurrences": "repeat",
    "overlapping_repeats": "repeat",
}


def message(exc: ParleyError) -> str:
    """A refusal in the reader's language, to show beside the field it is about."""
    return i18n.gettext(exc.message, **exc.params)


def anchor(text: str, tz: str) -> date:
    """The day a page asks for (YYYY-MM-DD), or today in `tz` when none or not a date."""
    try:
        return times.parse_day(text) if text else datetime.now(recurrence.zone(tz)).date()
    except Invalid:
        return datetime.now(recurrence.zone(tz)).date()


def _split_local(event: CalendarEvent, value: datetime, *, end: bool) -> tuple[str, str]:
    text = times.local_text(event, value, end=end)
    return (text, "") if event.all_day else (text[:10], text[11:16])


def values_of(event: CalendarEvent) -> dict[str, str]:
    """The event form filled with a stored event, its times as the organiser wrote them."""
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


def new_values(tz: str, day: str, hour: str) -> dict[str, str]:
    """The event form for a new event on `day` at `hour` (or 09:00), in the reader's zone."""
    first = anchor(day, tz)
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


def event_input(values: dict[str, str]) -> tuple[EventIn | None, dict[str, str]]:
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
                recurrence_in["until"] = times.parse_day(values.get("until", ""))
            except Invalid as exc:
                errors["repeat"] = message(exc)
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
    for name, text in field_errors.items():
        errors.setdefault(name, text)
    return (form if not errors else None), errors


def site_input(
    form: FormData, known_providers: set[int]
) -> tuple[calendar_site.CalendarSite, dict[str, str]]:
    """The administrators' calendar settings as sent, and the errors by field (none: save)."""
    errors: dict[str, str] = {}
    provider_ids = []
    for value in form.getlist("provider"):
        if not (isinstance(value, str) and value.isdigit() and int(value) in known_providers):
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
    return site, errors
