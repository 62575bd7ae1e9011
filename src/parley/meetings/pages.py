"""What a participant fetches beside the meeting socket: the chat as text, media settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from parley.csrf import check_csrf
from parley.deps import DbSession, Viewer
from parley.errors import N_, Forbidden, NotFound
from parley.media.ice import ice_servers
from parley.media.sfu import Sfu, uses_sfu
from parley.meetings import polls, service
from parley.rooms import pages as room_pages
from parley.rooms import service as rooms
from parley.rooms.models import Room
from parley.rooms.service import JOIN_COOKIE, JoinClaims
from parley.runtime import runtime_of

router = APIRouter(include_in_schema=False)


async def _participant(slug: str, request: Request, db: DbSession) -> tuple[Room, JoinClaims]:
    """The room and the claims of someone with a seat in its meeting now: a token of an
    earlier meeting, or of someone a moderator removed, is refused."""
    room = await rooms.get_by_slug(db=db, slug=slug)
    if room is None:
        raise NotFound(N_("No such room."))
    claims = rooms.read_join(runtime_of(request).secret, request.cookies.get(JOIN_COOKIE, ""))
    if claims is None or claims.room_id != room.id:
        raise Forbidden(N_("Join the meeting first."), code="not_in_meeting")
    if not room.is_open or claims.meeting_number != room.meeting_number:
        raise Forbidden(N_("The meeting has ended."), code="meeting_ended")
    if not await rooms.holds_seat(db=db, room=room, claims=claims):
        raise Forbidden(N_("You are no longer in this meeting."), code="not_in_meeting")
    return room, claims


@router.post("/r/{slug}/leave", dependencies=[Depends(check_csrf)])
async def leave(slug: str, request: Request, viewer: Viewer, db: DbSession) -> Response:
    """The participant pressed Leave (the page's form, so it works without the socket)."""
    room = await rooms.get_by_slug(db=db, slug=slug)
    if room is None:
        raise NotFound(
            N_("This link does not lead to any room. Check it with the person who sent it.")
        )
    claims = rooms.read_join(runtime_of(request).secret, request.cookies.get(JOIN_COOKIE, ""))
    if claims is not None and claims.room_id == room.id:
        await service.leave(db=db, bus=runtime_of(request).bus, claims=claims)
    return room_pages.left_page(request, room, viewer)


@router.get("/r/{slug}/chat.txt")
async def chat_export(slug: str, request: Request, db: DbSession) -> PlainTextResponse:
    """The meeting's chat: public messages and the participant's own private ones."""
    room, claims = await _participant(slug, request, db)
    text = await service.chat_export(
        db=db,
        room_id=claims.room_id,
        meeting_number=claims.meeting_number,
        participant_id=claims.participant_id,
    )
    filename = f"chat-{room.slug}.txt"
    return PlainTextResponse(
        text, headers={"content-disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/r/{slug}/media")
async def media_settings(slug: str, request: Request, db: DbSession) -> JSONResponse:
    """ICE servers (with a TURN credential of this participant's own), the mesh limit, and
    for a meeting on the SFU, the way in to its Janus room (see parley.media.sfu)."""
    room, claims = await _participant(slug, request, db)
    settings = runtime_of(request).settings
    body: dict[str, Any] = {
        **ice_servers(settings, claims.participant_id),
        "transport": "mesh",
        "mesh_limit": settings.mesh_limit,
    }
    me = await service.participant(db=db, claims=claims)
    # Off a webinar's stage one watches: the page publishes nothing (the server enforces it).
    body["publish"] = me is not None and service.on_stage(
        me, webinar=await service.is_webinar(db, room)
    )
    sfu: Sfu = runtime_of(request).sfu
    if uses_sfu(room) and sfu.enabled:
        # The way in is for people in the meeting (a removed one gets no new token).
        if me is None:
            raise Forbidden(N_("You are no longer in this meeting."), code="not_in_meeting")
        bus = runtime_of(request).bus

        async def moved(node: str) -> None:
            await service.media_moved(db=db, bus=bus, room_id=room.id, node=node)

        body.update(
            await sfu.browser_config(
                db=db, room=room, participant_id=claims.participant_id, moved=moved
            )
        )
    return JSONResponse(body, headers={"cache-control": "no-store"})


@router.get("/r/{slug}/polls.csv")
async def polls_export(slug: str, request: Request, db: DbSession) -> PlainTextResponse:
    """The room's polls and their results, for its moderators (anonymous ones: totals)."""
    room, claims = await _participant(slug, request, db)
    me = await service.participant(db=db, claims=claims)
    if me is None or me.role != "moderator":
        raise Forbidden(N_("Only moderators may do this."), code="not_moderator")
    text = await polls.export_csv(db=db, room=room)
    return PlainTextResponse(
        text,
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="polls-{room.slug}.csv"'},
    )
