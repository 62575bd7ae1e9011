"""What the rooms API reads and writes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from parley.accounts.schemas import DisplayName, Email

AccessCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(|[0-9]{4,12})$")]


class RoomCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName


class RoomSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_guests: bool | None = None
    waiting_room: Literal["off", "guests", "everyone"] | None = None
    mute_on_join: bool | None = None
    all_moderators: bool | None = None
    anyone_can_open: bool | None = None
    media_server: bool | None = None
    webinar: bool | None = None


class RoomUpdate(RoomSettings):
    name: DisplayName | None = None
    access_code: AccessCode | None = Field(
        default=None, description="4 to 12 digits; an empty string removes the code."
    )


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class MemberOut(BaseModel):
    id: int
    display_name: str
    email: str


class RoomOut(BaseModel):
    id: int
    slug: str
    name: str
    state: Literal["open", "closed"]
    url: str
    participant_count: int
    access: Literal["owner", "shared"] | None
    allow_guests: bool
    waiting_room: Literal["off", "guests", "everyone"]
    access_code: str | None
    mute_on_join: bool
    all_moderators: bool
    anyone_can_open: bool
    media_server: bool
    webinar: bool
    shared_with: list[MemberOut]
    created_at: datetime


class RoomBrief(BaseModel):
    """What a member who may open a room without managing it learns of it."""

    # Never taken for a whole room: a RoomOut does not fit this shape.
    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    state: Literal["open", "closed"]


class JoinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Annotated[str, Field(max_length=40)] | None = Field(
        default=None,
        description=(
            "The room's slug, from its link /r/<slug>: anyone who does not manage the room "
            "sends it to show they have the link."
        ),
    )
    name: DisplayName | None = None
    access_code: Annotated[str, Field(max_length=32)] | None = None
    waiting_ticket: Annotated[str, Field(max_length=100)] | None = None


class JoinOut(BaseModel):
    token: str = Field(description="Signed and short-lived: present it to enter the meeting.")
    role: Literal["moderator", "participant"]
    participant_id: str
    name: str
    is_guest: bool
    mute_on_join: bool


class WaitingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    display_name: str
    is_guest: bool
    created_at: datetime
