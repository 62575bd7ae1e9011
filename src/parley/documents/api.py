"""REST API of a meeting's presentations: list, upload, download, delete.

The rules are the meeting page's (parley.documents.views): everything is for participants
of the room's current meeting, uploading for its moderators and its presenter, deleting for
its moderators; the original file for moderators and the presenter, and for everyone when the
presenter allows it. A program shows
it is in the meeting with the join token `POST /api/v1/rooms/{id}/join` gave it, sent in the
`X-Join-Token` header (a header no other site can make a browser send: no CSRF token needed).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel

from parley.deps import DbSession, Id
from parley.documents import files, service
from parley.documents.models import Presentation
from parley.documents.views import MEDIA_TYPES, clean_filename, document_in, receive_upload
from parley.errors import N_, Forbidden, NotFound
from parley.rooms import service as rooms
from parley.rooms.models import Room, RoomParticipant
from parley.rooms.service import JoinClaims
from parley.runtime import runtime_of

router = APIRouter(prefix="/api/v1/rooms/{room_id}/presentations", tags=["presentations"])

# Ids the database holds (PostgreSQL's integer).
JoinToken = Annotated[
    str,
    Header(
        alias="x-join-token",
        max_length=2000,
        description="The join token of `POST /api/v1/rooms/{room_id}/join`.",
    ),
]


class PresentationOut(BaseModel):
    id: int
    name: str
    kind: str
    # Pages are rendered after the upload: "waiting", "converting", "ready" or "failed".
    status: str
    pages: int
    done: int
    downloadable: bool
    uploader: str
    # Why it could not be prepared (a code of `parley.documents.service.CONVERSION_ERRORS`).
    error: str | None


def _out(document: Presentation) -> PresentationOut:
    view: dict[str, Any] = service.presentation_view(document)
    return PresentationOut(
        id=view["id"],
        name=view["name"],
        kind=view["kind"],
        status=view["status"],
        pages=view["pages"],
        done=view["done"],
        downloadable=view["downloadable"],
        uploader=view["uploader"],
        error=view["error"],
    )


async def _participant(
    room_id: int, token: str, request: Request, db: DbSession
) -> tuple[Room, JoinClaims, RoomParticipant]:
    room = await rooms.get(db=db, room_id=room_id)
    if room is None:
        raise NotFound(N_("No such room."))
    claims = rooms.read_join(runtime_of(request).secret, token)
    if claims is None or claims.room_id != room.id:
        raise Forbidden(N_("Join the meeting first."), code="not_in_meeting")
    return room, claims, await service.member(db=db, claims=claims)


@router.get("", response_model=list[PresentationOut])
async def list_presentations(
    room_id: Id, token: JoinToken, request: Request, db: DbSession
) -> list[PresentationOut]:
    """The room's presentations, in the order they were uploaded."""
    room, _, _ = await _participant(room_id, token, request, db)
    return [_out(p) for p in await service.presentations(db=db, room_id=room.id)]


@router.post(
    "",
    response_model=PresentationOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_presentation(
    room_id: Id,
    token: JoinToken,
    request: Request,
    db: DbSession,
    filename: Annotated[str, Query(max_length=300)] = "document",
) -> PresentationOut:
    """Upload a document (the request's body: a PDF, an image or an office document) and
    show it when the uploader presents; its pages are rendered next (moderators and the
    presenter only)."""
    _, claims, _ = await _participant(room_id, token, request, db)
    await service.uploader(db=db, claims=claims)
    document = await receive_upload(request, db, claims, clean_filename(filename))
    return _out(document)


@router.get(
    "/{presentation_id}",
    response_model=None,
    responses={
        200: {
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The file, with its own media type.",
        }
    },
)
async def download_presentation(
    room_id: Id,
    presentation_id: Id,
    token: JoinToken,
    request: Request,
    db: DbSession,
) -> FileResponse:
    """The file as uploaded: for moderators and the presenter, and for everyone when the
    presenter allows it."""
    room, _, row = await _participant(room_id, token, request, db)
    document = await document_in(room, presentation_id, db)
    if not service.may_download(room, row, document):
        raise Forbidden(N_("The presenter has not allowed downloading this document."))
    path = files.original(
        runtime_of(request).settings.effective_documents_dir, room.id, document.id
    )
    if not path.exists():
        raise NotFound(N_("This document is not in this room."), code="no_document")
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(document.kind, "application/octet-stream"),
        headers={
            "content-disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}",
            "cache-control": "private, no-store",
        },
    )


@router.delete("/{presentation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_presentation(
    room_id: Id,
    presentation_id: Id,
    token: JoinToken,
    request: Request,
    db: DbSession,
) -> None:
    """Delete a presentation and its pages (moderators only); the stage shows nothing then."""
    _, claims, _ = await _participant(room_id, token, request, db)
    await service.delete_presentation(
        db=db,
        bus=runtime_of(request).bus,
        claims=claims,
        presentation_id=presentation_id,
        root=runtime_of(request).settings.effective_documents_dir,
    )
