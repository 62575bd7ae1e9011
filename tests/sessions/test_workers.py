"""Workers as real processes on PostgreSQL: one killed with SIGKILL in the middle of sending
reminders, and four racing over the same due jobs. Every member gets exactly one email."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from parley import db
from parley.accounts.models import User
from parley.jobs.models import Job
from parley.jobs.worker import JobContext, SystemClock, Worker
from parley.mail import outbox
from parley.mail.models import OutgoingEmail
from parley.sessions import pipeline, service
from parley.sessions.models import Registration
from parley.settings import Settings
from tests import services
from tests.mailbox import Mailbox

MEMBERS = 300


def _settings(database: str, mailbox: Mailbox, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database,
        var_dir=tmp_path / "var",
        secret_key="one secret for every process",
        smtp_port=mailbox.port,
    )


def _worker_process(
    settings: Settings, tmp_path: Path, name: str, lease: str = "10"
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": settings.database_url,
        "PARLEY_SECRET_KEY": "one secret for every process",
        "PARLEY_SMTP_PORT": str(settings.smtp_port),
        "PARLEY_VAR_DIR": str(tmp_path / "var"),
        "PARLEY_AUTO_MIGRATE": "false",
        "PARLEY_JOBS_LEASE_SECONDS": lease,
        "PARLEY_JOBS_CONCURRENCY": "20",
        "PARLEY_JOBS_POLL_SECONDS": "0.2",
    }
    with (tmp_path / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "parley", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def _seed_session(settings: Settings) -> int:
    """A session starting in 10 minutes, its meeting made, 300 members registered."""
    engine = db.create_engine(settings.effective_database_url)
    database = db.session_factory(engine)
    try:
        async with database() as session_db:
            organiser = User(email="organiser@example.org", display_name="Organiser")
            members = [
                User(email=f"member{n}@example.org", display_name=f"Member {n}")
                for n in range(MEMBERS)
            ]
            session_db.add_all([organiser, *members])
            await session_db.flush()
            session = await service.publish(
                db=session_db,
                settings=settings,
                organiser=organiser,
                fields=service.SessionFields(
                    title="Choir rehearsal",
                    description="",
                    starts_at=datetime.now(UTC) + timedelta(minutes=10),
                    duration_minutes=90,
                    capacity=MEMBERS,
                    mode="online",
                    location="",
                    provider_config_id=None,
                ),
            )
            session_id = session.id
        # The meeting is made first, so every reminder is due with its link.
        from parley.bus import MemoryBus
        from parley.providers.http import create_client
        from parley.providers.service import ProviderRuntime

        bus = MemoryBus()
        async with create_client(timeout_seconds=5) as http:
            runtime = ProviderRuntime(
                http=http,
                database=database,
                bus=bus,
                public_url="http://testserver",
                secret=settings.secret(),
            )
            context = JobContext(
                database=database,
                bus=bus,
                settings=settings,
                clock=SystemClock(),
                providers=runtime,
            )
            await Worker(context, {service.GENERATE: pipeline.generate}).run_until_idle()
        async with database() as session_db:
            session = await service.get(db=session_db, session_id=session_id)
            assert session.meeting is not None
            for member in members:
                await service.register(
                    db=session_db,
                    settings=settings,
                    user=await session_db.get(User, member.id),  # type: ignore[arg-type]
                    session=session,
                )
        return session_id
    finally:
        await engine.dispose()


def _wait(check: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _count(settings: Settings, statement: object) -> int:
    engine = db.create_engine(settings.effective_database_url)
    try:
        async with db.session_factory(engine)() as session_db:
            return int(await session_db.scalar(statement) or 0)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


def test_a_worker_killed_mid_reminders_loses_none_and_sends_none_twice(
    postgres_url: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    settings = _settings(postgres_url, mailbox, tmp_path)
    services.run_async(lambda: _seed_session(settings))
    first = _worker_process(settings, tmp_path, "first")
    try:
        _wait(lambda: len(mailbox.messages) >= MEMBERS // 5, "the first reminders")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        sent_before = len(mailbox.messages)
        assert sent_before < MEMBERS, "the worker finished before it could be killed"
    finally:
        if first.poll() is None:
            first.kill()
    second = _worker_process(settings, tmp_path, "second")
    try:
        _wait(lambda: len(mailbox.messages) >= MEMBERS, "every reminder", timeout=90)
        time.sleep(1)  # anything sent twice would arrive now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    # One reminder each, as every member's mailbox shows it: a delivery repeated because the
    # worker died between the server's "accepted" and its record would be the same message
    # (same Message-ID), which mail stores keep once. Deliveries are counted too.
    messages_per_member: dict[str, set[str]] = {}
    for message in mailbox.messages:
        messages_per_member.setdefault(str(message["To"]), set()).add(str(message["Message-ID"]))
    assert len(messages_per_member) == MEMBERS
    assert {len(ids) for ids in messages_per_member.values()} == {1}
    deliveries = Counter(str(m["To"]) for m in mailbox.messages)
    repeated = sum(count - 1 for count in deliveries.values())
    print(f"killed after {sent_before} reminders; deliveries repeated: {repeated}")
    # At most what was in flight at the kill (20 at once).
    assert repeated <= 20
    reminded = services.run_async(
        lambda: _count(
            settings,
            select(func.count())
            .select_from(Registration)
            .where(Registration.reminded_at.is_not(None)),
        )
    )
    assert reminded == MEMBERS


async def _seed_emails(settings: Settings, count: int) -> None:
    engine = db.create_engine(settings.effective_database_url)
    try:
        async with db.session_factory(engine)() as session_db:
            for n in range(count):
                await outbox.queue(
                    db=session_db,
                    settings=settings,
                    recipient=f"person{n}@example.org",
                    subject="Hello",
                    text="One email each.",
                    topic="race",
                )
            await session_db.commit()
    finally:
        await engine.dispose()


async def _jobs_not_run_once(settings: Settings) -> list[tuple[str, int, str | None]]:
    engine = db.create_engine(settings.effective_database_url)
    try:
        async with db.session_factory(engine)() as session_db:
            rows = await session_db.execute(
                select(Job.key, Job.attempts, Job.last_error).where(
                    (Job.attempts != 1) | (Job.state != "done")
                )
            )
            return [tuple(row) for row in rows][:5]  # type: ignore[misc]
    finally:
        await engine.dispose()


def test_four_workers_racing_run_each_job_once(
    postgres_url: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    settings = _settings(postgres_url, mailbox, tmp_path)
    count = 400
    services.run_async(lambda: _seed_emails(settings, count))
    workers = [_worker_process(settings, tmp_path, f"worker{n}", lease="300") for n in range(4)]
    try:
        _wait(lambda: len(mailbox.messages) >= count, "every email", timeout=90)
        time.sleep(1)
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=20)
    received = Counter(str(m["To"]) for m in mailbox.messages)
    assert len(received) == count and set(received.values()) == {1}
    # Each job was claimed once: one attempt each, all done.
    ran_more = services.run_async(lambda: _jobs_not_run_once(settings))
    assert ran_more == []
    sent = services.run_async(
        lambda: _count(
            settings,
            select(func.count())
            .select_from(OutgoingEmail)
            .where(OutgoingEmail.sent_at.is_not(None)),
        )
    )
    assert sent == count
