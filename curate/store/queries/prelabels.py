"""Machine suggestions and which labeller version has seen which document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import (
    Connection,
    func,
    insert,
    select,
)

from curate.records import Document, Prelabel, family
from curate.store.chunks import in_chunks
from curate.store.queries.base import now
from curate.store.schema import (
    documents,
    prelabel_runs,
    prelabels,
)


def insert_prelabels(connection: Connection, batch: list[Prelabel]) -> None:
    if batch:
        created = now()
        connection.execute(insert(prelabels), [asdict(p) | {"created_at": created} for p in batch])


def prelabels_for(connection: Connection, document_id: str) -> list[Prelabel]:
    """Suggestions from the newest run of each labeller (older versions stay stored)."""
    return prelabels_for_many(connection, [document_id]).get(document_id, [])


def newest_runs(connection: Connection, ids: Sequence[str] | None = None) -> dict[str, set[str]]:
    """The one definition of which suggestions are current: on each document (of ids, default
    all), the labeller versions that ran last of their family (records.family). Older
    versions' suggestions stay stored."""
    newest: dict[str, dict[str, str]] = {}
    query = select(prelabel_runs.c.document_id, prelabel_runs.c.labeller)
    for chunk in [None] if ids is None else in_chunks(ids):
        chosen = query if chunk is None else query.where(prelabel_runs.c.document_id.in_(chunk))
        for document_id, labeller in connection.execute(chosen.order_by(prelabel_runs.c.id)):
            newest.setdefault(document_id, {})[family(labeller)] = labeller
    return {document_id: set(found.values()) for document_id, found in newest.items()}


def prelabels_for_many(connection: Connection, ids: list[str]) -> dict[str, list[Prelabel]]:
    """prelabels_for, for many documents in a few queries."""
    found: dict[str, list[Prelabel]] = {}
    fields = Prelabel.__dataclass_fields__
    for chunk in in_chunks(ids):
        newest = newest_runs(connection, chunk)
        rows = connection.execute(
            select(prelabels).where(prelabels.c.document_id.in_(chunk)).order_by(prelabels.c.id)
        )
        for row in rows:
            if row.labeller in newest.get(row.document_id, ()):
                values = {k: v for k, v in row._mapping.items() if k in fields}
                found.setdefault(row.document_id, []).append(Prelabel(**values))
    return found


def documents_not_run(
    connection: Connection, labeller: str, after: str = "", limit: int = 200
) -> list[Document]:
    """One page (by id, after `after`) of documents this exact labeller version has not seen."""
    done = select(prelabel_runs.c.document_id).where(prelabel_runs.c.labeller == labeller)
    rows = connection.execute(
        select(documents.c.text, documents.c.title, documents.c.metadata)
        .where(documents.c.id > after, documents.c.id.not_in(done))
        .order_by(documents.c.id)
        .limit(limit)
    )
    return [Document(text=row.text, title=row.title, metadata=row.metadata) for row in rows]


def count_documents_not_run(connection: Connection, labeller: str) -> int:
    done = select(prelabel_runs.c.document_id).where(prelabel_runs.c.labeller == labeller)
    query = select(func.count()).select_from(documents).where(documents.c.id.not_in(done))
    return int(connection.scalar(query) or 0)


def record_prelabel_runs(
    connection: Connection,
    labeller: str,
    counts: dict[str, int],
    expected: dict[str, float | None] | None = None,
) -> None:
    """Mark documents as seen by this labeller version, with how many suggestions it made and
    (a labeller that knows its confidence) the corrections it expects there."""
    if counts:
        created = now()
        expected = expected or {}
        connection.execute(
            insert(prelabel_runs),
            [
                {
                    "document_id": d,
                    "labeller": labeller,
                    "suggestions": n,
                    "expected_corrections": expected.get(d),
                    "created_at": created,
                }
                for d, n in counts.items()
            ],
        )


def expected_corrections(connection: Connection, ids: Sequence[str]) -> dict[str, float]:
    """Per document of ids, the corrections its newest labeller runs expect (summed over the
    labellers that say; documents none of them spoke for are left out)."""
    found: dict[str, float] = {}
    for chunk in in_chunks(list(ids)):
        newest = newest_runs(connection, chunk)
        rows = connection.execute(
            select(
                prelabel_runs.c.document_id,
                prelabel_runs.c.labeller,
                prelabel_runs.c.expected_corrections,
            ).where(
                prelabel_runs.c.document_id.in_(chunk),
                prelabel_runs.c.expected_corrections.is_not(None),
            )
        )
        for document_id, labeller, value in rows:
            if labeller in newest.get(document_id, ()):
                found[document_id] = found.get(document_id, 0.0) + value
    return found


def newest_labeller_versions(connection: Connection) -> list[str]:
    """The newest version of each labeller (the family before "+"), by its latest run; what a
    Label Studio prediction's model_version names."""
    latest = connection.execute(
        select(prelabel_runs.c.labeller, func.max(prelabel_runs.c.id)).group_by(
            prelabel_runs.c.labeller
        )
    )
    newest: dict[str, tuple[int, str]] = {}
    for labeller, last in latest:
        name = family(labeller)
        if name not in newest or newest[name][0] < last:
            newest[name] = (last, labeller)
    return sorted(labeller for _, labeller in newest.values())
