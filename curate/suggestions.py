"""Which suggestion to show when labellers disagree: on overlapping spans, or on one target's
stance.

Rule: labellers listed earlier in prelabel.labellers win (the curated gazetteer before the model);
between suggestions of the same labeller, the longer span wins, then the higher score, then the
earlier start. For stance, per target, the earliest labeller's suggestion, then the higher score.
Every suggestion stays stored; this only decides what an annotator is shown (and what
`curate evaluate` scores).
"""

from __future__ import annotations

from collections.abc import Sequence

from curate.records import Prelabel

# (labeller, "entity", label) or (labeller, "stance", target) that `curate train` measured as
# doing more harm than good on the dev gold (prelabel/trust.py): never shown.
LeftOut = frozenset[tuple[str, str, str]]


def _trusted(p: Prelabel, left_out: LeftOut) -> bool:
    return (p.family, p.kind, p.label if p.kind == "entity" else p.target or "") not in left_out


def merge_entities(
    suggestions: Sequence[Prelabel], order: Sequence[str], left_out: LeftOut = frozenset()
) -> list[Prelabel]:
    rank = {name: i for i, name in enumerate(order)}

    def priority(p: Prelabel) -> tuple[int, int, float, int]:
        assert p.start is not None and p.end is not None
        return (rank.get(p.family, len(rank)), -(p.end - p.start), -(p.score or 0.0), p.start)

    kept: list[Prelabel] = []
    entities = (p for p in suggestions if p.kind == "entity" and _trusted(p, left_out))
    for candidate in sorted(entities, key=priority):
        assert candidate.start is not None and candidate.end is not None
        if all(
            candidate.end <= k.start or k.end <= candidate.start  # type: ignore[operator]
            for k in kept
        ):
            kept.append(candidate)
    return sorted(kept, key=lambda p: (p.start, p.end))


def merge_stances(
    suggestions: Sequence[Prelabel], order: Sequence[str], left_out: LeftOut = frozenset()
) -> list[Prelabel]:
    rank = {name: i for i, name in enumerate(order)}
    chosen: dict[str, Prelabel] = {}
    for p in sorted(
        (
            p
            for p in suggestions
            if p.kind == "stance" and p.target is not None and _trusted(p, left_out)
        ),
        key=lambda p: (rank.get(p.family, len(rank)), -(p.score or 0.0)),
    ):
        chosen.setdefault(p.target, p)  # type: ignore[arg-type]
    return sorted(chosen.values(), key=lambda p: p.target or "")


def shown(
    suggestions: Sequence[Prelabel], order: Sequence[str], left_out: LeftOut = frozenset()
) -> list[Prelabel]:
    """What an annotator is shown: the merged entities, then one stance per target."""
    return merge_entities(suggestions, order, left_out) + merge_stances(
        suggestions, order, left_out
    )
