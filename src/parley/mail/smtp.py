"""Sending through SMTP over a few connections kept open, message after message.

SMTP cannot promise "exactly once": the server delivers when it has read the message, and a
client that dies before it records the server's "accepted" sends it again after a restart.
The outbox records "sent" the moment the server accepts; in the instant between, a crash
means one more delivery of the *same* message: it keeps its Message-ID, by which mail
programs and mail stores recognise it and show it once.
"""

from __future__ import annotations

import contextlib
from email.message import EmailMessage

import aiosmtplib
from aiosmtplib.typing import SMTPStatus

from parley.mail.mime import Envelope
from parley.settings import Settings


class SmtpPool:
    """Up to `size` open connections to the configured server, reused message after message."""

    def __init__(self, settings: Settings, size: int = 8) -> None:
        self.settings = settings
        self.size = size
        self._idle: list[aiosmtplib.SMTP] = []

    async def aclose_jobs(self) -> None:
        """Close the kept connections (the worker calls it when it stops)."""
        idle, self._idle = self._idle, []
        for client in idle:
            with contextlib.suppress(Exception):
                await client.quit()

    async def _open(self) -> aiosmtplib.SMTP:
        settings = self.settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_tls,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
        await client.connect()
        if settings.smtp_username:
            await client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        return client

    async def send(self, message: EmailMessage | Envelope) -> None:
        """Send `message`; return once the server has accepted it, else raise."""
        client = None
        while self._idle and client is None:
            kept = self._idle.pop()
            if kept.is_connected:
                client = kept
        reused = client is not None
        if client is None:
            client = await self._open()
        try:
            await _deliver(client, message)
        except aiosmtplib.SMTPServerDisconnected:
            client.close()
            if not reused:
                raise
            # A kept connection the server had closed: once more on a new one.
            client = await self._open()
            try:
                await _deliver(client, message)
            except BaseException:
                client.close()
                raise
        except aiosmtplib.SMTPResponseException:
            # Refused: the connection is fine for the next message once reset.
            try:
                await client.rset()
            except Exception:
                client.close()
            else:
                self._give_back(client)
            raise
        except BaseException:
            client.close()
            raise
        self._give_back(client)

    def _give_back(self, client: aiosmtplib.SMTP) -> None:
        if client.is_connected and len(self._idle) < self.size:
            self._idle.append(client)
        else:
            client.close()


async def _deliver(client: aiosmtplib.SMTP, message: EmailMessage | Envelope) -> None:
    if isinstance(message, EmailMessage):
        await client.send_message(message)
        return
    # The addresses were checked when the message was written (parley.mail.mime): the
    # transaction goes as sendmail's would, without parsing them again for every message.
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    try:
        response = await client.execute_command(b"MAIL", b"FROM:<%s>" % message.sender.encode())
        if response.code != SMTPStatus.completed:
            raise aiosmtplib.SMTPSenderRefused(response.code, response.message, message.sender)
        refused = []
        for recipient in message.recipients:
            response = await client.execute_command(b"RCPT", b"TO:<%s>" % recipient.encode())
            if response.code not in (SMTPStatus.completed, SMTPStatus.will_forward):
                refused.append(
                    aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
                )
        if len(refused) == len(message.recipients):
            raise aiosmtplib.SMTPRecipientsRefused(refused)
        await client.data(message.data)
    except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
        # The envelope is reset for the connection's next message, as sendmail does.
        with contextlib.suppress(ConnectionError, aiosmtplib.SMTPResponseException):
            await client.rset()
        raise
