"""Administration pages of providers: list, add, edit, test, enable, delete, connect an account.

Only administrators reach them. The form of a configuration is its provider's model; secrets
are never sent back to the browser. A provider's failure is shown on the page, never as a
server error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from parley import i18n
from parley.accounts.schemas import DisplayName
from parley.csrf import check_csrf
from parley.deps import AdminUser, DbSession, Id
from parley.errors import N_, Conflict, NotFound, ParleyError
from parley.forms import form_data, parse
from parley.providers import registry
from parley.providers import service as providers
from parley.providers.base import OAuthProvider
from parley.providers.crypto import SecretUnreadable
from parley.providers.forms import fields_of, parse_config
from parley.providers.models import ProviderConfig
from parley.providers.registry import ProviderClass
from parley.providers.service import ProviderRuntime
from parley.runtime import runtime_of
from parley.templating import render

router = APIRouter(
    prefix="/admin/providers", include_in_schema=False, dependencies=[Depends(check_csrf)]
)


def _providers(request: Request) -> ProviderRuntime:
    return runtime_of(request).providers


Providers = Annotated[ProviderRuntime, Depends(_providers)]

# What the page says after a change that redirected to it (`?done=<key>`).
NOTICES = {
    "created": N_("Configuration saved. Press Test connection to check it."),
    "saved": N_("Changes saved."),
    "deleted": N_("Configuration deleted."),
    "enabled": N_("Enabled: people can choose it for their meetings."),
    "disabled": N_("Disabled: people can no longer choose it. Meetings made with it stay."),
    "connected": N_("Account connected."),
    "disconnected": N_("Account disconnected: Parley forgot its tokens."),
}
# The OAuth flow's state and PKCE verifier wait in an encrypted cookie this long at most.
OAUTH_COOKIE = "parley_oauth"
OAUTH_SECONDS = 600


class NameForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: DisplayName = Field(max_length=100)


def _kind(kind: str) -> ProviderClass:
    provider = registry.get(kind)
    if provider is None:
        raise NotFound(N_("This kind of provider is not installed."))
    return provider


async def _row(db: DbSession, config_id: int) -> ProviderConfig:
    row = await providers.get(db=db, config_id=config_id)
    if row is None:
        raise NotFound(N_("No such provider configuration."))
    return row


def _public_url(request: Request) -> str:
    url: str = runtime_of(request).settings.effective_public_url
    return url


def _redirect_uri(request: Request, row: ProviderConfig) -> str:
    return f"{_public_url(request)}/admin/providers/{row.id}/oauth/callback"


def _last_test(row: ProviderConfig) -> str | None:
    if row.last_test_message is None:
        return None
    message = row.last_test_message
    return i18n.gettext(str(message.get("message", "")), **dict(message.get("params") or {}))


@router.get("")
async def provider_list(
    request: Request, _admin: AdminUser, db: DbSession, done: str = ""
) -> Response:
    kinds = registry.kinds()
    rows = await providers.list_configs(db=db)
    return render(
        request,
        "admin/providers.html",
        {
            "rows": [(row, kinds.get(row.kind), _last_test(row)) for row in rows],
            "kinds": sorted(kinds.items(), key=lambda item: i18n.gettext(item[1].label)),
            "notice": i18n.gettext(NOTICES[done]) if done in NOTICES else None,
        },
    )


def _form_page(
    request: Request,
    *,
    kind: ProviderClass,
    row: ProviderConfig | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    error: str | None = None,
    result: providers.ConnectionResult | None = None,
    status_code: int = 200,
) -> Response:
    oauth = issubclass(kind, OAuthProvider)
    context: dict[str, Any] = {
        "kind_name": kind.kind,
        "kind": kind,
        "row": row,
        "name": values.get("name", row.name if row is not None else ""),
        "fields": fields_of(
            kind.config_model, values=values, stored_secrets=providers.stored_secrets(row)
        ),
        "errors": errors or {},
        "notice": notice,
        "error": error,
        "oauth": oauth,
        "result": result,
        "result_text": i18n.gettext(result.message, **result.params) if result else None,
        "last_test": _last_test(row) if row is not None and result is None else None,
    }
    if row is not None:
        context["redirect_uri"] = _redirect_uri(request, row)
        context["webhook_url"] = f"{_public_url(request)}/api/v1/providers/{row.id}/webhook"
    return render(request, "admin/providers_edit.html", context, status_code=status_code)


async def _edit_page(
    request: Request,
    runtime: ProviderRuntime,
    row: ProviderConfig,
    **options: Any,
) -> Response:
    kind = _kind(row.kind)
    config = providers.current_config(runtime=runtime, row=row, model=kind.config_model)
    values = config.model_dump(mode="json") if config is not None else dict(row.config or {})
    values = {**values, **options.pop("values", {})}
    if config is None and "error" not in options:
        options["error"] = i18n.gettext(
            N_(
                "The secrets of %(provider)s cannot be read (Parley's secret key changed?). "
                "Enter them again."
            ),
            provider=row.name,
        )
    return _form_page(request, kind=kind, row=row, values=values, **options)


@router.get("/new")
async def new_provider(request: Request, _admin: AdminUser, kind: str = "") -> Response:
    provider = _kind(kind)
    return _form_page(request, kind=provider, row=None, values={})


@router.post("/new")
async def create_provider(
    request: Request, _admin: AdminUser, db: DbSession, runtime: Providers, kind: str = ""
) -> Response:
    provider = _kind(kind)
    data = await form_data(request)
    named, errors = parse(NameForm, data)
    config, config_errors = parse_config(provider.config_model, data, current=None)
    errors.update(config_errors)
    if named is not None and config is not None:
        try:
            row = await providers.create(
                db=db, runtime=runtime, kind=kind, name=named.name, config=config
            )
        except Conflict as exc:
            errors["name"] = i18n.gettext(exc.message)
        else:
            return RedirectResponse(f"/admin/providers/{row.id}?done=created", status_code=303)
    return _form_page(request, kind=provider, row=None, values=data, errors=errors, status_code=422)


@router.get("/{config_id}")
async def edit_provider(
    request: Request,
    config_id: Id,
    _admin: AdminUser,
    db: DbSession,
    runtime: Providers,
    done: str = "",
) -> Response:
    row = await _row(db, config_id)
    notice = i18n.gettext(NOTICES[done]) if done in NOTICES else None
    return await _edit_page(request, runtime, row, notice=notice)


@router.post("/{config_id}")
async def save_provider(
    request: Request, config_id: Id, _admin: AdminUser, db: DbSession, runtime: Providers
) -> Response:
    row = await _row(db, config_id)
    kind = _kind(row.kind)
    data = await form_data(request)
    named, errors = parse(NameForm, data)
    current = providers.current_config(runtime=runtime, row=row, model=kind.config_model)
    config, config_errors = parse_config(kind.config_model, data, current=current)
    errors.update(config_errors)
    if named is not None and config is not None:
        try:
            await providers.update(db=db, runtime=runtime, row=row, name=named.name, config=config)
        except Conflict as exc:
            errors["name"] = i18n.gettext(exc.message)
        else:
            return RedirectResponse(f"/admin/providers/{row.id}?done=saved", status_code=303)
    await db.refresh(row)
    return await _edit_page(request, runtime, row, values=data, errors=errors, status_code=422)


@router.post("/{config_id}/test")
async def test_provider(
    request: Request, config_id: Id, _admin: AdminUser, db: DbSession, runtime: Providers
) -> Response:
    row = await _row(db, config_id)
    result = await providers.test_connection(db=db, runtime=runtime, row=row)
    return await _edit_page(request, runtime, row, result=result)


@router.post("/{config_id}/enable")
async def enable_provider(config_id: Id, _admin: AdminUser, db: DbSession) -> Response:
    row = await _row(db, config_id)
    await providers.set_enabled(db=db, row=row, enabled=True)
    return RedirectResponse("/admin/providers?done=enabled", status_code=303)


@router.post("/{config_id}/disable")
async def disable_provider(config_id: Id, _admin: AdminUser, db: DbSession) -> Response:
    row = await _row(db, config_id)
    await providers.set_enabled(db=db, row=row, enabled=False)
    return RedirectResponse("/admin/providers?done=disabled", status_code=303)


@router.post("/{config_id}/delete")
async def delete_provider(
    config_id: Id, _admin: AdminUser, db: DbSession, runtime: Providers
) -> Response:
    row = await _row(db, config_id)
    await providers.delete(db=db, runtime=runtime, row=row)
    return RedirectResponse("/admin/providers?done=deleted", status_code=303)


# Connecting an account (OAuth 2 authorization code with PKCE)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@router.get("/{config_id}/connect")
async def connect_account(
    request: Request, config_id: Id, _admin: AdminUser, db: DbSession, runtime: Providers
) -> Response:
    """Send the administrator to the service's consent page (a link: forms may not leave)."""
    row = await _row(db, config_id)
    try:
        provider = providers.oauth_provider(runtime=runtime, row=row)
    except ParleyError as exc:
        return await _edit_page(
            request, runtime, row, error=i18n.gettext(exc.message, **exc.params)
        )
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
    response = RedirectResponse(
        provider.authorization_url(
            state=state, code_challenge=challenge, redirect_uri=_redirect_uri(request, row)
        ),
        status_code=303,
    )
    flow = json.dumps({"config": row.id, "state": state, "verifier": verifier, "at": time.time()})
    response.set_cookie(
        OAUTH_COOKIE,
        runtime.box.encrypt(flow, context="oauth-flow"),
        max_age=OAUTH_SECONDS,
        path=f"/admin/providers/{row.id}/",
        httponly=True,
        samesite="lax",
        secure=runtime_of(request).settings.secure_cookies,
    )
    return response


