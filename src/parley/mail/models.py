"""An email Parley sends: kept until it is accepted by the mail server, and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, UTCDateTime, utcnow

# The longest address SMTP carries (RFC 5321's path limit less the brackets).
EMAIL_MAX = 254


class OutgoingEmail(Base):
    __tablename__ = "outgoing_emails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(EMAIL_MAX))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # [{"filename", "content_type", "content" (base64)}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reply_to: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    # Fixed when the row is made: a message sent again after a crash keeps its identity.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    # What the email is about (`invitation:12`), for finding it again and for the logs.
    topic: Mapped[str] = mapped_column(String(100), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
