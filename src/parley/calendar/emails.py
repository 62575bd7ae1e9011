"""Invitations and cancellations by email: HTML and plain text, with the .ics every mail
program understands, written in each attendee's language (a member's own, else the
organiser's), queued in the durable outbox within the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from babel.dates import format_date, format_time
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.calendar import ics, recurrence
from parley.calendar import site as calendar_site
from parley.calendar.models import Attendee, CalendarEvent
from parley.errors import N_
from parley.mail import compose, outbox
from parley.runtime import Runtime
from parley.security import sign


def rsvp_token(secret: str, attendee: Attendee, event: CalendarEvent) -> str:
    """The secret of an attendee's answer links (bound to the attendee and the event)."""
    return sign(secret, "calendar-rsvp", f"{attendee.id}:{event.uid}")[:40]


def describe_when(event: CalendarEvent, language: str) -> str:
    """The event's date and time in words, in the event's time zone."""
    if event.all_day:
        first = event.starts_at.date()
        last = (event.ends_at - timedelta(days=1)).date()
        text = format_date(first, "full", locale=language)
        if last != first:
            text += " – " + format_date(last, "full", locale=language)
        when = text
    else:
        tz = recurrence.zone(event.timezone)
        start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
        when = (
            f"{format_date(start, 'full', locale=language)}, "
            f"{format_time(start, 'short', locale=language)} – "
        )
        if end.date() != start.date():
            when += f"{format_date(end, 'full', locale=language)}, "
        when += f"{format_time(end, 'short', locale=language)} ({event.timezone})"
    rule = recurrence.Rule.from_json(event.recurrence)
    if rule is not None:
        when += " · " + describe_rule(rule, language)
    return when


# How a repetition reads: (once a period, every n periods). French, like English, uses the
# plural from two on, so a plain message per case is enough.
EVERY = {
    "daily": (N_("every day"), N_("every %(num)s days")),
    "weekly": (N_("every week"), N_("every %(num)s weeks")),
    "monthly": (N_("every month"), N_("every %(num)s months")),
}


def describe_rule(rule: recurrence.Rule, language: str) -> str:
    with i18n.using(language):
        one, many = EVERY[rule.freq]
        every = i18n.gettext(one) if rule.interval == 1 else i18n.gettext(many, num=rule.interval)
        if rule.count is not None:
            times = (
                i18n.gettext(N_("once"))
                if rule.count == 1
                else i18n.gettext(N_("%(num)s times"), num=rule.count)
            )
            return every + ", " + times
        if rule.until is not None:
            until = format_date(rule.until, "long", locale=language)
            return every + ", " + i18n.gettext(N_("until %(date)s"), date=until)
        return every


async def _languages(
    db: AsyncSession, attendees: Sequence[Attendee], organizer: User
) -> dict[int, str]:
    """Each attendee's language: a member's own setting, else the organiser's."""
    fallback = organizer.language or i18n.get_language()
    ids = [a.user_id for a in attendees if a.user_id is not None]
    members = {}
    if ids:
        members = {u.id: u for u in await db.scalars(select(User).where(User.id.in_(ids)))}
    languages = {}
    for attendee in attendees:
        member = members.get(attendee.user_id) if attendee.user_id is not None else None
        languages[attendee.id] = (member.language if member else None) or fallback
    return languages


async def _send(
    *,
    db: AsyncSession,
    runtime: Runtime,
    event: CalendarEvent,
    organizer: User,
    to: Sequence[Attendee],
    kind: str,
) -> int:
    recipients = [a for a in to if not a.is_resource]
    if not recipients:
        return 0
    site = await calendar_site.load(db=db)
    languages = await _languages(db, recipients, organizer)
    cancelled = kind == "cancel"
    public_url = runtime.settings.effective_public_url
    # The .ics differs only by language: every copy lists the same attendees. A request
    # lists the event's; a cancellation lists everyone it cancels for (RFC 5546, 3.2.5):
    # all attendees when the event is cancelled, those removed when some are uninvited.
    listed = list(to) if cancelled else None
    attachments: dict[str, bytes] = {}
    for attendee in recipients:
        language = languages[attendee.id]
        text = site.text(language)
        with i18n.using(language):
            if language not in attachments:
                component = ics.event_component(
                    event,
                    organizer,
                    text=text,
                    attendees=listed,
                    cancelled=cancelled,
                )
                attachments[language] = ics.calendar(
                    [component], method="CANCEL" if cancelled else "REQUEST"
                )
            subject_message = {
                "invite": N_("Invitation: %(title)s"),
                "update": N_("Updated invitation: %(title)s"),
                "cancel": N_("Cancelled: %(title)s"),
            }[kind]
            subject = i18n.gettext(subject_message, title=event.title)
        token = rsvp_token(runtime.secret, attendee, event)
        link = f"{public_url}/calendar/rsvp/{attendee.id}/{token}"
        context = {
            "kind": kind,
            "title": event.title,
            "organizer": organizer.display_name,
            "organizer_email": organizer.email,
            "when": describe_when(event, language),
            "location": event.location,
            "description": event.description,
            "conference_url": event.conference.url if event.conference is not None else None,
            "conference_text": text,
            "attendees": [a.name or a.email for a in event.attendees if not a.is_resource],
            "accept_url": f"{link}?answer=accepted",
            "decline_url": f"{link}?answer=declined",
            "answers_url": link,
        }
        template = "event_cancelled" if cancelled else "event_invitation"
        body_text, body_html = compose.render(template, language, **context)
        method = "CANCEL" if cancelled else "REQUEST"
        await outbox.queue(
            db=db,
            settings=runtime.settings,
            recipient=attendee.email,
            subject=subject,
            text=body_text,
            html=body_html,
            attachments=[
                outbox.attachment(
                    "cancel.ics" if cancelled else "invite.ics",
                    f"text/calendar; method={method}; charset=UTF-8",
                    attachments[language],
                )
            ],
            reply_to=organizer.email,
            topic=f"event:{event.id}:{kind}",
        )
    return len(recipients)


async def invite(
    *,
    db: AsyncSession,
    runtime: Runtime,
    event: CalendarEvent,
    organizer: User,
    to: Sequence[Attendee],
    updated: bool = False,
) -> int:
    """Queue an invitation (METHOD:REQUEST) to each of `to`; return how many."""
    return await _send(
        db=db,
        runtime=runtime,
        event=event,
        organizer=organizer,
        to=to,
        kind="update" if updated else "invite",
    )


async def cancel(
    *,
    db: AsyncSession,
    runtime: Runtime,
    event: CalendarEvent,
    organizer: User,
    to: Sequence[Attendee],
) -> int:
    """Queue a cancellation (METHOD:CANCEL) to each of `to`; return how many."""
    return await _send(
        db=db, runtime=runtime, event=event, organizer=organizer, to=to, kind="cancel"
    )
