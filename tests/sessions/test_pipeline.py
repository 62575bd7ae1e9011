"""The sessions' pipeline, travelling in time: the meeting made 24 hours ahead, each member
reminded once 15 minutes ahead (late registrants at once), changes and cancellations carried
to the provider and to the people, provider and mail server failures, pause and disconnect."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import User
from parley.job_kinds import handlers
from parley.jobs.models import Job
from parley.jobs.worker import JobContext, Worker
from parley.providers import service as providers
from parley.providers.bbb import BBBConfig
from parley.rooms.models import Room
from parley.sessions import service
from parley.sessions.models import ScheduledSession
from parley.settings import Settings
from tests.browser.server import free_port
from tests.factories import log_in, make_user
from tests.mailbox import Mailbox, text_of

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.current = datetime.now(UTC)

    def now(self) -> datetime:
        return self.current

    def at(self, moment: datetime) -> None:
        self.current = moment

    def tick(self) -> None:
        """A moment later than anything the test just did."""
        self.current = max(self.current, datetime.now(UTC)) + timedelta(seconds=1)


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    # The tests run the jobs themselves, at the times they choose.
    return settings.model_copy(update={"smtp_port": mailbox.port, "jobs_in_process": False})


@pytest.fixture
async def make_worker(app: FastAPI) -> AsyncIterator[Callable[[Clock], Worker]]:
    """Workers for this test, on its clock; stopped (their mail connections closed) after."""
    made: list[Worker] = []

    def make(clock: Clock) -> Worker:
        context = JobContext(
            database=app.state.runtime.database,
            bus=app.state.runtime.bus,
            settings=app.state.runtime.settings,
            clock=clock,
            providers=app.state.runtime.providers,
        )
        made.append(Worker(context, handlers(), concurrency=20))
        return made[-1]

    yield make
    for worker in made:
        await worker.stop()


def _fields(starts_at: datetime, **changes: Any) -> service.SessionFields:
    values: dict[str, Any] = {
        "title": "Maths, class 4B",
        "description": "Fractions.",
        "starts_at": starts_at,
        "duration_minutes": 60,
        "capacity": 2,
        "mode": "online",
        "location": "",
        "provider_config_id": None,
        **changes,
    }
    return service.SessionFields(**values)


async def _job(db: AsyncSession, key: str) -> Job:
    job = await db.scalar(select(Job).where(Job.key == key))
    assert job is not None, key
    return job


async def _people(app: FastAPI, count: int) -> list[User]:
    async with app.state.runtime.database() as db:
        return [
            await make_user(db, email=f"member{n}@example.org", name=f"Member {n}")
            for n in range(count)
        ]


async def test_meeting_made_ahead_and_each_member_reminded_once(
    app: FastAPI, mailbox: Mailbox, make_worker: Callable[[Clock], Worker]
) -> None:
    clock = Clock()
    worker = make_worker(clock)
    organiser, ada, grace, linus, late = await _people(app, 5)
    starts = (clock.now() + timedelta(days=2)).replace(microsecond=0)
    settings = app.state.runtime.settings
    async with app.state.runtime.database() as db:
        session = await service.publish(
            db=db, settings=settings, organiser=organiser, fields=_fields(starts)
        )
        for member in (ada, grace, linus):
            await service.register(db=db, settings=settings, user=member, session=session)
        session_id = session.id
        statuses = {
            u.email: r.status for r, u in await service.registrations(db=db, session_id=session_id)
        }
    assert statuses == {
        "member1@example.org": "registered",
        "member2@example.org": "registered",
        "member3@example.org": "waiting",
    }

    # Nothing is made until 24 hours before the start.
    await worker.run_until_idle()
    async with app.state.runtime.database() as db:
        assert (await db.get(ScheduledSession, session_id)).meeting is None  # type: ignore[union-attr]
    clock.at(starts - timedelta(hours=24))
    await worker.run_until_idle()
    async with app.state.runtime.database() as db:
        made = await db.get(ScheduledSession, session_id)
        assert made is not None and made.meeting is not None
        room = await db.get(Room, made.meeting["data"]["room_id"])
        assert room is not None and room.name == "Maths, class 4B"
        assert room.owner_id == organiser.id
    link = made.meeting["join_url"]
    assert link.endswith(f"/r/{room.slug}")
    assert mailbox.messages == []

    # 15 minutes before: the two with a place get the link, once.
    clock.at(starts - timedelta(minutes=15))
    await worker.run_until_idle()
    await worker.run_until_idle()
    assert sorted(m["To"] for m in mailbox.wait_for(2)) == [
        "member1@example.org",
        "member2@example.org",
    ]
    assert link in text_of(mailbox.messages[0])
    assert mailbox.messages[0]["Subject"] == "Starting soon: Maths, class 4B"

    # Grace gives up her place: Linus, first on the waiting list, gets it and the link at
    # once; someone registering now (more places) gets it at once too.
    async with app.state.runtime.database() as db:
        session = await service.get(db=db, session_id=session_id)
        await service.unregister(db=db, settings=settings, user=grace, session=session)
        session = await service.get(db=db, session_id=session_id)
        await service.change(
            db=db,
            settings=settings,
            actor=organiser,
            session=session,
            fields=_fields(starts, capacity=3),
        )
        session = await service.get(db=db, session_id=session_id)
        await service.register(db=db, settings=settings, user=late, session=session)
    clock.tick()
    await worker.run_until_idle()
    received = Counter(m["To"] for m in mailbox.wait_for(4))
    assert received == Counter(
        {
            "member1@example.org": 1,
            "member2@example.org": 1,
            "member3@example.org": 1,
            "member4@example.org": 1,
        }
    )
    # Running the workers again sends nothing more.
    clock.at(clock.now() + timedelta(hours=1))
    assert await worker.run_until_idle() == 0
    assert len(mailbox.messages) == 4


async def test_a_change_and_a_cancellation_reach_the_provider_and_the_people(
    app: FastAPI, mailbox: Mailbox, make_worker: Callable[[Clock], Worker]
) -> None:
    clock = Clock()
    worker = make_worker(clock)
    organiser, ada, stranger = await _people(app, 3)
    starts = (clock.now() + timedelta(hours=3)).replace(microsecond=0)
    settings = app.state.runtime.settings
    async with app.state.runtime.database() as db:
        session = await service.publish(
            db=db, settings=settings, organiser=organiser, fields=_fields(starts)
        )
        await service.register(db=db, settings=settings, user=ada, session=session)
        session_id = session.id
    clock.tick()
    await worker.run_until_idle()  # within 24 hours: made at once
    async with app.state.runtime.database() as db:
        session = await service.get(db=db, session_id=session_id)
        assert session.meeting is not None
        room_id = session.meeting["data"]["room_id"]
        with pytest.raises(Exception, match="organiser"):
            await service.change(
                db=db,
                settings=settings,
                actor=stranger,
                session=session,
                fields=_fields(starts, title="Hijacked"),
            )
    async with app.state.runtime.database() as db:
        session = await service.get(db=db, session_id=session_id)
        later = starts + timedelta(hours=1)
        await service.change(
            db=db,
            settings=settings,
            actor=organiser,
            session=session,
            fields=_fields(later, title="Maths, class 4B (moved)"),
        )
    clock.tick()
    await worker.run_until_idle()
    await worker.run_until_idle()
    changed = mailbox.wait_for(1)[0]
    assert changed["To"] == "member1@example.org"
    assert changed["Subject"] == "Changed: Maths, class 4B (moved)"
    async with app.state.runtime.database() as db:
        room = await db.get(Room, room_id)
        assert room is not None and room.name == "Maths, class 4B (moved)"
        # The reminder moved with the session.
        job = await _job(db, service.remind_key(session_id, ada.id))
        assert job.run_at == later - timedelta(minutes=15)

    async with app.state.runtime.database() as db:
        session = await service.get(db=db, session_id=session_id)
        await service.cancel(db=db, actor=organiser, session=session)
    clock.tick()
    await worker.run_until_idle()
    await worker.run_until_idle()
    cancelled = mailbox.wait_for(2)[1]
    assert cancelled["Subject"] == "Cancelled: Maths, class 4B (moved)"
    async with app.state.runtime.database() as db:
        assert await db.get(Room, room_id) is None
    # The reminder never goes.
    clock.at(later)
    await worker.run_until_idle()
    assert len(mailbox.messages) == 2


async def test_provider_failure_is_retried_shown_and_blocks_nobody_else(
    app: FastAPI, mailbox: Mailbox, make_worker: Callable[[Clock], Worker]
) -> None:
    clock = Clock()
    worker = make_worker(clock)
    (organiser,) = await _people(app, 1)
    settings = app.state.runtime.settings
    async with app.state.runtime.database() as db:
        # A BigBlueButton that does not answer (nothing listens on its port).
        bbb = await providers.create(
            db=db,
            runtime=app.state.runtime.providers,
            kind="bbb",
            name="School BBB",
            config=BBBConfig(
                api_url=f"http://127.0.0.1:{free_port()}/bigbluebutton/", secret="s" * 32
            ),
        )
        starts = (clock.now() + timedelta(hours=2)).replace(microsecond=0)
        broken = await service.publish(
            db=db,
            settings=settings,
            organiser=organiser,
            fields=_fields(starts, provider_config_id=bbb.id),
        )
        fine = await service.publish(
            db=db, settings=settings, organiser=organiser, fields=_fields(starts, title="Chess")
        )
        broken_id, fine_id, bbb_id = broken.id, fine.id, bbb.id
    clock.tick()
    await worker.run_until_idle()
    async with app.state.runtime.database() as db:
        assert (await service.get(db=db, session_id=fine_id)).meeting is not None
        failing = await service.get(db=db, session_id=broken_id)
        assert failing.meeting is None
        assert failing.meeting_error is not None
        assert "could not be reached" in failing.meeting_error["message"]
        job = await _job(db, service.generate_key(broken_id))
        assert job.state == "pending" and job.attempts == 1
        assert job.run_at > clock.now() + timedelta(seconds=9)

    # The organiser sees it on the session's page.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        await log_in(client, organiser.email)
        page = await client.get(f"/sessions/{broken_id}")
        assert "School BBB could not be reached" in page.text
        assert "Parley tries again at" in page.text

    # Paused: nothing new is made, and the attempt is not counted.
    async with app.state.runtime.database() as db:
        row = await providers.get(db=db, config_id=bbb_id)
        assert row is not None
        await service.set_provider_state(db=db, row=row, state=service.PAUSED)
    clock.at(clock.now() + timedelta(minutes=1))
    await worker.run_until_idle()
    async with app.state.runtime.database() as db:
        job = await _job(db, service.generate_key(broken_id))
        assert job.attempts == 1 and "paused" in (job.last_error or "")
        # Disconnected: the session says so, no more attempts.
        row = await providers.get(db=db, config_id=bbb_id)
        assert row is not None
        await service.set_provider_state(db=db, row=row, state=service.DISCONNECTED)
    clock.at(clock.now() + timedelta(minutes=10))
    await worker.run_until_idle()
    async with app.state.runtime.database() as db:
        failing = await service.get(db=db, session_id=broken_id)
        assert failing.meeting_error is not None
        assert "disconnected" in failing.meeting_error["message"]
        job = await _job(db, service.generate_key(broken_id))
        assert job.state == "failed"


async def test_a_mail_server_away_delays_reminders_and_the_page_says_so(
    app: FastAPI, mailbox: Mailbox, make_worker: Callable[[Clock], Worker]
) -> None:
    clock = Clock()
    worker = make_worker(clock)
    organiser, ada = await _people(app, 2)
    settings = app.state.runtime.settings
    starts = (clock.now() + timedelta(minutes=10)).replace(microsecond=0)
    mailbox.stop()
    async with app.state.runtime.database() as db:
        session = await service.publish(
            db=db, settings=settings, organiser=organiser, fields=_fields(starts)
        )
        await service.register(db=db, settings=settings, user=ada, session=session)
        session_id = session.id
    clock.tick()
    await worker.run_until_idle()
    # The reminder was due with the meeting's making: it waits for the meeting, then goes.
    clock.at(clock.now() + timedelta(seconds=11))
    await worker.run_until_idle()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        await log_in(client, organiser.email)
        page = await client.get(f"/sessions/{session_id}")
        assert "Delayed: the mail server does not answer" in page.text
        mailbox.start()
        clock.at(clock.now() + timedelta(minutes=1))
        await worker.run_until_idle()
        assert [m["To"] for m in mailbox.wait_for(1)] == ["member1@example.org"]
        page = await client.get(f"/sessions/{session_id}")
        assert "Delayed" not in page.text and "Sent" in page.text
