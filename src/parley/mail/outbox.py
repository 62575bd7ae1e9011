"""The outbox: `queue()` stores an email and its job in the caller's transaction; the job
sends it through SMTP, retrying with backoff while the server is away, and never twice once
the server has accepted it (see parley.mail.smtp).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiosmtplib
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db import utcnow
from parley.jobs.models import DONE, PENDING, Job
from parley.jobs.worker import Defer, GiveUp, JobContext, Retry
from parley.mail.models import OutgoingEmail
from parley.mail.smtp import SmtpPool
from parley.settings import Settings

log = logging.getLogger(__name__)

JOB_KIND = "email"
# SMTP answers that mean "never": the address or the message is refused for good.
PERMANENT = range(500, 600)
BUSY_RETRY_SECONDS = 30
# `send_many` records what the server accepted every this many messages.
SENT_RECORD_EVERY = 1


@dataclass(frozen=True)
class Draft:
    """One email to store: `queue` takes one, `queue_many` a batch."""

    recipient: str
    subject: str
    text: str
    html: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    reply_to: str | None = None
    topic: str = ""


async def queue(
    *,
    db: AsyncSession,
    settings: Settings,
    recipient: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    reply_to: str | None = None,
    topic: str = "",
) -> OutgoingEmail:
    """Store an email to send; it goes when the caller commits (and only then)."""
    draft = Draft(recipient, subject, text, html, attachments or [], reply_to, topic)
    (email,) = await queue_many(db=db, settings=settings, drafts=[draft])
    return email


async def queue_many(
    *, db: AsyncSession, settings: Settings, drafts: list[Draft], fallback_seconds: float = 0
) -> list[OutgoingEmail]:
    """Store emails and their jobs in two statements, in the caller's transaction.

    `fallback_seconds`: the caller sends them itself right after committing (`send_many`);
    each email's job runs only that much later, for those that did not go.
    """
    domain = _domain(settings)
    emails = [
        OutgoingEmail(
            recipient=draft.recipient,
            subject=draft.subject[:300],
            text_body=draft.text,
            html_body=draft.html,
            attachments=draft.attachments,
            reply_to=draft.reply_to,
            message_id=make_msgid(idstring=secrets.token_hex(8), domain=domain),
            topic=draft.topic,
        )
        for draft in drafts
    ]
    if not emails:
        return emails
    db.add_all(emails)
    await db.flush()
    run_at = utcnow() + timedelta(seconds=fallback_seconds)
    await db.execute(
        insert(Job),
        [
            {
                "kind": JOB_KIND,
                "key": f"email:{email.id}",
                "payload": {"id": email.id},
                "state": PENDING,
                "run_at": run_at,
                "attempts": 0,
                "max_attempts": 8,
                "created_at": utcnow(),
            }
            for email in emails
        ],
    )
    return emails


async def send_many(context: JobContext, email_ids: list[int]) -> None:
    """Send just-queued emails at once over kept connections; what fails goes by its job."""
    if not email_ids:
        return
    settings = context.settings
    pool = _pool(context)
    async with context.sessions() as db:
        # Locked while they are sent, like `send_job` does for one.
        emails = (
            await db.scalars(
                select(OutgoingEmail)
                .where(OutgoingEmail.id.in_(email_ids), OutgoingEmail.sent_at.is_(None))
                .with_for_update(skip_locked=True)
            )
        ).all()
        gate = asyncio.Semaphore(pool.size)

        async def send(email: OutgoingEmail) -> tuple[OutgoingEmail, str | None]:
            async with gate:
                try:
                    await pool.send(build(settings, email))
                except Exception as error:
                    return email, f"{type(error).__name__}: {error}"
                return email, None

        sent: list[int] = []
        unrecorded: list[int] = []
        failed = 0
        for finished in asyncio.as_completed([send(email) for email in emails]):
            email, error = await finished
            if error is None:
                unrecorded.append(email.id)
            else:
                failed += 1
                await db.execute(
                    update(Job)
                    .where(Job.key == f"email:{email.id}", Job.state == PENDING)
                    .values(last_error=error[:2000])
                    .execution_options(synchronize_session=False)
                )
            # Recorded as soon as accepted: a worker killed now sends again at most the
            # messages in flight (the same messages, with their Message-ID).
            if len(unrecorded) >= SENT_RECORD_EVERY:
                await _record_sent(db, unrecorded, context.clock.now())
                sent += unrecorded
                unrecorded = []
        await _record_sent(db, unrecorded, context.clock.now())
        sent += unrecorded
        await _close_jobs(db, sent, context.clock.now())
    log.info("emails sent", extra={"sent": len(sent), "left": failed})


async def _record_sent(db: AsyncSession, ids: list[int], now: datetime) -> None:
    if ids:
        if db.get_bind().dialect.name == "postgresql":
            # Kept by the running server at once, on disk a moment later: a worker killed
            # now loses nothing of it (only the database server's own crash would).
            await db.execute(text("SET LOCAL synchronous_commit = off"))
        await db.execute(
            update(OutgoingEmail)
            .where(OutgoingEmail.id.in_(ids))
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        )
    await db.commit()


async def _close_jobs(db: AsyncSession, ids: list[int], now: datetime) -> None:
    """The fallback jobs of emails sent already have nothing left to do."""
    if ids:
        await db.execute(
            update(Job)
            .where(Job.key.in_([f"email:{i}" for i in ids]), Job.state == PENDING)
            .values(state=DONE, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        await db.commit()


def _domain(settings: Settings) -> str:
    return settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "localhost"


def _pool(context: JobContext) -> SmtpPool:
    pool = context.extras.get("smtp")
    if not isinstance(pool, SmtpPool):
        pool = context.extras["smtp"] = SmtpPool(
            context.settings, size=context.settings.jobs_concurrency
        )
    return pool


def attachment(filename: str, content_type: str, content: bytes) -> dict[str, Any]:
    return {
        "filename": filename,
        "content_type": content_type,
        "content": base64.b64encode(content).decode(),
    }


def build(settings: Settings, email: OutgoingEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = email.message_id
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message.set_content(email.text_body)
    if email.html_body:
        message.add_alternative(email.html_body, subtype="html")
    for part in email.attachments:
        maintype, _, subtype = part["content_type"].partition("/")
        params = dict(item.strip().split("=", 1) for item in subtype.split(";")[1:] if "=" in item)
        message.add_attachment(
            base64.b64decode(part["content"]),
            maintype=maintype,
            subtype=subtype.split(";")[0].strip(),
            filename=part["filename"],
            params=params,
        )
    return message


async def send_job(context: JobContext, payload: dict[str, Any]) -> None:
    """The job: send one stored email unless it was sent already."""
    email_id = int(payload["id"])
    settings = context.settings
    async with context.sessions() as db:
        # Locked while it is sent: a second worker that took the job (its lease ran out
        # while this one was still sending) waits and then finds it sent.
        email = await db.scalar(
            select(OutgoingEmail)
            .where(OutgoingEmail.id == email_id)
            .with_for_update(skip_locked=True)
        )
        if email is None:
            if await db.get(OutgoingEmail, email_id) is None:
                raise GiveUp("the email is gone")
            raise Defer("another worker is sending it", seconds=BUSY_RETRY_SECONDS)
        if email.sent_at is not None:
            return
        message = build(settings, email)
        pool = _pool(context)
        try:
            await pool.send(message)
        except aiosmtplib.SMTPRecipientsRefused as refused:
            raise GiveUp(f"the mail server refused {email.recipient}: {refused}") from refused
        except aiosmtplib.SMTPResponseException as error:
            if error.code in PERMANENT:
                raise GiveUp(f"the mail server refused the message: {error}") from error
            raise Retry(f"the mail server answered {error.code}: {error.message}") from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise Retry(f"the mail server could not be reached: {error}") from error
        # Marked at once: between the server's acceptance and this line is the only moment
        # a crash would send the message again (the same message, with its Message-ID).
        email.sent_at = context.clock.now()
        await db.commit()
        log.info("email sent", extra={"email_id": email.id, "topic": email.topic})
