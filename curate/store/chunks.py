"""Long id lists go to the database in chunks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

CHUNK = 500  # ids per IN (...): stays under every database's bound-parameter limit


def in_chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]
