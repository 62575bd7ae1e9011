"""The event bus between processes: in memory (one process) or Redis pub/sub (several).

A backend is chosen by URL scheme and imported lazily. Subscriptions are `async with` blocks
that yield an async iterator of messages (bytes). Every subscription has a bounded queue: a
subscriber that falls behind is dropped with SubscriptionOverflow, so a slow reader never
blocks the publisher nor makes memory grow.

Delivery is at most once: what is published while Redis is out of reach is lost, so a
subscriber that must not miss anything resynchronises from the database when it starts.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

logger = logging.getLogger(__name__)

# Messages a subscriber may have waiting before it is dropped as too slow.
QUEUE_LIMIT = 1000
# Redis channels are prefixed so Parley can share a Redis server with other programs.
REDIS_PREFIX = "parley:"


class SubscriptionOverflow(Exception):
    """The subscriber fell too far behind and was dropped: it missed messages and must resync."""


class Subscription:
    """The messages published on one channel while the subscription is open, in order.

    Iterate with `async for`. Iteration ends when the `async with` block that made the
    subscription is left or the bus is disconnected. Once more than `limit` messages are
    waiting, the waiting ones are discarded and iterating raises SubscriptionOverflow, at once
    and for good.
    """

    def __init__(self, channel: str, limit: int) -> None:
        self.channel = channel
        self._limit = limit
        self._messages: deque[bytes] = deque()
        self._arrived = asyncio.Event()
        self._overflowed = False
        self._closed = False

    @property
    def overflowed(self) -> bool:
        """Tell whether the subscriber was dropped for falling behind."""
        return self._overflowed

    def _deliver(self, message: bytes) -> None:
        """Queue `message` without waiting, or drop the subscriber if its queue is full."""
        if self._closed or self._overflowed:
            return
        if len(self._messages) >= self._limit:
            self._overflowed = True
            # It has missed messages and must resynchronise anyway: free the memory now.
            self._messages.clear()
        else:
            self._messages.append(message)
        self._arrived.set()

    def _close(self) -> None:
        self._closed = True
        self._messages.clear()
        self._arrived.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self._overflowed:
                raise SubscriptionOverflow(
                    f"the subscriber of {self.channel!r} fell more than {self._limit} "
                    "messages behind and was dropped"
                )
            if self._messages:
                return self._messages.popleft()
            if self._closed:
                raise StopAsyncIteration
            self._arrived.clear()
            await self._arrived.wait()


class _Subscribers:
    """This process's subscriptions, by channel."""

    def __init__(self) -> None:
        self._by_channel: dict[str, set[Subscription]] = {}

    def channels(self) -> set[str]:
        return set(self._by_channel)

    def add(self, subscription: Subscription) -> bool:
        """Add `subscription`; tell whether it is the first of its channel."""
        subscriptions = self._by_channel.setdefault(subscription.channel, set())
        subscriptions.add(subscription)
        return len(subscriptions) == 1

    def remove(self, subscription: Subscription) -> bool:
        """Close and remove `subscription`; tell whether it was the last of its channel."""
        subscription._close()
        subscriptions = self._by_channel.get(subscription.channel)
        if subscriptions is None or subscription not in subscriptions:
            return False  # the bus was disconnected meanwhile
        subscriptions.remove(subscription)
        if subscriptions:
            return False
        del self._by_channel[subscription.channel]
        return True

    def deliver(self, channel: str, message: bytes) -> None:
        for subscription in self._by_channel.get(channel, ()):
            subscription._deliver(message)

    def drop_all(self) -> None:
        """Drop every subscriber: messages were lost (the connection broke), so each resyncs."""
        for subscriptions in self._by_channel.values():
            for subscription in subscriptions:
                subscription._overflowed = True
                subscription._messages.clear()
                subscription._arrived.set()
        self._by_channel.clear()

    def close_all(self) -> None:
        for subscriptions in self._by_channel.values():
            for subscription in subscriptions:
                subscription._close()
        self._by_channel.clear()


