"""The bus, on both backends: the same tests for memory and Redis, then Redis's own."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import anyio
import pytest
import redis.asyncio

from parley.bus import (
    REDIS_PREFIX,
    Bus,
    MemoryBus,
    RedisBus,
    Subscription,
    SubscriptionOverflow,
    create_bus,
)
from tests import services

pytestmark = pytest.mark.anyio

# Long enough for a loaded CI machine, short enough that a hang fails the test quickly.
TIMEOUT = 10


@pytest.fixture(params=["memory", "redis"])
def bus_url(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        services.require_redis()
        return services.REDIS_URL
    return "memory://"


def _make(url: str, *, queue_limit: int) -> Bus:
    """Make the bus for `url` with a small queue, which create_bus does not take."""
    if url.startswith("memory:"):
        return MemoryBus(queue_limit=queue_limit)
    return RedisBus(url, queue_limit=queue_limit)


@contextlib.asynccontextmanager
async def _connected(bus: Bus) -> AsyncIterator[Bus]:
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.disconnect()


@pytest.fixture
async def bus(bus_url: str) -> AsyncIterator[Bus]:
    async with _connected(create_bus(bus_url)) as connected:
        yield connected


@pytest.fixture
async def redis_client() -> AsyncIterator[redis.asyncio.Redis]:
    services.require_redis()
    client = redis.asyncio.Redis.from_url(services.REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


def _channel() -> str:
    """A channel no other test, nor another run of this one, uses."""
    return f"test:{uuid.uuid4().hex}"


async def _receive(subscription: Subscription, count: int) -> list[bytes]:
    received: list[bytes] = []
    with anyio.fail_after(TIMEOUT):
        async for message in subscription:
            received.append(message)
            if len(received) == count:
                break
    return received


async def _nothing_more(subscription: Subscription) -> None:
    """Check that nothing is waiting on `subscription` (a pause lets strays arrive)."""
    await anyio.sleep(0.1)
    with anyio.move_on_after(0.1):
        message = await subscription.__anext__()
        pytest.fail(f"unexpected message {message!r}")


async def _numsub(client: redis.asyncio.Redis, channel: str) -> int:
    """How many connections Redis has subscribed to the bus's `channel`."""
    [(_name, count)] = await client.pubsub_numsub(REDIS_PREFIX + channel)
    return int(count)


async def _wait_for_numsub(client: redis.asyncio.Redis, channel: str, count: int) -> None:
    """Poll until Redis has `count` connections subscribed to `channel` (the caller times out)."""
    while True:
        if await _numsub(client, channel) == count:
            return
        await anyio.sleep(0.01)


async def test_a_message_reaches_every_subscriber_of_its_channel_in_order(bus: Bus) -> None:
    channel, other = _channel(), _channel()
    with anyio.fail_after(TIMEOUT):
        async with (
            bus.subscribe(channel) as first,
            bus.subscribe(channel) as second,
            bus.subscribe(other) as elsewhere,
        ):
            expected = [f"m{number}".encode() for number in range(100)]
            for message in expected:
                await bus.publish(channel, message)
            assert await _receive(first, 100) == expected
            assert await _receive(second, 100) == expected
            await _nothing_more(elsewhere)

            await bus.publish(other, b"other")
            assert await _receive(elsewhere, 1) == [b"other"]
            await _nothing_more(first)


async def test_messages_are_bytes_in_and_out(bus: Bus) -> None:
    channel = _channel()
    with anyio.fail_after(TIMEOUT):
        async with bus.subscribe(channel) as subscription:
            await bus.publish(channel, b"\x00\xff binary")
            assert await _receive(subscription, 1) == [b"\x00\xff binary"]
            with pytest.raises(TypeError, match="bytes"):
                await bus.publish(channel, "text")  # type: ignore[arg-type]


async def test_publishing_without_subscribers_is_fine(bus: Bus) -> None:
    with anyio.fail_after(TIMEOUT):
        await bus.publish(_channel(), b"nobody listens")


async def test_leaving_the_block_stops_delivery(bus: Bus) -> None:
    channel = _channel()
    with anyio.fail_after(TIMEOUT):
        async with bus.subscribe(channel) as kept:
            async with bus.subscribe(channel) as left:
                await bus.publish(channel, b"one")
                assert await _receive(left, 1) == [b"one"]
            await bus.publish(channel, b"two")
            assert await _receive(kept, 2) == [b"one", b"two"]
            # Left: iteration ends, and nothing more is queued for it.
            assert [message async for message in left] == []
        assert [message async for message in kept] == []
        await bus.publish(channel, b"after everyone left")


async def test_subscribing_again_after_leaving_works(bus: Bus) -> None:
    channel = _channel()
    with anyio.fail_after(TIMEOUT):
        for number in range(5):
            async with bus.subscribe(channel) as subscription:
                await bus.publish(channel, str(number).encode())
                assert await _receive(subscription, 1) == [str(number).encode()]


async def test_a_subscription_cancelled_while_entering_leaves_nothing_behind(bus: Bus) -> None:
    channel = _channel()
    with anyio.fail_after(TIMEOUT):
        with anyio.CancelScope() as scope:
            scope.cancel()  # Redis: while waiting for the server's confirmation
            async with bus.subscribe(channel):
                await anyio.sleep(TIMEOUT)
        assert scope.cancelled_caught
        async with bus.subscribe(channel) as subscription:
            await bus.publish(channel, b"after")
            assert await _receive(subscription, 1) == [b"after"]


