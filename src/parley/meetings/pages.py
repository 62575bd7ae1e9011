"""Files a participant takes away from the meeting: the chat as text."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from parley.deps import DbSession
from parley.errors import N_, Forbidden, NotFound
from parley.meetings import service
from parley.rooms import service as rooms
from parley.rooms.live import JOIN_COOKIE

router = APIRouter(include_in_schema=False)


@router.get("/r/{slug}/chat.txt")
async def chat_export(slug: str, request: Request, db: DbSession) -> PlainTextResponse:
    """The room's chat: public messages and the participant's own private ones."""
    room = await rooms.get_by_slug(db=db, slug=slug)
    if room is None:
        raise NotFound(N_("No such room."))
    claims = rooms.read_join(request.app.state.secret, request.cookies.get(JOIN_COOKIE, ""))
    if claims is None or claims.room_id != room.id:
        raise Forbidden(N_("Join the meeting to read its chat."), code="not_in_meeting")
    text = await service.chat_export(db=db, room=room, participant_id=claims.participant_id)
    filename = f"chat-{room.slug}.txt"
    return PlainTextResponse(
        text, headers={"content-disposition": f'attachment; filename="{filename}"'}
    )
