"""Emails written for many readers at once read exactly as those written one by one: the
stencil's holes filled (escaped in HTML), and messages written straight to bytes."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from parley.mail import compose, mime, outbox
from parley.sessions.models import ScheduledSession
from parley.settings import Settings

settings = Settings(_env_file=None, mail_from="Parley <parley@example.org>")  # type: ignore[call-arg]

NAMES = ["Ada", 'Bob <b>"&"</b> O\'Hara', "Émile Zoé 李", "100% %(name)s {{ x }}", "a\\1 $0"]
LINKS = [
    "http://testserver/r/abcd",
    'https://meet.example.org/j/1?pwd=a&b="c"<d>#userInfo.displayName=%22Ada%22',
]


def _session(location: str = "") -> ScheduledSession:
    return ScheduledSession(
        id=7,
        title='Maths <4B> & "friends" — séance',
        location=location,
        starts_at=datetime(2030, 5, 17, 9, 30, tzinfo=UTC),
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_stencil_filled_reads_as_the_template_rendered_for_that_reader(language: str) -> None:
    session = _session()
    common = {"session": session, "when": "2030-05-17 09:30 UTC", "page": "http://x/s/7?a&b"}
    online = compose.stencil("session_reminder", language, ("name", "link"), **common)
    for name in NAMES:
        for link in LINKS:
            expected = compose.render("session_reminder", language, name=name, link=link, **common)
            assert online.fill(name=name, link=link) == expected
    # Without a link (a session in a room): a stencil of its own, the place shown instead.
    common["session"] = _session(location="Room <2> & co")
    in_person = compose.stencil("session_reminder", language, ("name",), link=None, **common)
    for name in NAMES:
        expected = compose.render("session_reminder", language, name=name, link=None, **common)
        assert in_person.fill(name=name) == expected
    assert "Room &lt;2&gt; &amp; co" in in_person.fill(name="Ada")[1]


def _parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _bodies(message: EmailMessage) -> tuple[str, str | None]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    return plain.get_content(), None if html is None else html.get_content()


BODIES = [
    ("Hello Ada,\n\nJoin: http://x/r/1\n", "<p>Hello</p>\n"),
    (
        "Bonjour Émile,\n. a line with a dot\ntrailing space  \n" + "long " * 40 + "\n",
        '<p style="' + "x" * 120 + '">Zoé &amp; 李 = ?</p>\n.\n',
    ),
    ("No final newline, tab\there", None),
    ("=3D is not an escape\r\nwindows line\r\n", "<p>=</p>"),
]


def _as_bytes(
    recipient: str = "member1@example.org",
    subject: str = "Hello",
    text: str = "Hi",
    html: str | None = None,
    reply_to: str | None = None,
) -> mime.Envelope | None:
    return mime.as_bytes(
        mail_from=settings.mail_from,
        recipient=recipient,
        subject=subject,
        message_id="<1234.abcd@example.org>",
        text=text,
        html=html,
        reply_to=reply_to,
    )


@pytest.mark.parametrize(("text", "html"), BODIES)
def test_a_message_written_to_bytes_reads_as_the_standard_librarys(
    text: str, html: str | None
) -> None:
    subject = "Bientôt : Maths <4B> & « amis » " + "très long " * 8
    reply_to = "Organiser Ünïcode <organiser@example.org>"
    envelope = _as_bytes(subject=subject, text=text, html=html, reply_to=reply_to)
    assert envelope is not None and envelope.data.isascii()
    assert envelope.recipients == ["member1@example.org"]
    assert envelope.sender == "parley@example.org"
    ours = _parsed(envelope.data)
    message = outbox.build(
        settings,
        "member1@example.org",
        subject,
        "<1234.abcd@example.org>",
        text,
        html,
        [],
        reply_to,
    )
    theirs = _parsed(message.as_bytes(policy=email.policy.SMTP))
    for header in ("From", "To", "Subject", "Message-ID", "Reply-To", "MIME-Version"):
        assert str(ours[header]) == str(theirs[header]), header
    assert ours.get_content_type() == theirs.get_content_type()
    assert _bodies(ours) == _bodies(theirs)
    assert not ours.defects and all(not part.defects for part in ours.walk())


def test_what_bytes_cannot_carry_goes_through_the_standard_library() -> None:
    assert _as_bytes(recipient="zoé@example.org") is None
    assert _as_bytes(recipient='"a b"@example.org') is None
    # A line break in a header is refused, as EmailMessage refuses it.
    assert _as_bytes(subject="Hello\nBcc: b@example.org") is None
    message = outbox.prepare(
        settings,
        recipient="zoé@example.org",
        subject="Hello",
        message_id="<1@example.org>",
        text="Hi",
        html=None,
        attachments=[],
        reply_to=None,
    )
    assert isinstance(message, EmailMessage)
