"""Presence across processes: two processes on one Redis bus see each other's people, and the
people of a process that dies go offline by themselves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from parley.bus import RedisBus
from parley.people.presence import IN_MEETING, OFFLINE, ONLINE, Presence
from tests import services

pytestmark = pytest.mark.anyio


async def _until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the state did not come")
        await asyncio.sleep(0.02)


async def test_presence_crosses_processes_and_expires_with_a_dead_one() -> None:
    services.require_redis()
    bus_a, bus_b = RedisBus(services.REDIS_URL), RedisBus(services.REDIS_URL)
    await bus_a.connect()
    await bus_b.connect()
    a = Presence(bus_a, beat_seconds=0.2)
    b = Presence(bus_b, beat_seconds=0.2)
    seen: list[tuple[int, str]] = []
    try:
        await a.start()
        await b.start()
        b.watch([7], lambda user_id, state: seen.append((user_id, state)))

        # Ada opens a page on process A: B sees her online, then in a meeting.
        await a.page_opened(7, busy=False)
        await _until(lambda: b.state(7) == ONLINE)
        await a.meeting_joined(7)
        await _until(lambda: b.state(7) == IN_MEETING)
        await a.meeting_left(7)
        await a.page_closed(7)
        await _until(lambda: b.state(7) == OFFLINE)
        assert seen == [(7, ONLINE), (7, IN_MEETING), (7, ONLINE), (7, OFFLINE)]

        # A process that starts later learns who is already connected.
        await a.page_opened(8, busy=True)
        bus_c = RedisBus(services.REDIS_URL)
        await bus_c.connect()
        c = Presence(bus_c, beat_seconds=0.2)
        await c.start()
        await _until(lambda: c.state(8) == "busy")
        await c.stop()
        await bus_c.disconnect()

        # Process A dies without a word (its tasks stop, no goodbye): after three missed
        # beats, B counts its people as gone.
        for task in a._tasks:
            task.cancel()
        await _until(lambda: b.state(8) == OFFLINE, seconds=3)
        assert a.process not in b.remote
    finally:
        await b.stop()
        await bus_a.disconnect()
        await bus_b.disconnect()
