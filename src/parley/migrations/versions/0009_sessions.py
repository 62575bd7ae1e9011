"""sessions: scheduled sessions, registrations, the providers' state for sessions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("provider_config_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("meeting", sa.JSON(), nullable=True),
        sa.Column("meeting_made_at", parley.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("meeting_error", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("meeting_version", sa.Integer(), nullable=False),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["users.id"],
            name=op.f("fk_scheduled_sessions_organiser_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_config_id"],
            ["provider_configs.id"],
            name=op.f("fk_scheduled_sessions_provider_config_id_provider_configs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_sessions")),
    )
    with op.batch_alter_table("scheduled_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduled_sessions_organiser_id"), ["organiser_id"], unique=False
        )
        batch_op.create_index("ix_scheduled_sessions_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "session_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", parley.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["scheduled_sessions.id"],
            name=op.f("fk_session_registrations_session_id_scheduled_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_session_registrations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_registrations")),
        sa.UniqueConstraint(
            "session_id", "user_id", name=op.f("uq_session_registrations_session_id")
        ),
    )
    with op.batch_alter_table("session_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_registrations_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_registrations_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("provider_configs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sessions_state", sa.String(length=14), server_default="active", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("provider_configs", schema=None) as batch_op:
        batch_op.drop_column("sessions_state")
    with op.batch_alter_table("session_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_registrations_user_id"))
        batch_op.drop_index(batch_op.f("ix_session_registrations_session_id"))
    op.drop_table("session_registrations")
    with op.batch_alter_table("scheduled_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_sessions_starts_at")
        batch_op.drop_index(batch_op.f("ix_scheduled_sessions_organiser_id"))
    op.drop_table("scheduled_sessions")