def _flow(request: Request, runtime: ProviderRuntime, row: ProviderConfig) -> dict[str, Any] | None:
    try:
        flow = json.loads(
            runtime.box.decrypt(request.cookies.get(OAUTH_COOKIE, ""), context="oauth-flow")
        )
    except (SecretUnreadable, ValueError):
        return None
    if not isinstance(flow, dict) or flow.get("config") != row.id:
        return None
    if time.time() - float(flow.get("at", 0)) > OAUTH_SECONDS:
        return None
    return flow


@router.get("/{config_id}/oauth/callback")
async def oauth_callback(
    request: Request,
    config_id: Id,
    _admin: AdminUser,
    db: DbSession,
    runtime: Providers,
    code: str = "",
    state: str = "",
    error: str = "",
) -> Response:
    """Back from the consent page: check the state, trade the code, show the account."""
    row = await _row(db, config_id)
    flow = _flow(request, runtime, row)
    message: str | None = None
    if error:
        message = i18n.gettext(N_("The connection was cancelled on the service's page."))
    elif flow is None or not code or not secrets.compare_digest(str(flow["state"]), state):
        message = i18n.gettext(
            N_("This connection attempt expired or did not start here. Press Connect again.")
        )
    else:
        try:
            await providers.connect(
                db=db,
                runtime=runtime,
                row=row,
                code=code,
                code_verifier=str(flow["verifier"]),
                redirect_uri=_redirect_uri(request, row),
            )
        except ParleyError as exc:
            message = i18n.gettext(exc.message, **exc.params)
    if message is None:
        response: Response = RedirectResponse(
            f"/admin/providers/{row.id}?done=connected", status_code=303
        )
    else:
        response = await _edit_page(request, runtime, row, error=message, status_code=400)
    response.delete_cookie(OAUTH_COOKIE, path=f"/admin/providers/{row.id}/")
    return response


@router.post("/{config_id}/disconnect")
async def disconnect_account(
    request: Request, config_id: Id, _admin: AdminUser, db: DbSession, runtime: Providers
) -> Response:
    row = await _row(db, config_id)
    try:
        await providers.disconnect(db=db, runtime=runtime, row=row)
    except ParleyError as exc:
        failure = i18n.gettext(exc.message, **exc.params)
        warning = i18n.gettext(
            N_(
                "Parley forgot its tokens, but could not revoke them: %(reason)s "
                "Remove the app from the account on the service's side too."
            ),
            reason=failure,
        )
        return await _edit_page(request, runtime, row, error=warning)
    return RedirectResponse(f"/admin/providers/{row.id}?done=disconnected", status_code=303)
