"""REST API of the administration: site settings and meeting providers (administrators only).

The same changes as the administration pages (parley.admin.pages, parley.providers.pages,
parley.sessions.pages), through the same services. A provider's secrets are written, never
read back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parley import i18n, site
from parley.accounts.schemas import DisplayName
from parley.csrf import CsrfProtected
from parley.deps import AdminUser, DbSession, Id
from parley.errors import N_, Invalid, NotFound
from parley.providers import registry
from parley.providers import service as providers
from parley.providers.models import ProviderConfig
from parley.rooms import policies
from parley.runtime import runtime_of
from parley.sessions import service as sessions

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])

# Ids the database holds (PostgreSQL's integer).


class PolicyIO(BaseModel):
    """A room setting's default for new rooms, and whether every room must use it."""

    model_config = ConfigDict(extra="forbid")

    value: bool | Literal["off", "guests", "everyone"]
    forced: bool


class SettingsOut(BaseModel):
    signup_enabled: bool
    room_policies: dict[str, PolicyIO]


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signup_enabled: bool | None = None
    # Only the settings named change; `waiting_room` takes "off", "guests" or "everyone",
    # the others true or false.
    room_policies: dict[str, PolicyIO] | None = None


class ProviderOut(BaseModel):
    id: int
    kind: str
    name: str
    enabled: bool
    connected: bool
    # Whether new sessions are made on it: "active", "paused" or "disconnected".
    sessions_state: Literal["active", "paused", "disconnected"]
    last_test_at: datetime | None
    last_test_ok: bool | None


class ProviderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=40)
    name: DisplayName = Field(max_length=100)
    # The provider's own configuration (its fields are those of its form).
    config: dict[str, Any] = {}


class ProviderChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    sessions_state: Literal["active", "paused", "disconnected"] | None = None


class ConnectionOut(BaseModel):
    ok: bool
    message: str


async def _settings_out(db: DbSession) -> SettingsOut:
    loaded = await policies.load(db=db)
    return SettingsOut(
        signup_enabled=(await site.load(db, site.Signup)).enabled,
        room_policies={key: PolicyIO(value=p.value, forced=p.forced) for key, p in loaded.items()},
    )


@router.get("/settings", response_model=SettingsOut)
async def get_settings(_admin: AdminUser, db: DbSession) -> SettingsOut:
    """Sign-up, and the room settings' defaults and the ones every room must use."""
    return await _settings_out(db)


def _policy(key: str, sent: PolicyIO) -> policies.Policy:
    if key not in policies.SETTING_KEYS:
        raise Invalid(N_("This value is not valid."), code="unknown_setting")
    if (key == "waiting_room") != isinstance(sent.value, str):
        raise Invalid(N_("Choose one of the options."), code="bad_setting")
    return policies.Policy(value=sent.value, forced=sent.forced)


@router.patch("/settings", response_model=SettingsOut)
async def change_settings(
    body: SettingsIn, _admin: AdminUser, db: DbSession, _csrf: CsrfProtected
) -> SettingsOut:
    """Change sign-up or room settings; what is not sent stays."""
    if body.room_policies:
        updated = dict(await policies.load(db=db))
        for key, sent in body.room_policies.items():
            updated[key] = _policy(key, sent)
        await policies.save(db=db, policies=updated)
    if body.signup_enabled is not None:
        await site.save(db, site.Signup(enabled=body.signup_enabled))
    return await _settings_out(db)


def _provider_out(row: ProviderConfig) -> ProviderOut:
    return ProviderOut(
        id=row.id,
        kind=row.kind,
        name=row.name,
        enabled=row.enabled,
        connected=row.connected,
        sessions_state=row.sessions_state,
        last_test_at=row.last_test_at,
        last_test_ok=row.last_test_ok,
    )


async def _row(db: DbSession, config_id: int) -> ProviderConfig:
    row = await providers.get(db=db, config_id=config_id)
    if row is None:
        raise NotFound(N_("No such provider configuration."))
    return row


@router.get("/providers", response_model=list[ProviderOut])
async def list_providers(_admin: AdminUser, db: DbSession) -> list[ProviderOut]:
    """The meeting providers configured (their secrets are never shown)."""
    return [_provider_out(row) for row in await providers.list_configs(db=db)]


@router.post("/providers", response_model=ProviderOut, status_code=status.HTTP_201_CREATED)
async def create_provider(
    body: ProviderIn, request: Request, _admin: AdminUser, db: DbSession, _csrf: CsrfProtected
) -> ProviderOut:
    """Configure a provider of an installed kind; its name must be free."""
    kind = registry.get(body.kind)
    if kind is None:
        raise NotFound(N_("This kind of provider is not installed."), code="no_such_kind")
    try:
        config = kind.config_model.model_validate(body.config)
    except ValidationError as error:
        refusal = Invalid(N_("Some of the data sent is not valid."))
        refusal.extra = {
            "errors": [
                {"loc": ["body", "config", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in error.errors()
            ]
        }
        raise refusal from error
    row = await providers.create(
        db=db, runtime=runtime_of(request).providers, kind=body.kind, name=body.name, config=config
    )
    return _provider_out(row)


@router.patch("/providers/{config_id}", response_model=ProviderOut)
async def change_provider(
    config_id: Id,
    body: ProviderChange,
    _admin: AdminUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> ProviderOut:
    """Enable or disable a provider for meetings, or pause its sessions' pipeline."""
    row = await _row(db, config_id)
    if body.enabled is not None:
        await providers.set_enabled(db=db, row=row, enabled=body.enabled)
    if body.sessions_state is not None:
        await sessions.set_provider_state(db=db, row=row, state=body.sessions_state)
    return _provider_out(row)


@router.post("/providers/{config_id}/test", response_model=ConnectionOut)
async def test_provider(
    config_id: Id,
    request: Request,
    _admin: AdminUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> ConnectionOut:
    """Try the provider's connection now; a failure is an answer, not an error."""
    row = await _row(db, config_id)
    result = await providers.test_connection(db=db, runtime=runtime_of(request).providers, row=row)
    return ConnectionOut(ok=result.ok, message=i18n.gettext(result.message, **result.params))


@router.delete("/providers/{config_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_provider(
    config_id: Id,
    request: Request,
    _admin: AdminUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> None:
    """Delete a provider's configuration (a connected account is disconnected first)."""
    row = await _row(db, config_id)
    await providers.delete(db=db, runtime=runtime_of(request).providers, row=row)
