"""`/healthz` tells a load balancer whether this process can serve."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from parley.app import create_app
from parley.settings import Settings

pytestmark = pytest.mark.anyio


async def test_healthy_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_unavailable_when_the_database_does_not_answer(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"postgresql+asyncpg://nobody@127.0.0.1:{_closed_port()}/none",
        var_dir=tmp_path,
        auto_migrate=False,
    )
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
