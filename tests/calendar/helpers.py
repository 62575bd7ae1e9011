"""What the calendar's tests share: people logged in, a mailbox, reading invitations."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from fastapi import FastAPI
from icalendar import Calendar

from parley.calendar import site as calendar_site
from tests.mailbox import Mailbox

TEXT_EN = "Dial in from a phone: +33 1 23 45 67 89."
TEXT_FR = "Par téléphone : +33 1 23 45 67 89."


async def configure(app: FastAPI, *, resource: str = "") -> None:
    """Set the administrators' calendar settings as the admin page does."""
    async with app.state.runtime.database() as db:
        await calendar_site.save(
            db=db,
            site=calendar_site.CalendarSite(
                texts={"en": TEXT_EN, "fr": TEXT_FR}, resource=resource
            ),
        )


def calendar_of(message: EmailMessage) -> Calendar:
    """The .ics attached to an email, parsed."""
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return Calendar.from_ical(payload)
    raise AssertionError("no text/calendar attachment")


async def wait_for_mail(mailbox: Mailbox, count: int) -> list[EmailMessage]:
    return await asyncio.to_thread(mailbox.wait_for, count)
