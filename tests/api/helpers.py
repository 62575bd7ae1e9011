"""People calling the API: a client logged in as a member, with the CSRF header it sends."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from parley.accounts.models import User
from tests.factories import log_in


class Caller:
    """A client logged in as `user`, sending the CSRF token as a page's script would."""

    def __init__(self, client: httpx.AsyncClient, user: User, csrf: str) -> None:
        self.client = client
        self.user = user
        self.csrf = csrf

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-csrf-token": self.csrf, **kwargs.pop("headers", {})}
        return await self.client.request(method, url, headers=headers, **kwargs)


async def caller(app: FastAPI, user: User) -> Caller:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return Caller(client, user, await log_in(client, user.email))
