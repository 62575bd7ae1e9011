"""The BigBlueButton-compatible API, `/bigbluebutton/api/<call>`, served when
`PARLEY_BBB_API_SECRET` is set.

Every call but the version answer carries a checksum of its name, query string and the
shared secret (parley.bbb.checksum); answers are BigBlueButton's XML, refusals included
(returncode FAILED with a messageKey), always with status 200 as BigBlueButton does.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from parley import __version__
from parley.bbb import checksum, service
from parley.bbb.answers import ApiFailure, checksum_error, success
from parley.deps import DbSession
from parley.errors import N_, Forbidden, NotFound
from parley.rooms import service as rooms
from parley.rooms.pages import set_path_cookie
from parley.rooms.service import JOIN_COOKIE
from parley.runtime import runtime_of

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

Call = Callable[[Request, AsyncSession, Mapping[str, str], bytes], Awaitable[Response]]


def _version() -> Response:
    return success(version="2.0", apiVersion="2.0", bbbVersion=f"2.7 (Parley {__version__})")


@router.api_route("/bigbluebutton/api", methods=["GET", "POST"])
@router.api_route("/bigbluebutton/api/", methods=["GET", "POST"])
async def version() -> Response:
    """The API's version, as BigBlueButton answers its root."""
    return _version()


async def _create(
    request: Request, db: AsyncSession, params: Mapping[str, str], body: bytes
) -> Response:
    meeting, existed = await service.create(db=db, bus=runtime_of(request).bus, params=params)
    if not existed:
        log.info("bbb meeting created", extra={"room_id": meeting.room_id})
    key, message = (
        (
            "duplicateWarning",
            "This conference was already in existence and may currently be in progress.",
        )
        if existed
        else ("", "")
    )
    people = await service.attendees(db=db, meeting=meeting)
    return success(
        meetingID=meeting.meeting_id,
        internalMeetingID=service.internal_id(meeting),
        parentMeetingID="bbb-none",
        attendeePW=meeting.attendee_pw,
        moderatorPW=meeting.moderator_pw,
        createTime=meeting.create_time,
        voiceBridge=service.voice_bridge(meeting),
        dialNumber="",
        createDate=service.info(meeting, people)["createDate"],
        hasUserJoined=bool(people),
        duration=meeting.options.get("duration", "0") or "0",
        hasBeenForciblyEnded=False,
        messageKey=key,
        message=message,
    )


async def _join(
    request: Request, db: AsyncSession, params: Mapping[str, str], body: bytes
) -> Response:
    secret = runtime_of(request).secret
    meeting, joined = await service.join(db=db, secret=secret, params=params)
    token = service.enter_token(secret, joined.claims)
    url = f"{runtime_of(request).settings.effective_public_url}/bigbluebutton/enter/{token}"
    if params.get("redirect", "true").strip().lower() != "false":
        return RedirectResponse(url, status_code=302)
    return success(
        messageKey="successfullyJoined",
        message="You have joined successfully.",
        meeting_id=service.internal_id(meeting),
        user_id=joined.user_id,
        auth_token=joined.claims.participant_id,
        session_token=token,
        guestStatus="ALLOW",
        url=url,
    )


async def _is_running(
    request: Request, db: AsyncSession, params: Mapping[str, str], body: bytes
) -> Response:
    meeting = await service.find(db=db, meeting_id=service.meeting_id_of(params))
    running = False
    if meeting is not None and meeting.room.is_open:
        running = bool(await service.attendees(db=db, meeting=meeting))
    return success(running=running)


async def _meeting_info(
    request: Request, db: AsyncSession, params: Mapping[str, str], body: bytes
) -> Response:
    meeting = await service.current(db=db, params=params)
    people = await service.attendees(db=db, meeting=meeting)
    return success(**service.info(meeting, people))


async def _meetings(
    request: Request, db: AsyncSession, params: Mapping[str, str], body: bytes
) -> Response:
    found = await service.list_meetings(db=db)
    if not found:
        return success(
            meetings={}, messageKey="noMeetings", message="no meetings were found on this server"
        )
    entries = [
        ("meeting", service.info(meeting, await service.attendees(db=db, meeting=meeting)))
        for meeting in found
    ]
    return success(meetings=entries)


async def _end(
    request: Request, db: AsyncSession, params: Mapping[str, str], body: bytes
) -> Response:
    await service.end(db=db, bus=runtime_of(request).bus, params=params)
    return success(
        messageKey="sentEndMeetingRequest",
        message="A request to end the meeting was sent.  Please wait a few seconds, and then "
        "use the getMeetingInfo or isMeetingRunning API calls to verify that it was ended.",
    )


CALLS: dict[str, Call] = {
    "create": _create,
    "join": _join,
    "isMeetingRunning": _is_running,
    "getMeetingInfo": _meeting_info,
    "getMeetings": _meetings,
    "end": _end,
}


@router.api_route("/bigbluebutton/api/{call}", methods=["GET", "POST"])
async def api_call(call: str, request: Request, db: DbSession) -> Response:
    """One call: check its checksum, then answer it as BigBlueButton would."""
    settings = runtime_of(request).settings
    query = request.scope["query_string"].decode("latin-1")
    body = await request.body()
    signed, sent = checksum.split(query)
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    if request.method == "POST" and sent is None and form:
        # The parameters came in a form body instead of the URL (checksummed the same way).
        # A body beside a signed URL is create's document list, even when sent as a form.
        signed, sent = checksum.split(body.decode("latin-1"))
        body = b""
    secret = settings.bbb_api_secret.get_secret_value()
    try:
        if not checksum.valid(
            call=call,
            query=signed,
            checksum=sent,
            secret=secret,
            refuse_sha1=settings.bbb_api_refuse_sha1,
        ):
            raise checksum_error()
        handler = CALLS.get(call)
        if handler is None:
            raise ApiFailure("unsupportedRequest", "This request is not supported.")
        params = dict(reversed(parse_qsl(signed, keep_blank_values=True)))
        return await handler(request, db, params, body)
    except ApiFailure as failure:
        return failure.response()


@router.get("/bigbluebutton/enter/{token}")
async def enter(token: str, request: Request, db: DbSession) -> Response:
    """A join URL's way in: a join token for the room's meeting, then its page."""
    secret = runtime_of(request).secret
    claims = service.read_enter(secret, token)
    room = await rooms.get(db=db, room_id=claims.room_id) if claims else None
    if claims is None or room is None:
        raise NotFound(
            N_("This link does not lead to any room. Check it with the person who sent it.")
        )
    if not room.is_open or room.meeting_number != claims.meeting_number:
        raise Forbidden(N_("The meeting has ended."), code="meeting_ended")
    response = RedirectResponse(f"/r/{quote(room.slug)}", status_code=303)
    set_path_cookie(response, request, JOIN_COOKIE, rooms.sign_join(secret, claims), room)
    return response
