"""The sessions' jobs: make the meeting ahead of time, remind each member once, carry changes
and cancellations to the provider and to the people registered.

Every handler may run again after a crash: each checks what is done first, and what it
writes (the meeting, a reminder's email and the mark that it was queued) is committed in one
transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.db import among, dialect
from parley.errors import N_
from parley.jobs.worker import Defer, GiveUp, JobContext, Retry
from parley.mail import compose, outbox
from parley.providers import flows
from parley.providers.base import MeetingSpec, Person, Provider, ProviderError, ProviderMeeting
from parley.providers.models import ProviderConfig
from parley.providers.service import ProviderRuntime
from parley.sessions import service
from parley.sessions.models import CANCELLED, ONLINE, REGISTERED, Registration, ScheduledSession
from parley.settings import Settings

log = logging.getLogger(__name__)

# A paused provider's jobs look again this often.
PAUSED_RECHECK_SECONDS = 300
# A reminder due before its meeting is made looks again this often.
MEETING_WAIT_SECONDS = 10
# A reminder's email is sent by the reminder itself; its job is the fallback, this much later.
SEND_NOW_FALLBACK_SECONDS = 30


def _runtime(context: JobContext) -> ProviderRuntime:
    if context.providers is None:
        raise Retry("the providers are not ready in this worker")
    return context.providers


async def provider_for(
    db: AsyncSession, runtime: ProviderRuntime, session: ScheduledSession
) -> tuple[Provider[Any], ProviderConfig | None]:
    """The provider a session's meeting lives on (Parley's own rooms when none is chosen)."""
    if session.provider_config_id is None:
        return runtime.builtin(), None
    row = await db.get(ProviderConfig, session.provider_config_id)
    if row is None:
        raise GiveUp("the session's provider configuration is gone")
    return runtime.instance(row), row


def _spec(session: ScheduledSession) -> MeetingSpec:
    return MeetingSpec(
        reference=f"session:{session.id}",
        title=session.title,
        organiser_id=session.organiser_id,
        start=session.starts_at,
        duration_minutes=session.duration_minutes,
        description=session.description,
    )


def _error(error: ProviderError) -> dict[str, Any]:
    return {"message": error.message, "params": {k: str(v) for k, v in error.params.items()}}


async def _record_error(context: JobContext, session_id: int, error: dict[str, Any] | None) -> None:
    async with context.database() as db:
        session = await db.get(ScheduledSession, session_id)
        if session is not None:
            session.meeting_error = error
            await db.commit()


async def generate(context: JobContext, payload: dict[str, Any]) -> None:
    """Make the session's meeting on its provider (24 hours ahead by default)."""
    session_id = int(payload["id"])
    async with context.database() as db:
        session = await db.get(ScheduledSession, session_id)
        if session is None or session.state == CANCELLED or session.mode != ONLINE:
            return
        if session.meeting is not None:
            return
        provider, row = await provider_for(db, _runtime(context), session)
        if row is not None and row.sessions_state == service.PAUSED:
            raise Defer(f"{row.name} is paused", seconds=PAUSED_RECHECK_SECONDS)
        if row is not None and (row.sessions_state == service.DISCONNECTED or not row.enabled):
            session.meeting_error = {
                "message": N_("%(provider)s is disconnected: no meeting is made there any more."),
                "params": {"provider": row.name},
            }
            await db.commit()
            raise GiveUp(f"{row.name} is disconnected")
        spec, version = _spec(session), session.version
    try:
        meeting = await flows.create_meeting(provider=provider, spec=spec)
    except ProviderError as error:
        await _record_error(context, session_id, _error(error))
        raise Retry(f"{provider.name}: {error.code}") from error
    async with context.database() as db:
        session = await db.get(ScheduledSession, session_id)
        if session is None:
            return
        session.meeting = meeting.to_json()
        session.meeting_made_at = context.clock.now()
        session.meeting_error = None
        session.meeting_version = version
        await db.commit()
    log.info("session meeting made", extra={"session_id": session_id, "provider": provider.name})


def _when(session: ScheduledSession, language: str | None) -> str:
    with i18n.using(language):
        return session.starts_at.strftime("%Y-%m-%d %H:%M UTC")


