"""Provider configurations: kept with their secrets encrypted, one provider instance each.

The instances live in a `ProviderRuntime` (`parley.runtime.Runtime.providers`), which also holds the
shared HTTP client's context and the token store. An instance is rebuilt when its row
changes (`updated_at`), in every process.

A page's session ends its transaction (commit) before a provider is called: the provider
may write tokens through its own session meanwhile, and SQLite refuses a write from a read
transaction that began before another connection's commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley import i18n
from parley.bus import Bus
from parley.db import utcnow
from parley.errors import N_, Conflict, ParleyError
from parley.providers import flows, registry
from parley.providers.base import (
    Check,
    OAuthProvider,
    OAuthTokens,
    Provider,
    ProviderContext,
    ProviderError,
)
from parley.providers.crypto import SecretBox, SecretUnreadable
from parley.providers.forms import secret_fields
from parley.providers.models import ProviderConfig

log = logging.getLogger(__name__)


def _context(config_id: int, field_name: str) -> str:
    """Where a secret is stored: a ciphertext moved elsewhere does not decrypt."""
    return f"provider:{config_id}:{field_name}"


def _unreadable(row: ProviderConfig) -> ProviderError:
    return ProviderError(
        N_(
            "The secrets of %(provider)s cannot be read (Parley's secret key changed?). "
            "Enter them again."
        ),
        code="provider_secrets_unreadable",
        provider=row.name,
    )


def read_config(box: SecretBox, row: ProviderConfig, model: type[BaseModel]) -> BaseModel:
    """The configuration of `row` with its secrets decrypted."""
    values: dict[str, Any] = dict(row.config or {})
    for name in secret_fields(model):
        stored = (row.secrets or {}).get(name)
        if stored:
            try:
                values[name] = box.decrypt(stored, context=_context(row.id, name))
            except SecretUnreadable as exc:
                raise _unreadable(row) from exc
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ProviderError(
            N_("The configuration of %(provider)s is no longer complete: edit and save it."),
            code="provider_config_invalid",
            provider=row.name,
        ) from exc


def write_config(box: SecretBox, row: ProviderConfig, config: BaseModel) -> None:
    """Store `config` in `row`: secrets encrypted for this row, the rest as it is."""
    secrets = secret_fields(type(config))
    row.config = config.model_dump(mode="json", exclude=set(secrets))
    encrypted = {}
    for name in secrets:
        value: SecretStr = getattr(config, name)
        if value.get_secret_value():
            encrypted[name] = box.encrypt(value.get_secret_value(), context=_context(row.id, name))
    row.secrets = encrypted


class DbTokenStore:
    """OAuth tokens in the configuration's row, encrypted; each call in its own session."""

    def __init__(self, database: async_sessionmaker[AsyncSession], box: SecretBox) -> None:
        self.database = database
        self.box = box

    async def load(self, config_id: int) -> OAuthTokens | None:
        async with self.database() as db:
            row = await db.get(ProviderConfig, config_id)
            if row is None or not (row.access_token and row.refresh_token):
                return None
            try:
                return OAuthTokens(
                    access_token=self.box.decrypt(
                        row.access_token, context=_context(row.id, "access_token")
                    ),
                    refresh_token=self.box.decrypt(
                        row.refresh_token, context=_context(row.id, "refresh_token")
                    ),
                    expires_at=row.token_expires_at or utcnow(),
                )
            except SecretUnreadable as exc:
                raise _unreadable(row) from exc

    async def save(self, config_id: int, tokens: OAuthTokens) -> None:
        async with self.database() as db:
            row = await db.get(ProviderConfig, config_id)
            if row is None:
                return
            row.access_token = self.box.encrypt(
                tokens.access_token, context=_context(row.id, "access_token")
            )
            row.refresh_token = self.box.encrypt(
                tokens.refresh_token, context=_context(row.id, "refresh_token")
            )
            row.token_expires_at = tokens.expires_at
            await db.commit()


