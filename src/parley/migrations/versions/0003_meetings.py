"""meetings: numbered events, chat, participant states, locks and bans

Existing rows get defaults (nothing muted, no locks, no bans) so the upgrade runs on a live
database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=40), nullable=False),
        sa.Column("sender_name", sa.String(length=100), nullable=False),
        sa.Column("recipient_id", sa.String(length=40), nullable=True),
        sa.Column("recipient_name", sa.String(length=100), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_chat_messages_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_messages_room_id"), ["room_id"], unique=False)

    op.create_table(
        "meeting_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=True),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_meeting_events_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_events")),
        sa.UniqueConstraint("room_id", "seq", name=op.f("uq_meeting_events_room_id")),
    )
    with op.batch_alter_table("room_participants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("muted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("camera", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("screen", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("hand_raised_at", parley.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("disconnected_at", parley.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("event_seq", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locks", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("banned", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:

    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_column("banned")
        batch_op.drop_column("locks")
        batch_op.drop_column("event_seq")

    with op.batch_alter_table("room_participants", schema=None) as batch_op:
        batch_op.drop_column("disconnected_at")
        batch_op.drop_column("hand_raised_at")
        batch_op.drop_column("screen")
        batch_op.drop_column("camera")
        batch_op.drop_column("muted")

    op.drop_table("meeting_events")
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_messages_room_id"))

    op.drop_table("chat_messages")
