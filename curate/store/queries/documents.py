"""Documents and where each was seen."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    insert,
    select,
)

from curate.records import Document
from curate.store.chunks import in_chunks
from curate.store.queries.base import now
from curate.store.schema import (
    document_sources,
    documents,
)


def existing_document_ids(connection: Connection, ids: Iterable[str]) -> set[str]:
    wanted = list(set(ids))
    found: set[str] = set()
    for chunk in in_chunks(wanted):  # stay under bound-parameter limits
        found.update(connection.scalars(select(documents.c.id).where(documents.c.id.in_(chunk))))
    return found


def insert_documents(connection: Connection, batch: list[Document]) -> None:
    if not batch:
        return
    created = now()
    connection.execute(
        insert(documents),
        [
            {
                "id": d.id,
                "title": d.title,
                "text": d.text,
                "metadata": d.metadata,
                "created_at": created,
            }
            for d in batch
        ],
    )


def known_sources(connection: Connection, document_ids: Iterable[str]) -> dict[str, list[str]]:
    """Source files each document was already seen in."""
    ids = list(set(document_ids))
    seen: dict[str, list[str]] = {}
    for chunk in in_chunks(ids):
        rows = connection.execute(
            select(document_sources.c.document_id, document_sources.c.source).where(
                document_sources.c.document_id.in_(chunk)
            )
        )
        for document_id, source in rows:
            seen.setdefault(document_id, []).append(source)
    return seen


def insert_sources(connection: Connection, batch: list[Document]) -> None:
    rows = [
        {"document_id": d.id, **asdict(d.provenance), "created_at": now()}
        for d in batch
        if d.provenance is not None
    ]
    if rows:
        connection.execute(insert(document_sources), rows)


def sources_of(connection: Connection, document_id: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(document_sources)
        .where(document_sources.c.document_id == document_id)
        .order_by(document_sources.c.id)
    )
    return [dict(row._mapping) for row in rows]


def first_source(document_id: Any) -> Any:
    """SQL for where the document with this id column was first seen (its earliest recorded
    source), "" when none is recorded: for reads that select documents in bulk."""
    earliest = (
        select(document_sources.c.source)
        .where(document_sources.c.document_id == document_id)
        .order_by(document_sources.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(earliest, "")


def get_document(connection: Connection, document_id: str) -> Document | None:
    row = connection.execute(select(documents).where(documents.c.id == document_id)).first()
    if row is None:
        return None
    return Document(text=row.text, title=row.title, metadata=row.metadata)


def iter_documents(connection: Connection, batch_size: int = 500) -> Iterator[Document]:
    """All documents in id order, paged so memory stays bounded."""
    last = ""
    while True:
        rows = connection.execute(
            select(documents)
            .where(documents.c.id > last)
            .order_by(documents.c.id)
            .limit(batch_size)
        ).all()
        for row in rows:
            yield Document(text=row.text, title=row.title, metadata=row.metadata)
        if len(rows) < batch_size:
            return
        last = rows[-1].id


def document_ids(connection: Connection) -> list[str]:
    return list(connection.scalars(select(documents.c.id).order_by(documents.c.id)))


def texts_by_ids(connection: Connection, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """id -> (title, text), without the metadata (cheaper for whole-corpus reads)."""
    found = {}
    for chunk in in_chunks(ids):
        rows = connection.execute(
            select(documents.c.id, documents.c.title, documents.c.text).where(
                documents.c.id.in_(chunk)
            )
        )
        for document_id, title, text in rows:
            found[document_id] = (title, text)
    return found


def documents_by_ids(connection: Connection, ids: list[str]) -> dict[str, Document]:
    found = {}
    for chunk in in_chunks(ids):
        rows = connection.execute(select(documents).where(documents.c.id.in_(chunk)))
        for row in rows:
            found[row.id] = Document(text=row.text, title=row.title, metadata=row.metadata)
    return found
