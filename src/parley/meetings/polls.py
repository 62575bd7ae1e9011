"""Live polls: a moderator asks, each person answers once, results are published or not.

Once per person means once per member account (every tab and browser of a member is the
same participant) and once per guest identity (the server-signed guest cookie): a guest in
a fresh browser is a new guest, which no server can tell apart, so a poll that must count
people is set "members only" and guests cannot answer it.

Results of an anonymous poll are counts and texts only: no event, snapshot or export ever
says who answered what (the voter's id is kept, unshown, to refuse a second answer).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.bus import Bus
from parley.db import utcnow
from parley.errors import N_, NotFound
from parley.meetings import access, events, protocol
from parley.meetings.events import Changes
from parley.meetings.models import Poll, PollAnswer
from parley.rooms.models import Room, RoomParticipant
from parley.rooms.service import JoinClaims


def poll_view(poll: Poll) -> dict[str, Any]:
    return {
        "id": poll.id,
        "question": poll.question,
        "kind": poll.kind,
        "options": list(poll.options),
        "multiple": poll.multiple,
        "anonymous": poll.anonymous,
        "members_only": poll.members_only,
        "state": poll.state,
        "by": poll.starter_name,
        "at": poll.created_at.isoformat(),
    }


async def results(db: AsyncSession, poll: Poll) -> dict[str, Any]:
    """Counts per answer (and the free texts); who answered what only when not anonymous."""
    answers = (
        await db.scalars(
            select(PollAnswer).where(PollAnswer.poll_id == poll.id).order_by(PollAnswer.id)
        )
    ).all()
    counts = [0] * len(poll.options)
    for answer in answers:
        for choice in answer.choices:
            counts[choice] += 1
    view: dict[str, Any] = {
        "poll": poll.id,
        "voters": len(answers),
        "counts": counts,
        "texts": [a.text for a in answers if a.text],
    }
    if not poll.anonymous:
        view["answers"] = [
            {"name": a.voter_name, "choices": list(a.choices), "text": a.text} for a in answers
        ]
    return view


async def _poll(db: AsyncSession, claims: JoinClaims, poll_id: int) -> Poll:
    poll = await db.get(Poll, poll_id)
    if (
        poll is None
        or poll.room_id != claims.room_id
        or poll.meeting_number != claims.meeting_number
    ):
        raise NotFound(N_("This poll is not part of the meeting."), code="no_such_poll")
    return poll


async def _moderator_ids(db: AsyncSession, room: Room) -> list[str]:
    return list(
        (
            await db.scalars(
                select(RoomParticipant.participant_id).where(
                    RoomParticipant.room_id == room.id,
                    RoomParticipant.meeting_number == room.meeting_number,
                    RoomParticipant.role == "moderator",
                )
            )
        ).all()
    )


async def start(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, poll: protocol.PollStart
) -> None:
    room = await access.current_room(db, claims)
    me = await access.moderator(db, claims)
    open_poll = await db.scalar(
        select(Poll.id).where(
            Poll.room_id == room.id,
            Poll.meeting_number == room.meeting_number,
            Poll.state == "open",
        )
    )
    if open_poll is not None:
        raise access.Refused(
            N_("Close the current poll before starting another."), code="poll_open"
        )
    row = Poll(
        room_id=room.id,
        meeting_number=room.meeting_number,
        started_by=me.participant_id,
        starter_name=me.display_name,
        question=poll.question,
        kind=poll.kind,
        options=list(poll.options),
        multiple=poll.multiple,
        anonymous=poll.anonymous,
        members_only=poll.members_only,
        state="open",
        created_at=utcnow(),
    )
    db.add(row)
    await db.flush()
    changes = Changes(db, room.id)
    await changes.add(events.PollStarted(**poll_view(row)))
    await changes.add(
        events.PollResults(**await results(db, row)), audience=await _moderator_ids(db, room)
    )
    await changes.commit(bus)


async def answer(
    *,
    db: AsyncSession,
    bus: Bus,
    claims: JoinClaims,
    poll_id: int,
    choices: list[int],
    text: str | None,
) -> None:
    room = await access.current_room(db, claims)
    me = await access.actor(db, claims)
    poll = await _poll(db, claims, poll_id)
    if poll.state != "open":
        raise access.Refused(N_("This poll is closed."), code="poll_closed")
    if poll.members_only and claims.is_guest:
        raise access.Refused(N_("Only members may answer this poll."), code="members_only")
    mine = select(PollAnswer.id).where(
        PollAnswer.poll_id == poll.id, PollAnswer.voter == me.participant_id
    )
    if await db.scalar(mine) is not None:
        raise access.Refused(N_("You have already answered this poll."), code="already_answered")
    if poll.kind == "choice":
        picked = sorted(set(choices))
        if not picked or any(c >= len(poll.options) for c in picked) or text:
            raise access.Refused(N_("Pick one of the answers."), code="bad_answer")
        if len(picked) > 1 and not poll.multiple:
            raise access.Refused(N_("This poll takes a single answer."), code="bad_answer")
    else:
        picked = []
        if not text or choices:
            raise access.Refused(N_("Write an answer first."), code="bad_answer")
    db.add(
        PollAnswer(
            poll_id=poll.id,
            voter=me.participant_id,
            voter_name=None if poll.anonymous else me.display_name,
            choices=picked,
            text=text if poll.kind == "text" else None,
            created_at=utcnow(),
        )
    )
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        raise access.Refused(
            N_("You have already answered this poll."), code="already_answered"
        ) from None
    changes = Changes(db, room.id)
    await changes.add(events.PollAnswered(poll=poll.id), audience=[me.participant_id])
    await changes.add(
        events.PollResults(**await results(db, poll)), audience=await _moderator_ids(db, room)
    )
    await changes.commit(bus)


async def close(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, poll_id: int, publish: bool
) -> None:
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    poll = await _poll(db, claims, poll_id)
    if poll.state == "published" or (poll.state == "closed" and not publish):
        raise access.Refused(N_("This poll is closed."), code="poll_closed")
    poll.state = "published" if publish else "closed"
    poll.closed_at = poll.closed_at or utcnow()
    data: dict[str, Any] = {"poll": poll_view(poll)}
    if publish:
        published = await results(db, poll)
        published.pop("answers", None)  # everyone sees the totals, not each person's answer
        data["results"] = published
    changes = Changes(db, room.id)
    await changes.add(events.PollClosed(**data))
    await changes.commit(bus)


async def snapshot(*, db: AsyncSession, claims: JoinClaims, moderator: bool) -> dict[str, Any]:
    """The open poll (and whether I answered it), and for moderators its live results."""
    poll = await db.scalar(
        select(Poll).where(
            Poll.room_id == claims.room_id,
            Poll.meeting_number == claims.meeting_number,
            Poll.state == "open",
        )
    )
    if poll is None:
        return {"poll": None}
    answered = await db.scalar(
        select(func.count())
        .select_from(PollAnswer)
        .where(PollAnswer.poll_id == poll.id, PollAnswer.voter == claims.participant_id)
    )
    view: dict[str, Any] = {"poll": {**poll_view(poll), "answered": bool(answered)}}
    if moderator:
        view["poll_results"] = await results(db, poll)
    return view


def _cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def export_csv(*, db: AsyncSession, room: Room) -> str:
    """Every poll of the room with its results, one row per answer (anonymous: totals only)."""
    polls = (await db.scalars(select(Poll).where(Poll.room_id == room.id).order_by(Poll.id))).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["poll", "started", "question", "anonymous", "answer", "count", "percent", "who"]
    )
    for poll in polls:
        result = await results(db, poll)
        voters = result["voters"]
        for index, option in enumerate(poll.options):
            count = result["counts"][index]
            who = ""
            if not poll.anonymous:
                names = [a["name"] for a in result["answers"] if index in a["choices"]]
                who = "; ".join(names)
            percent = f"{100 * count / voters:.0f}" if voters else "0"
            row = [poll.id, poll.created_at.isoformat(), poll.question, poll.anonymous]
            writer.writerow([_cell(v) for v in (*row, option, count, percent, who)])
        for answer in result.get("answers") or [{"name": "", "text": t} for t in result["texts"]]:
            if answer.get("text"):
                row = [poll.id, poll.created_at.isoformat(), poll.question, poll.anonymous]
                cells = (*row, answer["text"], "", "", answer["name"] or "")
                writer.writerow([_cell(v) for v in cells])
    return out.getvalue()
