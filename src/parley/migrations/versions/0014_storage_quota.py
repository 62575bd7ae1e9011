"""documents: who uploaded each presentation, for the storage quotas of rooms and members

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A member's participant id is "u" and their account's id: uploads made before this revision
# count against their member's quota too.
BACKFILL = sa.text(
    "UPDATE presentations SET uploader_user_id = (SELECT users.id FROM users "
    "WHERE 'u' || CAST(users.id AS VARCHAR(20)) = presentations.uploaded_by)"
)


def upgrade() -> None:
    with op.batch_alter_table("presentations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uploader_user_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_presentations_uploader_user_id"), ["uploader_user_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_presentations_uploader_user_id_users"),
            "users",
            ["uploader_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("presentations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_presentations_uploader_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_presentations_uploader_user_id"))
        batch_op.drop_column("uploader_user_id")
