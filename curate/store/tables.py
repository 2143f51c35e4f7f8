"""Whole store tables read into Arrow for the pandas API: documents, the suggestions annotators
are shown, and decisions. (Annotations: annotation_table.py.)"""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import Connection, Text, cast, select

from curate.frames import STRING
from curate.store.arrow import read_table
from curate.store.current import current_table
from curate.store.queries.documents import first_source
from curate.store.queries.prelabels import newest_runs
from curate.store.schema import decisions, documents, prelabels

TIME = pa.timestamp("us", tz="UTC")


def document_table(connection: Connection) -> pa.Table:
    """One row per document (id, title, text, the source it was first seen in, created_at),
    sorted by id."""
    query = select(
        documents.c.id,
        documents.c.title,
        documents.c.text,
        first_source(documents.c.id),
        documents.c.created_at,
    )
    schema = pa.schema(
        [
            ("id", STRING),
            ("title", STRING),
            ("text", pa.large_string()),
            ("source", STRING),
            ("created_at", TIME),
        ]
    )
    return read_table(connection, query, schema).sort_by("id")


SUGGESTIONS = pa.schema(
    [
        ("document_id", STRING),
        ("kind", STRING),
        ("labeller", STRING),
        ("label", STRING),
        ("target", STRING),
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("text", STRING),
        ("score", pa.float64()),
        ("created_at", TIME),
    ]
)


def shown_suggestion_table(connection: Connection) -> pa.Table:
    """The suggestions of the newest run of each labeller on each document (newest_runs), sorted
    by document, kind, labeller, start and label."""
    p = prelabels.c
    found = read_table(connection, select(*(p[f.name] for f in SUGGESTIONS)), SUGGESTIONS)
    runs = newest_runs(connection)
    pairs = [(d, labeller) for d, labellers in runs.items() for labeller in labellers]
    newest = pa.table(
        {
            "document_id": pa.array([d for d, _ in pairs], STRING),
            "labeller": pa.array([labeller for _, labeller in pairs], STRING),
        }
    )
    shown = found.join(newest, ["document_id", "labeller"], join_type="inner")
    return shown.select(SUGGESTIONS.names).sort_by(
        [(name, "ascending") for name in ("document_id", "kind", "labeller", "start", "label")]
    )


def decision_table(connection: Connection, current: bool = True) -> pa.Table:
    """Each item's current decision (current.py), or every decision ever made, by id; payload
    as a struct of its span starts and its stance label."""
    c = (current_table() if current else decisions).c
    payload = pa.struct(
        [("spans", pa.list_(pa.struct([("start", pa.int64())]))), ("label", STRING)]
    )
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("document_id", STRING),
            ("kind", STRING),
            ("target", STRING),
            ("method", STRING),
            ("payload", payload),
            ("decided_by", STRING),
            ("note", STRING),
            ("guideline_version", STRING),
            ("created_at", TIME),
        ]
    )
    query = select(
        c.id,
        c.document_id,
        c.kind,
        c.target,
        c.method,
        cast(c.payload, Text),
        c.decided_by,
        c.note,
        c.guideline_version,
        c.created_at,
    ).order_by(c.id)
    return read_table(connection, query, schema)
