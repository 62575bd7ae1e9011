"""Data for tests, made through the services as the application makes it."""

from __future__ import annotations

import itertools

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import service as accounts
from parley.accounts.models import User

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


async def make_user(
    db: AsyncSession,
    *,
    email: str | None = None,
    name: str | None = None,
    admin: bool = False,
    password: str = PASSWORD,
) -> User:
    number = next(_numbers)
    return await accounts.create(
        db=db,
        email=email or f"person{number}@example.org",
        display_name=name or f"Person {number}",
        password=password,
        is_admin=admin,
    )


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Log `client` in through the API; return the CSRF token for later calls."""
    # Like a page's script, send the CSRF token the browser holds (needed when already logged in).
    headers = {"x-csrf-token": client.cookies.get("parley_csrf") or ""}
    response = await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


async def client_for(app: FastAPI, email: str) -> tuple[httpx.AsyncClient, dict[str, str]]:
    """An HTTP client logged in as `email`, and the CSRF header its calls send."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    token = await log_in(client, email)
    return client, {"x-csrf-token": token}
