"""Publishing, changing and cancelling sessions; registering and the waiting list.

The pipeline's jobs (parley.sessions.pipeline) are put in the job table here, in the same
transaction as the change they follow from: a session exists with its jobs or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import User
from parley.db import utcnow
from parley.errors import N_, Conflict, Forbidden, Invalid, NotFound
from parley.jobs import queue as jobs
from parley.jobs.models import PENDING, Job
from parley.providers.models import ProviderConfig
from parley.sessions.models import (
    CANCELLED,
    IN_PERSON,
    ONLINE,
    REGISTERED,
    SCHEDULED,
    WAITING,
    Registration,
    ScheduledSession,
)
from parley.settings import Settings

GENERATE = "session.generate"
REMIND = "session.remind"
UPDATE = "session.update"
CANCEL = "session.cancel"

ACTIVE = "active"
PAUSED = "paused"
DISCONNECTED = "disconnected"


def generate_key(session_id: int) -> str:
    return f"session:{session_id}:generate"


def remind_key(session_id: int, user_id: int) -> str:
    return f"session:{session_id}:remind:{user_id}"


@dataclass(frozen=True)
class SessionFields:
    title: str
    description: str
    starts_at: datetime
    duration_minutes: int
    capacity: int
    mode: str
    location: str
    provider_config_id: int | None


# Reading


async def get(*, db: AsyncSession, session_id: int) -> ScheduledSession:
    session = await db.get(ScheduledSession, session_id)
    if session is None:
        raise NotFound(N_("This session does not exist."), code="no_such_session")
    return session


async def upcoming(*, db: AsyncSession, now: datetime | None = None) -> Sequence[ScheduledSession]:
    """Sessions not over yet, soonest first (cancelled ones still show, marked so)."""
    now = now or utcnow()
    rows = await db.scalars(
        select(ScheduledSession)
        .where(ScheduledSession.starts_at > now - timedelta(hours=12))
        .order_by(ScheduledSession.starts_at, ScheduledSession.id)
        .limit(500)
    )
    return [s for s in rows if s.starts_at + timedelta(minutes=s.duration_minutes) > now]


async def counts(*, db: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Registered and waiting, per session."""
    result: dict[int, tuple[int, int]] = {i: (0, 0) for i in ids}
    if not ids:
        return result
    rows = await db.execute(
        select(Registration.session_id, Registration.status, func.count())
        .where(Registration.session_id.in_(ids))
        .group_by(Registration.session_id, Registration.status)
    )
    for session_id, status, count in rows:
        registered, waiting = result[session_id]
        if status == REGISTERED:
            registered = count
        else:
            waiting = count
        result[session_id] = (registered, waiting)
    return result


async def registration(*, db: AsyncSession, session_id: int, user_id: int) -> Registration | None:
    return await db.scalar(
        select(Registration).where(
            Registration.session_id == session_id, Registration.user_id == user_id
        )
    )


async def registrations(
    *, db: AsyncSession, session_id: int
) -> Sequence[tuple[Registration, User]]:
    rows = await db.execute(
        select(Registration, User)
        .join(User, User.id == Registration.user_id)
        .where(Registration.session_id == session_id)
        .order_by(Registration.status, Registration.created_at, Registration.id)
    )
    return [(r, u) for r, u in rows]


def may_manage(user: User, session: ScheduledSession) -> bool:
    return user.is_admin or session.organiser_id == user.id


def _require_manager(user: User, session: ScheduledSession) -> None:
    if not may_manage(user, session):
        raise Forbidden(N_("Only the session's organiser may do this."), code="not_organiser")


# Changes by the organiser


async def _check_provider(db: AsyncSession, fields: SessionFields) -> None:
    if fields.mode != ONLINE or fields.provider_config_id is None:
        return
    row = await db.get(ProviderConfig, fields.provider_config_id)
    if row is None or not row.enabled:
        raise Invalid(N_("Choose one of the meeting systems offered."), code="bad_provider")
    if row.sessions_state == DISCONNECTED:
        raise Invalid(
            N_("%(provider)s is disconnected: choose another meeting system."),
            code="provider_disconnected",
            provider=row.name,
        )