@dataclass
class ProviderRuntime:
    """One provider instance per configuration, and what they share."""

    http: httpx.AsyncClient
    database: async_sessionmaker[AsyncSession]
    bus: Bus
    public_url: str
    secret: str
    _instances: dict[int, tuple[datetime, Provider[Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.box = SecretBox(self.secret)
        self.tokens = DbTokenStore(self.database, self.box)
        self.context = ProviderContext(
            http=self.http,
            database=self.database,
            bus=self.bus,
            public_url=self.public_url,
            tokens=self.tokens,
        )

    def instance(self, row: ProviderConfig) -> Provider[Any]:
        """The provider of `row`, built once per version of the configuration."""
        cached = self._instances.get(row.id)
        if cached is not None and cached[0] == row.updated_at:
            return cached[1]
        kind = registry.get(row.kind)
        if kind is None:
            raise ProviderError(
                N_("The provider %(kind)s of %(provider)s is not installed."),
                code="provider_unavailable",
                provider=row.name,
                kind=row.kind,
            )
        config = read_config(self.box, row, kind.config_model)
        provider = kind(config_id=row.id, name=row.name, config=config, context=self.context)
        self._instances[row.id] = (row.updated_at, provider)
        return provider

    def builtin(self) -> Provider[Any]:
        """Parley's own rooms, with no configuration row: always there, the default."""
        kind = registry.get("parley")
        if kind is None:  # pragma: no cover - the package registers it
            raise ProviderError(
                N_("The provider %(kind)s of %(provider)s is not installed."),
                code="provider_unavailable",
                provider="Parley",
                kind="parley",
            )
        name = i18n.gettext(N_("Parley rooms"))
        return kind(config_id=0, name=name, config=kind.config_model(), context=self.context)

    def forget(self, config_id: int) -> None:
        self._instances.pop(config_id, None)


# Reading


async def list_configs(*, db: AsyncSession) -> Sequence[ProviderConfig]:
    return (await db.scalars(select(ProviderConfig).order_by(ProviderConfig.name))).all()


async def enabled_configs(*, db: AsyncSession) -> Sequence[ProviderConfig]:
    """The configurations people may choose for a room, an event or a session."""
    query = select(ProviderConfig).where(ProviderConfig.enabled.is_(True))
    return (await db.scalars(query.order_by(ProviderConfig.name))).all()


async def get(*, db: AsyncSession, config_id: int) -> ProviderConfig | None:
    return await db.get(ProviderConfig, config_id)


def stored_secrets(row: ProviderConfig | None) -> set[str]:
    return set((row.secrets or {}) if row is not None else {})


def current_config(
    *, runtime: ProviderRuntime, row: ProviderConfig, model: type[BaseModel]
) -> BaseModel | None:
    """The stored configuration, or None when it cannot be read any more."""
    try:
        return read_config(runtime.box, row, model)
    except ProviderError:
        return None


# Changing


def _name_taken() -> Conflict:
    return Conflict(N_("Another configuration has this name already."), code="name_taken")


async def _check_name(db: AsyncSession, name: str, *, config_id: int | None = None) -> None:
    query = select(ProviderConfig.id).where(ProviderConfig.name == name)
    if config_id is not None:
        query = query.where(ProviderConfig.id != config_id)
    if await db.scalar(query) is not None:
        raise _name_taken()


async def _commit_named(db: AsyncSession) -> None:
    try:
        await db.commit()
    except IntegrityError as exc:  # pragma: no cover - two administrators at the same instant
        await db.rollback()
        raise _name_taken() from exc


async def create(
    *, db: AsyncSession, runtime: ProviderRuntime, kind: str, name: str, config: BaseModel
) -> ProviderConfig:
    """Add a configuration of `kind`; its name must be free."""
    await _check_name(db, name)
    row = ProviderConfig(kind=kind, name=name, enabled=True, config={}, secrets={})
    db.add(row)
    # The id is part of each secret's encryption context.
    try:
        await db.flush()
    except IntegrityError as exc:  # pragma: no cover - two administrators at the same instant
        await db.rollback()
        raise _name_taken() from exc
    write_config(runtime.box, row, config)
    await _commit_named(db)
    log.info("provider configured", extra={"provider_config": row.id, "kind": kind})
    return row


async def update(
    *,
    db: AsyncSession,
    runtime: ProviderRuntime,
    row: ProviderConfig,
    name: str,
    config: BaseModel,
) -> ProviderConfig:
    await _check_name(db, name, config_id=row.id)
    row.name = name
    write_config(runtime.box, row, config)
    row.updated_at = utcnow()
    await _commit_named(db)
    runtime.forget(row.id)
    return row


async def set_enabled(*, db: AsyncSession, row: ProviderConfig, enabled: bool) -> None:
    row.enabled = enabled
    row.updated_at = utcnow()
    await db.commit()


async def _forget_account(db: AsyncSession, row: ProviderConfig) -> None:
    row.access_token = row.refresh_token = row.token_expires_at = None
    row.account_id = row.account_email = row.connected_at = None
    await db.commit()


async def delete(*, db: AsyncSession, runtime: ProviderRuntime, row: ProviderConfig) -> None:
    """Delete the configuration; a connected account is disconnected first (when it answers)."""
    if row.connected:
        try:
            await disconnect(db=db, runtime=runtime, row=row)
        except ParleyError:
            log.warning("revocation failed before deletion", extra={"provider_config": row.id})
    await db.delete(row)
    await db.commit()
    runtime.forget(row.id)


# Calling the provider


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    message: str
    params: dict[str, Any]


async def test_connection(
    *, db: AsyncSession, runtime: ProviderRuntime, row: ProviderConfig
) -> ConnectionResult:
    """Run the provider's connection test and remember its result; never raises its failure."""
    await db.commit()
    try:
        check: Check = await flows.test_connection(provider=runtime.instance(row))
        result = ConnectionResult(ok=True, message=check.message, params=dict(check.params))
    except ParleyError as exc:
        result = ConnectionResult(ok=False, message=exc.message, params=dict(exc.params))
    row.last_test_at = utcnow()
    row.last_test_ok = result.ok
    row.last_test_message = {"message": result.message, "params": result.params}
    await db.commit()
    return result


def oauth_provider(*, runtime: ProviderRuntime, row: ProviderConfig) -> OAuthProvider[Any]:
    provider = runtime.instance(row)
    if not isinstance(provider, OAuthProvider):
        raise ProviderError(
            N_("%(provider)s does not connect to an account."),
            code="provider_unsupported",
            provider=row.name,
        )
    return provider


async def connect(
    *,
    db: AsyncSession,
    runtime: ProviderRuntime,
    row: ProviderConfig,
    code: str,
    code_verifier: str,
    redirect_uri: str,
) -> str:
    """Finish the OAuth flow: store the tokens and the account; return its email."""
    provider = oauth_provider(runtime=runtime, row=row)
    await db.commit()
    account_id, email = await flows.guarded(
        provider.connect(code=code, code_verifier=code_verifier, redirect_uri=redirect_uri),
        provider=provider,
        action="connect",
        reference=None,
    )
    await db.refresh(row)
    row.account_id, row.account_email, row.connected_at = account_id, email, utcnow()
    await db.commit()
    log.info("provider account connected", extra={"provider_config": row.id})
    return email


async def disconnect(*, db: AsyncSession, runtime: ProviderRuntime, row: ProviderConfig) -> None:
    """Revoke the account's tokens at the service, and forget them here whatever happens.

    Raises the provider's error after forgetting, so the page can say revocation failed.
    """
    provider = oauth_provider(runtime=runtime, row=row)
    await db.commit()
    try:
        await flows.guarded(
            provider.disconnect(), provider=provider, action="disconnect", reference=None
        )
    finally:
        await db.refresh(row)
        await _forget_account(db, row)
        log.info("provider account disconnected", extra={"provider_config": row.id})


async def deauthorized(*, db: AsyncSession, row: ProviderConfig, account_id: str) -> bool:
    """The service says its account removed Parley: forget the tokens if it is ours."""
    if not account_id or row.account_id != account_id:
        return False
    await _forget_account(db, row)
    log.info("provider account deauthorized by the service", extra={"provider_config": row.id})
    return True
