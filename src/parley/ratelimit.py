"""Rate limits kept in memory by each process (a moving window per key)."""

from __future__ import annotations

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


class RateLimiter:
    """Count events per key against one limit such as `10/minute`."""

    def __init__(self, limit: str) -> None:
        self._limit = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def allowed(self, *keys: str) -> bool:
        """Tell whether one more event is allowed for every key, without counting it."""
        for key in keys:
            if not await self._limiter.test(self._limit, key):
                return False
        return True

    async def hit(self, *keys: str) -> None:
        for key in keys:
            await self._limiter.hit(self._limit, key)

    async def clear(self, *keys: str) -> None:
        for key in keys:
            await self._limiter.clear(self._limit, key)

    async def take(self, key: str, cost: int = 1) -> bool:
        """Count `cost` events at once if they all fit in the limit; tell whether they did."""
        return bool(await self._limiter.hit(self._limit, key, cost=cost))
