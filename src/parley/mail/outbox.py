"""The outbox: `queue()` stores an email and its job in the caller's transaction; the job
sends it through SMTP, retrying with backoff while the server is away, and never twice once
the server has accepted it.
"""

from __future__ import annotations

import base64
import logging
import secrets
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from parley.jobs import queue as jobs
from parley.jobs.worker import GiveUp, JobContext, Retry
from parley.mail.models import OutgoingEmail
from parley.settings import Settings

log = logging.getLogger(__name__)

JOB_KIND = "email"
# SMTP answers that mean "never": the address or the message is refused for good.
PERMANENT = range(500, 600)


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
    domain = settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "localhost"
    email = OutgoingEmail(
        recipient=recipient,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        attachments=attachments or [],
        reply_to=reply_to,
        message_id=make_msgid(idstring=secrets.token_hex(8), domain=domain),
        topic=topic,
    )
    db.add(email)
    await db.flush()
    await jobs.enqueue(db=db, kind=JOB_KIND, key=f"email:{email.id}", payload={"id": email.id})
    return email


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
    settings = context.settings
    async with context.sessions() as db:
        email = await db.get(OutgoingEmail, int(payload["id"]))
        if email is None:
            raise GiveUp("the email is gone")
        if email.sent_at is not None:
            return
        message = build(settings, email)
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username or None,
                password=settings.smtp_password.get_secret_value() or None,
                start_tls=settings.smtp_starttls,
                use_tls=settings.smtp_tls,
                timeout=settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            raise GiveUp(f"the mail server refused {email.recipient}: {refused}") from refused
        except aiosmtplib.SMTPResponseException as error:
            if error.code in PERMANENT:
                raise GiveUp(f"the mail server refused the message: {error}") from error
            raise Retry(f"the mail server answered {error.code}: {error.message}") from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise Retry(f"the mail server could not be reached: {error}") from error
        # Marked at once: between the server's acceptance and this line is the only moment
        # a crash would send the message again.
        email.sent_at = context.clock.now()
        await db.commit()
        log.info("email sent", extra={"email_id": email.id, "topic": email.topic})
