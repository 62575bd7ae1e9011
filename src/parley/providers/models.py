"""Provider configurations: which meeting systems administrators plugged in, and how."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, UTCDateTime, utcnow


class ProviderConfig(Base):
    """One configuration of one provider kind; Parley runs one provider instance per row."""

    __tablename__ = "provider_configs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The entry point name of the provider (`parley`, `jitsi`, `bbb`, `zoom`, a third party's).
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The configuration's fields that are not secret, as the provider's model dumps them.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The secret fields, each encrypted (parley.providers.crypto) for this row and field.
    secrets: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    # OAuth providers (Zoom): the tokens, encrypted, and the account they belong to.
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    account_id: Mapped[str | None] = mapped_column(String(100))
    account_email: Mapped[str | None] = mapped_column(String(254))
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The last "Test connection": when, whether it worked, and its message (catalogue id and
    # parameters, translated when shown).
    last_test_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_test_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_test_message: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # Scheduled sessions: `active`, `paused` (nothing new is made; what was made stays) or
    # `disconnected` (future sessions are no longer made here; what was made stays reachable).
    sessions_state: Mapped[str] = mapped_column(
        String(14), default="active", server_default="active"
    )

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Changes with the configuration, so every process rebuilds its instance of it.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def connected(self) -> bool:
        return self.refresh_token is not None
