"""Calling providers from Parley's flows: every failure logged with its object, shown clearly.

Rooms, calendar events and sessions call these rather than the hooks themselves. A provider
that fails as the contract says (ProviderError) keeps its message; anything else (a bug in a
third party's provider) becomes a generic failure. Both are logged with the configuration,
the action and the reference of the room, event or session.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from parley.errors import N_, ParleyError
from parley.providers.base import (
    Check,
    MeetingSpec,
    Person,
    Provider,
    ProviderError,
    ProviderMeeting,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


async def guarded(
    call: Awaitable[T], *, provider: Provider[Any], action: str, reference: str | None
) -> T:
    """Await `call`; log a failure with what it was for and raise it as a ProviderError."""
    where = {
        "provider_config": provider.config_id,
        "provider_kind": provider.kind,
        "action": action,
        "reference": reference,
    }
    try:
        return await call
    except ProviderError as exc:
        log.warning("provider failed: %s", exc.code, extra={**where, "error": exc.code})
        raise
    except ParleyError:
        raise
    except Exception as exc:
        log.exception("provider failed unexpectedly", extra=where)
        raise ProviderError(
            N_("%(provider)s failed. The details are in Parley's log."),
            code="provider_failed",
            provider=provider.name,
        ) from exc


async def create_meeting(*, provider: Provider[Any], spec: MeetingSpec) -> ProviderMeeting:
    return await guarded(
        provider.create_meeting(spec), provider=provider, action="create", reference=spec.reference
    )


async def update_meeting(
    *, provider: Provider[Any], meeting: ProviderMeeting, spec: MeetingSpec
) -> ProviderMeeting:
    return await guarded(
        provider.update_meeting(meeting, spec),
        provider=provider,
        action="update",
        reference=spec.reference,
    )


async def delete_meeting(
    *, provider: Provider[Any], meeting: ProviderMeeting, reference: str
) -> None:
    await guarded(
        provider.delete_meeting(meeting), provider=provider, action="delete", reference=reference
    )


async def join_url(
    *, provider: Provider[Any], meeting: ProviderMeeting, person: Person, reference: str
) -> str:
    return await guarded(
        provider.join_url(meeting, person), provider=provider, action="join", reference=reference
    )


async def is_running(
    *, provider: Provider[Any], meeting: ProviderMeeting, reference: str
) -> bool | None:
    return await guarded(
        provider.is_running(meeting), provider=provider, action="running", reference=reference
    )


async def end_meeting(*, provider: Provider[Any], meeting: ProviderMeeting, reference: str) -> None:
    await guarded(
        provider.end_meeting(meeting), provider=provider, action="end", reference=reference
    )


async def test_connection(*, provider: Provider[Any]) -> Check:
    return await guarded(
        provider.test_connection(), provider=provider, action="test", reference=None
    )
