"""Benchmark the sessions' reminders: S sessions with M registered members each, every
reminder due in the same minute, sent by `parley worker` processes on PostgreSQL through a
real SMTP server (aiosmtpd, its own process) on loopback.

Run:  uv run python bench/session_reminders.py                 (or `make bench-reminders`)
      uv run python bench/session_reminders.py --sessions 1000 --workers 1,4

For each worker count: a fresh database, sessions whose meetings are made and members
registered (written in bulk, as the pipeline would have left them); the workers start and,
once each is running (as in production, where workers wait for their jobs), every reminder
becomes due at once. With `--cold`, the workers only start at the due time (their start,
imports included, is then counted too). Printed: time from the due time to the last
reminder accepted by SMTP, reminders per second (each is a job that queues its email and
sends it at once; the email's own job is the fallback), duplicates (the same member twice;
must be 0), and the CPU time spent per reminder by the workers, the SMTP server and the
PostgreSQL server (all of its processes on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import services  # noqa: E402
from tests.browser.server import free_port  # noqa: E402

from parley import db, migrations  # noqa: E402
from parley.accounts.models import User  # noqa: E402
from parley.jobs.models import Job  # noqa: E402
from parley.sessions import service  # noqa: E402
from parley.sessions.models import Registration, ScheduledSession  # noqa: E402

SECRET = "the benchmark's secret"  # noqa: S105 - a throwaway database's key
CHUNK = 5000
# Reminders wait this far ahead until the workers are running, then become due together.
PARKED = timedelta(days=1)


async def seed(url: str, sessions: int, members: int, *, parked: bool) -> int:
    engine = db.create_engine(url)
    await migrations.upgrade(engine)
    now = datetime.now(UTC)
    starts = now + timedelta(minutes=15)
    remind_at = now + PARKED if parked else now
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(User),
                [
                    {
                        "email": "organiser@example.org",
                        "display_name": "Organiser",
                        "is_admin": False,
                        "is_active": True,
                        "allow_calls": True,
                        "do_not_disturb": False,
                        "created_at": now,
                    }
                ],
            )
            people = [
                {
                    "email": f"member{n}@example.org",
                    "display_name": f"Member {n}",
                    "is_admin": False,
                    "is_active": True,
                    "allow_calls": True,
                    "do_not_disturb": False,
                    "created_at": now,
                }
                for n in range(sessions * members)
            ]
            for start in range(0, len(people), CHUNK):
                await connection.execute(insert(User), people[start : start + CHUNK])
            organiser_id = await connection.scalar(
                select(User.id).where(User.email == "organiser@example.org")
            )
            first_member = await connection.scalar(
                select(func.min(User.id)).where(User.email != "organiser@example.org")
            )
            rows = [
                {
                    "organiser_id": organiser_id,
                    "title": f"Session {n}",
                    "description": "",
                    "starts_at": starts,
                    "duration_minutes": 60,
                    "capacity": members,
                    "mode": "online",
                    "location": "",
                    "state": "scheduled",
                    "meeting": {
                        "external_id": str(n),
                        "join_url": f"http://127.0.0.1/r/s{n}",
                        "host_url": None,
                        "data": {},
                    },
                    "meeting_made_at": now,
                    "version": 1,
                    "meeting_version": 1,
                    "created_at": now,
                }
                for n in range(sessions)
            ]
            for start in range(0, len(rows), CHUNK):
                await connection.execute(insert(ScheduledSession), rows[start : start + CHUNK])
            first_session = await connection.scalar(select(func.min(ScheduledSession.id)))
            registrations, jobs = [], []
            for s in range(sessions):
                for m in range(members):
                    user_id = first_member + s * members + m
                    session_id = first_session + s
                    registrations.append(
                        {
                            "session_id": session_id,
                            "user_id": user_id,
                            "status": "registered",
                            "created_at": now,
                        }
                    )
                    jobs.append(
                        {
                            "kind": service.REMIND,
                            "key": service.remind_key(session_id, user_id),
                            "payload": {"id": session_id, "user": user_id},
                            "state": "pending",
                            "run_at": remind_at,
                            "attempts": 0,
                            "max_attempts": 8,
                            "created_at": now,
                        }
                    )
            for start in range(0, len(registrations), CHUNK):
                await connection.execute(insert(Registration), registrations[start : start + CHUNK])
                await connection.execute(insert(Job), jobs[start : start + CHUNK])
        async with engine.connect() as connection:
            # As autovacuum does soon after a table grows this much: the planner knows them.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("ANALYZE")
        return sessions * members
    finally:
        await engine.dispose()


async def make_due(url: str) -> None:
    """Every reminder due now."""
    engine = db.create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(Job).where(Job.kind == service.REMIND).values(run_at=datetime.now(UTC))
            )
    finally:
        await engine.dispose()


def _stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command's name (Linux); None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process (Linux), NaN elsewhere."""
    fields = _stat(pid)
    if fields is None:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server on this machine: its living processes, and what
    the processes it has reaped used (counted in their parent)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
        except OSError:
            continue
        fields = _stat(entry.name)
        if fields is None:
            continue
        ticks = int(fields[11]) + int(fields[12])
        if fields[1] == "1":  # the postmaster: its reaped children too
            ticks += int(fields[13]) + int(fields[14])
        total += ticks
    return total / os.sysconf("SC_CLK_TCK")


