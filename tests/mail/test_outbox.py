"""Sending a batch of just-queued emails: each goes once over a few kept connections, is
marked sent (many marks to a commit), and its job, held meanwhile, is closed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from parley.jobs.models import DONE, PENDING, Job
from parley.jobs.worker import JobContext
from parley.mail import outbox
from parley.mail.models import OutgoingEmail
from parley.mail.smtp import SmtpPool
from parley.settings import Settings
from tests.mailbox import Mailbox, text_of

pytestmark = pytest.mark.anyio


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(update={"smtp_port": mailbox.port, "jobs_in_process": False})


async def _queue(app: FastAPI, count: int) -> list[outbox.Queued]:
    drafts = [
        outbox.Draft(
            recipient=f"person{n}@example.org",
            subject=f"Hello {n}",
            text=f"Hello person {n},\n",
            html=f"<p>Hello person {n}</p>\n",
            topic="batch",
        )
        for n in range(count)
    ]
    async with app.state.runtime.database() as db:
        queued = await outbox.queue_many(
            db=db, settings=app.state.runtime.settings, drafts=drafts, fallback_seconds=30
        )
        await db.commit()
    return queued


async def test_a_batch_goes_once_each_marked_sent_and_its_jobs_closed(
    app: FastAPI, mailbox: Mailbox
) -> None:
    queued = await _queue(app, 120)
    context = JobContext(
        database=app.state.runtime.database,
        bus=app.state.runtime.bus,
        settings=app.state.runtime.settings,
        clock=Clock(),
        smtp=SmtpPool(app.state.runtime.settings, size=7),
    )
    try:
        await outbox.send_many(context, queued)
    finally:
        assert context.smtp is not None
        await context.smtp.aclose_jobs()
    received = mailbox.wait_for(120)
    assert Counter(str(m["To"]) for m in received) == {
        f"person{n}@example.org": 1 for n in range(120)
    }
    by_id = {q.message_id: q for q in queued}
    for message in received:
        sent = by_id[str(message["Message-ID"])]
        assert str(message["To"]) == sent.draft.recipient
        # As the mail server stores it: lines end with CRLF.
        assert text_of(message).replace("\r\n", "\n") == sent.draft.text
    async with app.state.runtime.database() as db:
        unsent = await db.scalar(
            select(func.count()).select_from(OutgoingEmail).where(OutgoingEmail.sent_at.is_(None))
        )
        states = Counter(await db.scalars(select(Job.state).where(Job.kind == outbox.JOB_KIND)))
    assert unsent == 0
    assert states == {DONE: 120}


async def test_a_batch_the_server_refuses_is_left_to_its_jobs_with_the_reason(
    app: FastAPI, mailbox: Mailbox
) -> None:
    queued = await _queue(app, 5)
    mailbox.stop()
    context = JobContext(
        database=app.state.runtime.database,
        bus=app.state.runtime.bus,
        settings=app.state.runtime.settings,
        clock=Clock(),
    )
    await outbox.send_many(context, queued)
    async with app.state.runtime.database() as db:
        jobs = list(await db.scalars(select(Job).where(Job.kind == outbox.JOB_KIND)))
    assert {job.state for job in jobs} == {PENDING}
    assert all(job.last_error and "Connect" in job.last_error for job in jobs), [
        job.last_error for job in jobs
    ]
