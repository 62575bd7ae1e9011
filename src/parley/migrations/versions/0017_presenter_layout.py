"""meetings: one presenter per meeting, and the layout a moderator pushes to every page

The presenter was whichever moderator last changed the stage (`stages.presenter`); it is now
the meeting's, on the room. An open meeting's presenter becomes its moderator who has been in
it longest.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LONGEST_PRESENT_MODERATOR = sa.text(
    "UPDATE rooms SET presenter = ("
    " SELECT p.participant_id FROM room_participants p"
    " WHERE p.room_id = rooms.id AND p.meeting_number = rooms.meeting_number"
    " AND p.role = 'moderator' ORDER BY p.joined_at, p.id LIMIT 1)"
    " WHERE rooms.is_open = :yes"
).bindparams(yes=True)


def upgrade() -> None:
    # Not in a batch: SQLite would rebuild `rooms` (see 0016); it adds a column in place.
    op.add_column("rooms", sa.Column("presenter", sa.String(length=40), nullable=True))
    op.add_column("rooms", sa.Column("layout", sa.String(length=20), nullable=True))
    op.get_bind().execute(LONGEST_PRESENT_MODERATOR)
    op.drop_column("stages", "presenter")


def downgrade() -> None:
    op.add_column("stages", sa.Column("presenter", sa.String(length=40), nullable=True))
    op.drop_column("rooms", "layout")
    op.drop_column("rooms", "presenter")
