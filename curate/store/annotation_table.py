"""Annotations as one Arrow table, a row per revision, spans and stances as lists: how the
release's annotations config and agreement both read them (curate.store.arrow)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Select, Text, cast, func, select, true
from sqlalchemy.sql.elements import ColumnElement

from curate.store.arrow import read_table
from curate.store.chunks import in_chunks
from curate.store.queries.annotations import is_control, is_newest, newest_revisions
from curate.store.schema import annotations as annotation_rows

STRING = pa.string()
SPANS = pa.list_(
    pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", STRING), ("text", STRING)])
)
STANCES = pa.list_(pa.struct([("target", STRING), ("label", STRING)]))
ANNOTATION_TABLE = pa.schema(
    [
        ("document_id", STRING),
        ("annotator", STRING),
        ("revision", pa.int64()),
        ("origin", STRING),
        ("entities", SPANS),
        ("stances", STANCES),
        ("skipped_reason", STRING),
        ("lead_time_seconds", pa.float64()),
        ("from_prelabel", pa.bool_()),
        ("prelabel_changed", pa.bool_()),
        ("suggestions_accepted", pa.int64()),
        ("suggestions_changed", pa.int64()),
        ("suggestions_rejected", pa.int64()),
        ("stance_suggestions_accepted", pa.int64()),
        ("stance_suggestions_changed", pa.int64()),
        ("stance_suggestions_rejected", pa.int64()),
        ("guideline_version", STRING),
        ("created_at", pa.timestamp("us", tz="UTC")),
        # The annotator's newest revision of the document (queries.newest_revisions).
        ("newest", pa.bool_()),
    ]
)
ORDER = [("document_id", "ascending"), ("annotator", "ascending"), ("revision", "ascending")]


def read_annotations(
    connection: Connection,
    document_ids: Sequence[str] | None = None,
    newest_only: bool = False,
    evidence_only: bool = False,
) -> pa.Table:
    """Every revision (or with newest_only, the newest of each document and annotator), for
    some documents or all, sorted by document, annotator and revision; evidence_only leaves
    out annotations of control documents (they measure annotators, never gold)."""
    chunks = [None] if document_ids is None else list(in_chunks(document_ids))
    found = [ANNOTATION_TABLE.empty_table()]
    for chunk in chunks:
        found.append(
            read_table(
                connection, _query(connection, chunk, newest_only, evidence_only), ANNOTATION_TABLE
            )
        )
    return pa.concat_tables(found).combine_chunks().sort_by(ORDER)


def _query(
    connection: Connection,
    document_ids: Sequence[str] | None,
    newest_only: bool,
    evidence_only: bool,
) -> Select[Any]:
    a = annotation_rows.c
    query = select(
        a.document_id,
        a.annotator,
        a.revision,
        a.origin,
        cast(a.spans, Text),
        cast(a.stances, Text),
        a.skipped_reason,
        a.lead_time_seconds,
        a.from_prelabel,
        a.prelabel_changed,
        *(_suggestions(connection, kind) for kind in ("accepted", "changed", "rejected")),
        *(
            _suggestions(connection, f"stances_{kind}")
            for kind in ("accepted", "changed", "rejected")
        ),
        func.coalesce(a.guideline_version, ""),
        a.created_at,
    )
    if document_ids is not None:
        query = query.where(a.document_id.in_(document_ids))
    if evidence_only:
        query = query.where(~is_control())
    newest = newest_revisions(evidence_only, document_ids=document_ids)
    if newest_only:
        return query.join(newest, is_newest(newest)).add_columns(true().label("newest"))
    marked = query.outerjoin(newest, is_newest(newest))
    return marked.add_columns(newest.c.revision.is_not(None).label("newest"))


def _suggestions(connection: Connection, kind: str) -> ColumnElement[int]:
    """How many suggestions an annotation's suggestion_use lists as `kind` (0 without one)."""
    use = annotation_rows.c.suggestion_use
    if connection.dialect.name == "postgresql":
        length = func.json_array_length(use[kind])
    else:
        length = func.json_array_length(use, f"$.{kind}")
    return func.coalesce(length, 0)
