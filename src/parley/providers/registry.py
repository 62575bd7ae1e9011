"""Provider kinds, found through the `parley.providers` entry points, built-in ones included.

A third party ships a provider as a package that declares, in its pyproject.toml:

    [project.entry-points."parley.providers"]
    webex = "parley_webex:WebexProvider"

The entry point's name is the provider's `kind`, stored with every configuration.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from parley.providers.base import Provider

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "parley.providers"
ProviderClass = type[Provider[Any]]


def _load(entry_point: EntryPoint) -> ProviderClass | None:
    try:
        loaded = entry_point.load()
    except Exception:
        log.exception("provider could not be loaded", extra={"entry_point": entry_point.value})
        return None
    if not (isinstance(loaded, type) and issubclass(loaded, Provider)):
        log.error("entry point is not a provider", extra={"entry_point": entry_point.value})
        return None
    if getattr(loaded, "kind", None) != entry_point.name:
        log.error(
            "provider kind differs from its entry point name",
            extra={"entry_point": entry_point.value, "kind": entry_point.name},
        )
        return None
    return loaded


@cache
def kinds() -> dict[str, ProviderClass]:
    """Every provider kind installed, by name; a broken one is logged and left out."""
    found: dict[str, ProviderClass] = {}
    for entry_point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if entry_point.name in found:
            log.error("two providers share a kind", extra={"kind": entry_point.name})
            continue
        if (provider := _load(entry_point)) is not None:
            found[entry_point.name] = provider
    return found


def get(kind: str) -> ProviderClass | None:
    return kinds().get(kind)
