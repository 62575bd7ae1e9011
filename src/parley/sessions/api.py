"""REST API of sessions: what a booking site calls to publish sessions and register members.

The rules are the pages' (parley.sessions.pages): any member publishes and registers
themselves; the organiser and administrators change, cancel and see who registered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from parley.accounts.models import User
from parley.csrf import CsrfProtected
from parley.deps import CurrentUser, DbSession
from parley.errors import N_, Forbidden, Invalid
from parley.runtime import runtime_of
from parley.sessions import service
from parley.sessions.models import IN_PERSON, ONLINE, ScheduledSession
from parley.settings import Settings

router = APIRouter(prefix="/api/v1/sessions", tags=["sessions"])

# Ids the database holds (PostgreSQL's integer).
SessionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class SessionIn(BaseModel):
    """A session as its organiser describes it (the same fields and limits as the page)."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[Text, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[Text, StringConstraints(max_length=5000)] = ""
    starts_at: AwareDatetime
    duration_minutes: int = Field(ge=5, le=600)
    capacity: int = Field(ge=1, le=10_000)
    mode: Literal["online", "in_person"]
    # Where an in-person session takes place (required then).
    location: Annotated[Text, StringConstraints(max_length=300)] = ""
    # The meeting system of an online session; None: Parley's own rooms.
    provider_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class SessionOut(BaseModel):
    id: int
    title: str
    description: str
    starts_at: datetime
    duration_minutes: int
    capacity: int
    mode: Literal["online", "in_person"]
    location: str
    provider_id: int | None
    state: Literal["scheduled", "cancelled"]
    organiser_id: int
    registered: int
    waiting: int
    # The caller's own registration: "registered", "waiting" or None.
    my_registration: Literal["registered", "waiting"] | None
    can_manage: bool


class RegistrationOut(BaseModel):
    session_id: int
    user_id: int
    display_name: str
    email: str
    status: Literal["registered", "waiting"]
    created_at: datetime


def _settings(request: Request) -> Settings:
    settings: Settings = runtime_of(request).settings
    return settings


def _fields(body: SessionIn) -> service.SessionFields:
    if body.mode == IN_PERSON and not body.location:
        raise Invalid(N_("Say where the session takes place."), code="location_required")
    return service.SessionFields(
        title=body.title,
        description=body.description,
        starts_at=body.starts_at.astimezone(UTC),
        duration_minutes=body.duration_minutes,
        capacity=body.capacity,
        mode=body.mode,
        location=body.location,
        provider_config_id=body.provider_id if body.mode == ONLINE else None,
    )


async def _out(db: DbSession, user: User, session: ScheduledSession) -> SessionOut:
    return (await _outs(db, user, [session]))[0]


async def _outs(
    db: DbSession, user: User, sessions: Sequence[ScheduledSession]
) -> list[SessionOut]:
    counts = await service.counts(db=db, ids=[s.id for s in sessions])
    result = []
    for session in sessions:
        mine = await service.registration(db=db, session_id=session.id, user_id=user.id)
        registered, waiting = counts[session.id]
        result.append(
            SessionOut(
                id=session.id,
                title=session.title,
                description=session.description,
                starts_at=session.starts_at,
                duration_minutes=session.duration_minutes,
                capacity=session.capacity,
                mode=session.mode,
                location=session.location,
                provider_id=session.provider_config_id,
                state=session.state,
                organiser_id=session.organiser_id,
                registered=registered,
                waiting=waiting,
                my_registration=mine.status if mine is not None else None,
                can_manage=service.may_manage(user, session),
            )
        )
    return result


@router.get("", response_model=list[SessionOut])
async def list_sessions(user: CurrentUser, db: DbSession) -> list[SessionOut]:
    """Sessions not over yet, soonest first (cancelled ones too, marked so)."""
    return await _outs(db, user, await service.upcoming(db=db))


@router.post("", response_model=SessionOut, status_code=status.HTTP_201_CREATED)
async def publish_session(
    body: SessionIn, request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> SessionOut:
    """Publish a session organised by the caller; an online one gets its meeting made later."""
    session = await service.publish(
        db=db, settings=_settings(request), organiser=user, fields=_fields(body)
    )
    return await _out(db, user, session)


@router.get("/{session_id}", response_model=SessionOut)
async def get_session(session_id: SessionId, user: CurrentUser, db: DbSession) -> SessionOut:
    return await _out(db, user, await service.get(db=db, session_id=session_id))


@router.put("/{session_id}", response_model=SessionOut)
async def change_session(
    session_id: SessionId,
    body: SessionIn,
    request: Request,
    user: CurrentUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> SessionOut:
    """Change a session (its organiser or an administrator); the registered are told."""
    session = await service.get(db=db, session_id=session_id)
    await service.change(
        db=db, settings=_settings(request), actor=user, session=session, fields=_fields(body)
    )
    return await _out(db, user, session)


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_session(
    session_id: SessionId, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> None:
    """Cancel a session: it stays listed as cancelled, its meeting goes, the registered
    are told. Cancelling a cancelled session changes nothing."""
    session = await service.get(db=db, session_id=session_id)
    await service.cancel(db=db, actor=user, session=session)


@router.get("/{session_id}/registrations", response_model=list[RegistrationOut])
async def list_registrations(
    session_id: SessionId, user: CurrentUser, db: DbSession
) -> list[RegistrationOut]:
    """Who registered, places first then the waiting list in order (organiser and
    administrators only)."""
    session = await service.get(db=db, session_id=session_id)
    if not service.may_manage(user, session):
        raise Forbidden(N_("Only the session's organiser may do this."), code="not_organiser")
    return [
        RegistrationOut(
            session_id=session.id,
            user_id=member.id,
            display_name=member.display_name,
            email=member.email,
            status=row.status,
            created_at=row.created_at,
        )
        for row, member in await service.registrations(db=db, session_id=session.id)
    ]


@router.put("/{session_id}/registration", response_model=RegistrationOut)
async def register(
    session_id: SessionId,
    request: Request,
    user: CurrentUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> RegistrationOut:
    """Register the caller: a place, or a place on the waiting list when the session is
    full (`status` says which). Registering again changes nothing."""
    session = await service.get(db=db, session_id=session_id)
    row = await service.register(db=db, settings=_settings(request), user=user, session=session)
    return RegistrationOut(
        session_id=session.id,
        user_id=user.id,
        display_name=user.display_name,
        email=user.email,
        status=row.status,
        created_at=row.created_at,
    )


@router.delete("/{session_id}/registration", status_code=status.HTTP_204_NO_CONTENT)
async def unregister(
    session_id: SessionId,
    request: Request,
    user: CurrentUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> None:
    """Give the caller's place up (the first on the waiting list takes it)."""
    session = await service.get(db=db, session_id=session_id)
    await service.unregister(db=db, settings=_settings(request), user=user, session=session)
