"""Outgoing HTTP for providers: one shared client with timeouts, and failures turned into words."""

from __future__ import annotations

from typing import Any

import httpx

from parley import __version__
from parley.errors import N_
from parley.providers.base import ProviderError


def create_client(*, timeout_seconds: float) -> httpx.AsyncClient:
    """The client every provider shares; Parley closes it when it stops."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0)),
        follow_redirects=False,
        headers={"user-agent": f"Parley/{__version__}"},
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


async def send(
    http: httpx.AsyncClient, method: str, url: str, *, provider: str, **kwargs: Any
) -> httpx.Response:
    """Send one request; a timeout or a network failure becomes a ProviderError."""
    try:
        return await http.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderError(
            N_("%(provider)s did not answer in time. Try again in a moment."),
            code="provider_unreachable",
            provider=provider,
        ) from exc
    except (httpx.TransportError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise ProviderError(
            N_("%(provider)s could not be reached. Check its address."),
            code="provider_unreachable",
            provider=provider,
        ) from exc


def bad_answer(provider: str) -> ProviderError:
    return ProviderError(
        N_("%(provider)s answered something Parley does not understand."),
        code="provider_bad_answer",
        provider=provider,
    )
