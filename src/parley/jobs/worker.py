"""The worker: takes due jobs and runs them, in the web process or as `parley worker`.

Each job kind has a handler, `async def handler(context, payload)`. A handler that returns
has done its job; one that raises `Retry` (or any exception) is tried again later with
backoff; one that raises `GiveUp` is not. Handlers must be safe to run again after a crash
(the worker may die between the work and marking it done): they check what is done first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.bus import Bus
from parley.db import utcnow
from parley.jobs import queue
from parley.settings import Settings

if TYPE_CHECKING:
    from parley.mail.smtp import SmtpPool
    from parley.providers.service import ProviderRuntime

log = logging.getLogger(__name__)

# The bus channel a process publishes on when it added jobs that are due now.
WAKE_CHANNEL = "jobs:wake"
# A batch handler takes this many times `concurrency` jobs at once: it bounds its own
# concurrency (the emails go over the SMTP pool's connections), and what a batch costs
# once (reads, writes, commits) is shared by more jobs.
BATCH_CLAIM_FACTOR = 4


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class Retry(Exception):
    """The job could not be done now; try again later."""


class GiveUp(Exception):
    """The job can never be done (its object is gone, the input is wrong): do not retry."""


class Defer(Exception):
    """Not now, and not a failure: run the job again after `seconds` (attempts not counted)."""

    def __init__(self, reason: str, *, seconds: float) -> None:
        super().__init__(reason)
        self.seconds = seconds


@dataclass
class JobContext:
    """What handlers get: the database, the bus, the settings, the clock, and the services
    that live as long as the worker (named for their types only: jobs sit below them)."""

    database: async_sessionmaker[AsyncSession]
    bus: Bus
    settings: Settings
    clock: Clock
    # The meeting providers, for the jobs that make or end meetings (None: not here).
    providers: ProviderRuntime | None = None
    # Connections to the mail server, opened by the first email job and kept until stop.
    smtp: SmtpPool | None = None


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
# A handler for many jobs of one kind at once: one outcome per payload, None when done.
BatchHandler = Callable[[JobContext, list[dict[str, Any]]], Awaitable[list[BaseException | None]]]


def batch(handler: BatchHandler) -> Handler:
    """Mark `handler` as taking the claimed jobs of its kind together (bulk reads and writes)."""
    handler.parley_batch = True  # type: ignore[attr-defined]
    return handler  # type: ignore[return-value]


def is_batch(handler: Handler) -> bool:
    return bool(getattr(handler, "parley_batch", False))


async def wake(bus: Bus) -> None:
    """Tell the workers of every process there is work due now (they also poll)."""
    await bus.publish(WAKE_CHANNEL, b"1")


class Worker:
    """Claims due jobs in batches and runs up to `concurrency` of them at a time."""

    def __init__(
        self,
        context: JobContext,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 10,
        poll_seconds: float = 1.0,
        lease_seconds: float | None = None,
        name: str | None = None,
    ) -> None:
        self.context = context
        self.handlers = dict(handlers)
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds) if lease_seconds else queue.LEASE
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="parley-jobs-wake")
        self._renewer = asyncio.create_task(self._renew(), name="parley-jobs-lease")
        self._task = asyncio.create_task(self.run_forever(), name="parley-jobs")

    async def _renew(self) -> None:
        """Keep this worker's claims alive: only a worker that died loses its jobs."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.context.database() as db:
                    await queue.renew(
                        db=db, worker=self.name, until=self.context.clock.now() + self.lease
                    )
            except Exception:
                log.warning("could not renew the claims on running jobs", exc_info=True)

    async def stop(self) -> None:
        for task in (self._task, self._listener, self._renewer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.context.smtp is not None:
            with contextlib.suppress(Exception):
                await self.context.smtp.aclose_jobs()

    def wake(self) -> None:
        self._wake.set()

    async def _listen(self) -> None:
        while True:
            try:
                async with self.context.bus.subscribe(WAKE_CHANNEL) as subscription:
                    async for _ in subscription:
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("job wake-ups lost; polling only", exc_info=True)
                await asyncio.sleep(self.poll_seconds)

    async def run_forever(self) -> None:
        while True:
            try:
                done = await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database is away, say: keep polling, it comes back.
                log.exception("could not claim jobs")
                done = 0
            if done == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    async def run_due(self) -> int:
        """Claim one batch of due jobs and run it; return how many ran."""
        now = self.context.clock.now()
        batch: list[queue.Claimed] = []
        async with self.context.database() as db:
            for kinds, limit in (
                ([k for k, h in self.handlers.items() if not is_batch(h)], self.concurrency),
                (
                    [k for k, h in self.handlers.items() if is_batch(h)],
                    self.concurrency * BATCH_CLAIM_FACTOR,
                ),
            ):
                if kinds:
                    batch += await queue.claim(
                        db=db, worker=self.name, now=now, limit=limit, kinds=kinds, lease=self.lease
                    )
        if batch:
            single = [job for job in batch if not is_batch(self.handlers[job.kind])]
            grouped: dict[str, list[queue.Claimed]] = {}
            for job in batch:
                if is_batch(self.handlers[job.kind]):
                    grouped.setdefault(job.kind, []).append(job)
            singles, batches = await asyncio.gather(
                asyncio.gather(*(self._run(job) for job in single)),
                asyncio.gather(*(self._run_batch(jobs) for jobs in grouped.values())),
            )
            ran = single + [job for jobs in grouped.values() for job in jobs]
            oks = list(singles) + [ok for outcomes in batches for ok in outcomes]
            done = [job.id for job, ok in zip(ran, oks, strict=True) if ok]
            if done:
                # One statement for the whole batch: fewer commits, more jobs a second.
                await self._record(
                    lambda db: queue.finish(
                        db=db, ids=done, worker=self.name, now=self.context.clock.now()
                    )
                )
        return len(batch)

    async def run_until_idle(self, rounds: int = 1000) -> int:
        """Run due jobs until none is left (tests and the command line); return the count."""
        total = 0
        for _ in range(rounds):
            done = await self.run_due()
            total += done
            if done == 0:
                break
        return total

    async def _run(self, job: queue.Claimed) -> bool:
        """Run one job; True when it is done (recorded with its batch), else recorded here."""
        handler = self.handlers[job.kind]
        try:
            await handler(self.context, job.payload)
        except Exception as error:
            return await self._failed(job, error)
        return True

    async def _run_batch(self, jobs: list[queue.Claimed]) -> list[bool]:
        """Run jobs of one batch kind together: their handler returns one outcome each."""
        handler = cast(BatchHandler, self.handlers[jobs[0].kind])
        outcomes: list[BaseException | None]
        try:
            outcomes = await handler(self.context, [job.payload for job in jobs])
        except Exception as error:
            outcomes = [error] * len(jobs)
        return [
            True if outcome is None else await self._failed(job, outcome)
            for job, outcome in zip(jobs, outcomes, strict=True)
        ]

    async def _failed(self, job: queue.Claimed, error: BaseException) -> bool:
        """Record why a job is not done: later (Defer), retried with backoff, or given up."""
        if isinstance(error, Defer):
            run_at = self.context.clock.now() + timedelta(seconds=error.seconds)
            reason = str(error)
            await self._record(
                lambda db: queue.defer(
                    db=db, job=job, worker=self.name, run_at=run_at, reason=reason
                )
            )
            return False
        give_up = isinstance(error, GiveUp)
        message = f"{type(error).__name__}: {error}"
        if isinstance(error, Retry | GiveUp):
            log.warning("job %s failed: %s", job.key, message)
        else:
            log.error("job %s failed", job.key, exc_info=error)
        await self._record(
            lambda db: queue.fail(
                db=db,
                job=job,
                worker=self.name,
                now=self.context.clock.now(),
                error=message,
                retry=not give_up,
            )
        )
        return False

    async def _record(self, write: Callable[[AsyncSession], Awaitable[None]]) -> None:
        try:
            async with self.context.database() as db:
                await write(db)
        except Exception:
            # The job stays claimed: its lease runs out and it is tried again.
            log.exception("could not record a job's outcome")
