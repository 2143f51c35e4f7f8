"""An index on each item's decisions in id order: the newest decision of every item (what the
release, status and the review queue read) comes from the index instead of a sort.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_decisions_item", "decisions", ["document_id", "kind", "target", "id"])


def downgrade() -> None:
    op.drop_index("ix_decisions_item", table_name="decisions")
