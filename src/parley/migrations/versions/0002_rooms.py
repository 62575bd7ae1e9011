"""rooms

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("meeting_number", sa.Integer(), nullable=False),
        sa.Column("opened_at", parley.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("allow_guests", sa.Boolean(), nullable=False),
        sa.Column("waiting_room", sa.String(length=10), nullable=False),
        sa.Column("access_code", sa.String(length=12), nullable=True),
        sa.Column("mute_on_join", sa.Boolean(), nullable=False),
        sa.Column("all_moderators", sa.Boolean(), nullable=False),
        sa.Column("anyone_can_open", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_rooms_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("slug", name=op.f("uq_rooms_slug")),
    )
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rooms_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "room_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("meeting_number", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("connections", sa.Integer(), nullable=False),
        sa.Column("joined_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_room_participants_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_participants")),
        sa.UniqueConstraint("room_id", "participant_id", name=op.f("uq_room_participants_room_id")),
    )
    with op.batch_alter_table("room_participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_participants_room_id"), ["room_id"], unique=False)

    op.create_table(
        "room_shares",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_shares_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_room_shares_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("room_id", "user_id", name=op.f("pk_room_shares")),
    )
    with op.batch_alter_table("room_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_shares_user_id"), ["user_id"], unique=False)

    op.create_table(
        "room_waiting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("meeting_number", sa.Integer(), nullable=False),
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", parley.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_room_waiting_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_room_waiting_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_waiting")),
        sa.UniqueConstraint("ticket_hash", name=op.f("uq_room_waiting_ticket_hash")),
    )
    with op.batch_alter_table("room_waiting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_waiting_room_id"), ["room_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("room_waiting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_waiting_room_id"))

    op.drop_table("room_waiting")
    with op.batch_alter_table("room_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_shares_user_id"))

    op.drop_table("room_shares")
    with op.batch_alter_table("room_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_participants_room_id"))

    op.drop_table("room_participants")
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rooms_owner_id"))

    op.drop_table("rooms")
