"""Rate limits that hold under concurrency and across processes.

An attempt is counted before the work it limits is done (`take`), so requests that arrive
together cannot all pass a check made before any of them was counted; an attempt that must
not count (a login that succeeds) is given back afterwards. The counts live in memory for a
single process, or in Redis when the bus is Redis, so that every process of a deployment
shares them. A window is fixed: it opens with the first attempt counted for a key and lasts
the limit's period.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from limits import parse

if TYPE_CHECKING:
    from redis.asyncio import Redis

# Counters are prefixed so Parley can share a Redis server with other programs.
REDIS_PREFIX = "parley:ratelimit:"

# Count `cost` on every key if each stays within the limit, all or nothing.
# KEYS: the counters; ARGV: limit, window in milliseconds, cost. Redis runs a script alone.
_TAKE = """
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') + cost > limit then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('INCRBY', key, cost)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
end
return 1
"""

# Take `cost` back from every key still counting; a window that ended stays ended.
_GIVE_BACK = """
local cost = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count > 0 then redis.call('DECRBY', key, math.min(count, cost)) end
end
return 1
"""


class Counters(abc.ABC):
    """Where the attempts of every limiter of one deployment are counted."""

    @abc.abstractmethod
    async def take(self, keys: Sequence[str], *, cost: int, limit: int, seconds: int) -> bool:
        """Count `cost` on every key if each stays within `limit` in its window, or none.

        Atomic: of requests that take at the same time, never more than `limit` succeed.
        """

    @abc.abstractmethod
    async def give_back(self, keys: Sequence[str], *, cost: int) -> None:
        """Uncount `cost` taken earlier on every key (within its window, never below zero)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections; the counters are not used afterwards."""


@dataclass
class _Window:
    count: int
    ends_at: float


class MemoryCounters(Counters):
    """Counts in this process only, for a deployment of one process."""

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}
        self._next_sweep = 0.0

    async def take(self, keys: Sequence[str], *, cost: int, limit: int, seconds: int) -> bool:
        # No await from the first read to the last write: on the event loop nothing else runs
        # in between, which is what makes this atomic.
        now = time.monotonic()
        self._sweep(now)
        windows = [self._current(key, now, seconds) for key in keys]
        if any(window.count + cost > limit for window in windows):
            return False
        for key, window in zip(keys, windows, strict=True):
            window.count += cost
            self._windows[key] = window
        return True

    async def give_back(self, keys: Sequence[str], *, cost: int) -> None:
        now = time.monotonic()
        for key in keys:
            window = self._windows.get(key)
            if window is not None and window.ends_at > now:
                window.count = max(0, window.count - cost)

    async def close(self) -> None:
        self._windows.clear()

    def _current(self, key: str, now: float, seconds: int) -> _Window:
        """The key's open window, or a new one opening now (not stored until counted)."""
        window = self._windows.get(key)
        if window is None or window.ends_at <= now:
            return _Window(count=0, ends_at=now + seconds)
        return window

    def _sweep(self, now: float) -> None:
        """Forget ended windows now and then, so keys seen once do not stay in memory."""
        if now < self._next_sweep:
            return
        self._windows = {k: w for k, w in self._windows.items() if w.ends_at > now}
        self._next_sweep = now + 60


class RedisCounters(Counters):
    """Counts in Redis, shared by every process that uses the same Redis database."""

    def __init__(self, url: str, *, prefix: str = REDIS_PREFIX) -> None:
        from redis.asyncio import Redis

        self._prefix = prefix
        self._client: Redis = Redis.from_url(url)
        self._take = self._client.register_script(_TAKE)
        self._give_back = self._client.register_script(_GIVE_BACK)

    async def take(self, keys: Sequence[str], *, cost: int, limit: int, seconds: int) -> bool:
        args = [limit, seconds * 1000, cost]
        return bool(await self._take(keys=self._keys(keys), args=args))

    async def give_back(self, keys: Sequence[str], *, cost: int) -> None:
        await self._give_back(keys=self._keys(keys), args=[cost])

    async def close(self) -> None:
        await self._client.aclose()

    def _keys(self, keys: Sequence[str]) -> list[str]:
        return [self._prefix + key for key in keys]


def create_counters(bus_url: str) -> Counters:
    """Count in Redis when the bus is Redis (several processes), in memory otherwise."""
    if urlsplit(bus_url).scheme.lower() in {"redis", "rediss"}:
        return RedisCounters(bus_url)
    return MemoryCounters()


class RateLimiter:
    """Count attempts per key against one limit such as `10/minute`."""

    def __init__(self, name: str, limit: str, counters: Counters | None = None) -> None:
        item = parse(limit)
        self._name = name
        self._limit = item.amount
        self._seconds = item.get_expiry()
        self._counters = counters or MemoryCounters()

    async def take(self, *keys: str, cost: int = 1) -> bool:
        """Count `cost` attempts on every key if they all fit in the limit; tell whether they did.

        Call it before doing what is limited, never after: that is what keeps parallel
        requests from all passing.
        """
        return await self._counters.take(
            self._keys(keys), cost=cost, limit=self._limit, seconds=self._seconds
        )

    async def give_back(self, *keys: str, cost: int = 1) -> None:
        """Uncount attempts taken that turned out not to count (a right password)."""
        await self._counters.give_back(self._keys(keys), cost=cost)

    def _keys(self, keys: Sequence[str]) -> list[str]:
        return [f"{self._name}:{key}" for key in keys]
