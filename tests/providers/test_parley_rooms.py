"""Parley's own provider makes real Parley rooms, owned by the organiser, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from parley.providers import flows
from parley.providers import service as providers
from parley.providers.base import MeetingSettings, MeetingSpec, Person, ProviderError
from parley.providers.parley_rooms import ParleyConfig
from parley.providers.service import ProviderRuntime
from parley.rooms import service as rooms
from tests.factories import make_user

pytestmark = pytest.mark.anyio


async def test_a_parley_meeting_is_a_room_of_the_organiser(
    runtime: ProviderRuntime, db_session: AsyncSession
) -> None:
    ada = await make_user(db_session, name="Ada")
    row = await providers.create(
        db=db_session, runtime=runtime, kind="parley", name="Parley", config=ParleyConfig()
    )
    provider = runtime.instance(row)
    assert runtime.instance(row) is provider  # one instance per configuration
    spec = MeetingSpec(
        reference="event:5",
        title="Weekly sync",
        organiser_id=ada.id,
        settings=MeetingSettings(
            mute_on_start=True, guest_policy="ask_moderator", lock_public_chat=True
        ),
    )
    meeting = await flows.create_meeting(provider=provider, spec=spec)
    room = await rooms.get(db=db_session, room_id=int(meeting.external_id))
    assert room is not None and room.owner_id == ada.id and room.name == "Weekly sync"
    assert meeting.join_url == f"http://testserver/r/{room.slug}"
    assert (room.mute_on_join, room.waiting_room, room.allow_guests) == (True, "guests", True)
    assert room.locks == {"chat": True}
    person = Person(id=str(ada.id), name="Ada", role="moderator")
    assert await provider.join_url(meeting, person) == meeting.join_url

    assert await provider.is_running(meeting) is False
    await rooms.open_room(db=db_session, bus=runtime.bus, actor=ada, room=room)
    assert await provider.is_running(meeting) is True
    await flows.end_meeting(provider=provider, meeting=meeting, reference="event:5")
    assert await provider.is_running(meeting) is False

    members_only = MeetingSpec(
        reference="event:5",
        title="Weekly sync (members)",
        organiser_id=ada.id,
        settings=MeetingSettings(guest_policy="members_only"),
    )
    await provider.update_meeting(meeting, members_only)
    await db_session.refresh(room)
    assert (room.name, room.allow_guests, room.mute_on_join) == (
        "Weekly sync (members)",
        False,
        False,
    )

    room_id = room.id
    await flows.delete_meeting(provider=provider, meeting=meeting, reference="event:5")
    db_session.expire_all()
    assert await rooms.get(db=db_session, room_id=room_id) is None
    await provider.delete_meeting(meeting)  # gone already
    with pytest.raises(ProviderError) as gone:
        await provider.is_running(meeting)
    assert gone.value.code == "provider_not_found"
    check = await provider.test_connection()
    assert check.params == {"count": 0}


async def test_a_room_needs_an_organiser(
    runtime: ProviderRuntime, db_session: AsyncSession
) -> None:
    row = await providers.create(
        db=db_session, runtime=runtime, kind="parley", name="Parley", config=ParleyConfig()
    )
    with pytest.raises(ProviderError) as refused:
        await runtime.instance(row).create_meeting(MeetingSpec(reference="room:1", title="x"))
    assert refused.value.message % refused.value.params == (
        "Parley needs an active member to own the room."
    )
