"""The rows a release's gold is made of, read as Arrow tables (curate.store.arrow): the current
entity decision of every settled document with its text and first source, and every settled
stance. domain/gold.py turns them into the gold config."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlalchemy import ColumnElement, Connection, Text, cast, func, select

from curate.store.arrow import read_table
from curate.store.current import current_table, documents_waiting, is_open_row
from curate.store.queries.documents import first_source
from curate.store.schema import documents

SPAN = pa.struct(
    [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("label", pa.string()),
        ("text", pa.string()),
        ("method", pa.string()),
    ]
)
STRING = pa.string()
ENTITY_ROWS = pa.schema(
    [
        ("id", STRING),
        ("title", STRING),
        ("text", pa.large_string()),
        ("source", STRING),
        ("method", STRING),
        ("payload", pa.struct([("spans", pa.list_(SPAN))])),
    ]
)
STANCE_ROWS = pa.schema([(name, STRING) for name in ("document_id", "target", "method", "label")])


def _in_byte_order(connection: Connection, column: Any) -> ColumnElement[Any]:
    """Ids sorted by their bytes, as Arrow and Python sort them (PostgreSQL's default collation
    sorts by language rules)."""
    return column.collate("C") if connection.dialect.name == "postgresql" else column


def waiting_documents(connection: Connection) -> list[str]:
    """Documents with an item waiting for review: not in gold."""
    return sorted(connection.scalars(documents_waiting()))


def entity_rows(connection: Connection) -> pa.Table:
    """The current entity decision of every settled document, with its text and first source,
    sorted by id."""
    current = current_table()
    query = (
        select(
            current.c.document_id,
            documents.c.title,
            documents.c.text,
            first_source(current.c.document_id),
            current.c.method,
            cast(current.c.payload, Text),
        )
        .join(documents, documents.c.id == current.c.document_id)
        .where(
            current.c.kind == "entity",
            current.c.document_id.not_in(documents_waiting()),
        )
        .order_by(_in_byte_order(connection, current.c.document_id))
    )
    return read_table(connection, query, ENTITY_ROWS)


def stance_rows(connection: Connection) -> pa.Table:
    """The current decision of every settled stance item: document, target, method, label."""
    current = current_table()
    query = select(
        current.c.document_id,
        current.c.target,
        current.c.method,
        func.coalesce(current.c.payload["label"].as_string(), ""),
    ).where(current.c.kind == "stance", ~is_open_row(current))
    return read_table(connection, query, STANCE_ROWS)
