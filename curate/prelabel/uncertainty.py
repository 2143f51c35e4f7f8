"""Which documents the labellers are least sure about: the queue order `uncertain`.

Per document, from its stored suggestions:
- entities: the labellers that suggest entities form a committee; each span any of them suggests
  gets the vote entropy H(p) of the share p that suggested exactly it (0 when all agree, 1 when
  they split evenly). With one labeller, 1 - its score. The document takes the mean.
- stance: per target, 1 - the score of the suggestion shown (the labeller's probability or
  strength); a target with no suggestion counts 1. The document takes the mean.
The uncertainty is the mean of the two. The queue puts the most uncertain first, but gives
`random_share` of its places to documents drawn at random (by `seed`), so it is not only outliers.
Every order is written to .curate/queue-orders/ with its inputs, so it can be reproduced.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Connection

from curate.config import Settings
from curate.domain.hashing import unit
from curate.records import Prelabel
from curate.store import queries
from curate.suggestions import merge_stances


def _entropy(p: float) -> float:
    return 0.0 if p in (0.0, 1.0) else -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def document_uncertainty(suggestions: Sequence[Prelabel], settings: Settings) -> float:
    entities = [s for s in suggestions if s.kind == "entity"]
    committee = sorted({s.labeller for s in entities})
    votes: dict[tuple[int | None, int | None, str], set[str]] = {}
    for s in entities:
        votes.setdefault((s.start, s.end, s.label), set()).add(s.labeller)
    if len(committee) >= 2:
        spans = [_entropy(len(v) / len(committee)) for v in votes.values()]
    else:
        spans = [1 - (s.score or 0.0) for s in entities]
    entity = sum(spans) / len(spans) if spans else 0.0
    shown = {s.target: s for s in merge_stances(suggestions, settings.prelabel.labellers)}
    targets = settings.target_names()
    stance = sum(1 - (shown[t].score or 0.0) if t in shown else 1.0 for t in targets)
    return round((entity + stance / max(1, len(targets))) / 2, 6)


def uncertain_first(scores: dict[str, float], random_share: float, seed: int) -> list[str]:
    """Most uncertain first (ties by id); every 1/random_share-th place goes to a document drawn
    at random from the rest, the draw fixed by the seed."""
    ranked = sorted(scores, key=lambda d: (-scores[d], d))
    drawn = sorted(scores, key=lambda d: unit(str(seed), d))
    every = round(1 / random_share) if random_share > 0 else 0
    order: list[str] = []
    placed: set[str] = set()
    ranked_at = drawn_at = 0
    while len(order) < len(scores):
        from_draw = every and (len(order) + 1) % every == 0
        source, at = (drawn, drawn_at) if from_draw else (ranked, ranked_at)
        while source[at] in placed:
            at += 1
        order.append(source[at])
        placed.add(source[at])
        if from_draw:
            drawn_at = at + 1
        else:
            ranked_at = at + 1
    return order


def record(
    folder: Path, order: list[str], scores: dict[str, float], details: dict[str, object]
) -> Path:
    """Write the order with what made it; the same order is written once."""
    payload = {"order": order, "scores": scores, **details}
    text = json.dumps(payload, indent=1, sort_keys=True)
    path = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:12]}.json"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def queue_order(
    connection: Connection, settings: Settings, root: Path, ids: list[str]
) -> list[str]:
    """ids in the configured queue order (as given for "id"); an uncertain order is recorded."""
    rules = settings.assignment
    if rules.order == "id" or not ids:
        return ids
    suggestions = queries.prelabels_for_many(connection, ids)
    scores = {d: document_uncertainty(suggestions.get(d, []), settings) for d in ids}
    order = uncertain_first(scores, rules.random_share, rules.seed)
    versions = sorted({p.labeller for found in suggestions.values() for p in found})
    details: dict[str, object] = {
        "random_share": rules.random_share,
        "seed": rules.seed,
        "labellers": versions,
    }
    record(root / ".curate" / "queue-orders", order, scores, details)
    return order
