"""Migrations build the same schema as the models, and go down and up again, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from parley import db, migrations
from parley.models import metadata

pytestmark = pytest.mark.anyio


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_migrations_match_the_models_and_round_trip(database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
            assert await connection.run_sync(_tables) == set(metadata.tables)

        await migrations.downgrade(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()

        await migrations.upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_upgrade_twice_changes_nothing(database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:
        await migrations.upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_accounts_made_before_addresses_were_verified_count_as_verified(
    database_url: str,
) -> None:
    engine = db.create_engine(database_url)
    try:
        # "0012" is the revision before the one that adds `users.email_verified_at`.
        await migrations.downgrade(engine, "0012")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO users (email, display_name, is_admin, is_active, created_at) "
                    "VALUES ('old@example.org', 'Old', false, true, :created)"
                ),
                {"created": datetime(2026, 1, 5, 9, 30, tzinfo=UTC)},
            )
        await migrations.upgrade(engine)
        async with engine.connect() as connection:
            verified = await connection.scalar(
                text("SELECT email_verified_at FROM users WHERE email = 'old@example.org'")
            )
        assert verified is not None
        assert str(verified).startswith("2026-01-05 09:30")
    finally:
        await engine.dispose()
