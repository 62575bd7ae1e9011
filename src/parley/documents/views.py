"""What a participant reaches beside the meeting: the documents' socket, uploads, pages, exports.

Everything here is for participants of the room's current meeting (a valid join token, and
still in the meeting); uploading is for moderators and the meeting's presenter.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, Response

from parley import i18n
from parley.csrf import check_csrf
from parley.deps import DbSession, Id
from parley.documents import export, files, quota, service, yjs_store
from parley.documents.filetype import OFFICE_KINDS, NotADocument, ZipBomb, sniff
from parley.documents.models import Presentation
from parley.documents.protocol import DOCUMENTS
from parley.documents.render import office_available
from parley.errors import N_, Forbidden, Invalid, NotFound, ParleyError
from parley.jobs.worker import wake
from parley.rooms import service as rooms
from parley.rooms.models import Room, RoomParticipant
from parley.rooms.service import JOIN_COOKIE, JoinClaims
from parley.runtime import runtime_of
from parley.sockets import CloseCode, origin_ok

router = APIRouter(include_in_schema=False)

# Characters kept in a file name shown to people and offered for download.
UNSAFE_NAME = re.compile(r"[^\w .,()+-]")
# An upload is written to disk in pieces of about this size, each in a thread.
WRITE_BYTES = 1024 * 1024


class TooLarge(ParleyError):
    status_code = 413
    code = "too_large"


class Unsupported(ParleyError):
    status_code = 415
    code = "unsupported"


@router.websocket("/r/{slug}/yjs/{name}")
async def shared_document(websocket: WebSocket, slug: str, name: str) -> None:
    """A participant's socket on the room's notes or board (parley.documents.protocol)."""
    if name not in DOCUMENTS or not origin_ok(websocket):
        await websocket.close(code=CloseCode.POLICY_VIOLATION)
        return
    async with runtime_of(websocket).database() as db:
        room = await rooms.get_by_slug(db=db, slug=slug)
        claims = rooms.read_join(
            runtime_of(websocket).secret, websocket.cookies.get(JOIN_COOKIE, "")
        )
        if room is None or claims is None or claims.room_id != room.id:
            await websocket.close(code=CloseCode.POLICY_VIOLATION)
            return
    await websocket.accept()
    await runtime_of(websocket).documents.serve(websocket, claims, name)


async def _participant(
    slug: str, request: Request, db: DbSession
) -> tuple[Room, JoinClaims, RoomParticipant]:
    room = await rooms.get_by_slug(db=db, slug=slug)
    if room is None:
        raise NotFound(N_("No such room."))
    claims = rooms.read_join(runtime_of(request).secret, request.cookies.get(JOIN_COOKIE, ""))
    if claims is None or claims.room_id != room.id:
        raise Forbidden(N_("Join the meeting first."), code="not_in_meeting")
    row = await service.member(db=db, claims=claims)
    return room, claims, row


def clean_filename(raw: str) -> str:
    """A file name safe to show and to offer for download (never used as a path)."""
    name = unicodedata.normalize("NFC", unquote(raw)).replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_NAME.sub("_", name).strip(" .")[:150]
    return name or "document"


@router.post("/r/{slug}/documents")
async def upload(slug: str, request: Request, db: DbSession) -> JSONResponse:
    """Receive a document (the request's body), check it and have its pages rendered.

    The page uploads it with a script: every answer, refusals included, is JSON.
    """
    try:
        await check_csrf(request)
        return await _upload(slug, request, db)
    except ParleyError as refusal:
        message = i18n.gettext(refusal.message, **refusal.params)
        return JSONResponse(
            {**refusal.extra, "code": refusal.code, "detail": message},
            status_code=refusal.status_code,
        )


async def _upload(slug: str, request: Request, db: DbSession) -> JSONResponse:
    _, claims, _ = await _participant(slug, request, db)
    await service.uploader(db=db, claims=claims)
    filename = clean_filename(request.headers.get("x-filename", "document"))
    document = await receive_upload(request, db, claims, filename)
    return JSONResponse(service.presentation_view(document), status_code=201)


async def receive_upload(
    request: Request, db: DbSession, claims: JoinClaims, filename: str
) -> Presentation:
    """Receive the request's body as a document of the presenter's meeting: within the size
    limit and the quotas, of a kind Parley renders; kept, then its pages rendered by a job.
    (The meeting page's upload and the API's; the caller checks the presenter's right.)"""
    settings = runtime_of(request).settings
    root: Path = settings.effective_documents_dir
    limit: int = settings.document_max_bytes
    megabytes = max(1, limit // (1024 * 1024))
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(N_("This file is larger than %(limit)s MB, the limit."), limit=megabytes)
    limits = quota.Limits.from_settings(settings)
    if declared and declared.isdigit():
        # A file that cannot fit is refused before it is received; the check that counts is
        # made under a lock once it is (service.add_presentation).
        room, member = await quota.usage(
            db=db, limits=limits, room_id=claims.room_id, user_id=claims.user_id
        )
        await db.commit()
        quota.check(room, member, int(declared))
    incoming = files.incoming(root) / secrets.token_hex(16)
    try:
        size = 0
        # Disk writes, like every other look at the file, happen in a thread: a slow disk
        # must not hold up the event loop and everyone else's requests.
        file = await asyncio.to_thread(incoming.open, "wb")
        try:
            pending: list[bytes] = []
            buffered = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise TooLarge(
                        N_("This file is larger than %(limit)s MB, the limit."), limit=megabytes
                    )
                pending.append(chunk)
                buffered += len(chunk)
                if buffered >= WRITE_BYTES:
                    await asyncio.to_thread(file.writelines, pending)
                    pending, buffered = [], 0
            await asyncio.to_thread(file.writelines, pending)
        finally:
            await asyncio.to_thread(file.close)
        if size == 0:
            raise Invalid(N_("This file is empty."), code="empty")
        try:
            kind = await asyncio.to_thread(sniff, incoming)
        except ZipBomb as error:
            raise Unsupported(service.CONVERSION_ERRORS["bomb"], code="bomb") from error
        except NotADocument as error:
            raise Unsupported(service.CONVERSION_ERRORS["unsupported"]) from error
        if kind in OFFICE_KINDS and not office_available():
            raise Unsupported(service.CONVERSION_ERRORS["no_office"], code="no_office")
        document = await service.add_presentation(
            db=db,
            bus=runtime_of(request).bus,
            claims=claims,
            filename=filename,
            kind=kind,
            source=incoming,
            root=root,
            limits=limits,
        )
    finally:
        await asyncio.to_thread(_discard, incoming)
    await wake(runtime_of(request).bus)
    return document


@router.get("/r/{slug}/documents/usage")
async def usage(slug: str, request: Request, db: DbSession) -> JSONResponse:
    """The space the room's documents and the presenter's own take, for the Documents box."""
    _, claims, _ = await _participant(slug, request, db)
    await service.uploader(db=db, claims=claims)
    limits = quota.Limits.from_settings(runtime_of(request).settings)
    room, member = await quota.usage(
        db=db, limits=limits, room_id=claims.room_id, user_id=claims.user_id
    )
    await db.commit()
    return JSONResponse(
        {
            "room": {"used": room.used, "limit": room.limit},
            "member": None if member is None else {"used": member.used, "limit": member.limit},
            "lines": quota.usage_lines(room, member),
        },
        headers={"cache-control": "no-store"},
    )


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


async def document_in(room: Room, presentation_id: int, db: DbSession) -> Presentation:
    """The room's document `presentation_id`, or 404."""
    document = await db.get(Presentation, presentation_id)
    if document is None or document.room_id != room.id:
        raise NotFound(N_("This document is not in this room."), code="no_document")
    return document


@router.get("/r/{slug}/documents/{presentation_id}/{what}/{number}")
async def page_image(
    slug: str,
    presentation_id: Id,
    what: Literal["pages", "thumbs"],
    number: int,
    request: Request,
    db: DbSession,
) -> Response:
    """One rendered page (or its thumbnail), once it is ready."""
    room, _, _ = await _participant(slug, request, db)
    document = await document_in(room, presentation_id, db)
    if not 1 <= number <= document.done:
        raise NotFound(N_("This page is not ready yet."), code="not_ready")
    root = runtime_of(request).settings.effective_documents_dir
    path = files.page(root, room.id, document.id, number, thumb=what == "thumbs")
    if not path.exists():
        raise NotFound(N_("This page is not ready yet."), code="not_ready")
    return FileResponse(
        path, media_type="image/jpeg", headers={"cache-control": "private, max-age=3600"}
    )


MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
}


@router.get("/r/{slug}/documents/{presentation_id}/original")
async def original(slug: str, presentation_id: Id, request: Request, db: DbSession) -> Response:
    """The file as uploaded, for moderators and the presenter, and for everyone when the
    presenter allows it."""
    room, _, row = await _participant(slug, request, db)
    document = await document_in(room, presentation_id, db)
    if not service.may_download(room, row, document):
        raise Forbidden(N_("The presenter has not allowed downloading this document."))
    root = runtime_of(request).settings.effective_documents_dir
    path = files.original(root, room.id, document.id)
    if not path.exists():
        raise NotFound(N_("This document is not in this room."), code="no_document")
    disposition = f"attachment; filename*=UTF-8''{quote(document.filename)}"
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(document.kind, "application/octet-stream"),
        headers={"content-disposition": disposition, "cache-control": "private, no-store"},
    )


EXPORTS = {
    "html": ("text/html; charset=utf-8", "html"),
    "md": ("text/markdown; charset=utf-8", "md"),
    "txt": ("text/plain; charset=utf-8", "txt"),
}


@router.get("/r/{slug}/notes.{extension}")
async def notes_export(slug: str, extension: str, request: Request, db: DbSession) -> Response:
    """The shared notes as HTML, Markdown or plain text."""
    room, _, _ = await _participant(slug, request, db)
    if extension not in EXPORTS:
        raise NotFound(N_("This page does not exist."))
    parts = await yjs_store.load(db=db, room_id=room.id, name="notes")
    await db.commit()
    doc = yjs_store.build(parts)
    live = runtime_of(request).documents.rooms.get((room.id, "notes"))
    if live is not None:
        # What this process holds may not be stored yet.
        doc.apply_update(live.ydoc.get_update())
    if extension == "html":
        text = export.to_html(doc, title=room.name)
    elif extension == "md":
        text = export.to_markdown(doc)
    else:
        text = export.to_text(doc)
    media_type, suffix = EXPORTS[extension]
    filename = f"notes-{room.slug}.{suffix}"
    return Response(
        text,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
