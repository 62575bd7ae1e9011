"""Rate-limit counters in each backend: in memory (one process) or in Redis (shared)."""

from __future__ import annotations

import pytest
import redis

from tests import services

# Where parley.ratelimit keeps its counts in Redis.
REDIS_PREFIX = "parley:ratelimit:"


def forget_counters() -> None:
    """Drop the counts earlier tests left in the test Redis database (a window lasts a minute)."""
    client = redis.Redis.from_url(services.REDIS_URL)
    try:
        keys = list(client.scan_iter(f"{REDIS_PREFIX}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def bus_url_for(request: pytest.FixtureRequest) -> str:
    """The bus URL that makes the app count in the backend `request.param` names."""
    if request.param == "memory":
        return "memory://"
    services.require_redis()
    forget_counters()
    return services.REDIS_URL
