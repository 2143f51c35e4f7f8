"""Who labels what: each document goes to `overlap` annotators, balanced and deterministic.

Documents are taken in id order; each goes to the annotators with the fewest documents so far,
ties broken by a hash of (document, annotator), so the same inputs always give the same
assignment and adding documents later keeps the old assignments. A deterministic share of
documents (`blind_fraction`) is marked blind: pushed without pre-labels, to measure anchoring.

Control documents (`[quality] control_fraction`) are documents that already have gold, given to
annotators who never labelled them, so that share of each annotator's queue is controls. They
go out without pre-labels and are not told apart from the rest; their labels score the
annotator and never count towards gold.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from curate.domain.hashing import unit
from curate.errors import UsageError
from curate.store import Store, queries


def is_blind(document_id: str, fraction: float) -> bool:
    return unit(document_id, "blind") < fraction


@dataclass(frozen=True)
class AssignmentReport:
    new: int
    documents: int
    per_annotator: dict[str, int]
    controls: int = 0  # of the new assignments, how many are control documents
    made: tuple[tuple[str, str], ...] = ()  # (document id, annotator) of the new assignments


def plan(
    document_ids: Sequence[str],
    annotators: Sequence[str],
    overlap: int,
    existing: dict[str, set[str]],
    blind_fraction: float = 0.0,
) -> list[tuple[str, str, bool]]:
    """New (document, annotator, blind) rows; `existing` maps document -> annotators already."""
    if overlap > len(annotators):
        raise UsageError(
            f"overlap {overlap} needs at least {overlap} annotators; curate.toml lists "
            f"{len(annotators)}"
        )
    load = Counter({a: 0 for a in annotators})
    for people in existing.values():
        load.update(p for p in people if p in load)
    rows = []
    for document_id in sorted(document_ids):
        already = existing.get(document_id, set())
        missing = overlap - len(already & set(annotators))
        if missing <= 0:
            continue
        choices = sorted(
            (a for a in annotators if a not in already),
            key=lambda a: (load[a], unit(document_id, a)),
        )[:missing]
        blind = is_blind(document_id, blind_fraction)
        for annotator in choices:
            load[annotator] += 1
            rows.append((document_id, annotator, blind))
    return rows


def plan_controls(
    settled: Sequence[str],
    annotators: Sequence[str],
    fraction: float,
    regular: Counter[str],
    controls: Counter[str],
    taken: set[tuple[str, str]],
) -> list[tuple[str, str, bool]]:
    """New control rows, so controls are `fraction` of each annotator's queue: documents with
    gold the annotator never had (`taken`: (document, annotator) assigned or annotated)."""
    rows = []
    for annotator in annotators:
        wanted = math.floor(fraction * regular[annotator] / (1 - fraction) + 0.5)
        missing = wanted - controls[annotator]
        if missing <= 0:
            continue
        fresh = (d for d in settled if (d, annotator) not in taken)
        chosen = sorted(fresh, key=lambda d: unit(d, annotator, "control"))[:missing]
        rows += [(d, annotator, False) for d in chosen]
    return rows


def assign(
    store: Store,
    annotators: Sequence[str],
    overlap: int,
    blind_fraction: float = 0.0,
    control_fraction: float = 0.0,
) -> AssignmentReport:
    """Assign every unassigned document slot, then control documents; one transaction."""
    if not 0 <= blind_fraction <= 1:
        raise UsageError(f"--blind-fraction {blind_fraction} must be between 0 and 1")
    with store.transaction() as connection:
        existing = queries.assignment_map(connection)
        ids = queries.document_ids(connection)
        rows = plan(ids, annotators, overlap, existing, blind_fraction)
        queries.insert_assignments(connection, rows)
        controls: list[tuple[str, str, bool]] = []
        if control_fraction > 0:
            pairs = queries.control_pairs(connection)
            assigned = {
                (d, a) for d, people in queries.assignment_map(connection).items() for a in people
            }
            controls = plan_controls(
                queries.settled_documents(connection),
                annotators,
                control_fraction,
                Counter(a for _, a in assigned - pairs),
                Counter(a for _, a in pairs),
                assigned | queries.annotated_pairs(connection),
            )
            queries.insert_assignments(connection, controls, control=True)
        totals = Counter(
            a for people in queries.assignment_map(connection).values() for a in people
        )
    made = tuple((d, a) for d, a, _ in [*rows, *controls])
    return AssignmentReport(len(made), len(ids), dict(totals), len(controls), made)
