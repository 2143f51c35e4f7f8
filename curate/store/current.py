"""The one definition of where adjudication stands: an item (document, entity spans or one
stance target) is in the state of its newest decision (highest id; decisions are append-only).
An item whose newest decision has method OPEN waits for review and has no gold.

Auto-adjudication, review, status, evaluate, train and the gold queries all read it from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Subquery, func, select

from curate.records import Decision
from curate.store.chunks import in_chunks
from curate.store.schema import decisions

OPEN = "open"
REVIEWER = "reviewer"
# A reviewer's label where a rule had settled the item (the annotators agreed): its payload
# names what it replaces, and every count of methods shows it apart.
REVIEWER_OVERRIDE = "reviewer-override"
HUMAN = frozenset({REVIEWER, REVIEWER_OVERRIDE})  # methods auto-adjudication never replaces
Item = tuple[str, str, str | None]  # (document id, "entity" or "stance", target)


def newest_ids() -> Subquery:
    """The id of each item's newest decision (served by the ix_decisions_item index)."""
    return (
        select(func.max(decisions.c.id).label("id"))
        .group_by(decisions.c.document_id, decisions.c.kind, decisions.c.target)
        .subquery()
    )


def current_table(name: str = "current") -> Subquery:
    """The current decisions as a table (the decisions table's columns): one row per item."""
    newest = newest_ids()
    return select(decisions).join(newest, newest.c.id == decisions.c.id).subquery(name)


def is_open_row(current: Subquery) -> ColumnElement[bool]:
    """The SQL form of is_open, over a table of decisions (current_table)."""
    return current.c.method == OPEN


def documents_waiting() -> Select[Any]:
    """Documents with an item whose current decision is open: they wait for review and have no
    gold; every other document with a decision is settled."""
    current = current_table("waiting")
    return select(current.c.document_id).where(is_open_row(current)).distinct()


def documents_settled() -> Select[Any]:
    """Documents with gold: some current decision, none open."""
    current = current_table("settled")
    return (
        select(current.c.document_id)
        .where(current.c.document_id.not_in(documents_waiting()))
        .distinct()
    )


def decision_from_row(row: Any) -> Decision:
    values = {k: v for k, v in row._mapping.items() if k in Decision.__dataclass_fields__}
    return Decision(**values | {"based_on": tuple(values["based_on"])})


def is_open(decision: Decision) -> bool:
    return decision.method == OPEN


def current_decisions(
    connection: Connection, document_ids: Sequence[str] | None = None
) -> dict[Item, Decision]:
    """Each item's newest decision, for these documents (default: all)."""
    current = current_table()
    query = select(current)
    if document_ids is None:
        rows: list[Any] = list(connection.execute(query))
    else:
        rows = []
        for chunk in in_chunks(document_ids):
            rows += connection.execute(query.where(current.c.document_id.in_(chunk)))
    found = {}
    for row in rows:
        decision = decision_from_row(row)
        found[(decision.document_id, decision.kind, decision.target)] = decision
    return found
