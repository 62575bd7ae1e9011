"""What provider tests share: a context without a database, an administrator's client."""

from __future__ import annotations

from typing import Any, cast

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from parley.providers.base import OAuthTokens, ProviderContext
from tests.factories import log_in, make_user


class MemoryTokenStore:
    def __init__(self) -> None:
        self.tokens: dict[int, OAuthTokens] = {}

    async def load(self, config_id: int) -> OAuthTokens | None:
        return self.tokens.get(config_id)

    async def save(self, config_id: int, tokens: OAuthTokens) -> None:
        self.tokens[config_id] = tokens


def bare_context(http: httpx.AsyncClient) -> ProviderContext:
    """What Jitsi and BigBlueButton need: HTTP only (they never touch Parley's database)."""
    return ProviderContext(
        http=http,
        database=cast(Any, None),
        bus=cast(Any, None),
        public_url="https://parley.example.org",
        tokens=MemoryTokenStore(),
    )


class Browser:
    """A logged-in person's client that sends forms with their CSRF token, as a page does."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @property
    def csrf(self) -> str:
        return self.client.cookies.get("parley_csrf") or ""

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(url, **kwargs)

    async def post(self, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        return await self.client.post(url, data={**(data or {}), "csrf_token": self.csrf})


async def logged_in(
    app: FastAPI, db: AsyncSession, *, admin: bool, language: str = "en"
) -> Browser:
    user = await make_user(db, admin=admin)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"accept-language": language},
    )
    await log_in(client, user.email)
    return Browser(client)
