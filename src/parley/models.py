"""Every domain's ORM models, imported so that the metadata knows all tables."""

from parley.accounts.models import ApiToken, LoginSession, User
from parley.admin.models import SiteSetting
from parley.db import Base
from parley.meetings.models import ChatMessage, MeetingEvent
from parley.rooms.models import Room, RoomParticipant, RoomShare, WaitingEntry

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "ChatMessage",
    "LoginSession",
    "MeetingEvent",
    "Room",
    "RoomParticipant",
    "RoomShare",
    "SiteSetting",
    "User",
    "WaitingEntry",
    "metadata",
]
