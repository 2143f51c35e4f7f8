"""Assignments and human annotations (append-only: a change is a new revision)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import (
    Connection,
    Subquery,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
)

from curate.records import Annotation, Span, StanceLabel
from curate.store.chunks import in_chunks
from curate.store.queries.base import inserted_id, now
from curate.store.schema import (
    annotations as annotation_rows,
)
from curate.store.schema import (
    assignments,
)


def insert_assignments(
    connection: Connection, rows: list[tuple[str, str, bool]], control: bool = False
) -> None:
    """(document_id, annotator, blind) triples; control: they are control documents."""
    if rows:
        created = now()
        connection.execute(
            insert(assignments),
            [
                {
                    "document_id": d,
                    "annotator": a,
                    "blind": b,
                    "control": control,
                    "created_at": created,
                }
                for d, a, b in rows
            ],
        )


def remove_assignments(connection: Connection, pairs: list[tuple[str, str]]) -> None:
    """Take back (document id, annotator) assignments that were never sent to anyone."""
    for document_id, annotator in pairs:
        connection.execute(
            delete(assignments).where(
                assignments.c.document_id == document_id, assignments.c.annotator == annotator
            )
        )


def control_pairs(connection: Connection) -> set[tuple[str, str]]:
    """(document id, annotator) of every control assignment."""
    rows = connection.execute(
        select(assignments.c.document_id, assignments.c.annotator).where(
            assignments.c.control.is_(True)
        )
    )
    return {(d, a) for d, a in rows}


def is_control() -> Any:
    """SQL: the annotation's (document, annotator) is a control assignment."""
    return exists().where(
        assignments.c.document_id == annotation_rows.c.document_id,
        assignments.c.annotator == annotation_rows.c.annotator,
        assignments.c.control.is_(True),
    )


def without_prelabels(
    connection: Connection, annotator: str, document_ids: Sequence[str] | None = None
) -> set[str]:
    """The annotator's documents shown without suggestions: the one rule for it is that their
    assignment is blind or a control (of `document_ids` when given)."""
    query = select(assignments.c.document_id).where(
        assignments.c.annotator == annotator,
        or_(assignments.c.blind.is_(True), assignments.c.control.is_(True)),
    )
    if document_ids is not None:
        query = query.where(assignments.c.document_id.in_(document_ids))
    return set(connection.scalars(query))


def annotated_pairs(connection: Connection) -> set[tuple[str, str]]:
    """(document id, annotator) of every document someone annotated."""
    rows = connection.execute(
        select(annotation_rows.c.document_id, annotation_rows.c.annotator).distinct()
    )
    return {(d, a) for d, a in rows}


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
    """Their documents by id, so control documents sit among the others."""
    return list(
        connection.scalars(
            select(assignments.c.document_id)
            .where(assignments.c.annotator == annotator)
            .order_by(assignments.c.document_id)
        )
    )


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
        row | {"id": inserted_id(connection.execute(insert(annotation_rows).values(row)))}
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


def newest_revisions(
    evidence_only: bool = False,
    annotator: str | None = None,
    document_ids: Sequence[str] | None = None,
) -> Subquery:
    """The one definition of what counts of an annotator's work on a document: its newest
    revision (the highest number; revisions are append-only). Rows (document_id, annotator,
    revision); evidence_only leaves out control documents (they measure annotators, never gold);
    annotator, document_ids (one chunk): only those."""
    a = annotation_rows.c
    query = select(a.document_id, a.annotator, func.max(a.revision).label("revision"))
    if evidence_only:
        query = query.where(~is_control())
    if annotator is not None:
        query = query.where(a.annotator == annotator)
    if document_ids is not None:
        query = query.where(a.document_id.in_(document_ids))
    return query.group_by(a.document_id, a.annotator).subquery("newest")


def is_newest(newest: Subquery) -> Any:
    """SQL: the annotation row is the revision `newest` (newest_revisions) names."""
    a = annotation_rows.c
    return and_(
        a.document_id == newest.c.document_id,
        a.annotator == newest.c.annotator,
        a.revision == newest.c.revision,
    )


def _newest(
    connection: Connection,
    document_ids: Sequence[str] | None,
    evidence_only: bool = False,
    annotator: str | None = None,
) -> list[Annotation]:
    chunks: list[Sequence[str] | None] = (
        [None] if document_ids is None else list(in_chunks(document_ids))
    )
    found: list[Annotation] = []
    for chunk in chunks:
        newest = newest_revisions(evidence_only, annotator, chunk)
        query = select(annotation_rows).join(newest, is_newest(newest))
        rows = connection.execute(
            query.order_by(annotation_rows.c.document_id, annotation_rows.c.annotator)
        )
        found.extend(_annotation(row._mapping) for row in rows)
    return found


def newest_evidence(
    connection: Connection, document_ids: Sequence[str] | None = None
) -> list[Annotation]:
    """Every annotator's newest revision of every document (or of some) outside their control
    documents: the evidence adjudication weighs and reviewers see."""
    return _newest(connection, document_ids, evidence_only=True)


def newest_of_annotator(
    connection: Connection, annotator: str, document_ids: Sequence[str] | None = None
) -> dict[str, Annotation]:
    """This annotator's newest revision of each document they labelled (or of some), control
    documents included: what they see again and how they are scored."""
    found = _newest(connection, document_ids, annotator=annotator)
    return {a.document_id: a for a in found}


def all_annotations(connection: Connection) -> list[Annotation]:
    """Every revision of every annotation, in storage order."""
    rows = connection.execute(select(annotation_rows).order_by(annotation_rows.c.id))
    return [_annotation(row._mapping) for row in rows]


def labels_in_use(connection: Connection) -> set[str]:
    """Every entity and stance label some stored annotation uses."""
    used: set[str] = set()
    for spans, stances in connection.execute(
        select(annotation_rows.c.spans, annotation_rows.c.stances)
    ):
        used.update(span["label"] for span in spans)
        used.update(stance["label"] for stance in stances)
    return used


def annotation_state(connection: Connection) -> tuple[int, int]:
    """How many revisions there are and the newest id: annotations are append-only, so this
    pair changes whenever anything derived from them may have."""
    count, newest = connection.execute(select(func.count(), func.max(annotation_rows.c.id))).one()
    return int(count), int(newest or 0)


def count_annotated(connection: Connection, annotator: str) -> int:
    """Documents this annotator has submitted (labelled or skipped)."""
    query = select(func.count(func.distinct(annotation_rows.c.document_id))).where(
        annotation_rows.c.annotator == annotator
    )
    return int(connection.scalar(query) or 0)
