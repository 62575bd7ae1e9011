"""Pages of people: the members and their presence, a member's card, calling, notifications."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from parley import i18n
from parley.accounts.models import User
from parley.csrf import check_csrf
from parley.deps import CurrentUser, DbSession, Id
from parley.errors import N_, NotFound, ParleyError
from parley.forms import form_data
from parley.people import service
from parley.people.presence import Presence
from parley.rooms.pages import set_path_cookie
from parley.rooms.service import JOIN_COOKIE
from parley.rooms.web import join
from parley.runtime import runtime_of
from parley.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


def _presence(request: Request) -> Presence:
    presence: Presence = runtime_of(request).presence
    return presence


@router.get("/people")
async def people(request: Request, user: CurrentUser, db: DbSession, q: str = "") -> Response:
    members = [m for m in await service.members(db=db, query=q[:100]) if m.id != user.id]
    return render(
        request,
        "people/list.html",
        {
            "members": members,
            "states": _presence(request).states(m.id for m in members),
            "query": q[:100],
        },
    )


async def _member(db: DbSession, user_id: int) -> User:
    member = await db.get(User, user_id)
    if member is None or not member.is_active:
        raise NotFound(N_("No member has this address."))
    return member


@router.get("/people/{user_id}")
async def member_card(user_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    member = await _member(db, user_id)
    return render(
        request,
        "people/member.html",
        {"member": member, "state": _presence(request).state(member.id), "is_me": member == user},
    )


@router.get("/call/{user_id}")
async def call_page(user_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    """The link a host application embeds: it asks before ringing anyone."""
    member = await _member(db, user_id)
    return render(
        request,
        "people/call.html",
        {"member": member, "state": _presence(request).state(member.id), "error": None},
    )


@router.post("/call/{user_id}")
async def call(user_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    member = await _member(db, user_id)
    try:
        _invitation, room = await service.call(
            db=db,
            bus=runtime_of(request).bus,
            limiter=runtime_of(request).limiters.invitation,
            caller=user,
            user_id=member.id,
            seconds=runtime_of(request).settings.call_ring_seconds,
        )
    except ParleyError as refusal:
        return render(
            request,
            "people/call.html",
            {
                "member": member,
                "state": _presence(request).state(member.id),
                "error": i18n.gettext(refusal.message, **refusal.params),
            },
            status_code=refusal.status_code,
        )
    return RedirectResponse(f"/r/{room.slug}", status_code=303)


@router.post("/invitations/{invitation_id}/accept")
async def accept(invitation_id: Id, request: Request, user: CurrentUser, db: DbSession) -> Response:
    """Accept a call or an invitation: straight into the meeting."""
    _invitation, room = await service.accept(
        db=db, bus=runtime_of(request).bus, user=user, invitation_id=invitation_id
    )
    _claims, token = await join(
        request,
        db,
        room,
        user,
        guest_id=None,
        name=None,
        access_code=None,
        ticket=None,
        invited=True,
    )
    response = RedirectResponse(f"/r/{room.slug}", status_code=303)
    set_path_cookie(response, request, JOIN_COOKIE, token, room)
    return response


@router.get("/notifications")
async def notifications(request: Request, user: CurrentUser, db: DbSession) -> Response:
    items = await service.notifications(db=db, user=user)
    response = render(request, "people/notifications.html", {"items": items})
    # Seen now: what was unread is shown as new this once.
    await service.mark_read(db=db, bus=runtime_of(request).bus, user=user)
    return response


@router.post("/availability")
async def availability(request: Request, user: CurrentUser, db: DbSession) -> Response:
    data = await form_data(request)
    await service.set_availability(
        db=db,
        bus=runtime_of(request).bus,
        user=user,
        allow_calls=data.get("allow_calls") == "on",
        do_not_disturb=data.get("do_not_disturb") == "on",
    )
    target = data.get("next", "")
    return RedirectResponse(
        target if target.startswith("/") and not target.startswith("//") else "/profile",
        status_code=303,
    )
