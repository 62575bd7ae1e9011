"""Every domain's ORM models, imported so that the metadata knows all tables."""

from parley.accounts.models import ApiToken, LoginSession, User
from parley.admin.models import SiteSetting
from parley.calendar.models import Attendee, CalendarEvent, CalendarFeed, Conference
from parley.db import Base
from parley.documents.models import Presentation, SharedDocument, SharedUpdate, Stage
from parley.jobs.models import Job
from parley.mail.models import OutgoingEmail
from parley.meetings.models import ChatMessage, MeetingEvent, MeetingRemoval
from parley.people.models import Invitation, Notification
from parley.providers.models import ProviderConfig
from parley.rooms.models import Room, RoomParticipant, RoomShare, WaitingEntry
from parley.sessions.models import Registration, ScheduledSession

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "Attendee",
    "CalendarEvent",
    "CalendarFeed",
    "ChatMessage",
    "Conference",
    "Invitation",
    "Job",
    "LoginSession",
    "MeetingEvent",
    "MeetingRemoval",
    "Notification",
    "OutgoingEmail",
    "Presentation",
    "ProviderConfig",
    "Registration",
    "Room",
    "RoomParticipant",
    "RoomShare",
    "ScheduledSession",
    "SharedDocument",
    "SharedUpdate",
    "SiteSetting",
    "Stage",
    "User",
    "WaitingEntry",
    "metadata",
]