def _check_time(fields: SessionFields, now: datetime) -> None:
    if fields.starts_at <= now:
        raise Invalid(N_("The session must start in the future."), code="in_the_past")


def _generate_at(settings: Settings, session: ScheduledSession, now: datetime) -> datetime:
    return max(now, session.starts_at - timedelta(hours=settings.session_generate_hours))


def _remind_at(settings: Settings, session: ScheduledSession, now: datetime) -> datetime:
    return max(now, session.starts_at - timedelta(minutes=settings.session_remind_minutes))


def _apply(session: ScheduledSession, fields: SessionFields) -> None:
    """Write the organiser's fields on the session (a place only in person, a system online)."""
    session.title = fields.title
    session.description = fields.description
    session.starts_at = fields.starts_at
    session.duration_minutes = fields.duration_minutes
    session.capacity = fields.capacity
    session.mode = fields.mode
    session.location = fields.location if fields.mode == IN_PERSON else ""
    session.provider_config_id = fields.provider_config_id if fields.mode == ONLINE else None


async def publish(
    *, db: AsyncSession, settings: Settings, organiser: User, fields: SessionFields
) -> ScheduledSession:
    now = utcnow()
    _check_time(fields, now)
    await _check_provider(db, fields)
    session = ScheduledSession(
        organiser_id=organiser.id, state=SCHEDULED, version=1, meeting_version=0
    )
    _apply(session, fields)
    db.add(session)
    await db.flush()
    if session.mode == ONLINE:
        await jobs.enqueue(
            db=db,
            kind=GENERATE,
            key=generate_key(session.id),
            payload={"id": session.id},
            run_at=_generate_at(settings, session, now),
        )
    await db.commit()
    return session


async def change(
    *,
    db: AsyncSession,
    settings: Settings,
    actor: User,
    session: ScheduledSession,
    fields: SessionFields,
) -> ScheduledSession:
    """Change a session; a new time or title reaches the provider and the registered."""
    _require_manager(actor, session)
    if session.state == CANCELLED:
        raise Conflict(N_("This session is cancelled."), code="cancelled")
    now = utcnow()
    moved = fields.starts_at != session.starts_at
    if moved:
        _check_time(fields, now)
    if fields.mode != session.mode or fields.provider_config_id != session.provider_config_id:
        if session.meeting is not None:
            raise Conflict(
                N_("The meeting is made already: its system can no longer change."),
                code="meeting_made",
            )
        await _check_provider(db, fields)
    material = (
        moved
        or fields.title != session.title
        or fields.duration_minutes != session.duration_minutes
    )
    resized = fields.capacity != session.capacity
    _apply(session, fields)
    if resized:
        await _fill_places(db, settings, session, now)
    if material:
        session.version += 1
        # Told once per change: the job carries the change to the provider, then emails.
        await jobs.enqueue(
            db=db,
            kind=UPDATE,
            key=f"session:{session.id}:update:{session.version}",
            payload={"id": session.id, "version": session.version},
        )
    if moved:
        if session.mode == ONLINE and session.meeting is None:
            await jobs.enqueue(
                db=db,
                kind=GENERATE,
                key=generate_key(session.id),
                payload={"id": session.id},
                run_at=_generate_at(settings, session, now),
            )
            await jobs.reschedule(
                db=db, key=generate_key(session.id), run_at=_generate_at(settings, session, now)
            )
        await db.execute(
            update(Job)
            .where(Job.key.like(f"session:{session.id}:remind:%"), Job.state == PENDING)
            .values(run_at=_remind_at(settings, session, now))
            .execution_options(synchronize_session=False)
        )
    await db.commit()
    return session


