"""The outbox: `queue()` stores an email and its job in the caller's transaction; the job
sends it through SMTP, retrying with backoff while the server is away, and never twice once
the server has accepted it (see parley.mail.smtp).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiosmtplib
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from parley.db import among, utcnow
from parley.jobs.models import DONE, PENDING, Job
from parley.jobs.worker import Clock, Defer, GiveUp, JobContext, Retry
from parley.mail import mime
from parley.mail.mime import Envelope
from parley.mail.models import OutgoingEmail
from parley.mail.smtp import SmtpPool
from parley.settings import Settings

log = logging.getLogger(__name__)

JOB_KIND = "email"
# SMTP answers that mean "never": the address or the message is refused for good.
PERMANENT = range(500, 600)
BUSY_RETRY_SECONDS = 30
# A mark waits this long for others to share its commit, unless enough are waiting already
# (a connection's next message waits for its last one's mark: not long).
MARK_LINGER_SECONDS = 0.005


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


@dataclass(frozen=True)
class Queued:
    """An email stored by `queue_many`: its row, and what it says (for `send_many`)."""

    id: int
    message_id: str
    draft: Draft


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
) -> Queued:
    """Store an email to send; it goes when the caller commits (and only then)."""
    draft = Draft(recipient, subject, text, html, attachments or [], reply_to, topic)
    (email,) = await queue_many(db=db, settings=settings, drafts=[draft])
    return email


async def queue_many(
    *, db: AsyncSession, settings: Settings, drafts: list[Draft], fallback_seconds: float = 0
) -> list[Queued]:
    """Store emails and their jobs in two statements, in the caller's transaction.

    `fallback_seconds`: the caller sends them itself right after committing (`send_many`);
    each email's job runs only that much later, for those that did not go.
    """
    if not drafts:
        return []
    domain = _domain(settings)
    now = utcnow()
    message_ids = [make_msgid(idstring=secrets.token_hex(8), domain=domain) for _ in drafts]
    ids = (
        await db.scalars(
            insert(OutgoingEmail).returning(OutgoingEmail.id, sort_by_parameter_order=True),
            [
                {
                    "recipient": draft.recipient,
                    "subject": draft.subject[:300],
                    "text_body": draft.text,
                    "html_body": draft.html,
                    "attachments": draft.attachments,
                    "reply_to": draft.reply_to,
                    "message_id": message_id,
                    "topic": draft.topic,
                    "created_at": now,
                }
                for draft, message_id in zip(drafts, message_ids, strict=True)
            ],
        )
    ).all()
    run_at = now + timedelta(seconds=fallback_seconds)
    await db.execute(
        insert(Job),
        [
            {
                "kind": JOB_KIND,
                "key": f"email:{email_id}",
                "payload": {"id": email_id},
                "state": PENDING,
                "run_at": run_at,
                "attempts": 0,
                "max_attempts": 8,
                "created_at": now,
            }
            for email_id in ids
        ],
    )
    return [
        Queued(id=email_id, message_id=message_id, draft=draft)
        for email_id, message_id, draft in zip(ids, message_ids, drafts, strict=True)
    ]


async def send_many(context: JobContext, emails: list[Queued]) -> None:
    """Send just-queued emails at once over kept connections; what fails goes by its job.

    Their jobs stay locked while they are sent (no other worker claims one), and each email
    is marked sent as soon as the server accepts it, many marks to a commit (`_SentMarks`).
    """
    if not emails:
        return
    settings = context.settings
    pool = _pool(context)
    by_key = {f"email:{email.id}": email for email in emails}
    async with context.database() as guard, _marking(guard) as marking:
        dialect = marking.dialect.name
        held = await guard.scalars(
            select(Job.key)
            .where(among(dialect, Job.key, by_key), Job.state == PENDING)
            .with_for_update(skip_locked=True)
        )
        mine = [by_key[key] for key in held]
        marks = _SentMarks(marking, context.clock, enough=max(pool.size // 2, 1))
        gate = asyncio.Semaphore(pool.size)
        sent: list[int] = []
        failed: dict[str, list[int]] = {}

        async def send(email: Queued) -> None:
            async with gate:
                if marks.broken:
                    return  # its job sends it, once the database answers again
                draft = email.draft
                message = prepare(
                    settings,
                    recipient=draft.recipient,
                    subject=draft.subject[:300],
                    message_id=email.message_id,
                    text=draft.text,
                    html=draft.html,
                    attachments=draft.attachments,
                    reply_to=draft.reply_to,
                )
                try:
                    await pool.send(message)
                except Exception as error:
                    failed.setdefault(f"{type(error).__name__}: {error}"[:2000], []).append(
                        email.id
                    )
                    return
                # This connection's next message waits for the mark: a worker killed now
                # sends again at most one message a connection (the same, same Message-ID).
                if await marks.add(email.id):
                    sent.append(email.id)

        await asyncio.gather(*(send(email) for email in mine))
        now = context.clock.now()
        if sent:
            await guard.execute(
                update(Job)
                .where(among(dialect, Job.key, [f"email:{i}" for i in sent]), Job.state == PENDING)
                .values(state=DONE, finished_at=now)
                .execution_options(synchronize_session=False)
            )
        for error, ids in failed.items():
            await guard.execute(
                update(Job)
                .where(among(dialect, Job.key, [f"email:{i}" for i in ids]), Job.state == PENDING)
                .values(last_error=error)
                .execution_options(synchronize_session=False)
            )
        await guard.commit()
    log.info("emails sent", extra={"sent": len(sent), "left": len(emails) - len(sent)})


@contextlib.asynccontextmanager
async def _marking(guard: AsyncSession) -> AsyncIterator[AsyncConnection]:
    """A connection of its own (the guard's holds the jobs) where each statement commits by
    itself: a group of marks is one round trip. On PostgreSQL its commits are kept by the
    running server at once and on disk a moment later: a worker killed now loses nothing of
    them (only the database server's own crash would)."""
    engine = guard.bind
    assert isinstance(engine, AsyncEngine)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            await connection.exec_driver_sql("SET synchronous_commit = off")
        try:
            yield connection
        finally:
            if postgres:
                try:
                    await connection.exec_driver_sql("RESET synchronous_commit")
                except Exception:
                    # Not back to the pool as it is: the next user would commit the same way.
                    await connection.invalidate()


class _SentMarks:
    """Marks accepted emails sent, in groups: one statement for all the emails accepted
    while the previous group was being written (a commit per message would cost more than
    the message)."""

    def __init__(self, connection: AsyncConnection, clock: Clock, *, enough: int) -> None:
        self.connection = connection
        self.clock = clock
        self.enough = enough
        self.broken = False
        self._waiting: list[tuple[int, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, email_id: int) -> bool:
        """Mark `email_id` sent; True once committed, False when the database failed."""
        written: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((email_id, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await written

    async def _write(self) -> None:
        # Nothing is awaited between the last look at `_waiting` and the end: what `add`
        # appends meanwhile is seen by this task, or finds it done and starts another.
        while self._waiting:
            if len(self._waiting) < self.enough:
                await asyncio.sleep(MARK_LINGER_SECONDS)
            group, self._waiting = self._waiting, []
            ids = [email_id for email_id, _ in group]
            try:
                await self.connection.execute(
                    update(OutgoingEmail)
                    .where(among(self.connection.dialect.name, OutgoingEmail.id, ids))
                    .values(sent_at=self.clock.now())
                )
            except Exception:
                log.exception("could not mark emails sent; their jobs will send them")
                self.broken = True
                group += self._waiting
                self._waiting = []
                _settle(group, False)
                return
            _settle(group, True)


def _settle(group: list[tuple[int, asyncio.Future[bool]]], written: bool) -> None:
    for _, future in group:
        if not future.done():  # cancelled, when the worker stops
            future.set_result(written)


def _domain(settings: Settings) -> str:
    return settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "localhost"


def _pool(context: JobContext) -> SmtpPool:
    if context.smtp is None:
        context.smtp = SmtpPool(context.settings, size=context.settings.jobs_concurrency)
    return context.smtp


def attachment(filename: str, content_type: str, content: bytes) -> dict[str, Any]:
    return {
        "filename": filename,
        "content_type": content_type,
        "content": base64.b64encode(content).decode(),
    }


def prepare(
    settings: Settings,
    *,
    recipient: str,
    subject: str,
    message_id: str,
    text: str,
    html: str | None,
    attachments: list[dict[str, Any]],
    reply_to: str | None,
) -> Envelope | EmailMessage:
    """The message to send: written straight to bytes when it can be, else by `build`."""
    if not attachments:
        envelope = mime.as_bytes(
            mail_from=settings.mail_from,
            recipient=recipient,
            subject=subject,
            message_id=message_id,
            text=text,
            html=html or None,
            reply_to=reply_to,
        )
        if envelope is not None:
            return envelope
    return build(settings, recipient, subject, message_id, text, html, attachments, reply_to)


def build(
    settings: Settings,
    recipient: str,
    subject: str,
    message_id: str,
    text: str,
    html: str | None,
    attachments: list[dict[str, Any]],
    reply_to: str | None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for part in attachments:
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
    async with context.database() as db:
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
        message = prepare(
            settings,
            recipient=email.recipient,
            subject=email.subject,
            message_id=email.message_id,
            text=email.text_body,
            html=email.html_body,
            attachments=email.attachments,
            reply_to=email.reply_to,
        )
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
