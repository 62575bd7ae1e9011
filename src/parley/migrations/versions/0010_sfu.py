"""sfu: rooms remember which meeting goes through the SFU and on which node

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("sfu_meeting", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sfu_node", sa.String(length=40), nullable=True))
        batch.add_column(
            sa.Column("media_server", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("media_server")
        batch.drop_column("sfu_node")
        batch.drop_column("sfu_meeting")
