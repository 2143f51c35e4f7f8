"""Why the queue served each document where it did; rows are only added, the newest counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from curate.store.chunks import in_chunks
from curate.store.queries.base import now
from curate.store.schema import selections

UNCERTAIN, RANDOM, ID = "uncertain", "random", "id"  # the reasons a document is served


@dataclass(frozen=True)
class Selection:
    reason: str  # UNCERTAIN, RANDOM or ID
    queue_order: str  # [assignment] order
    random_share: float
    ranked_by: str  # labeller versions, comma-separated


def newest_selections(
    connection: Connection, ids: Sequence[str] | None = None
) -> dict[str, Selection]:
    query = select(selections).order_by(selections.c.id)
    found: dict[str, Selection] = {}
    for chunk in [None] if ids is None else in_chunks(list(ids)):
        chosen = query if chunk is None else query.where(selections.c.document_id.in_(chunk))
        for row in connection.execute(chosen):
            found[row.document_id] = Selection(
                row.reason, row.queue_order, row.random_share, row.ranked_by
            )
    return found


def record_selections(connection: Connection, chosen: dict[str, Selection]) -> int:
    """Add a row for each document whose newest selection differs; how many were added."""
    known = newest_selections(connection, list(chosen))
    changed = [(d, s) for d, s in chosen.items() if known.get(d) != s]
    if changed:
        created = now()
        connection.execute(
            insert(selections),
            [
                {
                    "document_id": d,
                    "reason": s.reason,
                    "queue_order": s.queue_order,
                    "random_share": s.random_share,
                    "ranked_by": s.ranked_by,
                    "created_at": created,
                }
                for d, s in changed
            ],
        )
    return len(changed)