def _check_message(message: object) -> None:
    # Redis would accept str or int too, and hand back bytes: refuse them on both backends
    # alike rather than let the memory bus pass through what Redis would change.
    if not isinstance(message, bytes):
        raise TypeError(f"bus messages are bytes, not {type(message).__name__}")


class Bus(abc.ABC):
    """Publish bytes on named channels; every subscriber of the channel, in any process, gets them.

    Call connect() once before anything else and disconnect() at shutdown. Messages published
    on a channel one after the other (each publish awaited) arrive in that order; delivery is
    at most once.
    """

    @abc.abstractmethod
    async def connect(self) -> None:
        """Open the backend's connections; raise if it cannot be reached or is already open."""

    @abc.abstractmethod
    async def disconnect(self) -> None:
        """Close the connections and end the iteration of every open subscription.

        Calling it again, or on a bus that never connected, does nothing.
        """

    @abc.abstractmethod
    async def publish(self, channel: str, message: bytes) -> None:
        """Send `message` to the channel's current subscribers, never waiting on them.

        A channel without subscribers is fine: the message is dropped. Raise if the backend did
        not take the message (Redis unreachable).
        """

    @abc.abstractmethod
    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """Receive what is published on `channel` from entering the block until leaving it.

        Entering returns once the subscription is in place (for Redis, once the server has
        confirmed it, however long Redis is out of reach), so a message published afterwards,
        by any process, is received.
        """


