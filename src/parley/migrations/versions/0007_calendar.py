"""calendar: events, attendees, the feed's secret token

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_conferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("provider_config_id", sa.Integer(), nullable=True),
        sa.Column("provider_name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("meeting", sa.JSON(), nullable=False),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_calendar_conferences_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_config_id"],
            ["provider_configs.id"],
            name=op.f("fk_calendar_conferences_provider_config_id_provider_configs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_conferences")),
    )
    with op.batch_alter_table("calendar_conferences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_conferences_owner_id"), ["owner_id"], unique=False
        )

    op.create_table(
        "calendar_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("organizer_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("starts_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recurrence", sa.JSON(), nullable=True),
        sa.Column("repeats_until", parley.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=True),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["calendar_conferences.id"],
            name=op.f("fk_calendar_events_conference_id_calendar_conferences"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["users.id"],
            name=op.f("fk_calendar_events_organizer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_events")),
        sa.UniqueConstraint("organizer_id", "uid", name="uq_calendar_events_organizer_id_uid"),
    )
    with op.batch_alter_table("calendar_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_events_organizer_id"), ["organizer_id"], unique=False
        )

    op.create_table(
        "calendar_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("is_resource", sa.Boolean(), nullable=False),
        sa.Column("partstat", sa.String(length=16), nullable=False),
        sa.Column("answered_at", parley.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["calendar_events.id"],
            name=op.f("fk_calendar_attendees_event_id_calendar_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_attendees_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_attendees")),
        sa.UniqueConstraint("event_id", "email", name="uq_calendar_attendees_event_id_email"),
    )
    with op.batch_alter_table("calendar_attendees", schema=None) as batch_op:
        batch_op.create_index("ix_calendar_attendees_user_id", ["user_id"], unique=False)

    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", parley.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("user_id", name=op.f("uq_calendar_feeds_user_id")),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    with op.batch_alter_table("calendar_attendees", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_attendees_user_id")

    op.drop_table("calendar_attendees")
    with op.batch_alter_table("calendar_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_events_organizer_id"))

    op.drop_table("calendar_events")
    with op.batch_alter_table("calendar_conferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_conferences_owner_id"))

    op.drop_table("calendar_conferences")
