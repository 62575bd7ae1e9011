"""Every domain's ORM models, imported so that the metadata knows all tables."""

from parley.accounts.models import ApiToken, AppPassword, LoginSession, User
from parley.bbb.models import BbbAttendee, BbbMeeting
from parley.caldav.models import ObjectName, SyncState
from parley.calendar.models import Attendee, CalendarEvent, CalendarFeed, Conference
from parley.db import Base
from parley.documents.models import Presentation, SharedDocument, SharedUpdate, Stage
from parley.jobs.models import Job
from parley.mail.models import OutgoingEmail
from parley.meetings.models import ChatMessage, MeetingEvent
from parley.people.models import Invitation, Notification
from parley.providers.models import ProviderConfig
from parley.rooms.models import MeetingRemoval, Room, RoomParticipant, RoomShare, WaitingEntry
from parley.sessions.models import Registration, ScheduledSession
from parley.site import SiteSetting

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AppPassword",
    "Attendee",
    "BbbAttendee",
    "BbbMeeting",
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
    "ObjectName",
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
    "SyncState",
    "User",
    "WaitingEntry",
    "metadata",
]
