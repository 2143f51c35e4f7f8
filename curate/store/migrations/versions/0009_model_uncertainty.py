"""The entity model's own uncertainty and why each document was served.

- prelabel_runs.expected_corrections: a labeller that knows its confidence (the trained entity
  model) records how many corrections it expects an annotator to make on the document.
- selections: why the queue served a document where it did (uncertain, random or id), with the
  order's settings and the labellers it was ranked by; rows are only added, the newest counts.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("prelabel_runs") as table:
        table.add_column(sa.Column("expected_corrections", sa.Float, nullable=True))
    op.create_table(
        "selections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(40), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("queue_order", sa.String(16), nullable=False),
        sa.Column("random_share", sa.Float, nullable=False),
        sa.Column("ranked_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_selections_document_id", "selections", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_selections_document_id", "selections")
    op.drop_table("selections")
    with op.batch_alter_table("prelabel_runs") as table:
        table.drop_column("expected_corrections")
