"""Pre-label runs: which labeller version has seen which document, even when it found nothing.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prelabel_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(40), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("labeller", sa.String(128), nullable=False),
        sa.Column("suggestions", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("document_id", "labeller", name="uq_prelabel_run"),
    )
    with op.batch_alter_table("prelabels") as batch:
        batch.alter_column("labeller", type_=sa.String(128))


def downgrade() -> None:
    op.drop_table("prelabel_runs")
