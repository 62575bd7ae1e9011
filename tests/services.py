"""The real servers tests use (PostgreSQL, Redis): found, or skipped loudly, or failed in CI."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import asyncpg
import pytest
import redis

REQUIRE_SERVICES = os.environ.get("PARLEY_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get(
    "PARLEY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

missing: dict[str, str] = {}
T = TypeVar("T")


def run_async(function: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from synchronous code, even while a loop is running.

    Playwright's synchronous API keeps an event loop running in the main thread, so the
    coroutine gets a thread and a loop of its own.
    """

    async def call() -> T:
        return await function()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, call()).result()


def unavailable(service: str, reason: str) -> None:
    """Skip (or, when services are required, fail) a test whose server is not there."""
    missing[service] = reason
    message = f"{service} is not available ({reason})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; PARLEY_REQUIRE_SERVICES=1 requires it", pytrace=False)
    pytest.skip(f"{message}: set it up to run these tests")


def _postgres_error() -> str | None:
    async def check() -> None:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=3)
        await connection.close()

    try:
        run_async(check)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _redis_error() -> str | None:
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
        client.close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def require_postgres() -> None:
    if (error := _postgres_error()) is not None:
        unavailable("PostgreSQL", error)


def require_redis() -> None:
    if (error := _redis_error()) is not None:
        unavailable("Redis", error)


def create_postgres_database() -> str:
    """Create an empty database of our own; return its SQLAlchemy URL."""
    name = f"parley_test_{os.getpid()}_{secrets.token_hex(4)}"

    async def create() -> None:
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    run_async(create)
    base = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]

    async def drop() -> None:
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    run_async(drop)


def scale_out_env(database_url: str) -> dict[str, str]:
    """What every process of a scaled-out deployment shares: database, bus and secret."""
    return {
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_BUS_URL": REDIS_URL,
        "PARLEY_SECRET_KEY": "one secret for every process of the deployment",
    }
