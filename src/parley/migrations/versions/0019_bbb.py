"""bbb: meetings made through the BigBlueButton-compatible API, and who joined them

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# New tables only: `rooms` is not altered (a batch on SQLite would copy and drop it).


def upgrade() -> None:
    op.create_table(
        "bbb_meetings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.String(256), nullable=False, unique=True),
        sa.Column(
            "room_id",
            sa.Integer(),
            sa.ForeignKey("rooms.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("attendee_pw", sa.String(64), nullable=False),
        sa.Column("moderator_pw", sa.String(64), nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "bbb_attendees",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "meeting_id",
            sa.Integer(),
            sa.ForeignKey("bbb_meetings.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("participant_id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.UniqueConstraint("meeting_id", "participant_id"),
    )


def downgrade() -> None:
    op.drop_table("bbb_attendees")
    op.drop_table("bbb_meetings")
