"""Administration pages: members (create, disable, promote) and site settings."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from parley import i18n, site
from parley.accounts import service as accounts
from parley.accounts.schemas import DisplayName, Email, Password
from parley.csrf import check_csrf
from parley.deps import AdminUser, DbSession, Id
from parley.documents import quota
from parley.errors import N_, Conflict, Forbidden, Invalid, NotFound
from parley.forms import form_data, parse
from parley.rooms import policies
from parley.runtime import runtime_of
from parley.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(check_csrf)])


class NewUserForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: Email
    display_name: DisplayName
    password: Password
    is_admin: bool = False


class UserActionForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action: Literal["promote", "demote", "disable", "enable"]


async def _users_page(
    request: Request,
    db: DbSession,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/users.html",
        {
            "users": await accounts.list_users(db=db),
            "signup_enabled": (await site.load(db, site.Signup)).enabled,
            "values": values or {},
            "errors": errors or {},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/users")
async def users(request: Request, _admin: AdminUser, db: DbSession) -> Response:
    return await _users_page(request, db)


@router.post("/users")
async def create_user(request: Request, _admin: AdminUser, db: DbSession) -> Response:
    data = await form_data(request)
    form, errors = parse(NewUserForm, {**data, "is_admin": data.get("is_admin") == "on"})
    if form is not None:
        try:
            user = await accounts.create(
                db=db,
                email=form.email,
                display_name=form.display_name,
                password=form.password,
                is_admin=form.is_admin,
            )
        except Conflict as exc:
            errors = {"email": i18n.gettext(exc.message)}
        else:
            notice = i18n.gettext(N_("Account created for %(name)s."), name=user.display_name)
            return await _users_page(request, db, notice=notice)
    return await _users_page(request, db, values=data, errors=errors, status_code=422)


@router.post("/users/{user_id}")
async def change_user(request: Request, user_id: Id, admin: AdminUser, db: DbSession) -> Response:
    form, _errors = parse(UserActionForm, await form_data(request))
    user = await accounts.get(db=db, user_id=user_id)
    if user is None:
        raise NotFound(N_("No such account."))
    if form is None:
        raise Forbidden(N_("This action is not allowed here."))
    changes = {
        "promote": {"is_admin": True},
        "demote": {"is_admin": False},
        "disable": {"is_active": False},
        "enable": {"is_active": True},
    }[form.action]
    await accounts.set_roles(db=db, actor=admin, user=user, **changes)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/settings")
async def change_settings(request: Request, _admin: AdminUser, db: DbSession) -> Response:
    data = await form_data(request)
    await site.save(db, site.Signup(enabled=data.get("signup_enabled") == "on"))
    return await _users_page(request, db, notice=i18n.gettext(N_("Settings saved.")))


@router.get("/rooms")
async def room_policies(request: Request, _admin: AdminUser, db: DbSession) -> Response:
    return await _room_policies_page(request, db)


async def _room_policies_page(
    request: Request, db: DbSession, *, notice: str | None = None
) -> Response:
    return render(
        request,
        "admin/rooms.html",
        {
            "room_settings": policies.ROOM_SETTINGS,
            "policies": await policies.load(db=db),
            "waiting_choices": policies.WAITING_ROOM_CHOICES,
            "media_servers": await runtime_of(request).sfu.status(db),
            "sfu_threshold": runtime_of(request).settings.sfu_threshold,
            "mesh_limit": runtime_of(request).settings.mesh_limit,
            "notice": notice,
        },
    )


@router.post("/rooms")
async def change_room_policies(request: Request, _admin: AdminUser, db: DbSession) -> Response:
    data = await form_data(request)
    updated = {}
    for setting in policies.ROOM_SETTINGS:
        if setting.key == "waiting_room":
            value: object = data.get("waiting_room", "off")
            if value not in policies.WAITING_ROOM_CHOICES:
                raise Invalid(N_("Choose one of the options."))
        else:
            value = data.get(f"{setting.key}") == "on"
        updated[setting.key] = policies.Policy(
            value=value, forced=data.get(f"{setting.key}__forced") == "on"
        )
    await policies.save(db=db, policies=updated)
    return await _room_policies_page(request, db, notice=i18n.gettext(N_("Settings saved.")))


@router.get("/storage")
async def storage(request: Request, _admin: AdminUser, db: DbSession) -> Response:
    """The space documents take, by room and by member, beside the quotas."""
    limits = quota.Limits.from_settings(runtime_of(request).settings)
    return render(
        request,
        "admin/storage.html",
        {
            "rooms": await quota.rooms_by_usage(db=db),
            "members": await quota.members_by_usage(db=db),
            "limits": limits,
            "megabytes": quota.megabytes,
            "listed": quota.LISTED,
        },
    )
