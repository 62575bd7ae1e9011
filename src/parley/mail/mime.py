"""Messages written straight to bytes: a text body, maybe its HTML alternative, no attachment.

The standard library's `EmailMessage` parses every header it is given and folds it again
when the message is written out: about a millisecond a message, more than all the rest of a
reminder costs. Here the headers that repeat (From, a subject, Reply-To) are folded once
by the standard library and kept; a plain ASCII address or Message-ID is written as it is;
bodies are 7bit when they can be, quoted-printable otherwise (both encoders are C code).
The result reads exactly as the `EmailMessage` would; whatever does not fit (attachments,
an address beyond ASCII) is left to it (`as_bytes` returns None).
"""

from __future__ import annotations

import binascii
import email.policy
import re
import secrets
from dataclasses import dataclass
from email.utils import formatdate, parseaddr
from functools import lru_cache

# RFC 5322's "atext" local part and a domain name: nothing to quote or encode.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")
_PLAIN_MESSAGE_ID = re.compile(r"<[\x21-\x3d\x3f-\x7e]+>")
# Longest line of a 7bit body (RFC 5322 recommends 78 characters).
MAX_LINE = 78


@dataclass(frozen=True)
class Envelope:
    """A message ready for SMTP: who sends it, to whom, and its bytes."""

    sender: str
    recipients: list[str]
    data: bytes


@lru_cache(maxsize=4096)
def _header(name: str, value: str) -> bytes:
    """`name: value` parsed, folded and encoded as `EmailMessage` does for SMTP."""
    policy = email.policy.SMTP
    _name, header = policy.header_store_parse(name, value)
    return str(header.fold(policy=policy)).encode("ascii")


@lru_cache(maxsize=64)
def sender_address(mail_from: str) -> str:
    """The bare address of a From header (`Parley <parley@example.org>`)."""
    return parseaddr(mail_from)[1] or mail_from.strip()


def _body(content: str, subtype: str) -> bytes:
    lines = content.encode().splitlines()
    head = b"Content-Type: text/" + subtype.encode() + b'; charset="utf-8"\r\n'
    if max(map(len, lines), default=0) <= MAX_LINE and content.isascii():
        return head + b"Content-Transfer-Encoding: 7bit\r\n\r\n" + b"\r\n".join(lines) + b"\r\n"
    encoded = binascii.b2a_qp(b"\n".join(lines) + b"\n", istext=True).replace(b"\n", b"\r\n")
    return head + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + encoded


def as_bytes(
    *,
    mail_from: str,
    recipient: str,
    subject: str,
    message_id: str,
    text: str,
    html: str | None = None,
    reply_to: str | None = None,
) -> Envelope | None:
    """The message as SMTP sends it; None when it needs `EmailMessage` (see the module)."""
    sender = sender_address(mail_from)
    if not (
        _PLAIN_ADDRESS.fullmatch(sender)
        and _PLAIN_ADDRESS.fullmatch(recipient)
        and _PLAIN_MESSAGE_ID.fullmatch(message_id)
    ):
        return None
    try:
        head = [
            _header("From", mail_from),
            b"To: " + recipient.encode() + b"\r\n",
            _header("Subject", subject),
            b"Date: " + formatdate(localtime=False).encode() + b"\r\n",
            b"Message-ID: " + message_id.encode() + b"\r\n",
        ]
        if reply_to:
            head.append(_header("Reply-To", reply_to))
    except (ValueError, UnicodeError):
        return None  # a line break in a header, say: EmailMessage says why
    head.append(b"MIME-Version: 1.0\r\n")
    if html is None:
        data = b"".join(head) + _body(text, "plain")
    else:
        parts = [_body(text, "plain"), _body(html, "html")]
        boundary = b"=_" + secrets.token_hex(16).encode()
        while any(boundary in part for part in parts):  # pragma: no cover - 128 random bits
            boundary = b"=_" + secrets.token_hex(16).encode()
        head.append(b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\n')
        data = b"".join(head) + b"\r\n"
        for part in parts:
            data += b"--" + boundary + b"\r\n" + part + b"\r\n"
        data += b"--" + boundary + b"--\r\n"
    return Envelope(sender, [recipient], data)