def run(
    url: str, workers: int, expected: int, workdir: Path, concurrency: int, *, cold: bool
) -> dict[str, float]:
    port = free_port()
    sink_log = workdir / f"sink-{workers}.log"
    sink_log.write_text("")
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(port), str(sink_log)]
    )
    time.sleep(1.0)
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": url,
        "PARLEY_SECRET_KEY": SECRET,
        "PARLEY_SMTP_PORT": str(port),
        "PARLEY_VAR_DIR": str(workdir / "var"),
        "PARLEY_AUTO_MIGRATE": "false",
        "PARLEY_JOBS_CONCURRENCY": str(concurrency),
        "PARLEY_JOBS_POLL_SECONDS": "0.2",
        "PARLEY_LOG_LEVEL": "WARNING",
    }
    if cold:
        due = time.time()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "parley", "worker"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=(workdir / f"w{workers}-{n}.log").open("wb"),
        )
        for n in range(workers)
    ]
    if not cold:
        for process in processes:
            assert process.stdout is not None
            process.stdout.readline()  # "… is running jobs."
        asyncio.run(make_due(url))
        due = time.time()
    # Counted from the due time: a worker's start is not a reminder's cost.
    worker_cpu = -sum(cpu_seconds(process.pid) for process in processes)
    sink_cpu = -cpu_seconds(sink.pid)
    database_cpu = -database_cpu_seconds()
    deadline = time.monotonic() + 1800
    try:
        with sink_log.open("rb") as handle:
            count = 0
            while time.monotonic() < deadline and count < expected:
                time.sleep(1.0)
                count += handle.read().count(b"\n")  # what arrived since the last look
        time.sleep(2.0)  # anything sent twice arrives now
        worker_cpu += sum(cpu_seconds(process.pid) for process in processes)
        sink_cpu += cpu_seconds(sink.pid)
        database_cpu += database_cpu_seconds()
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=30)
    lines = [line.split("\t") for line in sink_log.read_text().splitlines()]
    times = sorted(float(t) for t, _r, _m in lines)
    recipients = Counter(r for _t, r, _m in lines)
    duplicates = sum(c - 1 for c in recipients.values())
    last = times[-1] - due if times else float("nan")
    # Per-second throughput over the run, median of the busy seconds.
    per_second = Counter(int(t - due) for t in times)
    busy = [v for k, v in per_second.items() if k < int(last)] or [len(times)]
    return {
        "accepted": len(times),
        "distinct": len(recipients),
        "duplicates": duplicates,
        "last_seconds": last,
        "messages_per_second_median": statistics.median(busy),
        "per_second": len(times) / last if last else float("nan"),
        "worker_cpu_ms": 1000 * worker_cpu / max(len(times), 1),
        "sink_cpu_ms": 1000 * sink_cpu / max(len(times), 1),
        "database_cpu_ms": 1000 * database_cpu / max(len(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--cold", action="store_true", help="start the workers at the due time, not before"
    )
    args = parser.parse_args()
    services.require_postgres()
    print(
        f"{args.sessions} sessions x {args.members} members, reminders all due now; "
        f"PostgreSQL, aiosmtpd on loopback, {args.concurrency} jobs at once per worker; "
        f"workers started {'at the due time' if args.cold else 'before it'}"
    )
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        for workers in [int(w) for w in args.workers.split(",")]:
            url = services.create_postgres_database()
            try:
                started = time.monotonic()
                expected = asyncio.run(seed(url, args.sessions, args.members, parked=not args.cold))
                print(f"  seeded {expected} reminders in {time.monotonic() - started:.0f} s")
                result = run(url, workers, expected, workdir, args.concurrency, cold=args.cold)
            finally:
                services.drop_postgres_database(url)
            print(
                f"{workers} worker(s): last reminder accepted {result['last_seconds']:.1f} s after "
                f"the due time; {result['accepted']} accepted ({result['distinct']} members), "
                f"duplicates {result['duplicates']}; {result['per_second']:.0f} reminders/s, "
                f"median {result['messages_per_second_median']:.0f} messages/s; CPU per "
                f"reminder: workers {result['worker_cpu_ms']:.2f} ms, "
                f"SMTP server {result['sink_cpu_ms']:.2f} ms, "
                f"PostgreSQL {result['database_cpu_ms']:.2f} ms"
            )


if __name__ == "__main__":
    main()
