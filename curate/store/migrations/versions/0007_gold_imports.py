"""Imported gold: which file (and its hash) each imported document's gold came from, and the
split it was pinned to (NULL: chosen from the id like any other document).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gold_imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(40), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("split", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("document_id", "sha256", name="uq_gold_import"),
    )
    op.create_index("ix_gold_imports_document_id", "gold_imports", ["document_id"])


def downgrade() -> None:
    op.drop_table("gold_imports")
