"""users: when the email address was proven, so invitations by address reach only its owner

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True)))
    # Accounts made before addresses were verified keep what they see: until now an address was
    # trusted as typed (by an administrator, or at sign-up), so they count as verified from then.
    op.execute(sa.text("UPDATE users SET email_verified_at = created_at"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("email_verified_at")
