"""Queries on imported gold: where it came from and the split it was pinned to."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from curate.store.queries import now
from curate.store.schema import gold_imports


def imported_from(connection: Connection, sha256: str) -> set[str]:
    """Documents whose gold was already imported from a file with this hash."""
    query = select(gold_imports.c.document_id).where(gold_imports.c.sha256 == sha256)
    return set(connection.scalars(query))


def record_imports(
    connection: Connection,
    document_ids: Sequence[str],
    source: str,
    sha256: str,
    split: str | None,
) -> None:
    if document_ids:
        created = now()
        connection.execute(
            insert(gold_imports),
            [
                {"document_id": d, "source": source, "sha256": sha256, "split": split}
                | {"created_at": created}
                for d in document_ids
            ],
        )


def pinned_splits(connection: Connection) -> dict[str, str]:
    """Document -> split its newest gold import pinned it to (unpinned ones are left out)."""
    rows = connection.execute(
        select(gold_imports.c.document_id, gold_imports.c.split).order_by(gold_imports.c.id)
    )
    pinned: dict[str, str] = {}
    for document_id, split in rows:
        if split is None:
            pinned.pop(document_id, None)
        else:
            pinned[document_id] = split
    return pinned
