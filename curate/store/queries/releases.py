"""Releases and the split of every released document."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    Connection,
    cast,
    func,
    insert,
    literal,
    select,
)

from curate.store.queries.base import inserted_id, now
from curate.store.schema import (
    release_documents,
    releases,
)


def release_history(connection: Connection, name: str) -> list[dict[str, Any]]:
    """Releases of this dataset, oldest first, with how many documents each holds."""
    counts = (
        select(release_documents.c.release_id, func.count().label("documents"))
        .group_by(release_documents.c.release_id)
        .subquery()
    )
    rows = connection.execute(
        select(releases, counts.c.documents)
        .outerjoin(counts, counts.c.release_id == releases.c.id)
        .where(releases.c.name == name)
        .order_by(releases.c.id)
    )
    return [dict(row._mapping) for row in rows]


def release_splits(connection: Connection) -> dict[str, str]:
    """The split each released document was put in (a document never moves split)."""
    rows = connection.execute(
        select(release_documents.c.document_id, release_documents.c.split).order_by(
            release_documents.c.release_id
        )
    )
    return {document_id: split for document_id, split in rows}


def record_release(
    connection: Connection,
    name: str,
    version: str,
    path: str,
    fingerprint: str,
    splits: dict[str, str],
) -> int:
    """The release and the split of every document in it; returns the release's id."""
    result = connection.execute(
        insert(releases).values(
            name=name, version=version, path=path, fingerprint=fingerprint, created_at=now()
        )
    )
    release_id = inserted_id(result)
    # 100,000s of rows as one JSON parameter, unpacked by the database: no Python call per row.
    pairs = dict(sorted(splits.items()))
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # its import loads every driver's module

        each = func.json_each_text(cast(pairs, postgresql.JSON)).table_valued("key", "value")
    else:
        each = func.json_each(json.dumps(pairs)).table_valued("key", "value")
    connection.execute(
        insert(release_documents).from_select(
            ["release_id", "document_id", "split"],
            select(literal(release_id), each.c.key, each.c.value),
        )
    )
    return release_id
