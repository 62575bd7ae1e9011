"""webinar: a room setting, and who a moderator brought on stage

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(
            sa.Column("webinar", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("room_participants") as batch:
        batch.add_column(
            sa.Column("on_stage", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("room_participants") as batch:
        batch.drop_column("on_stage")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("webinar")