async def cancel(*, db: AsyncSession, actor: User, session: ScheduledSession) -> None:
    """Cancel: nothing more is made or sent; the meeting goes and the registered are told."""
    _require_manager(actor, session)
    if session.state == CANCELLED:
        return
    session.state = CANCELLED
    await db.execute(
        update(Job)
        .where(
            Job.key.like(f"session:{session.id}:%"),
            Job.state == PENDING,
            Job.kind.in_([GENERATE, REMIND, UPDATE]),
        )
        .values(state="cancelled", finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await jobs.enqueue(
        db=db, kind=CANCEL, key=f"session:{session.id}:cancel", payload={"id": session.id}
    )
    await db.commit()


# Members


async def register(
    *, db: AsyncSession, settings: Settings, user: User, session: ScheduledSession
) -> Registration:
    """Take a place, or a place on the waiting list when the session is full."""
    now = utcnow()
    if session.state == CANCELLED:
        raise Conflict(N_("This session is cancelled."), code="cancelled")
    if session.starts_at + timedelta(minutes=session.duration_minutes) <= now:
        raise Conflict(N_("This session is over."), code="over")
    existing = await registration(db=db, session_id=session.id, user_id=user.id)
    if existing is not None:
        return existing
    # One registration at a time per session, so two last places are not both given.
    await db.execute(
        select(ScheduledSession.id).where(ScheduledSession.id == session.id).with_for_update()
    )
    taken = await db.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.session_id == session.id, Registration.status == REGISTERED)
    )
    status = REGISTERED if (taken or 0) < session.capacity else WAITING
    row = Registration(session_id=session.id, user_id=user.id, status=status, created_at=now)
    db.add(row)
    await db.flush()
    if status == REGISTERED:
        await _schedule_reminder(db, settings, session, user.id, now)
    await db.commit()
    return row


async def _schedule_reminder(
    db: AsyncSession, settings: Settings, session: ScheduledSession, user_id: int, now: datetime
) -> None:
    await jobs.enqueue(
        db=db,
        kind=REMIND,
        key=remind_key(session.id, user_id),
        payload={"id": session.id, "user": user_id},
        run_at=_remind_at(settings, session, now),
    )


async def _fill_places(
    db: AsyncSession, settings: Settings, session: ScheduledSession, now: datetime
) -> None:
    """Give free places to the waiting list, first come first served."""
    taken = await db.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.session_id == session.id, Registration.status == REGISTERED)
    )
    free = session.capacity - (taken or 0)
    if free <= 0:
        return
    waiting = await db.scalars(
        select(Registration)
        .where(Registration.session_id == session.id, Registration.status == WAITING)
        .order_by(Registration.created_at, Registration.id)
        .limit(free)
    )
    for row in waiting:
        row.status = REGISTERED
        await _schedule_reminder(db, settings, session, row.user_id, now)


async def unregister(
    *, db: AsyncSession, settings: Settings, user: User, session: ScheduledSession
) -> None:
    row = await registration(db=db, session_id=session.id, user_id=user.id)
    if row is None:
        return
    had_place = row.status == REGISTERED
    await db.delete(row)
    await jobs.cancel(db=db, key=remind_key(session.id, user.id))
    await db.flush()
    if had_place and session.state != CANCELLED:
        await _fill_places(db, settings, session, utcnow())
    await db.commit()


# The administration's controls per provider


async def set_provider_state(*, db: AsyncSession, row: ProviderConfig, state: str) -> None:
    if state not in {ACTIVE, PAUSED, DISCONNECTED}:
        raise Invalid(N_("This value is not valid."))
    row.sessions_state = state
    await db.commit()


async def pipeline_jobs(
    *, db: AsyncSession, pending: bool, limit: int = 100
) -> Sequence[tuple[Job, ScheduledSession | None]]:
    """The sessions' jobs still to run (soonest first) or those that ran (latest first)."""
    statement = select(Job).where(Job.key.like("session:%"))
    if pending:
        statement = statement.where(Job.state.in_([PENDING, "running"])).order_by(Job.run_at)
    else:
        statement = statement.where(Job.state.in_(["done", "failed", "cancelled"])).order_by(
            Job.finished_at.desc()
        )
    found = (await db.scalars(statement.limit(limit))).all()
    ids = {int(j.payload.get("id", 0)) for j in found}
    sessions = {
        s.id: s
        for s in await db.scalars(select(ScheduledSession).where(ScheduledSession.id.in_(ids)))
    }
    return [(j, sessions.get(int(j.payload.get("id", 0)))) for j in found]


def describe_error(error: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    if not error:
        return None
    return str(error.get("message", "")), dict(error.get("params") or {})
