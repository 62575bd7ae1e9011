"""caldav: app passwords, the names clients gave events, and sync states

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from parley.db import UTCDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# New tables only: nothing existing is altered.


def upgrade() -> None:
    op.create_table(
        "caldav_app_passwords",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_caldav_app_passwords_user_id", "caldav_app_passwords", ["user_id"])
    op.create_table(
        "caldav_object_names",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("calendar_events.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.UniqueConstraint("user_id", "name", name="uq_caldav_object_names_user_id_name"),
    )
    op.create_index("ix_caldav_object_names_user_id", "caldav_object_names", ["user_id"])
    op.create_index("ix_caldav_object_names_event_id", "caldav_object_names", ["event_id"])
    op.create_table(
        "caldav_sync_states",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("etags", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_caldav_sync_states_user_id", "caldav_sync_states", ["user_id"])


def downgrade() -> None:
    op.drop_table("caldav_sync_states")
    op.drop_table("caldav_object_names")
    op.drop_table("caldav_app_passwords")
