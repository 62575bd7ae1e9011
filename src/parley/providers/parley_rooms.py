"""Parley's own meetings: a Parley room, owned by the organiser, with its /r/<slug> link."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import service as accounts
from parley.accounts.models import NAME_MAX, User
from parley.errors import N_
from parley.providers.base import (
    Check,
    MeetingSettings,
    MeetingSpec,
    Person,
    Provider,
    ProviderError,
    ProviderMeeting,
)
from parley.rooms import policies
from parley.rooms import service as rooms
from parley.rooms.models import Room


class ParleyConfig(BaseModel):
    """Parley's own rooms need no setting: they run in this server."""

    model_config = ConfigDict(extra="ignore")


def room_settings(settings: MeetingSettings) -> dict[str, Any]:
    """Parley's room settings for a provider-neutral meeting's settings."""
    return {
        "mute_on_join": settings.mute_on_start,
        "allow_guests": settings.guest_policy != "members_only",
        "waiting_room": "guests" if settings.guest_policy == "ask_moderator" else "off",
    }


def room_locks(settings: MeetingSettings) -> dict[str, bool]:
    locks = {
        "microphone": settings.lock_microphone,
        "camera": settings.lock_camera,
        "chat": settings.lock_public_chat,
        "private_chat": settings.lock_private_chat,
    }
    return {key: True for key, locked in locks.items() if locked}


class ParleyProvider(Provider[ParleyConfig]):
    kind = "parley"
    label = N_("Parley rooms")
    description = N_("Parley's own meetings in the browser: a room and its link, no other server.")
    config_model = ParleyConfig

    def _meeting(self, room: Room) -> ProviderMeeting:
        return ProviderMeeting(
            external_id=str(room.id),
            join_url=f"{self.context.public_url}/r/{room.slug}",
            data={"room_id": room.id, "slug": room.slug},
        )

    def _gone(self) -> ProviderError:
        return self.error(
            N_("%(provider)s does not know this meeting (any more)."), code="provider_not_found"
        )

    async def _apply(self, db: AsyncSession, owner: User, room: Room, spec: MeetingSpec) -> None:
        site = await policies.load(db=db)
        wanted = room_settings(spec.settings)
        # What administrators force for every room stays as they set it.
        allowed = {key: value for key, value in wanted.items() if not site[key].forced}
        await rooms.update(
            db=db, actor=owner, room=room, name=spec.title[:NAME_MAX], settings=allowed
        )
        room.locks = room_locks(spec.settings)
        await db.commit()

    async def create_meeting(self, spec: MeetingSpec) -> ProviderMeeting:
        async with self.context.database() as db:
            owner = (
                await accounts.get(db=db, user_id=spec.organiser_id)
                if spec.organiser_id is not None
                else None
            )
            if owner is None or not owner.is_active:
                raise self.error(
                    N_("%(provider)s needs an active member to own the room."),
                    code="provider_refused",
                )
            room = await rooms.create(db=db, owner=owner, name=spec.title[:NAME_MAX])
            await self._apply(db, owner, room, spec)
            return self._meeting(room)

    async def _room(self, db: AsyncSession, meeting: ProviderMeeting) -> tuple[Room, User]:
        room = await rooms.get(db=db, room_id=int(meeting.external_id))
        owner = await accounts.get(db=db, user_id=room.owner_id) if room is not None else None
        if room is None or owner is None:
            raise self._gone()
        return room, owner

    async def update_meeting(self, meeting: ProviderMeeting, spec: MeetingSpec) -> ProviderMeeting:
        async with self.context.database() as db:
            room, owner = await self._room(db, meeting)
            await self._apply(db, owner, room, spec)
            return self._meeting(room)

    async def delete_meeting(self, meeting: ProviderMeeting) -> None:
        async with self.context.database() as db:
            try:
                room, owner = await self._room(db, meeting)
            except ProviderError:
                return  # deleted already
            await rooms.delete_room(db=db, bus=self.context.bus, actor=owner, room=room)

    async def join_url(self, meeting: ProviderMeeting, person: Person) -> str:
        # The room decides who moderates (its owner and the members it is shared with).
        if meeting.join_url is None:
            raise self._gone()
        return meeting.join_url

    async def is_running(self, meeting: ProviderMeeting) -> bool | None:
        async with self.context.database() as db:
            room, _owner = await self._room(db, meeting)
            return room.is_open

    async def end_meeting(self, meeting: ProviderMeeting) -> None:
        async with self.context.database() as db:
            room, _owner = await self._room(db, meeting)
            await rooms.close_room(db=db, bus=self.context.bus, actor=None, room=room)

    async def test_connection(self) -> Check:
        async with self.context.database() as db:
            count = await db.scalar(select(func.count()).select_from(Room))
        return Check(N_("Parley's rooms are ready. Rooms now: %(count)s."), {"count": count})
