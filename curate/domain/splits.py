"""Which split (train, validation, test, ...) each document goes in: deterministic from its id,
so every release and every machine agrees, in curate.toml's split order."""

from __future__ import annotations

from itertools import accumulate

import numpy as np
from sqlalchemy import Connection

from curate.domain.hashing import units
from curate.store import gold_imports, queries

TEST, DEV_SPLITS = "test", ("validation", "dev")  # never trained on; early stopping's
HELD_OUT = (TEST, *DEV_SPLITS)


def split_of(document_id: str, splits: dict[str, float]) -> str:
    """Deterministic from the id alone, in curate.toml's split order."""
    return splits_of([document_id], splits)[0]


def splits_of(document_ids: list[str], splits: dict[str, float]) -> list[str]:
    """split_of for many ids at once (a release has 100,000s): each id's hash is a position in
    [0, 1); the split is the first whose running total of shares passes it."""
    positions = units(document_ids, "split")
    names = list(splits)
    bounds = list(accumulate(splits.values()))
    at = np.minimum(np.searchsorted(bounds, positions, side="right"), len(names) - 1)
    return [names[n] for n in at.tolist()]


def document_splits(
    connection: Connection, ids: list[str], shares: dict[str, float]
) -> dict[str, str]:
    """The split of each document as a release would put it: where an earlier release put it
    (a document never moves), else where an import pinned it, else by its id."""
    pinned = gold_imports.pinned_splits(connection)
    fixed = {d: s for d, s in pinned.items() if s in shares} | queries.release_splits(connection)
    fresh = iter(splits_of([i for i in ids if i not in fixed], shares))
    return {i: fixed[i] if i in fixed else next(fresh) for i in ids}
