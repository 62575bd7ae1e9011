"""Security headers every response carries, and HSTS when the public URL is HTTPS."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager

from parley.app import create_app
from parley.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("public_url", "hsts"),
    [("https://parley.example.org", "max-age=31536000"), ("http://testserver", None)],
)
async def test_https_public_url_sends_strict_transport_security(
    settings: Settings, public_url: str, hsts: str | None
) -> None:
    application = create_app(settings.model_copy(update={"public_url": public_url}))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/healthz")
    assert response.headers.get("strict-transport-security") == hsts
    assert response.headers["x-content-type-options"] == "nosniff"