def _draft(
    settings: Settings,
    *,
    template: str,
    subject: str,
    session: ScheduledSession,
    user: User,
    topic: str,
    **context: Any,
) -> outbox.Draft:
    language = user.language or settings.default_language
    with i18n.using(language):
        title = i18n.gettext(subject, title=session.title)
    text, html = compose.render(
        template,
        language,
        session=session,
        name=user.display_name,
        when=_when(session, language),
        page=f"{settings.effective_public_url}/sessions/{session.id}",
        **context,
    )
    return outbox.Draft(recipient=user.email, subject=title, text=text, html=html, topic=topic)


@dataclass
class _Reminders:
    """One reminder's email for many members: the subject and the bodies rendered once per
    session and language, each member's name and link filled in."""

    settings: Settings
    stencils: dict[tuple[int, str, tuple[str, ...]], tuple[str, compose.Stencil]] = field(
        default_factory=dict
    )

    def draft(self, session: ScheduledSession, user: _Member, link: str | None) -> outbox.Draft:
        settings = self.settings
        language = user.language or settings.default_language
        personal = {"name": user.display_name, "link": link}
        given = tuple(name for name, value in personal.items() if value)
        key = (session.id, language, given)
        if key not in self.stencils:
            with i18n.using(language):
                subject = i18n.gettext(N_("Starting soon: %(title)s"), title=session.title)
            self.stencils[key] = (
                subject,
                compose.stencil(
                    "session_reminder",
                    language,
                    given,
                    session=session,
                    when=_when(session, language),
                    page=f"{settings.effective_public_url}/sessions/{session.id}",
                    **{name: value for name, value in personal.items() if not value},
                ),
            )
        subject, stencil = self.stencils[key]
        text, html = stencil.fill(**{name: personal[name] or "" for name in given})
        return outbox.Draft(
            recipient=user.email,
            subject=subject,
            text=text,
            html=html,
            topic=service.remind_key(session.id, user.id),
        )


class _Member(NamedTuple):
    """A registered member as a reminder needs them (read in bulk, no ORM object)."""

    registration_id: int
    session_id: int
    id: int
    status: str
    reminded_at: datetime | None
    email: str
    display_name: str
    language: str | None


async def remind_many(
    context: JobContext, payloads: list[dict[str, Any]]
) -> list[BaseException | None]:
    """Email registered members their session's link, once each, many at a time.

    One read of the sessions and of their members; one transaction marking the members
    reminded (only those not marked yet: the database decides, whatever else runs) and
    writing their emails with their fallback jobs; then the emails go at once over kept
    connections. A reminder whose meeting is not made yet waits for it; one whose provider
    fails is retried alone.
    """
    outcomes: list[BaseException | None] = [None] * len(payloads)
    pairs = [(int(p["id"]), int(p["user"])) for p in payloads]
    runtime = _runtime(context)
    now = context.clock.now()
    async with context.database() as db:
        sessions = {
            s.id: s
            for s in await db.scalars(
                select(ScheduledSession).where(ScheduledSession.id.in_({s for s, _ in pairs}))
            )
        }
        members = {
            (member.session_id, member.id): member
            for member in map(
                _Member._make,
                await db.execute(
                    select(
                        Registration.id.label("registration_id"),
                        Registration.session_id,
                        User.id,
                        Registration.status,
                        Registration.reminded_at,
                        User.email,
                        User.display_name,
                        User.language,
                    )
                    .join(User, User.id == Registration.user_id)
                    .where(tuple_(Registration.session_id, Registration.user_id).in_(pairs))
                ),
            )
        }
        providers: dict[int, Provider[Any]] = {}
        meetings: dict[int, ProviderMeeting] = {}
        reminders = _Reminders(context.settings)
        drafts: dict[int, outbox.Draft] = {}
        for index, (session_id, user_id) in enumerate(pairs):
            session = sessions.get(session_id)
            member = members.get((session_id, user_id))
            if session is None or session.state == CANCELLED or member is None:
                continue
            if member.status != REGISTERED or member.reminded_at is not None:
                continue
            if member.registration_id in drafts:
                continue
            link = None
            if session.mode == ONLINE:
                if session.meeting is None:
                    ended = session.starts_at + timedelta(minutes=session.duration_minutes)
                    outcomes[index] = (
                        GiveUp("the session ended before its meeting could be made")
                        if now > ended
                        # The page shows it: the link goes as soon as the meeting is made.
                        else Defer("the meeting is not made yet", seconds=MEETING_WAIT_SECONDS)
                    )
                    continue
                if session_id not in providers:
                    providers[session_id] = (await provider_for(db, runtime, session))[0]
                    meetings[session_id] = ProviderMeeting.from_json(session.meeting)
                provider = providers[session_id]
                person = Person(
                    id=str(member.id),
                    name=member.display_name,
                    email=member.email,
                    role="moderator" if member.id == session.organiser_id else "participant",
                )
                try:
                    link = await flows.join_url(
                        provider=provider,
                        meeting=meetings[session_id],
                        person=person,
                        reference=f"session:{session.id}",
                    )
                except ProviderError as error:
                    outcomes[index] = Retry(f"{provider.name}: {error.code}")
                    continue
            drafts[member.registration_id] = reminders.draft(session, member, link)
        queued: list[outbox.Queued] = []
        if drafts:
            # Marked here and only here: a member another worker reminded meanwhile is left.
            marked = await db.scalars(
                update(Registration)
                .where(
                    among(dialect(db), Registration.id, drafts),
                    Registration.reminded_at.is_(None),
                )
                .values(reminded_at=now)
                .returning(Registration.id)
                .execution_options(synchronize_session=False)
            )
            queued = await outbox.queue_many(
                db=db,
                settings=context.settings,
                drafts=[drafts[registration_id] for registration_id in marked],
                fallback_seconds=SEND_NOW_FALLBACK_SECONDS,
            )
            await db.commit()
    # Sent at once; what fails is retried by each email's own job a little later.
    await outbox.send_many(context, queued)
    return outcomes


