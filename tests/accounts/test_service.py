"""Accounts services on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import service as accounts
from parley.accounts.models import LoginSession, User
from parley.db import utcnow
from parley.errors import Conflict, Forbidden, NotFound
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.anyio


async def test_email_is_one_account_whatever_its_case(db_session: AsyncSession) -> None:
    await make_user(db_session, email="Ada@Example.org")
    with pytest.raises(Conflict):
        await make_user(db_session, email="ada@example.ORG")
    user = await accounts.get_by_email(db=db_session, email="ADA@example.org")
    assert user is not None and user.email == "ada@example.org"


async def test_passwords_are_hashed_and_checked(db_session: AsyncSession) -> None:
    user = await make_user(db_session)
    assert user.password_hash is not None and PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2")
    assert await accounts.authenticate(db=db_session, email=user.email, password=PASSWORD)
    assert await accounts.authenticate(db=db_session, email=user.email, password="wrong") is None
    assert (
        await accounts.authenticate(db=db_session, email="nobody@x.org", password=PASSWORD) is None
    )


async def test_a_disabled_account_cannot_log_in_and_loses_its_sessions(
    db_session: AsyncSession,
) -> None:
    admin = await make_user(db_session, admin=True)
    user = await make_user(db_session)
    token = await accounts.start_session(db=db_session, user=user, days=1)
    _row, api_token = await accounts.create_api_token(db=db_session, user=user, name="script")
    assert await accounts.user_for_session(db=db_session, token=token) is not None

    await accounts.set_roles(db=db_session, actor=admin, user=user, is_active=False)

    assert await accounts.user_for_session(db=db_session, token=token) is None
    assert await accounts.user_for_api_token(db=db_session, token=api_token) is None
    assert await accounts.authenticate(db=db_session, email=user.email, password=PASSWORD) is None


async def test_expired_sessions_do_not_authenticate(db_session: AsyncSession) -> None:
    user = await make_user(db_session)
    token = await accounts.start_session(db=db_session, user=user, days=1)
    await db_session.execute(
        update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await db_session.commit()
    assert await accounts.user_for_session(db=db_session, token=token) is None


async def test_session_tokens_are_stored_only_as_hashes(db_session: AsyncSession) -> None:
    user = await make_user(db_session)
    token = await accounts.start_session(db=db_session, user=user, days=1)
    stored = (await db_session.scalars(select(LoginSession.token_hash))).all()
    assert token not in stored and len(stored) == 1


async def test_api_tokens_work_until_revoked(db_session: AsyncSession) -> None:
    user = await make_user(db_session)
    other = await make_user(db_session)
    row, token = await accounts.create_api_token(db=db_session, user=user, name="lms")
    assert token.startswith("parley_") and row.prefix == token[:12]
    found = await accounts.user_for_api_token(db=db_session, token=token)
    assert found is not None and found.id == user.id
    assert row.last_used_at is not None

    with pytest.raises(NotFound):
        await accounts.revoke_api_token(db=db_session, user=other, token_id=row.id)
    await accounts.revoke_api_token(db=db_session, user=user, token_id=row.id)
    assert await accounts.user_for_api_token(db=db_session, token=token) is None


async def test_an_administrator_cannot_lock_themself_out(db_session: AsyncSession) -> None:
    admin = await make_user(db_session, admin=True)
    with pytest.raises(Forbidden):
        await accounts.set_roles(db=db_session, actor=admin, user=admin, is_admin=False)
    with pytest.raises(Forbidden):
        await accounts.set_roles(db=db_session, actor=admin, user=admin, is_active=False)
    refreshed = await db_session.get(User, admin.id)
    assert refreshed is not None and refreshed.is_admin and refreshed.is_active


async def test_first_admin_only_while_there_is_none(db_session: AsyncSession) -> None:
    first = await accounts.create_first_admin(
        db=db_session, email="a@example.org", display_name="A", password=PASSWORD, language="fr"
    )
    assert first.is_admin and first.language == "fr"
    with pytest.raises(Conflict):
        await accounts.create_first_admin(
            db=db_session, email="b@example.org", display_name="B", password=PASSWORD, language=None
        )


async def test_timestamps_come_back_in_utc(db_session: AsyncSession) -> None:
    user = await make_user(db_session)
    db_session.expunge_all()
    again = await db_session.get(User, user.id)
    assert again is not None and again.created_at.utcoffset() == timedelta(0)
