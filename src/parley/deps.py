"""Request dependencies, as `Annotated` aliases the views declare."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts import service as accounts
from parley.accounts.models import User
from parley.csrf import SESSION_COOKIE
from parley.errors import N_, Forbidden, NotAuthenticated
from parley.runtime import runtime_of
from parley.settings import Settings


async def _db(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).database() as session:
        yield session


def _settings(request: Request) -> Settings:
    settings: Settings = runtime_of(request).settings
    return settings


DbSession = Annotated[AsyncSession, Depends(_db)]
AppSettings = Annotated[Settings, Depends(_settings)]

# Every table's id is a 32-bit signed integer on PostgreSQL (and SQLite refuses more than 64 bits).
ID_MAX = 2**31 - 1

# An id in a URL path. A number the database cannot hold names nothing, and is refused like a
# word where a number belongs: 422, as JSON on the API and as the error page on pages. The
# route's dependencies (login, administrator) run first, so a refusal tells an anonymous
# person nothing they would not learn from any other URL.
Id = Annotated[int, Path(ge=1, le=ID_MAX)]


async def _viewer(request: Request, db: DbSession) -> User | None:
    """Find who makes the request, by bearer token or session cookie, and use their language."""
    if hasattr(request.state, "viewer"):
        viewer: User | None = request.state.viewer
        return viewer
    user: User | None = None
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer":
        user = await accounts.user_for_api_token(db=db, token=credentials.strip())
        if user is None:
            raise NotAuthenticated(N_("This API token is not valid."), code="bad_token")
    elif token := request.cookies.get(SESSION_COOKIE):
        user = await accounts.user_for_session(db=db, token=token)
    request.state.viewer = user
    if user is not None and user.language:
        i18n.set_language(user.language)
    return user


Viewer = Annotated[User | None, Depends(_viewer)]


async def _current_user(viewer: Viewer) -> User:
    if viewer is None:
        raise NotAuthenticated(N_("Please log in."))
    return viewer


CurrentUser = Annotated[User, Depends(_current_user)]


async def _admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden(N_("Only administrators may do this."))
    return user


AdminUser = Annotated[User, Depends(_admin_user)]
