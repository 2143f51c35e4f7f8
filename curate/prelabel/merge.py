"""Which suggestion to show when labellers disagree on overlapping spans.

Rule: labellers listed earlier in prelabel.labellers win (the curated gazetteer before the model);
between suggestions of the same labeller, the longer span wins, then the higher score, then the
earlier start. Every suggestion stays stored; this only decides what an annotator is shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from curate.records import Prelabel


def merge_entities(suggestions: Sequence[Prelabel], order: Sequence[str]) -> list[Prelabel]:
    rank = {name: i for i, name in enumerate(order)}

    def priority(p: Prelabel) -> tuple[int, int, float, int]:
        assert p.start is not None and p.end is not None
        name = p.labeller.split("+", 1)[0]
        return (rank.get(name, len(rank)), -(p.end - p.start), -(p.score or 0.0), p.start)

    kept: list[Prelabel] = []
    for candidate in sorted((p for p in suggestions if p.kind == "entity"), key=priority):
        assert candidate.start is not None and candidate.end is not None
        if all(
            candidate.end <= k.start or k.end <= candidate.start  # type: ignore[operator]
            for k in kept
        ):
            kept.append(candidate)
    return sorted(kept, key=lambda p: (p.start, p.end))
