"""What a Parley web process holds while it runs, in one object.

The lifespan (`parley.app`) builds the `Runtime` once the database, the bus and the services
on them are up; every page, API call and socket reads it with `runtime_of(request)` (or
declares `CurrentRuntime`). Settings and the secret come with it, so nothing else is kept on
the application's state.

The services of the layers above (presence, the SFU, the meeting hubs, shared documents,
meeting providers) are named here for their types only: this module imports none of them
when Parley runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import httpx
from fastapi import Depends
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from parley.bus import Bus
from parley.ratelimit import RateLimiter
from parley.settings import Settings

if TYPE_CHECKING:
    from parley.documents.yjs import SharedRooms
    from parley.jobs.worker import Worker
    from parley.media.sfu import Sfu
    from parley.meetings.hub import Hubs
    from parley.people.presence import Presence
    from parley.providers.service import ProviderRuntime
    from parley.sockets import AddressSlots


@dataclass(frozen=True)
class Limiters:
    """Attempts counted per person or address (see `parley.ratelimit`)."""

    login: RateLimiter
    access_code: RateLimiter
    invitation: RateLimiter
    email: RateLimiter
    # Verification emails sent again, per address.
    verification: RateLimiter


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    secret: str
    templates: Jinja2Templates
    limiters: Limiters
    # Meeting sockets nobody logged in holds, per client address (see parley.meetings.socket).
    anonymous_sockets: AddressSlots
    engine: AsyncEngine
    # Opens a database session: `async with runtime.database() as db`.
    database: async_sessionmaker[AsyncSession]
    bus: Bus
    # The one HTTP client for outgoing calls (meeting providers, Janus).
    http: httpx.AsyncClient
    presence: Presence
    sfu: Sfu
    hubs: Hubs
    documents: SharedRooms
    providers: ProviderRuntime
    # Jobs run in this process (`PARLEY_JOBS_IN_PROCESS`), or None.
    worker: Worker | None


def runtime_of(connection: HTTPConnection) -> Runtime:
    """The runtime of the process serving this request or socket."""
    runtime: Runtime = connection.app.state.runtime
    return runtime


CurrentRuntime = Annotated[Runtime, Depends(runtime_of)]
