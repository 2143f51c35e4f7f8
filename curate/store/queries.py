"""All SQL that reads and writes curate's tables. Functions take an open Connection."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

from curate.errors import AppendOnlyError
from curate.records import Annotation, Decision, Document, Prelabel, Span, StanceLabel
from curate.store.chunks import in_chunks
from curate.store.current import OPEN, current_decisions, is_open, newest_ids
from curate.store.schema import (
    annotations as annotation_rows,
)
from curate.store.schema import (
    assignments,
    decisions,
    document_agreement,
    document_sources,
    documents,
    prelabel_runs,
    prelabels,
    release_documents,
    releases,
    sync_state,
)


def now() -> datetime:
    return datetime.now(UTC)


# --- documents ---------------------------------------------------------------------------


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


def first_sources(connection: Connection, ids: Sequence[str]) -> dict[str, str]:
    """Where each document was first seen (its earliest recorded source)."""
    found: dict[str, str] = {}
    for chunk in in_chunks(ids):
        rows = connection.execute(
            select(document_sources.c.document_id, document_sources.c.source)
            .where(document_sources.c.document_id.in_(chunk))
            .order_by(document_sources.c.id)
        )
        for document_id, source in rows:
            found.setdefault(document_id, source)
    return found


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


# --- pre-labels and assignments ----------------------------------------------------------


def insert_prelabels(connection: Connection, batch: list[Prelabel]) -> None:
    if batch:
        created = now()
        connection.execute(insert(prelabels), [asdict(p) | {"created_at": created} for p in batch])


def prelabels_for(connection: Connection, document_id: str) -> list[Prelabel]:
    """Suggestions from the newest run of each labeller (older versions stay stored)."""
    return prelabels_for_many(connection, [document_id]).get(document_id, [])


def prelabels_for_many(connection: Connection, ids: list[str]) -> dict[str, list[Prelabel]]:
    """prelabels_for, for many documents in a few queries."""
    newest: dict[str, dict[str, str]] = {}
    found: dict[str, list[Prelabel]] = {}
    fields = Prelabel.__dataclass_fields__
    for chunk in in_chunks(ids):
        runs = connection.execute(
            select(prelabel_runs.c.document_id, prelabel_runs.c.labeller)
            .where(prelabel_runs.c.document_id.in_(chunk))
            .order_by(prelabel_runs.c.id)
        )
        for document_id, labeller in runs:
            newest.setdefault(document_id, {})[labeller.split("+", 1)[0]] = labeller
        rows = connection.execute(
            select(prelabels).where(prelabels.c.document_id.in_(chunk)).order_by(prelabels.c.id)
        )
        for row in rows:
            if row.labeller in newest.get(row.document_id, {}).values():
                values = {k: v for k, v in row._mapping.items() if k in fields}
                found.setdefault(row.document_id, []).append(Prelabel(**values))
    return found


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


def record_prelabel_runs(connection: Connection, labeller: str, counts: dict[str, int]) -> None:
    """Mark documents as seen by this labeller version, with how many suggestions it made."""
    if counts:
        created = now()
        connection.execute(
            insert(prelabel_runs),
            [
                {"document_id": d, "labeller": labeller, "suggestions": n, "created_at": created}
                for d, n in counts.items()
            ],
        )


def insert_assignments(connection: Connection, rows: list[tuple[str, str, bool]]) -> None:
    """(document_id, annotator, blind) triples."""
    if rows:
        created = now()
        connection.execute(
            insert(assignments),
            [
                {"document_id": d, "annotator": a, "blind": b, "created_at": created}
                for d, a, b in rows
            ],
        )


def assignment_map(connection: Connection) -> dict[str, set[str]]:
    """document id -> annotators assigned to it."""
    rows = connection.execute(select(assignments.c.document_id, assignments.c.annotator))
    found: dict[str, set[str]] = {}
    for document_id, annotator in rows:
        found.setdefault(document_id, set()).add(annotator)
    return found


def blind_documents(connection: Connection) -> set[str]:
    rows = connection.execute(
        select(assignments.c.document_id).where(assignments.c.blind.is_(True)).distinct()
    )
    return {document_id for (document_id,) in rows}


def assignments_of(connection: Connection, annotator: str) -> list[str]:
    return list(
        connection.scalars(
            select(assignments.c.document_id)
            .where(assignments.c.annotator == annotator)
            .order_by(assignments.c.id)
        )
    )


# --- annotations (append-only) -----------------------------------------------------------


def add_annotation(connection: Connection, annotation: Annotation) -> Annotation:
    """Store a new revision; earlier revisions stay as they were."""
    latest = connection.scalar(
        select(func.max(annotation_rows.c.revision)).where(
            annotation_rows.c.document_id == annotation.document_id,
            annotation_rows.c.annotator == annotation.annotator,
        )
    )
    row = _annotation_row(annotation, (latest or 0) + 1)
    return _annotation(
        row | {"id": _inserted_id(connection.execute(insert(annotation_rows).values(row)))}
    )


def add_annotations(connection: Connection, batch: list[Annotation]) -> None:
    """Store many new revisions in one INSERT (revision numbers follow the stored ones)."""
    if not batch:
        return
    ids = sorted({a.document_id for a in batch})
    latest: dict[tuple[str, str], int] = {}
    for chunk in in_chunks(ids):
        rows = connection.execute(
            select(
                annotation_rows.c.document_id,
                annotation_rows.c.annotator,
                func.max(annotation_rows.c.revision),
            )
            .where(annotation_rows.c.document_id.in_(chunk))
            .group_by(annotation_rows.c.document_id, annotation_rows.c.annotator)
        )
        for document_id, annotator, revision in rows:
            latest[(document_id, annotator)] = revision
    values = []
    for annotation in batch:
        key = (annotation.document_id, annotation.annotator)
        latest[key] = latest.get(key, 0) + 1
        values.append(_annotation_row(annotation, latest[key]))
    connection.execute(insert(annotation_rows), values)


def _annotation_row(annotation: Annotation, revision: int) -> dict[str, Any]:
    return {
        "document_id": annotation.document_id,
        "annotator": annotation.annotator,
        "revision": revision,
        "origin": annotation.origin,
        "spans": [span_record(span) for span in annotation.spans],
        "stances": [asdict(stance) for stance in annotation.stances],
        "skipped_reason": annotation.skipped_reason,
        "lead_time_seconds": annotation.lead_time_seconds,
        "from_prelabel": annotation.from_prelabel,
        "prelabel_changed": annotation.prelabel_changed,
        "suggestion_use": annotation.suggestion_use,
        "guideline_version": annotation.guideline_version,
        "external_id": annotation.external_id,
        "created_at": now(),
    }


def span_record(span: Span) -> dict[str, Any]:
    """A span as stored: its raw offsets only when they differ (edge whitespace trimmed)."""
    record: dict[str, Any] = {
        "start": span.start,
        "end": span.end,
        "label": span.label,
        "text": span.text,
    }
    if span.raw is not None:
        record["raw"] = list(span.raw)
    return record


def _annotation(row: Any) -> Annotation:
    fields = Annotation.__dataclass_fields__
    values = {k: v for k, v in dict(row).items() if k in fields}
    values["spans"] = tuple(
        Span(s["start"], s["end"], s["label"], s["text"], tuple(s["raw"]) if s.get("raw") else None)
        for s in values["spans"]
    )
    values["stances"] = tuple(StanceLabel(**s) for s in values["stances"])
    return Annotation(**values)


def annotation_history(
    connection: Connection, document_id: str, annotator: str | None = None
) -> list[Annotation]:
    query = select(annotation_rows).where(annotation_rows.c.document_id == document_id)
    if annotator is not None:
        query = query.where(annotation_rows.c.annotator == annotator)
    rows = connection.execute(
        query.order_by(annotation_rows.c.annotator, annotation_rows.c.revision)
    )
    return [_annotation(row._mapping) for row in rows]


def newest_annotations(
    connection: Connection, document_ids: Sequence[str] | None = None
) -> list[Annotation]:
    """The newest revision of every (document, annotator), optionally for some documents."""
    newest = select(
        annotation_rows.c.document_id,
        annotation_rows.c.annotator,
        func.max(annotation_rows.c.revision).label("revision"),
    ).group_by(annotation_rows.c.document_id, annotation_rows.c.annotator)
    if document_ids is None:
        chunks: list[Sequence[str] | None] = [None]
    else:
        chunks = list(in_chunks(document_ids))
    found: list[Annotation] = []
    for chunk in chunks:
        query = newest if chunk is None else newest.where(annotation_rows.c.document_id.in_(chunk))
        latest = query.subquery()
        rows = connection.execute(
            select(annotation_rows)
            .join(
                latest,
                (annotation_rows.c.document_id == latest.c.document_id)
                & (annotation_rows.c.annotator == latest.c.annotator)
                & (annotation_rows.c.revision == latest.c.revision),
            )
            .order_by(annotation_rows.c.document_id, annotation_rows.c.annotator)
        )
        found.extend(_annotation(row._mapping) for row in rows)
    return found


def all_annotations(connection: Connection) -> list[Annotation]:
    """Every revision of every annotation, in storage order."""
    rows = connection.execute(select(annotation_rows).order_by(annotation_rows.c.id))
    return [_annotation(row._mapping) for row in rows]


def refuse_change(error: DBAPIError) -> AppendOnlyError:
    """Turn a trigger's refusal into curate's error."""
    return AppendOnlyError(
        f"human labels are append-only ({error.orig}); store a new revision instead"
    )


# --- decisions, releases, sync state -----------------------------------------------------


def add_decision(connection: Connection, decision: Decision) -> int:
    row = asdict(decision) | {"based_on": list(decision.based_on), "created_at": now()}
    row.pop("id")
    return _inserted_id(connection.execute(insert(decisions).values(row)))


def decisions_for(connection: Connection, document_ids: Sequence[str]) -> list[Decision]:
    """Every decision on these documents, oldest first."""
    found = []
    fields = Decision.__dataclass_fields__
    for chunk in in_chunks(document_ids):
        rows = connection.execute(
            select(decisions).where(decisions.c.document_id.in_(chunk)).order_by(decisions.c.id)
        )
        for row in rows:
            values = {k: v for k, v in row._mapping.items() if k in fields}
            found.append(Decision(**values | {"based_on": tuple(values["based_on"])}))
    return found


def decided_documents(connection: Connection) -> set[str]:
    return set(connection.scalars(select(decisions.c.document_id).distinct()))


def store_document_scores(
    connection: Connection, rows: list[tuple[str, float | None, float | None, float | None, int]]
) -> None:
    """(document id, score, entity F1, stance agreement, annotators): replaces earlier scores."""
    ids = [row[0] for row in rows]
    for chunk in in_chunks(ids):
        connection.execute(
            delete(document_agreement).where(document_agreement.c.document_id.in_(chunk))
        )
    if rows:
        stamp = now()
        connection.execute(
            insert(document_agreement),
            [
                {
                    "document_id": d,
                    "score": score,
                    "entity_f1": entity,
                    "stance_agreement": stance,
                    "annotators": annotators,
                    "updated_at": stamp,
                }
                for d, score, entity, stance, annotators in rows
            ],
        )


def document_scores(
    connection: Connection, document_id: str | None = None
) -> dict[str, float | None]:
    """Stored agreement scores, for every document or for one."""
    query = select(document_agreement.c.document_id, document_agreement.c.score)
    if document_id is not None:
        query = query.where(document_agreement.c.document_id == document_id)
    return {found: score for found, score in connection.execute(query)}


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None  # single-row INSERT always has one
    return int(key[0])


def record_external_id(
    connection: Connection,
    system: str,
    kind: str,
    local_id: str,
    external_id: str,
    data: dict[str, Any] | None = None,
) -> None:
    existing = connection.scalar(
        select(sync_state.c.id).where(
            sync_state.c.system == system,
            sync_state.c.kind == kind,
            sync_state.c.external_id == external_id,
        )
    )
    if existing is None:
        connection.execute(
            insert(sync_state).values(
                system=system,
                kind=kind,
                local_id=local_id,
                external_id=external_id,
                data=data or {},
                updated_at=now(),
            )
        )


def set_marker(connection: Connection, system: str, name: str, value: str) -> None:
    """Append a progress marker (e.g. when a project was last pulled); the newest one counts."""
    connection.execute(
        insert(sync_state).values(
            system=system,
            kind="marker",
            local_id=name,
            external_id=f"{name}@{value}",
            data={"value": value},
            updated_at=now(),
        )
    )


def last_marker(connection: Connection, system: str, name: str) -> str | None:
    row = connection.execute(
        select(sync_state.c.data)
        .where(
            sync_state.c.system == system,
            sync_state.c.kind == "marker",
            sync_state.c.local_id == name,
        )
        .order_by(sync_state.c.id.desc())
        .limit(1)
    ).first()
    return str(row.data["value"]) if row else None


def insert_external_ids(
    connection: Connection, system: str, kind: str, pairs: list[tuple[str, str]]
) -> None:
    """Record many (local id, external id) pairs known to be new."""
    if pairs:
        stamp = now()
        connection.execute(
            insert(sync_state),
            [
                {
                    "system": system,
                    "kind": kind,
                    "local_id": local,
                    "external_id": external,
                    "data": {},
                    "updated_at": stamp,
                }
                for local, external in pairs
            ],
        )


def external_ids(connection: Connection, system: str, kind: str) -> dict[str, str]:
    """external id -> local id."""
    rows = connection.execute(
        select(sync_state.c.external_id, sync_state.c.local_id).where(
            sync_state.c.system == system, sync_state.c.kind == kind
        )
    )
    return {external: local for external, local in rows}


def gold_stances(connection: Connection) -> dict[str, dict[str, str]]:
    """Gold stance: document id -> target -> label, from the current decisions that are settled."""
    gold: dict[str, dict[str, str]] = {}
    for (document_id, kind, target), decision in current_decisions(connection).items():
        if kind == "stance" and target is not None and not is_open(decision):
            gold.setdefault(document_id, {})[target] = decision.payload["label"]
    return gold


def gold_entities(connection: Connection) -> dict[str, list[Span]]:
    """Gold entities: document id -> spans, from the current entity decisions that are settled."""
    return {
        document_id: [
            Span(s["start"], s["end"], s["label"], s["text"]) for s in decision.payload["spans"]
        ]
        for (document_id, kind, _), decision in current_decisions(connection).items()
        if kind == "entity" and not is_open(decision)
    }


def labels_in_use(connection: Connection) -> set[str]:
    """Every entity and stance label some stored annotation uses."""
    used: set[str] = set()
    for spans, stances in connection.execute(
        select(annotation_rows.c.spans, annotation_rows.c.stances)
    ):
        used.update(span["label"] for span in spans)
        used.update(stance["label"] for stance in stances)
    return used


def count_annotated(connection: Connection, annotator: str) -> int:
    """Documents this annotator has submitted (labelled or skipped)."""
    query = select(func.count(func.distinct(annotation_rows.c.document_id))).where(
        annotation_rows.c.annotator == annotator
    )
    return int(connection.scalar(query) or 0)


def latest_annotations(connection: Connection, annotator: str) -> dict[str, Annotation]:
    """The newest revision of each document this annotator labelled."""
    rows = connection.execute(
        select(annotation_rows)
        .where(annotation_rows.c.annotator == annotator)
        .order_by(annotation_rows.c.revision)
    )
    return {row.document_id: _annotation(row._mapping) for row in rows}


# --- releases ----------------------------------------------------------------------------


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
    release_id = _inserted_id(result)
    # 100,000s of rows as one JSON parameter, unpacked by the database: no Python call per row.
    pairs = dict(sorted(splits.items()))
    if connection.dialect.name == "postgresql":
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


def set_release_fingerprint(connection: Connection, release_id: int, fingerprint: str) -> None:
    connection.execute(
        update(releases).where(releases.c.id == release_id).values(fingerprint=fingerprint)
    )


# --- status ------------------------------------------------------------------------------


def _decided_documents(connection: Connection, settled: bool) -> int:
    """Documents whose items are all settled (no item's newest decision is `open`), or with
    settled False, documents with an item waiting for review."""
    newest = newest_ids()
    still_open = func.sum(case((decisions.c.method == OPEN, 1), else_=0))
    chosen = (
        select(decisions.c.document_id)
        .join(newest, newest.c.id == decisions.c.id)
        .group_by(decisions.c.document_id)
        .having(still_open == 0 if settled else still_open > 0)
        .subquery()
    )
    return int(connection.scalar(select(func.count()).select_from(chosen)) or 0)


def stage_counts(connection: Connection) -> dict[str, int]:
    """Documents at each stage of the workflow."""
    latest_release = select(func.max(releases.c.id)).scalar_subquery()

    def distinct_documents(table: Any, *where: Any) -> int:
        query = select(func.count(func.distinct(table.c.document_id)))
        return int(connection.scalar(query.where(*where) if where else query) or 0)

    return {
        "documents": int(connection.scalar(select(func.count()).select_from(documents)) or 0),
        "pre-labelled": distinct_documents(prelabel_runs),
        "assigned": distinct_documents(assignments),
        "annotated": distinct_documents(
            annotation_rows, annotation_rows.c.skipped_reason.is_(None)
        ),
        "waiting for review": _decided_documents(connection, settled=False),
        "adjudicated": _decided_documents(connection, settled=True),
        "released": distinct_documents(
            release_documents, release_documents.c.release_id == latest_release
        ),
    }