class MemoryBus(Bus):
    """Fan-out inside this process: enough when Parley runs as a single process."""

    def __init__(self, *, queue_limit: int = QUEUE_LIMIT) -> None:
        self._queue_limit = queue_limit
        self._subscribers = _Subscribers()
        self._connected = False

    async def connect(self) -> None:
        if self._connected:
            raise RuntimeError("the bus is already connected")
        self._connected = True

    async def disconnect(self) -> None:
        self._connected = False
        self._subscribers.close_all()

    async def publish(self, channel: str, message: bytes) -> None:
        _check_message(message)
        self._check_connected()
        self._subscribers.deliver(channel, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        self._check_connected()
        subscription = Subscription(channel, self._queue_limit)
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.remove(subscription)

    def _check_connected(self) -> None:
        # Refused even though memory needs no connection, so a missing connect() shows up in
        # development rather than only in deployments that use Redis.
        if not self._connected:
            raise RuntimeError("connect() the bus first")


class RedisBus(Bus):
    """Redis pub/sub, between processes: one connection per process carries every subscription.

    A background task owns that connection. It subscribes a Redis channel when the first local
    subscriber of the channel arrives and unsubscribes it when the last one leaves, dispatches
    what arrives to the local subscribers, sends a PING when the connection has been idle for
    `ping_interval` seconds (a dead connection may otherwise never fail), and reconnects with
    backoff when the connection drops, subscribing again to every channel still wanted.
    Publishing goes through an ordinary client.
    """

    RECONNECT_MIN = 0.1
    RECONNECT_MAX = 10.0

    def __init__(
        self,
        url: str,
        *,
        prefix: str = REDIS_PREFIX,
        queue_limit: int = QUEUE_LIMIT,
        ping_interval: float = 15.0,
        client_name: str = "parley-bus",
    ) -> None:
        self._url = url
        self._prefix = prefix
        self._queue_limit = queue_limit
        self._ping_interval = ping_interval
        self._client_name = client_name
        self._client: Redis | None = None
        self._listener: Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._subscribers = _Subscribers()
        # Set whenever the local channels change, for the task that (un)subscribes in Redis.
        self._changed = asyncio.Event()
        # Channels subscribed (SUBSCRIBE sent, UNSUBSCRIBE not) on the current connection.
        self._requested: set[str] = set()
        # SUBSCRIBE commands whose confirmation has not come back yet, by channel.
        self._unconfirmed: dict[str, int] = {}
        # One event per local channel, set while its Redis subscription is confirmed.
        self._live: dict[str, asyncio.Event] = {}

    async def connect(self) -> None:
        if self._task is not None:
            raise RuntimeError("the bus is already connected")
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        client = Redis.from_url(self._url, client_name=self._client_name)
        # The subscription connection reconnects by itself (below), so redis-py must not
        # retry behind its back: a retry would replay redis-py's own idea of the channels.
        listener = Redis.from_url(
            self._url, client_name=self._client_name, retry=Retry(NoBackoff(), 0)
        )
        # Whatever the URL says: a health check makes redis-py read a PING reply in the middle
        # of a command, racing the reader task for the socket (the reader sends its own PING
        # instead), and decoded responses would turn messages into str.
        listener.connection_pool.connection_kwargs.update(
            health_check_interval=0, decode_responses=False
        )
        try:
            await client.ping()
        except BaseException:
            await client.aclose()
            await listener.aclose()
            raise
        self._client, self._listener = client, listener
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._maintain(), name="parley-bus-redis")

    async def disconnect(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # wait() rather than awaiting the task: a cancellation of disconnect() itself
            # must still propagate.
            await asyncio.wait([task])
        self._subscribers.close_all()
        for live in self._live.values():
            live.set()  # subscribers still entering get their (closed) subscription
        self._live.clear()
        self._reset()
        client, self._client = self._client, None
        listener, self._listener = self._listener, None
        if client is not None:
            await client.aclose()
        if listener is not None:
            await listener.aclose()

    async def publish(self, channel: str, message: bytes) -> None:
        _check_message(message)
        if self._client is None:
            raise RuntimeError("connect() the bus first")
        await self._client.publish(self._prefix + channel, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        if self._task is None:
            raise RuntimeError("connect() the bus first")
        subscription = Subscription(channel, self._queue_limit)
        if self._subscribers.add(subscription):
            live = self._live[channel] = asyncio.Event()
            # Left by its last subscriber and taken again before the task unsubscribed it.
            if channel in self._requested and channel not in self._unconfirmed:
                live.set()
            self._changed.set()
        try:
            await self._live[channel].wait()
            yield subscription
        finally:
            # No await here: under cancellation the bookkeeping must still happen.
            if self._subscribers.remove(subscription):
                self._live.pop(channel, None)
                self._changed.set()

    def _reset(self) -> None:
        """Forget the state of a connection that is gone; a new one starts from nothing."""
        self._requested.clear()
        self._unconfirmed.clear()
        for live in self._live.values():
            live.clear()
        self._changed.set()

    async def _maintain(self) -> None:
        """Keep the subscription connection up: connect, serve, and retry with backoff."""
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        assert self._listener is not None
        expected = (OSError, RedisConnectionError, RedisTimeoutError)
        loop = asyncio.get_running_loop()
        delay = self.RECONNECT_MIN
        failing = False
        while True:
            pubsub = self._listener.pubsub()
            started = loop.time()
            try:
                # redis-py leaves PubSub.connect() and PubSub.aclose() unannotated.
                await pubsub.connect()  # type: ignore[no-untyped-call]
                _raise_if_cancelled()
                if failing:
                    logger.info("bus reconnected to Redis")
                    failing = False
                await self._serve(pubsub)
            except Exception as exc:
                # Messages published while the connection was down are lost: every subscriber
                # is told (SubscriptionOverflow) and resynchronises from the database.
                self._subscribers.drop_all()
                # Once per outage, with a traceback only for what is not a network failure.
                if not failing:
                    logger.warning(
                        "bus lost its Redis connection (%s: %s); reconnecting",
                        type(exc).__name__,
                        exc,
                        exc_info=not isinstance(exc, expected),
                    )
                else:
                    logger.debug("bus still cannot reach Redis (%s: %s)", type(exc).__name__, exc)
                failing = True
            finally:
                # The connection is broken or being shut down: nothing to save on it.
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                self._reset()
            if loop.time() - started > self.RECONNECT_MAX:
                delay = self.RECONNECT_MIN  # it had been up for a while: a fresh failure
            logger.debug("bus reconnecting to Redis in %.1fs", delay)
            # Jitter, so that every process does not reconnect at the same instant.
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - not crypto
            delay = min(delay * 2, self.RECONNECT_MAX)

    async def _serve(self, pubsub: PubSub) -> None:
        """Read and (un)subscribe on `pubsub` until either fails; raise what failed."""
        self._reset()
        tasks = {
            asyncio.create_task(self._read(pubsub), name="parley-bus-read"),
            asyncio.create_task(self._command(pubsub), name="parley-bus-command"),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            # Both loop forever: the first one to stop has failed.
            done.pop().result()
            raise RuntimeError("the bus task stopped")
        finally:
            for task in tasks:
                task.cancel()
            # Collects the other task's error too, if the broken connection failed both.
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _command(self, pubsub: PubSub) -> None:
        """Bring the Redis subscriptions in line with the local channels whenever they change."""
        while True:
            await self._changed.wait()
            self._changed.clear()
            wanted = self._subscribers.channels()
            added = sorted(wanted - self._requested)
            removed = sorted(self._requested - wanted)
            # Book-keeping first: the reader may see a confirmation before the send returns.
            if added:
                self._requested.update(added)
                for channel in added:
                    self._unconfirmed[channel] = self._unconfirmed.get(channel, 0) + 1
                await pubsub.subscribe(*(self._prefix + channel for channel in added))
                _raise_if_cancelled()
            if removed:
                self._requested.difference_update(removed)
                await pubsub.unsubscribe(*(self._prefix + channel for channel in removed))
                _raise_if_cancelled()

    async def _read(self, pubsub: PubSub) -> None:
        """Dispatch what Redis sends to the local subscribers; raise when the connection dies."""
        from redis.exceptions import ConnectionError as RedisConnectionError

        pinged = False
        while True:
            message: dict[str, Any] | None = await pubsub.get_message(timeout=self._ping_interval)
            if message is None:
                if pinged:
                    raise RedisConnectionError(
                        f"no reply to PING within {self._ping_interval:g} seconds"
                    )
                await pubsub.ping()
                _raise_if_cancelled()
                pinged = True
                continue
            pinged = False
            kind = message["type"]
            if kind not in {"message", "subscribe"}:
                continue  # pong, unsubscribe confirmations
            channel = self._local(message["channel"])
            if channel is None:
                continue
            if kind == "message":
                self._subscribers.deliver(channel, message["data"])
            else:
                self._confirm(channel)

    def _confirm(self, channel: str) -> None:
        """Count one SUBSCRIBE confirmed; the channel is live once the last one is."""
        left = self._unconfirmed.pop(channel, 0) - 1
        if left > 0:
            self._unconfirmed[channel] = left
        elif left == 0 and channel in self._requested and (live := self._live.get(channel)):
            live.set()

    def _local(self, name: bytes) -> str | None:
        """Turn a Redis channel name into this bus's, or None if it is not one of ours."""
        text = name.decode()
        return text[len(self._prefix) :] if text.startswith(self._prefix) else None


def _raise_if_cancelled() -> None:
    """Raise the cancellation of the current task if redis-py swallowed it.

    redis-py wraps socket writes in asyncio.wait_for, which on Python 3.11 returns normally
    when a cancellation arrives just as the write completes; the task still counts the request,
    and without this check would carry on (and disconnect() would wait for it forever).
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def create_bus(url: str) -> Bus:
    """Make the bus that `url` names: `memory://`, or `redis://` / `rediss://` with a Redis URL."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "memory":
        return MemoryBus()
    if scheme in {"redis", "rediss"}:
        return RedisBus(url)
    # Only the scheme is quoted: the rest of the URL may hold a password.
    raise ValueError(
        f"unsupported bus URL scheme {scheme!r}: use memory:// or redis://host:port/db "
        "(rediss:// for TLS)"
    )
