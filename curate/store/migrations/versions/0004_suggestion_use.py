"""Which suggestions an annotation kept, changed, rejected or left alone.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild), so the append-only triggers stay in place.
    op.add_column("annotations", sa.Column("suggestion_use", sa.JSON))


def downgrade() -> None:
    op.drop_column("annotations", "suggestion_use")
