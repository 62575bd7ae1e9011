"""Durable jobs: due jobs run once, later ones wait, failures retry with backoff, emails go
through a real SMTP server exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from parley.jobs import queue
from parley.jobs.models import DONE, FAILED, PENDING, Job
from parley.jobs.worker import GiveUp, JobContext, Worker
from parley.mail import outbox
from parley.mail.models import OutgoingEmail
from parley.settings import Settings
from tests.mailbox import Mailbox, text_of

pytestmark = pytest.mark.anyio


class FrozenClock:
    def __init__(self) -> None:
        self.current = datetime.now(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def jobs_settings(settings: Settings) -> Settings:
    # The tests drive their own workers; the application's would race them.
    return settings.model_copy(update={"jobs_in_process": False})


@pytest.fixture
async def jobs_app(jobs_settings: Settings) -> Any:
    from asgi_lifespan import LifespanManager

    from parley.app import create_app

    application = create_app(jobs_settings)
    async with LifespanManager(application):
        yield application


def _worker(app: FastAPI, clock: FrozenClock, handlers: dict[str, Any], **kw: Any) -> Worker:
    context = JobContext(
        database=app.state.runtime.database,
        bus=app.state.runtime.bus,
        settings=app.state.runtime.settings,
        clock=clock,
    )
    return Worker(context, handlers, **kw)


async def test_a_job_runs_once_when_due_and_a_key_makes_one_job(jobs_app: FastAPI) -> None:
    clock = FrozenClock()
    ran: list[dict[str, Any]] = []

    async def record(_context: JobContext, payload: dict[str, Any]) -> None:
        ran.append(payload)

    async with jobs_app.state.runtime.database() as db:
        later = clock.now() + timedelta(minutes=15)
        await queue.enqueue(db=db, kind="test", key="remind:1", payload={"n": 1}, run_at=later)
        # The same logical job again (a retried request, a second process): nothing more.
        await queue.enqueue(db=db, kind="test", key="remind:1", payload={"n": 2}, run_at=later)
        await db.commit()
        assert len((await db.scalars(select(Job))).all()) == 1

    worker = _worker(jobs_app, clock, {"test": record})
    assert await worker.run_until_idle() == 0
    clock.advance(minutes=14, seconds=59)
    assert await worker.run_until_idle() == 0
    clock.advance(seconds=1)
    assert await worker.run_until_idle() == 1
    assert await worker.run_until_idle() == 0
    assert ran == [{"n": 1}]
    async with jobs_app.state.runtime.database() as db:
        job = await queue.get(db=db, key="remind:1")
        assert job is not None and job.state == DONE and job.attempts == 1


async def test_a_failing_job_is_retried_with_backoff_then_given_up(jobs_app: FastAPI) -> None:
    calls = 0

    async def flaky(_context: JobContext, _payload: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("provider timed out")

    async with jobs_app.state.runtime.database() as db:
        await queue.enqueue(db=db, kind="flaky", key="flaky:1", max_attempts=3)
        await db.commit()
    clock = FrozenClock()
    worker = _worker(jobs_app, clock, {"flaky": flaky})
    assert await worker.run_until_idle() == 1
    async with jobs_app.state.runtime.database() as db:
        job = await queue.get(db=db, key="flaky:1")
        assert job is not None
        assert job.state == PENDING and job.attempts == 1
        assert job.last_error == "RuntimeError: provider timed out"
        first_wait = job.run_at - clock.now()
    assert timedelta(seconds=10) <= first_wait <= timedelta(seconds=11)
    # Not before its time.
    assert await worker.run_until_idle() == 0
    clock.advance(seconds=11)
    assert await worker.run_until_idle() == 1
    async with jobs_app.state.runtime.database() as db:
        job = await queue.get(db=db, key="flaky:1")
        assert job is not None
        second_wait = job.run_at - clock.now()
    assert second_wait >= timedelta(seconds=20)
    clock.advance(minutes=1)
    assert await worker.run_until_idle() == 1
    async with jobs_app.state.runtime.database() as db:
        job = await queue.get(db=db, key="flaky:1")
        assert job is not None and job.state == FAILED and job.attempts == 3
    assert calls == 3

    async def impossible(_context: JobContext, _payload: dict[str, Any]) -> None:
        raise GiveUp("the session is gone")

    async with jobs_app.state.runtime.database() as db:
        await queue.enqueue(db=db, kind="impossible", key="impossible:1")
        await db.commit()
    assert await _worker(jobs_app, clock, {"impossible": impossible}).run_until_idle() == 1
    async with jobs_app.state.runtime.database() as db:
        job = await queue.get(db=db, key="impossible:1")
        assert job is not None and job.state == FAILED and job.attempts == 1


async def test_a_job_left_by_a_dead_worker_runs_again_after_its_lease(jobs_app: FastAPI) -> None:
    async with jobs_app.state.runtime.database() as db:
        await queue.enqueue(db=db, kind="test", key="orphan:1")
        await db.commit()
        clock = FrozenClock()
        # A worker claims it, then dies before recording anything.
        claimed = await queue.claim(db=db, worker="dead", now=clock.now(), limit=10, kinds=["test"])
        assert [c.key for c in claimed] == ["orphan:1"]
    ran: list[str] = []

    async def record(_context: JobContext, _payload: dict[str, Any]) -> None:
        ran.append("ran")

    worker = _worker(jobs_app, clock, {"test": record})
    assert await worker.run_until_idle() == 0
    clock.advance(seconds=queue.LEASE.total_seconds() + 1)
    assert await worker.run_until_idle() == 1
    assert ran == ["ran"]


async def test_a_claim_takes_abandoned_jobs_then_the_oldest_due_of_its_kinds_up_to_its_limit(
    jobs_app: FastAPI,
) -> None:
    clock = FrozenClock()
    start = clock.now()
    async with jobs_app.state.runtime.database() as db:
        # Many due jobs of another kind, older than all of ours: a claim for ours sees none.
        for n in range(50):
            await queue.enqueue(
                db=db, kind="other", key=f"other:{n}", run_at=start - timedelta(hours=1, seconds=n)
            )
        for n, minutes in enumerate([3, 1, 2]):
            await queue.enqueue(
                db=db, kind="ours", key=f"ours:{n}", run_at=start - timedelta(minutes=minutes)
            )
        await queue.enqueue(db=db, kind="ours", key="ours:later", run_at=start + timedelta(hours=1))
        await db.commit()

        async def claim(worker: str, limit: int, kinds: list[str]) -> set[tuple[str, int]]:
            found = await queue.claim(
                db=db, worker=worker, now=clock.now(), limit=limit, kinds=kinds
            )
            return {(job.key, job.attempts) for job in found}

        # The oldest first: ours:0 (3 minutes ago); a worker takes it and dies.
        assert await claim("dead", 1, ["ours"]) == {("ours:0", 1)}
        clock.advance(seconds=queue.LEASE.total_seconds() + 1)
        # Its claim ran out: it is taken again, with the oldest pending one; the limit holds.
        assert await claim("alive", 2, ["ours"]) == {("ours:0", 2), ("ours:2", 1)}
        assert await claim("alive", 10, ["ours"]) == {("ours:1", 1)}
        assert await claim("alive", 10, ["ours"]) == set()
        # Several kinds at once: the oldest due of them all.
        assert await claim("alive", 3, ["ours", "other"]) == {
            ("other:49", 1),
            ("other:48", 1),
            ("other:47", 1),
        }


async def test_workers_racing_over_the_same_jobs_run_each_once(jobs_app: FastAPI) -> None:
    runs: Counter[int] = Counter()

    async def count(_context: JobContext, payload: dict[str, Any]) -> None:
        runs[payload["n"]] += 1
        await asyncio.sleep(0)

    async with jobs_app.state.runtime.database() as db:
        for n in range(200):
            await queue.enqueue(db=db, kind="race", key=f"race:{n}", payload={"n": n})
        await db.commit()
    clock = FrozenClock()
    workers = [_worker(jobs_app, clock, {"race": count}, concurrency=7) for _ in range(4)]
    await asyncio.gather(*(w.run_until_idle() for w in workers))
    assert sorted(runs) == list(range(200))
    assert set(runs.values()) == {1}


async def test_an_email_waits_for_the_mail_server_and_is_sent_once(
    jobs_settings: Settings, jobs_app: FastAPI
) -> None:
    mailbox = Mailbox()
    settings = jobs_settings.model_copy(update={"smtp_port": mailbox.port})
    async with jobs_app.state.runtime.database() as db:
        email = await outbox.queue(
            db=db,
            settings=settings,
            recipient="grace@example.org",
            subject="Your meeting",
            text="Join: http://testserver/r/abcd",
            html="<p>Join</p>",
            attachments=[outbox.attachment("invite.ics", "text/calendar; method=REQUEST", b"X")],
            topic="test",
        )
        await db.commit()
        email_id = email.id
    clock = FrozenClock()
    context = JobContext(
        database=jobs_app.state.runtime.database,
        bus=jobs_app.state.runtime.bus,
        settings=settings,
        clock=clock,
    )
    worker = Worker(context, {outbox.JOB_KIND: outbox.send_job})
    # The mail server is down: the email waits, with the reason recorded.
    assert await worker.run_until_idle() == 1
    async with jobs_app.state.runtime.database() as db:
        job = await queue.get(db=db, key=f"email:{email_id}")
        assert job is not None and job.state == PENDING
        assert "could not be reached" in (job.last_error or "")
    mailbox.start()
    try:
        clock.advance(minutes=1)
        assert await worker.run_until_idle() == 1
        received = mailbox.wait_for(1)
        assert received[0]["To"] == "grace@example.org"
        assert "http://testserver/r/abcd" in text_of(received[0])
        attachment = next(received[0].iter_attachments())
        assert attachment.get_filename() == "invite.ics"
        assert attachment.get_content_type() == "text/calendar"
        # Run again (a job claimed twice after a crash): the email is not sent again.
        async with jobs_app.state.runtime.database() as db:
            await outbox.send_job(context, {"id": email_id})
            row = await db.get(OutgoingEmail, email_id)
            assert row is not None and row.sent_at is not None
        await asyncio.sleep(0.2)
        assert len(mailbox.messages) == 1
    finally:
        await worker.stop()
        mailbox.stop()