async def _registered(db: AsyncSession, session_id: int) -> list[User]:
    rows = await db.scalars(
        select(User)
        .join(Registration, Registration.user_id == User.id)
        .where(Registration.session_id == session_id, Registration.status == REGISTERED)
    )
    return list(rows)


async def _tell_registered(
    db: AsyncSession,
    settings: Settings,
    session: ScheduledSession,
    template: str,
    subject: str,
    *,
    topic: str,
) -> None:
    """Queue `template` to every member with a place (sent when the caller commits)."""
    drafts = [
        _draft(settings, template=template, subject=subject, session=session, user=u, topic=topic)
        for u in await _registered(db, session.id)
    ]
    await outbox.queue_many(db=db, settings=settings, drafts=drafts)


async def carry_change(context: JobContext, payload: dict[str, Any]) -> None:
    """A new time or title: change the provider's meeting, then tell the people registered."""
    session_id, version = int(payload["id"]), int(payload["version"])
    async with context.database() as db:
        session = await db.get(ScheduledSession, session_id)
        if session is None or session.state == CANCELLED or session.version != version:
            return  # a later change (or the cancellation) says it all
        provider, _row = await provider_for(db, _runtime(context), session)
        meeting = session.meeting
        spec = _spec(session)
    if meeting is not None and session.meeting_version < version:
        try:
            changed = await flows.update_meeting(
                provider=provider, meeting=ProviderMeeting.from_json(meeting), spec=spec
            )
        except ProviderError as error:
            await _record_error(context, session_id, _error(error))
            raise Retry(f"{provider.name}: {error.code}") from error
        meeting = changed.to_json()
    async with context.database() as db:
        session = await db.get(ScheduledSession, session_id)
        if session is None or session.version != version:
            return
        if session.meeting is not None:
            session.meeting = meeting
            session.meeting_version = version
            session.meeting_error = None
        await _tell_registered(
            db,
            context.settings,
            session,
            "session_changed",
            N_("Changed: %(title)s"),
            topic=f"session:{session_id}:update:{version}",
        )
        await db.commit()


async def carry_cancel(context: JobContext, payload: dict[str, Any]) -> None:
    """A cancelled session: the provider's meeting goes, the people registered are told."""
    session_id = int(payload["id"])
    async with context.database() as db:
        session = await db.get(ScheduledSession, session_id)
        if session is None:
            return
        meeting = session.meeting
        provider, _row = await provider_for(db, _runtime(context), session)
    if meeting is not None:
        try:
            await flows.delete_meeting(
                provider=provider,
                meeting=ProviderMeeting.from_json(meeting),
                reference=f"session:{session_id}",
            )
        except ProviderError as error:
            await _record_error(context, session_id, _error(error))
            raise Retry(f"{provider.name}: {error.code}") from error
    async with context.database() as db:
        session = await db.get(ScheduledSession, session_id)
        if session is None:
            return
        session.meeting = None
        await _tell_registered(
            db,
            context.settings,
            session,
            "session_cancelled",
            N_("Cancelled: %(title)s"),
            topic=f"session:{session_id}:cancel",
        )
        await db.commit()
