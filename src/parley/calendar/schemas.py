"""What the calendar's API and forms read and write."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from parley.accounts.models import NAME_MAX
from parley.accounts.schemas import Email, _no_control_characters
from parley.calendar.models import DESCRIPTION_MAX, LOCATION_MAX, TITLE_MAX

# More attendees than this is a mailing list, not an event.
MAX_ATTENDEES = 200

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX),
    AfterValidator(_no_control_characters),
]
Answer = Literal["accepted", "declined", "tentative"]


class RecurrenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    freq: Literal["daily", "weekly", "monthly"]
    interval: int = 1
    count: int | None = None
    until: date | None = None


class AttendeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=NAME_MAX)] = ""


class EventIn(BaseModel):
    """An event as its organiser writes it.

    `start` and `end` are local times in `timezone` (`2026-11-23T10:00`), or times with an
    offset, which are converted; for an all-day event, dates (`2026-11-23`), the end being
    the last day. `conference_id` keeps a link made by `POST /api/v1/calendar/conferences`;
    `add_conference` makes a new one when the event is saved (with `provider`, or the
    default one). Inviting the videoconference resource does the same.
    """

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)] = ""
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=LOCATION_MAX)] = ""
    timezone: Annotated[str, StringConstraints(max_length=64)] = "UTC"
    all_day: bool = False
    start: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
    end: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
    attendees: list[AttendeeIn] = Field(default_factory=list, max_length=MAX_ATTENDEES)
    recurrence: RecurrenceIn | None = None
    conference_id: int | None = None
    add_conference: bool = False
    provider: Annotated[str, StringConstraints(max_length=20)] | None = None


class PersonOut(BaseModel):
    id: int | None
    name: str
    email: str


class AttendeeOut(BaseModel):
    email: str
    name: str
    user_id: int | None
    is_resource: bool
    answer: str


class ConferenceOut(BaseModel):
    id: int
    url: str
    provider: str
    # The administrators' text that goes with the link, in the reader's language.
    text: str


class EventOut(BaseModel):
    id: int
    uid: str
    title: str
    description: str
    location: str
    timezone: str
    all_day: bool
    # Local times in `timezone` (dates for all-day events, the end being the last day).
    start: str
    end: str
    starts_at: datetime
    ends_at: datetime
    recurrence: RecurrenceIn | None
    status: str
    sequence: int
    organizer: PersonOut
    attendees: list[AttendeeOut]
    conference: ConferenceOut | None
    can_edit: bool
    # The reader's own answer, when they are an attendee.
    my_answer: str | None
    # Set when the videoconference link could not be made (the event is saved without it).
    conference_error: str | None = None


class OccurrenceOut(BaseModel):
    event_id: int
    title: str
    all_day: bool
    start: str
    end: str
    starts_at: datetime
    ends_at: datetime
    status: str
    can_edit: bool
    my_answer: str | None
    conference_url: str | None


class ConferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Annotated[str, StringConstraints(max_length=20)] | None = None
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=TITLE_MAX)] = ""
    start: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    end: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    timezone: Annotated[str, StringConstraints(max_length=64)] = "UTC"


class ChoiceOut(BaseModel):
    key: str
    name: str


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Answer


class ImportOut(BaseModel):
    created: int
    updated: int
    # Events saved without the link the videoconference resource asked for.
    conference_errors: list[str] = []


class FeedOut(BaseModel):
    url: str | None
