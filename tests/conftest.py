"""Fixtures shared by every test: databases on both backends, the app, HTTP clients."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from parley import db, migrations
from parley.app import create_app
from parley.models import metadata
from parley.settings import Settings
from tests import services
from tests.mailbox import Mailbox

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _is_browser_test(item: pytest.Item) -> bool:
    return "tests/browser/" in str(item.path).replace("\\", "/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Playwright's synchronous API keeps an event loop running while it is open, and the
    # async tests need the thread's loop free: so browser tests come last, and the driver
    # lives for one module at a time.
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.browser)
    items.sort(key=_is_browser_test)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if services.missing:
        terminalreporter.section("services missing: their tests were skipped", red=True)
        for name, reason in services.missing.items():
            terminalreporter.line(f"{name}: {reason}", red=True)


async def _migrate(url: str) -> None:
    engine = db.create_engine(url)
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "parley.db"
    services.run_async(lambda: _migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    services.require_postgres()
    url = services.create_postgres_database()
    services.run_async(lambda: _migrate(url))
    yield url
    services.drop_postgres_database(url)


async def _empty_tables(url: str) -> None:
    engine = db.create_engine(url)
    try:
        async with engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                await connection.execute(table.delete())
    finally:
        await engine.dispose()


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The migrated PostgreSQL database, emptied for this test (other processes may use it)."""
    services.run_async(lambda: _empty_tables(postgres_database))
    return postgres_database


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database of each backend, for this test alone."""
    if request.param == "sqlite":
        path = tmp_path / "parley.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    services.run_async(lambda: _empty_tables(url))
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        public_url="http://testserver",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def db_session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    async with app.state.runtime.database() as session:
        yield session


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on a loopback port, keeping what it receives."""
    server = Mailbox().start()
    yield server
    server.stop()
