"""webinar: a room setting, and who a moderator brought on stage

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, never a batch: on SQLite a batch copies `rooms` and drops the old
# table, and the drop cascades to every row that refers to a room (chat, polls, events).


def upgrade() -> None:
    op.add_column(
        "rooms", sa.Column("webinar", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(
        "room_participants",
        sa.Column("on_stage", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("room_participants", "on_stage")
    op.drop_column("rooms", "webinar")