async def test_a_slow_subscriber_is_dropped_and_a_fast_one_is_not(bus_url: str) -> None:
    channel = _channel()
    with anyio.fail_after(TIMEOUT):
        async with (
            _connected(_make(bus_url, queue_limit=10)) as bus,
            bus.subscribe(channel) as slow,
            bus.subscribe(channel) as fast,
        ):
            received: list[bytes] = []
            for number in range(30):
                # Never waits on the slow subscriber, whose queue is full after ten.
                await bus.publish(channel, str(number).encode())
                received += await _receive(fast, 1)
            assert received == [str(number).encode() for number in range(30)]
            assert slow.overflowed
            assert not fast.overflowed
            # Dropped at once, not after what was queued, and for good.
            for _attempt in range(2):
                with pytest.raises(SubscriptionOverflow, match="fell more than 10"):
                    await slow.__anext__()


async def test_disconnecting_ends_open_subscriptions(bus_url: str) -> None:
    bus = create_bus(bus_url)
    await bus.connect()
    received: list[bytes] = []
    with anyio.fail_after(TIMEOUT):
        async with bus.subscribe(_channel()) as subscription, anyio.create_task_group() as group:

            async def read() -> None:
                received.extend([message async for message in subscription])

            group.start_soon(read)
            await anyio.sleep(0.05)
            await bus.disconnect()
    assert received == []
    await bus.disconnect()  # twice is fine


async def test_the_bus_must_be_connected_first(bus_url: str) -> None:
    bus = create_bus(bus_url)
    with pytest.raises(RuntimeError, match="connect"):
        await bus.publish(_channel(), b"early")
    with pytest.raises(RuntimeError, match="connect"):
        async with bus.subscribe(_channel()):
            pass
    async with _connected(bus):
        with pytest.raises(RuntimeError, match="already connected"):
            await bus.connect()


async def test_two_redis_buses_see_each_other() -> None:
    """Two processes on one Redis: what one publishes, the other's subscribers receive."""
    services.require_redis()
    channel = _channel()
    with anyio.fail_after(TIMEOUT):
        async with (
            _connected(create_bus(services.REDIS_URL)) as one,
            _connected(create_bus(services.REDIS_URL)) as two,
            one.subscribe(channel) as on_one,
        ):
            # Published from the other connection right after subscribing: received, since
            # entering the block waits for Redis to confirm the subscription.
            for number in range(20):
                async with two.subscribe(channel) as on_two:
                    await one.publish(channel, f"from one {number}".encode())
                    assert await _receive(on_two, 1) == [f"from one {number}".encode()]
            await two.publish(channel, b"from two")
            expected = [f"from one {number}".encode() for number in range(20)] + [b"from two"]
            assert await _receive(on_one, 21) == expected


async def test_redis_subscribes_once_per_channel_and_unsubscribes_after_the_last(
    redis_client: redis.asyncio.Redis,
) -> None:
    channel = _channel()
    with anyio.fail_after(TIMEOUT):
        async with _connected(create_bus(services.REDIS_URL)) as bus:
            assert await _numsub(redis_client, channel) == 0
            async with bus.subscribe(channel):
                async with bus.subscribe(channel):
                    # Both local subscribers share the process's one subscription.
                    assert await _numsub(redis_client, channel) == 1
                assert await _numsub(redis_client, channel) == 1
            # UNSUBSCRIBE is sent by the bus's task, soon after the block is left.
            await _wait_for_numsub(redis_client, channel, 0)


async def test_redis_connection_loss_makes_subscribers_resync_then_works_again(
    redis_client: redis.asyncio.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """Messages sent while the connection is down are lost: subscribers are told, not fooled."""
    caplog.set_level(logging.INFO, logger="parley.bus")
    name = f"parley-test-{uuid.uuid4().hex}"
    channel = _channel()
    with anyio.fail_after(TIMEOUT):
        async with _connected(RedisBus(services.REDIS_URL, client_name=name)) as bus:
            async with bus.subscribe(channel) as subscription:
                await bus.publish(channel, b"before")
                assert await _receive(subscription, 1) == [b"before"]

                clients = await redis_client.client_list(_type="pubsub")
                [listener] = [client["id"] for client in clients if client["name"] == name]
                await redis_client.client_kill_filter(_id=listener)
                with pytest.raises(SubscriptionOverflow):
                    await _receive(subscription, 1)
            # Subscribing again (what a resynchronising hub does) works on the new connection.
            async with bus.subscribe(channel) as again:
                await bus.publish(channel, b"after")
                assert await _receive(again, 1) == [b"after"]
            assert "bus lost its Redis connection" in caplog.text
            assert "bus reconnected to Redis" in caplog.text


async def test_redis_idle_pings_keep_everything_working() -> None:
    services.require_redis()
    channel = _channel()
    with anyio.fail_after(TIMEOUT):
        async with _connected(RedisBus(services.REDIS_URL, ping_interval=0.02)) as bus:
            await anyio.sleep(0.1)  # pings while subscribed to nothing
            async with bus.subscribe(channel) as subscription:
                await anyio.sleep(0.1)  # and while subscribed
                await bus.publish(channel, b"still here")
                assert await _receive(subscription, 1) == [b"still here"]


def test_create_bus_picks_the_backend_by_scheme() -> None:
    assert isinstance(create_bus("memory://"), MemoryBus)
    assert isinstance(create_bus("redis://127.0.0.1:6379/0"), RedisBus)
    assert isinstance(create_bus("rediss://:secret@redis.example:6380/1"), RedisBus)


@pytest.mark.parametrize(
    "url", ["kafka://localhost", "amqp://user:hunter2@broker/", "localhost:6379", ""]
)
def test_create_bus_refuses_other_urls(url: str) -> None:
    with pytest.raises(ValueError, match="use memory:// or redis://") as refused:
        create_bus(url)
    assert "hunter2" not in str(refused.value)
