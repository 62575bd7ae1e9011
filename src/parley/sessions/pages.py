"""Pages of sessions: the upcoming ones, publishing, a session's page, registering; and the
administration's controls of the pipeline per provider."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.csrf import check_csrf
from parley.deps import AdminUser, CurrentUser, DbSession, Id
from parley.errors import N_, NotFound, ParleyError
from parley.forms import form_data, parse
from parley.jobs.models import Job
from parley.mail.models import OutgoingEmail
from parley.providers import service as providers
from parley.providers.models import ProviderConfig
from parley.runtime import runtime_of
from parley.sessions import service
from parley.sessions.models import ONLINE, Registration, ScheduledSession
from parley.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class SessionForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Annotated[Text, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[Text, StringConstraints(max_length=5000)] = ""
    day: date
    start: time
    timezone: Annotated[Text, StringConstraints(max_length=64)] = "UTC"
    duration_minutes: int = Field(ge=5, le=600)
    capacity: int = Field(ge=1, le=10_000)
    mode: Literal["online", "in_person"]
    location: Annotated[Text, StringConstraints(max_length=300)] = ""
    provider: int | None = None


def _fields(form: SessionForm) -> tuple[service.SessionFields | None, dict[str, str]]:
    try:
        zone = ZoneInfo(form.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return None, {"timezone": i18n.gettext(N_("This time zone is not known."))}
    starts = datetime.combine(form.day, form.start, tzinfo=zone).astimezone(UTC)
    if form.mode == "in_person" and not form.location:
        return None, {"location": i18n.gettext(N_("Say where the session takes place."))}
    return (
        service.SessionFields(
            title=form.title,
            description=form.description,
            starts_at=starts,
            duration_minutes=form.duration_minutes,
            capacity=form.capacity,
            mode=form.mode,
            location=form.location,
            provider_config_id=form.provider if form.mode == ONLINE else None,
        ),
        {},
    )


def _read(data: dict[str, str]) -> tuple[service.SessionFields | None, dict[str, str]]:
    values: dict[str, Any] = dict(data)
    values["provider"] = data.get("provider") or None
    form, errors = parse(SessionForm, values)
    if form is None:
        return None, errors
    return _fields(form)


async def _offered(db: AsyncSession) -> list[ProviderConfig]:
    return [
        row
        for row in await providers.enabled_configs(db=db)
        if row.sessions_state != service.DISCONNECTED
    ]


async def _form_page(
    request: Request,
    db: AsyncSession,
    *,
    session: ScheduledSession | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "sessions/form.html",
        {"session": session, "values": values, "errors": errors, "offered": await _offered(db)},
        status_code=status_code,
    )


def _values(session: ScheduledSession) -> dict[str, str]:
    return {
        "title": session.title,
        "description": session.description,
        "day": session.starts_at.date().isoformat(),
        "start": session.starts_at.strftime("%H:%M"),
        "timezone": "UTC",
        "duration_minutes": str(session.duration_minutes),
        "capacity": str(session.capacity),
        "mode": session.mode,
        "location": session.location,
        "provider": str(session.provider_config_id or ""),
    }


@router.get("/sessions")
async def sessions_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    upcoming = await service.upcoming(db=db)
    counts = await service.counts(db=db, ids=[s.id for s in upcoming])
    mine = {
        r.session_id: r.status
        for r in (await db.scalars(select(Registration).where(Registration.user_id == user.id)))
    }
    return render(
        request,
        "sessions/list.html",
        {"sessions": upcoming, "counts": counts, "mine": mine},
    )


@router.get("/sessions/new")
async def new_session(request: Request, user: CurrentUser, db: DbSession) -> Response:
    values = {"duration_minutes": "60", "capacity": "20", "mode": "online", "timezone": "UTC"}
    return await _form_page(request, db, session=None, values=values, errors={})


@router.post("/sessions")
async def publish(request: Request, user: CurrentUser, db: DbSession) -> Response:
    data = await form_data(request)
    fields, errors = _read(data)
    if fields is not None:
        try:
            session = await service.publish(
                db=db, settings=runtime_of(request).settings, organiser=user, fields=fields
            )
        except ParleyError as refusal:
            errors = {"__all__": i18n.gettext(refusal.message, **refusal.params)}
        else:
            return RedirectResponse(f"/sessions/{session.id}", status_code=303)
    return await _form_page(request, db, session=None, values=data, errors=errors, status_code=422)


async def _session_page(
    request: Request,
    db: AsyncSession,
    user: User,
    session: ScheduledSession,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    manager = service.may_manage(user, session)
    registrations = await service.registrations(db=db, session_id=session.id) if manager else []
    reminders: dict[int, dict[str, Any]] = {}
    if manager and registrations:
        reminders = await _reminder_states(db, session)
    generate_job = await db.scalar(select(Job).where(Job.key == service.generate_key(session.id)))
    registered, waiting = (await service.counts(db=db, ids=[session.id]))[session.id]
    provider = (
        await db.get(ProviderConfig, session.provider_config_id)
        if session.provider_config_id
        else None
    )
    return render(
        request,
        "sessions/detail.html",
        {
            "session": session,
            "manager": manager,
            "organiser": await db.get(User, session.organiser_id),
            "mine": await service.registration(db=db, session_id=session.id, user_id=user.id),
            "registrations": registrations,
            "reminders": reminders,
            "registered": registered,
            "waiting": waiting,
            "generate_job": generate_job,
            "provider": provider,
            "meeting_error": service.describe_error(session.meeting_error),
            "values": values or _values(session),
            "errors": errors or {},
            "offered": await _offered(db) if manager else [],
        },
        status_code=status_code,
    )


async def _reminder_states(
    db: AsyncSession, session: ScheduledSession
) -> dict[int, dict[str, Any]]:
    """For each registered member: is the reminder waiting, delayed (and why) or sent."""
    prefix = f"session:{session.id}:remind:"
    states: dict[int, dict[str, Any]] = {}
    for job in await db.scalars(select(Job).where(Job.key.like(f"{prefix}%"))):
        states[int(job.key.removeprefix(prefix))] = {"job": job, "email": None, "email_job": None}
    emails = await db.scalars(select(OutgoingEmail).where(OutgoingEmail.topic.like(f"{prefix}%")))
    for email in emails:
        user_id = int(email.topic.removeprefix(prefix))
        entry = states.setdefault(user_id, {"job": None, "email": None, "email_job": None})
        entry["email"] = email
        entry["email_job"] = await db.scalar(select(Job).where(Job.key == f"email:{email.id}"))
    return states


async def _get(db: AsyncSession, session_id: int) -> ScheduledSession:
    return await service.get(db=db, session_id=session_id)


@router.get("/sessions/{session_id}")
async def session_page(
    session_id: Id, request: Request, user: CurrentUser, db: DbSession
) -> Response:
    return await _session_page(request, db, user, await _get(db, session_id))


@router.post("/sessions/{session_id}/edit")
async def edit(session_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    session = await _get(db, session_id)
    data = await form_data(request)
    fields, errors = _read(data)
    if fields is not None:
        try:
            await service.change(
                db=db,
                settings=runtime_of(request).settings,
                actor=user,
                session=session,
                fields=fields,
            )
        except ParleyError as refusal:
            await db.rollback()
            # The rollback expired everything loaded, the person too: read both again.
            await db.refresh(user)
            session = await _get(db, session_id)
            errors = {"__all__": i18n.gettext(refusal.message, **refusal.params)}
        else:
            return RedirectResponse(f"/sessions/{session.id}", status_code=303)
    return await _session_page(
        request, db, user, session, values=data, errors=errors, status_code=422
    )


@router.post("/sessions/{session_id}/cancel")
async def cancel(session_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    session = await _get(db, session_id)
    await service.cancel(db=db, actor=user, session=session)
    return RedirectResponse(f"/sessions/{session.id}", status_code=303)


@router.post("/sessions/{session_id}/register")
async def register(session_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    session = await _get(db, session_id)
    await service.register(db=db, settings=runtime_of(request).settings, user=user, session=session)
    return RedirectResponse(_back(await form_data(request), session), status_code=303)


@router.post("/sessions/{session_id}/unregister")
async def unregister(
    session_id: Id, request: Request, user: CurrentUser, db: DbSession
) -> Response:
    session = await _get(db, session_id)
    await service.unregister(
        db=db, settings=runtime_of(request).settings, user=user, session=session
    )
    return RedirectResponse(_back(await form_data(request), session), status_code=303)


def _back(data: dict[str, str], session: ScheduledSession) -> str:
    return "/sessions" if data.get("from") == "list" else f"/sessions/{session.id}"


# Administration


@router.get("/admin/sessions")
async def admin_sessions(request: Request, _admin: AdminUser, db: DbSession) -> Response:
    return render(
        request,
        "admin/sessions.html",
        {
            "configs": await providers.list_configs(db=db),
            "scheduled": await service.pipeline_jobs(db=db, pending=True),
            "happened": await service.pipeline_jobs(db=db, pending=False),
        },
    )


@router.post("/admin/sessions/providers/{config_id}")
async def provider_state(
    config_id: Id, request: Request, _admin: AdminUser, db: DbSession
) -> Response:
    row = await providers.get(db=db, config_id=config_id)
    if row is None:
        raise NotFound(N_("No such provider configuration."))
    data = await form_data(request)
    await service.set_provider_state(db=db, row=row, state=data.get("state", ""))
    return RedirectResponse("/admin/sessions", status_code=303)
