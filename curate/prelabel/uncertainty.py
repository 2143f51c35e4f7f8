"""Which documents to label next: the queue order `uncertain`, the one formula push (Label
Studio's uncertainty sampling) and the terminal annotator both use.

A document's uncertainty, in [0, 1], is the mean of the parts the project has:
- the entity model's own: 1 - exp(-E), E the corrections the trained model expects an
  annotator to make there (its beam probabilities, prelabel/confidence.py): 0 when it is sure,
  0.63 at one expected correction, 0.95 at three;
- the labellers' disagreement on entities, when two or more suggest them: the mean, over every
  span any of them suggests, of the vote entropy H(p) of the share p that suggested exactly it;
- stance: per target, 1 - the calibrated probability of the suggestion shown (a target with
  none counts 1), averaged over the targets.
Before any model is trained and with one entity labeller, 1 - its mean score stands in for the
model's part.

The queue: with `order = "uncertain"`, documents of the held-out splits (test, validation) come
first, in a random order fixed by `seed`, so whenever a team stops, its test split is a random
sample of the corpus; then the most uncertain first, with `random_share` of the places given to
documents drawn at random. Each document's reason (random / uncertain; `id` for the id order) is
stored, and every order is written to .curate/queue-orders/ with its inputs.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy import Connection

from curate.config import Settings
from curate.domain.hashing import unit
from curate.domain.splits import HELD_OUT, document_splits
from curate.records import Prelabel
from curate.store import queries
from curate.store.queries.selections import ID, RANDOM, UNCERTAIN
from curate.suggestions import merge_stances


def _entropy(p: float) -> float:
    return 0.0 if p in (0.0, 1.0) else -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def document_uncertainty(
    suggestions: Sequence[Prelabel], settings: Settings, expected: float | None = None
) -> float:
    """The module's formula; expected: the corrections the entity model expects, if it said."""
    entities = [s for s in suggestions if s.kind == "entity"]
    committee = sorted({s.labeller for s in entities})
    parts = []
    if expected is not None:
        parts.append(1 - math.exp(-expected))
    if len(committee) >= 2:
        votes: dict[tuple[int | None, int | None, str], set[str]] = {}
        for s in entities:
            votes.setdefault((s.start, s.end, s.label), set()).add(s.labeller)
        spans = [_entropy(len(v) / len(committee)) for v in votes.values()]
        parts.append(sum(spans) / len(spans))
    elif expected is None and entities:
        parts.append(sum(1 - (s.score or 0.0) for s in entities) / len(entities))
    targets = settings.target_names()
    if targets:
        shown = {s.target: s for s in merge_stances(suggestions, settings.prelabel.labellers)}
        stance = sum(1 - (shown[t].score or 0.0) if t in shown else 1.0 for t in targets)
        parts.append(stance / len(targets))
    return round(sum(parts) / len(parts), 6) if parts else 0.0


def uncertain_first(
    scores: dict[str, float], random_share: float, seed: int
) -> list[tuple[str, str]]:
    """(document, reason): most uncertain first (ties by id); every 1/random_share-th place
    goes to a document drawn at random from the rest, the draw fixed by the seed."""
    ranked = sorted(scores, key=lambda d: (-scores[d], d))
    drawn = sorted(scores, key=lambda d: unit(str(seed), d))
    every = round(1 / random_share) if random_share > 0 else 0
    order: list[tuple[str, str]] = []
    placed: set[str] = set()
    ranked_at = drawn_at = 0
    while len(order) < len(scores):
        from_draw = every and (len(order) + 1) % every == 0
        source, at = (drawn, drawn_at) if from_draw else (ranked, ranked_at)
        while source[at] in placed:
            at += 1
        order.append((source[at], RANDOM if from_draw else UNCERTAIN))
        placed.add(source[at])
        if from_draw:
            drawn_at = at + 1
        else:
            ranked_at = at + 1
    return order


@dataclass(frozen=True)
class Queue:
    order: list[str]
    reasons: dict[str, str]  # document -> UNCERTAIN, RANDOM or ID
    uncertainty: dict[str, float]
    ranked_by: list[str]  # the labeller versions whose suggestions were read

    @cached_property
    def places(self) -> dict[str, int]:
        return {d: n for n, d in enumerate(self.order)}

    def score(self, document_id: str) -> float:
        """Label Studio's prediction score, served lowest first: the document's place in this
        queue, so Label Studio serves exactly the order the terminal does."""
        return round(self.places[document_id] / max(1, len(self.order)), 4)


def rank(connection: Connection, settings: Settings, ids: list[str]) -> Queue:
    """ids in the configured order (as given for "id"), with each one's reason."""
    rules = settings.assignment
    if rules.order == ID or not ids:
        return Queue(list(ids), dict.fromkeys(ids, ID), {}, [])
    suggestions = queries.prelabels_for_many(connection, ids)
    expected = queries.expected_corrections(connection, ids)
    scores = {
        d: document_uncertainty(suggestions.get(d, []), settings, expected.get(d)) for d in ids
    }
    splits = document_splits(connection, ids, settings.release.splits)
    held_out = [d for d in ids if splits[d] in HELD_OUT]
    held_out.sort(key=lambda d: unit(str(rules.seed), d))
    rest = {d: scores[d] for d in ids if splits[d] not in HELD_OUT}
    placed = [(d, RANDOM) for d in held_out] + uncertain_first(rest, rules.random_share, rules.seed)
    versions = sorted({p.labeller for found in suggestions.values() for p in found})
    return Queue([d for d, _ in placed], dict(placed), scores, versions)


def record(folder: Path, queue: Queue, details: dict[str, object]) -> Path:
    """Write the order with what made it; the same order is written once."""
    payload = {"order": queue.order, "scores": queue.uncertainty, "reasons": queue.reasons}
    text = json.dumps(payload | details, indent=1, sort_keys=True)
    path = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:12]}.json"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def remember(connection: Connection, found: Queue, settings: Settings) -> int:
    """Store each document's reason (a new row only where it changed)."""
    rules, ranked_by = settings.assignment, ",".join(found.ranked_by)
    chosen = {
        d: queries.Selection(found.reasons[d], rules.order, rules.random_share, ranked_by)
        for d in found.order
    }
    return queries.record_selections(connection, chosen)


def queue(connection: Connection, settings: Settings, root: Path, ids: list[str]) -> Queue:
    """rank(), its reasons stored (connection: a transaction) and an uncertain order recorded
    in .curate/queue-orders/."""
    found = rank(connection, settings, ids)
    remember(connection, found, settings)
    if settings.assignment.order == UNCERTAIN and ids:
        rules = settings.assignment
        details: dict[str, object] = {
            "random_share": rules.random_share,
            "seed": rules.seed,
            "labellers": found.ranked_by,
        }
        record(root / ".curate" / "queue-orders", found, details)
    return found


def queue_order(
    connection: Connection, settings: Settings, root: Path, ids: list[str]
) -> list[str]:
    """queue()'s order (connection: a transaction)."""
    return queue(connection, settings, root, ids).order
