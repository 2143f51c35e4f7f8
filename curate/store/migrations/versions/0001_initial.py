"""Initial tables: documents and their sources, pre-labels, assignments, append-only annotations
and decisions, releases, sync state.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("annotations", "decisions")


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        _created(),
    )
    op.create_table(
        "document_sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(40), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("char_start", sa.Integer),
        sa.Column("char_end", sa.Integer),
        sa.Column("row", sa.Integer),
        _created(),
        sa.UniqueConstraint(
            "document_id", "source", "char_start", "row", name="uq_document_source"
        ),
    )
    op.create_table(
        "prelabels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(40), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("labeller", sa.String(64), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("target", sa.String(128)),
        sa.Column("start", sa.Integer),
        sa.Column("end", sa.Integer),
        sa.Column("text", sa.Text),
        sa.Column("score", sa.Float),
        _created(),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(40), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("annotator", sa.String(64), nullable=False),
        sa.Column("blind", sa.Boolean, nullable=False),
        _created(),
        sa.UniqueConstraint("document_id", "annotator", name="uq_assignment"),
    )
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(40), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("annotator", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("spans", sa.JSON, nullable=False),
        sa.Column("stances", sa.JSON, nullable=False),
        sa.Column("skipped_reason", sa.Text),
        sa.Column("lead_time_seconds", sa.Float),
        sa.Column("from_prelabel", sa.Boolean, nullable=False),
        sa.Column("prelabel_changed", sa.Boolean, nullable=False),
        sa.Column("guideline_version", sa.String(32)),
        sa.Column("external_id", sa.String(64)),
        _created(),
        sa.UniqueConstraint("document_id", "annotator", "revision", name="uq_annotation_revision"),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(40), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(128)),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("based_on", sa.JSON, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("guideline_version", sa.String(32)),
        _created(),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        _created(),
        sa.UniqueConstraint("name", "version", name="uq_release_version"),
    )
    op.create_table(
        "release_documents",
        sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id"), primary_key=True),
        sa.Column("document_id", sa.String(40), sa.ForeignKey("documents.id"), primary_key=True),
        sa.Column("split", sa.String(32), nullable=False),
    )
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("system", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("local_id", sa.String(128), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("system", "kind", "external_id", name="uq_sync_external"),
    )
    for table, column in [
        ("document_sources", "document_id"),
        ("prelabels", "document_id"),
        ("assignments", "document_id"),
        ("annotations", "document_id"),
        ("decisions", "document_id"),
    ]:
        op.create_index(f"ix_{table}_{column}", table, [column])
    _refuse_changes_to(APPEND_ONLY)


def _refuse_changes_to(tables: tuple[str, ...]) -> None:
    """Database triggers make human labels append-only whatever code touches the tables."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION curate_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION '% is append-only: add a new revision instead', TG_TABLE_NAME; "
            "END $$ LANGUAGE plpgsql"
        )
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION curate_append_only()"
            )
        return
    for table in tables:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: add a new revision instead'); "
                "END"
            )


def downgrade() -> None:
    for table in (
        "sync_state",
        "release_documents",
        "releases",
        "decisions",
        "annotations",
        "assignments",
        "prelabels",
        "document_sources",
        "documents",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS curate_append_only()")
