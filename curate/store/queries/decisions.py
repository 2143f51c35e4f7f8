"""Decisions (append-only), the gold they make, per-document agreement, and status counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    delete,
    func,
    insert,
    select,
)

from curate.records import Decision, Span
from curate.store.chunks import in_chunks
from curate.store.current import (
    REVIEWER_OVERRIDE,
    current_decisions,
    decision_from_row,
    documents_settled,
    documents_waiting,
    is_open,
)
from curate.store.queries.base import inserted_id, now
from curate.store.schema import (
    annotations as annotation_rows,
)
from curate.store.schema import (
    assignments,
    decisions,
    document_agreement,
    documents,
    prelabel_runs,
    release_documents,
    releases,
)


def add_decision(connection: Connection, decision: Decision) -> int:
    row = asdict(decision) | {"based_on": list(decision.based_on), "created_at": now()}
    row.pop("id")
    return inserted_id(connection.execute(insert(decisions).values(row)))


def decisions_for(connection: Connection, document_ids: Sequence[str]) -> list[Decision]:
    """Every decision on these documents, oldest first."""
    found = []
    for chunk in in_chunks(document_ids):
        rows = connection.execute(
            select(decisions).where(decisions.c.document_id.in_(chunk)).order_by(decisions.c.id)
        )
        found += [decision_from_row(row) for row in rows]
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


def _count(connection: Connection, chosen: Select[Any]) -> int:
    return int(connection.scalar(select(func.count()).select_from(chosen.subquery())) or 0)


def settled_documents(connection: Connection) -> list[str]:
    """Documents with gold: every item decided, none waiting for review."""
    return sorted(connection.scalars(documents_settled()))


def nothing_labelled(connection: Connection) -> bool:
    """No annotation and no decision yet: a project whose labels can still change freely."""
    labelled = select(annotation_rows.c.id).union_all(select(decisions.c.id)).limit(1)
    return connection.scalar(labelled) is None


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
        "waiting for review": _count(connection, documents_waiting()),
        "adjudicated": _count(connection, documents_settled()),
        "released": distinct_documents(
            release_documents, release_documents.c.release_id == latest_release
        ),
    }


def override_count(connection: Connection) -> int:
    """Gold labels a reviewer set over what annotators had agreed (REVIEWER_OVERRIDE): stance
    decisions, and spans within entity decisions."""
    count = 0
    for decision in current_decisions(connection).values():
        if decision.kind == "stance":
            count += decision.method == REVIEWER_OVERRIDE
        else:
            spans = decision.payload.get("spans", [])
            count += sum(s.get("method") == REVIEWER_OVERRIDE for s in spans)
    return count
