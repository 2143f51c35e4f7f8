"""Control documents: an assignment can be a control, a document that already has gold given to
an annotator to measure them (curate.toml [quality] control_fraction).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assignments") as table:
        table.add_column(
            sa.Column("control", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("assignments") as table:
        table.drop_column("control")
