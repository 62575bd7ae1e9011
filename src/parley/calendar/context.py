"""What the calendar's changes need besides the database session."""

from __future__ import annotations

from dataclasses import dataclass

from parley.bus import Bus
from parley.providers.service import ProviderRuntime
from parley.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    runtime: ProviderRuntime
    bus: Bus
    secret: str
