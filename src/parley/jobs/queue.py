"""Putting jobs in the table and taking them out: enqueue, claim, finish.

Claiming is one statement, `WITH due AS (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE …
FROM due RETURNING …` on PostgreSQL, so that any number of workers on any number of machines
each get different jobs; on SQLite the database's single writer gives the same guarantee.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db import among, dialect, utcnow
from parley.jobs.models import CANCELLED, DONE, FAILED, PENDING, RUNNING, Job

# A worker's claim on a job; a job still running past it is taken for abandoned.
LEASE = timedelta(minutes=5)
BACKOFF_BASE_SECONDS = 10.0
BACKOFF_CAP_SECONDS = 3600.0


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


async def enqueue(
    *,
    db: AsyncSession,
    kind: str,
    key: str,
    payload: dict[str, Any] | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 8,
) -> Job:
    """Add a job unless one with the same key exists (then return that one, unchanged).

    Runs in the caller's transaction: the job exists if and only if the caller commits.
    """
    existing = await db.scalar(select(Job).where(Job.key == key))
    if existing is not None:
        return existing
    job = Job(
        kind=kind,
        key=key,
        payload=payload or {},
        run_at=run_at or utcnow(),
        max_attempts=max_attempts,
        state=PENDING,
        attempts=0,
    )
    try:
        async with db.begin_nested():
            db.add(job)
    except IntegrityError:
        # Another transaction added the same key between the check and the insert.
        found = await db.scalar(select(Job).where(Job.key == key))
        if found is None:
            raise
        return found
    return job


async def reschedule(*, db: AsyncSession, key: str, run_at: datetime) -> bool:
    """Move a job that has not run yet to another time; False when there is none."""
    result = await db.execute(
        update(Job)
        .where(Job.key == key, Job.state == PENDING)
        .values(run_at=run_at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def cancel(*, db: AsyncSession, key: str) -> bool:
    """Cancel a job that has not run yet; False when there is none."""
    result = await db.execute(
        update(Job)
        .where(Job.key == key, Job.state == PENDING)
        .values(state=CANCELLED, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def claim(
    *,
    db: AsyncSession,
    worker: str,
    now: datetime,
    limit: int,
    kinds: Sequence[str],
    lease: timedelta = LEASE,
) -> list[Claimed]:
    """Take up to `limit` due jobs of `kinds` for `worker`, committed before they run:
    first those whose worker's claim ran out, then the pending ones, oldest first."""
    of_kinds = Job.kind.in_(kinds)
    abandoned = and_(of_kinds, Job.state == RUNNING, Job.locked_until < now)
    pending = and_(of_kinds, Job.state == PENDING, Job.run_at <= now)
    # Each part reads `ix_jobs_claim` in order and stops at `limit`: however many jobs are
    # due, a claim costs the jobs it takes. Rows a part locked and the outer LIMIT leaves
    # are let go at the commit. (A CTE runs once: as a plain `IN (subquery)`, PostgreSQL may
    # run it again for each row, and with SKIP LOCKED each run finds other rows.) A row
    # updated meanwhile by another worker is checked again by the lock itself, on its new
    # version.
    parts = [
        select(Job.id)
        .where(condition)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .subquery()
        for condition in (abandoned, pending)
    ]
    candidates = union_all(*(select(part.c.id) for part in parts)).subquery()
    due = select(candidates.c.id).limit(limit).cte("due")
    result = await db.execute(
        update(Job)
        # Nothing to check again: the rows `due` locked still match, none can change before
        # this commits (and a condition here lets the planner start from the wrong side).
        .where(Job.id == due.c.id)
        .values(
            state=RUNNING,
            locked_by=worker,
            locked_until=now + lease,
            attempts=Job.attempts + 1,
        )
        .returning(Job.id, Job.kind, Job.key, Job.payload, Job.attempts, Job.max_attempts)
        .execution_options(synchronize_session=False)
    )
    claimed = [Claimed(*row) for row in result.all()]
    await db.commit()
    return claimed


async def renew(*, db: AsyncSession, worker: str, until: datetime) -> None:
    """Extend the claims of `worker` on the jobs it is running."""
    await db.execute(
        update(Job)
        .where(Job.locked_by == worker, Job.state == RUNNING)
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )
    await db.commit()


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next attempt: doubling, capped, with a little jitter."""
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    return timedelta(seconds=seconds * (1 + random.random() * 0.1))  # noqa: S311 - not secret


async def finish(*, db: AsyncSession, ids: Sequence[int], worker: str, now: datetime) -> None:
    """Mark the jobs `ids` that `worker` ran done, in one statement."""
    await db.execute(
        update(Job)
        .where(among(dialect(db), Job.id, ids), Job.locked_by == worker)
        .values(state=DONE, finished_at=now, locked_by=None, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    await db.commit()


async def fail(
    *, db: AsyncSession, job: Claimed, worker: str, now: datetime, error: str, retry: bool = True
) -> None:
    """Record a failed attempt: try again later, or give up after the last attempt."""
    final = not retry or job.attempts >= job.max_attempts
    values: dict[str, Any] = {"last_error": error[:2000], "locked_by": None, "locked_until": None}
    if final:
        values.update(state=FAILED, finished_at=now)
    else:
        values.update(state=PENDING, run_at=now + backoff(job.attempts))
    await db.execute(
        update(Job)
        .where(Job.id == job.id, Job.locked_by == worker)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await db.commit()


async def defer(
    *, db: AsyncSession, job: Claimed, worker: str, run_at: datetime, reason: str
) -> None:
    """Put a job back for later without counting the attempt (its provider is paused, say)."""
    await db.execute(
        update(Job)
        .where(Job.id == job.id, Job.locked_by == worker)
        .values(
            state=PENDING,
            run_at=run_at,
            attempts=Job.attempts - 1,
            last_error=reason[:2000],
            locked_by=None,
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    await db.commit()


async def get(*, db: AsyncSession, key: str) -> Job | None:
    return await db.scalar(select(Job).where(Job.key == key))
