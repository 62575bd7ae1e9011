"""Pages of rooms: my rooms, a room's management, and the invitation link /r/<slug>."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.accounts.schemas import DisplayName, Email
from parley.csrf import check_csrf
from parley.deps import CurrentUser, DbSession, Id, Viewer
from parley.errors import N_, NotFound, ParleyError
from parley.forms import form_data, parse
from parley.rooms import guests, policies, service
from parley.rooms.models import Room
from parley.rooms.schemas import AccessCode, RoomSettings
from parley.rooms.service import (
    JOIN_COOKIE,
    JOIN_TOKEN_SECONDS,
    WAIT_COOKIE,
    RoomRefusal,
    WaitingForApproval,
)
from parley.rooms.web import join, room_url
from parley.runtime import runtime_of
from parley.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


class NameForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: DisplayName


class ShareForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: Email


class SettingsForm(RoomSettings):
    model_config = ConfigDict(extra="ignore")

    access_code: AccessCode = ""


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _managed_room(db: AsyncSession, room_id: int, user: User) -> Room:
    room = await service.get(db=db, room_id=room_id)
    if room is None:
        raise NotFound(N_("No such room."))
    service.require_access(user, room)
    return room


# My rooms


@router.get("/rooms")
async def rooms(request: Request, user: CurrentUser, db: DbSession) -> Response:
    return await _rooms_page(request, user, db)


async def _rooms_page(
    request: Request,
    user: User,
    db: AsyncSession,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    listed = await service.list_for(db=db, user=user)
    return render(
        request,
        "rooms/list.html",
        {
            "rooms": listed,
            "counts": await service.present_counts(db=db, rooms=listed),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.post("/rooms")
async def create_room(request: Request, user: CurrentUser, db: DbSession) -> Response:
    data = await form_data(request)
    form, errors = parse(NameForm, data)
    if form is None:
        return await _rooms_page(request, user, db, values=data, errors=errors, status_code=422)
    room = await service.create(db=db, owner=user, name=form.name)
    return _redirect(f"/rooms/{room.id}?created=1")


async def _room_page(
    request: Request,
    user: User,
    db: AsyncSession,
    room: Room,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    site = await policies.load(db=db)
    return render(
        request,
        "rooms/detail.html",
        {
            "room": room,
            "access": service.access(user, room),
            "link": room_url(request, room),
            "count": (await service.present_counts(db=db, rooms=[room])).get(room.id, 0),
            "settings": await service.effective_settings(db=db, room=room),
            "room_settings": policies.ROOM_SETTINGS,
            "policies": site,
            "notice": notice,
            "errors": errors or {},
            "created": request.query_params.get("created") == "1",
        },
        status_code=status_code,
    )


@router.get("/rooms/{room_id}")
async def room_detail(room_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    room = await _managed_room(db, room_id, user)
    return await _room_page(request, user, db, room)


@router.post("/rooms/{room_id}/open")
async def open_room(room_id: Id, request: Request, viewer: Viewer, db: DbSession) -> Response:
    """Open the room. Someone who does not manage it came from its link's page, which sends
    the slug; without it they learn nothing, not even that the room exists."""
    room = await service.get(db=db, room_id=room_id)
    if room is None or viewer is None:
        raise NotFound(N_("No such room."))
    data = await form_data(request)
    manager = service.access(viewer, room) is not None
    if not manager and not service.has_link(room, data.get("slug")):
        raise NotFound(N_("No such room."))
    await service.open_room(db=db, bus=runtime_of(request).bus, actor=viewer, room=room)
    if data.get("then") == "join" or not manager:
        return _redirect(f"/r/{room.slug}")
    return _redirect(f"/rooms/{room.id}")


@router.post("/rooms/{room_id}/close")
async def close_room(room_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    room = await _managed_room(db, room_id, user)
    await service.close_room(db=db, bus=runtime_of(request).bus, actor=user, room=room)
    data = await form_data(request)
    return _redirect(f"/r/{room.slug}" if data.get("then") == "room" else f"/rooms/{room.id}")


@router.post("/rooms/{room_id}/rename")
async def rename_room(room_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    room = await _managed_room(db, room_id, user)
    form, errors = parse(NameForm, await form_data(request))
    if form is None:
        return await _room_page(
            request, user, db, room, errors={"rename": errors["name"]}, status_code=422
        )
    await service.update(db=db, actor=user, room=room, name=form.name)
    return await _room_page(request, user, db, room, notice=i18n.gettext(N_("Room renamed.")))


@router.post("/rooms/{room_id}/settings")
async def change_settings(
    room_id: Id, request: Request, user: CurrentUser, db: DbSession
) -> Response:
    room = await _managed_room(db, room_id, user)
    data = await form_data(request)
    site = await policies.load(db=db)
    values: dict[str, Any] = {
        key: (data.get(key) == "on") for key in policies.SETTING_KEYS if key != "waiting_room"
    }
    values["waiting_room"] = data.get("waiting_room", "off")
    values["access_code"] = data.get("access_code", "")
    form, errors = parse(SettingsForm, values)
    if form is None:
        return await _room_page(request, user, db, room, errors=errors, status_code=422)
    settings = {key: getattr(form, key) for key in policies.SETTING_KEYS if not site[key].forced}
    await service.update(
        db=db, actor=user, room=room, settings=settings, access_code=form.access_code
    )
    return await _room_page(request, user, db, room, notice=i18n.gettext(N_("Settings saved.")))


@router.post("/rooms/{room_id}/shares")
async def share_room(room_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    room = await _managed_room(db, room_id, user)
    form, errors = parse(ShareForm, await form_data(request))
    if form is not None:
        try:
            member = await service.share(db=db, actor=user, room=room, email=form.email)
        except ParleyError as exc:
            errors = {"email": i18n.gettext(exc.message)}
        else:
            notice = i18n.gettext(N_("Shared with %(name)s."), name=member.display_name)
            return await _room_page(request, user, db, room, notice=notice)
    return await _room_page(request, user, db, room, errors=errors, status_code=422)


@router.post("/rooms/{room_id}/shares/{user_id}/remove")
async def unshare_room(
    room_id: Id, user_id: Id, request: Request, user: CurrentUser, db: DbSession
) -> Response:
    room = await _managed_room(db, room_id, user)
    await service.unshare(db=db, actor=user, room=room, user_id=user_id)
    return _redirect(f"/rooms/{room.id}")


@router.post("/rooms/{room_id}/delete")
async def delete_room(room_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    room = await _managed_room(db, room_id, user)
    await service.delete_room(db=db, bus=runtime_of(request).bus, actor=user, room=room)
    return _redirect("/rooms")


# The invitation link


def set_path_cookie(
    response: Response, request: Request, name: str, value: str, room: Room
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=JOIN_TOKEN_SECONDS,
        path=f"/r/{room.slug}",
        httponly=True,
        samesite="lax",
        secure=runtime_of(request).settings.secure_cookies,
    )


async def _room_by_slug(db: AsyncSession, slug: str) -> Room:
    room = await service.get_by_slug(db=db, slug=slug)
    if room is None:
        raise NotFound(
            N_("This link does not lead to any room. Check it with the person who sent it.")
        )
    return room


def _entry_context(request: Request, room: Room, viewer: User | None) -> dict[str, Any]:
    return {"room": room, "link": room_url(request, room), "live_url": f"/r/{room.slug}/live"}


async def _attempt(
    request: Request,
    db: AsyncSession,
    room: Room,
    viewer: User | None,
    *,
    name: str | None,
    access_code: str | None,
    asked: bool,
) -> Response:
    """Try to enter; render the meeting, the waiting page or why not, as the outcome says.

    `asked` tells whether the person sent the form (a first visit is not scolded).
    """
    secret: str = runtime_of(request).secret
    guest_key = guests.read_cookie(secret, request.cookies.get(guests.GUEST_COOKIE))
    fresh_guest = guest_key is None
    if guest_key is None:
        guest_key = guests.new_key()
    settings = await service.effective_settings(db=db, room=room)
    context = {
        **_entry_context(request, room, viewer),
        "name": name or "",
        "needs_code": bool(room.access_code) and service.access(viewer, room) is None,
        "can_open": service.can_open(viewer, room, settings),
    }
    response: Response
    try:
        _claims, token = await join(
            request,
            db,
            room,
            viewer,
            guest_id=guests.public_id(secret, guest_key),
            name=name,
            access_code=access_code,
            ticket=request.cookies.get(WAIT_COOKIE),
        )
    except WaitingForApproval as waiting:
        response = render(request, "rooms/waiting.html", context)
        set_path_cookie(response, request, WAIT_COOKIE, waiting.ticket, room)
    except RoomRefusal as refusal:
        if refusal.code == "guests_not_allowed":
            return _redirect(f"/login?next=/r/{room.slug}")
        template = {
            "room_closed": "rooms/closed.html",
            "refused": "rooms/refused.html",
        }.get(refusal.code, "rooms/enter.html")
        error = None if refusal.code == "room_closed" else i18n.gettext(refusal.message)
        if refusal.code in {"name_required", "bad_access_code"} and not asked:
            error = None
        status_code = 200 if error is None else 422
        if refusal.code in {"bad_access_code", "banned"} and error:
            status_code = 403
        response = render(request, template, {**context, "error": error}, status_code=status_code)
    else:
        response = _redirect(f"/r/{room.slug}")
        set_path_cookie(response, request, JOIN_COOKIE, token, room)
        response.delete_cookie(WAIT_COOKIE, path=f"/r/{room.slug}")
    if viewer is None and fresh_guest:
        response.set_cookie(
            guests.GUEST_COOKIE,
            guests.cookie_value(secret, guest_key),
            max_age=guests.GUEST_COOKIE_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=runtime_of(request).settings.secure_cookies,
        )
    return response


@router.get("/r/{slug}")
async def enter(slug: str, request: Request, viewer: Viewer, db: DbSession) -> Response:
    """The invitation link: the meeting for those in it, else the way in."""
    room = await _room_by_slug(db, slug)
    claims = service.read_join(runtime_of(request).secret, request.cookies.get(JOIN_COOKIE, ""))
    if claims is not None and await service.holds_seat(db=db, room=room, claims=claims):
        return render(
            request,
            "rooms/meeting.html",
            {
                **_entry_context(request, room, viewer),
                "me": claims,
                "is_manager": service.access(viewer, room) is not None,
            },
        )
    # Members go straight in when nothing needs asking; guests first give their name.
    return await _attempt(request, db, room, viewer, name=None, access_code=None, asked=False)


@router.post("/r/{slug}")
async def enter_with_details(
    slug: str, request: Request, viewer: Viewer, db: DbSession
) -> Response:
    room = await _room_by_slug(db, slug)
    data = await form_data(request)
    name = data.get("name", "")[:200] if viewer is None else None
    if name is not None:
        form, errors = parse(NameForm, {"name": name})
        if form is None:
            settings = await service.effective_settings(db=db, room=room)
            context = {
                **_entry_context(request, room, viewer),
                "name": name,
                "needs_code": bool(room.access_code),
                "can_open": service.can_open(viewer, room, settings),
                "error": errors["name"],
            }
            return render(request, "rooms/enter.html", context, status_code=422)
        name = form.name
    code = data.get("access_code", "")[:32] or None
    return await _attempt(request, db, room, viewer, name=name, access_code=code, asked=True)


def left_page(request: Request, room: Room, viewer: User | None) -> Response:
    """What someone who left the meeting sees (the way back in); their join token goes."""
    response = render(request, "rooms/left.html", _entry_context(request, room, viewer))
    response.delete_cookie(JOIN_COOKIE, path=f"/r/{room.slug}")
    return response
