"""Two `parley serve` processes sharing Redis count failed logins together."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import services
from tests.accounts.counters import forget_counters
from tests.browser.people import PASSWORD, make_member
from tests.browser.server import ParleyServer, two_processes


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[ParleyServer, ParleyServer]]:
    services.require_redis()
    forget_counters()
    with two_processes(tmp_path) as servers:
        yield servers


async def _wrong_logins(urls: list[str], email: str) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=120) as client:
        return await asyncio.gather(
            *(
                client.post(f"{url}/api/v1/auth/login", json={"email": email, "password": "nope"})
                for url in urls
            )
        )


def test_failed_logins_on_two_processes_share_one_limit(
    two_servers: tuple[ParleyServer, ParleyServer],
) -> None:
    first, second = two_servers
    make_member(first, "ada@example.org", "Ada")
    # Forty wrong passwords at once, half to each process.
    urls = [first.url, second.url] * 20
    answers = services.run_async(lambda: _wrong_logins(urls, "ada@example.org"))
    assert Counter(a.status_code for a in answers) == {401: 10, 429: 30}
    for server in (first, second):
        right = httpx.post(
            f"{server.url}/api/v1/auth/login",
            json={"email": "ada@example.org", "password": PASSWORD},
            timeout=30,
        )
        assert right.status_code == 429, server.log()
