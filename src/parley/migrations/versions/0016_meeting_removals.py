"""meetings: chat messages carry their meeting; removals and bans are kept per meeting

A message already written belongs to the room's open meeting when it came after that meeting
opened, else to none (meeting 0, which no one is in). The bans of open rooms become the
current meeting's bans; those of closed rooms ended with their meeting.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

rooms = sa.table(
    "rooms",
    sa.column("id", sa.Integer()),
    sa.column("meeting_number", sa.Integer()),
    sa.column("is_open", sa.Boolean()),
    sa.column("banned", sa.JSON()),
)
removals = sa.table(
    "meeting_removals",
    sa.column("room_id", sa.Integer()),
    sa.column("meeting_number", sa.Integer()),
    sa.column("participant_id", sa.String()),
    sa.column("banned", sa.Boolean()),
    sa.column("removed_at", parley.db.UTCDateTime(timezone=True)),
)

CURRENT_MEETING = sa.text(
    "UPDATE chat_messages SET meeting_number = COALESCE(("
    " SELECT rooms.meeting_number FROM rooms WHERE rooms.id = chat_messages.room_id"
    " AND rooms.is_open = :yes AND chat_messages.created_at >= rooms.opened_at), 0)"
).bindparams(yes=True)


def upgrade() -> None:
    op.create_table(
        "meeting_removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("meeting_number", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=40), nullable=False),
        sa.Column("banned", sa.Boolean(), nullable=False),
        sa.Column("removed_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_meeting_removals_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_removals")),
        sa.UniqueConstraint(
            "room_id",
            "meeting_number",
            "participant_id",
            name=op.f("uq_meeting_removals_room_id"),
        ),
    )
    with op.batch_alter_table("chat_messages") as batch_op:
        batch_op.add_column(
            sa.Column("meeting_number", sa.Integer(), nullable=False, server_default="0")
        )
    connection = op.get_bind()
    connection.execute(CURRENT_MEETING)
    now = parley.db.utcnow()
    for room_id, number, banned in connection.execute(
        sa.select(rooms.c.id, rooms.c.meeting_number, rooms.c.banned).where(rooms.c.is_open)
    ):
        for participant_id in dict.fromkeys(banned or []):
            connection.execute(
                removals.insert().values(
                    room_id=room_id,
                    meeting_number=number,
                    participant_id=participant_id,
                    banned=True,
                    removed_at=now,
                )
            )
    # Not in a batch: SQLite would rebuild `rooms`, and dropping the old table with foreign
    # keys on deletes every row that cascades from it. SQLite drops a plain column in place.
    op.drop_column("rooms", "banned")


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.add_column(sa.Column("banned", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("chat_messages") as batch_op:
        batch_op.drop_column("meeting_number")
    op.drop_table("meeting_removals")
