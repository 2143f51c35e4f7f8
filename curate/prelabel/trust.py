"""Which labellers' suggestions annotators are shown, measured on the dev gold by `curate train`.

Every configured labeller runs on the dev documents (with the models just trained). Entities: a
labeller's label is left out of the shown merge when leaving it out raises the merged exact F1
on dev (greedily, the largest gain first, until none helps): the gazetteer's GPE on police
reports adds only errors. Stance: a labeller's suggestions for a target are left out when fewer
than `[prelabel] stance_min_precision` of them were right on dev (judged from MIN_JUDGED
suggestions up). The result is an artefact like the models (.curate/models/trust/VERSION, with
CURRENT), so `curate train` decides and every place that shows suggestions reads it; without
gold there is none and nothing is left out. Every suggestion is still stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.agreement.spans import compare_exact
from curate.prelabel.base import LabellerContext, current_artefact
from curate.prelabel.ner_model import GoldText
from curate.prelabel.registry import create
from curate.records import Document, Prelabel, family
from curate.suggestions import LeftOut, merge_entities

FOLDER = "trust"
MIN_JUDGED = 5  # stance suggestions on dev a labeller needs before its precision is judged


@dataclass
class Trust:
    left_out: list[tuple[str, str, str]] = field(default_factory=list)  # labeller, kind, label
    merged_f1: tuple[float, float] | None = None  # dev exact F1: everything shown, then trusted
    entity_scores: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    stance_scores: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "left_out": [list(item) for item in self.left_out],
            "merged_f1": list(self.merged_f1) if self.merged_f1 else None,
            "entity_scores": self.entity_scores,
            "stance_scores": self.stance_scores,
        }


@dataclass(frozen=True)
class InUse:
    version: str | None  # the current trust artefact's name; None before any training
    left_out: LeftOut = frozenset()

    def label(self) -> str:
        """How Label Studio's model_version names it: a new trust refreshes open tasks."""
        return f"trust+{self.version}" if self.version else ""


def in_use(models_dir: Path) -> InUse:
    """What the current trust leaves out of the shown merge (nothing before any training)."""
    folder = current_artefact(models_dir / FOLDER)
    if folder is None:
        return InUse(None)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return InUse(folder.name, frozenset((a, b, c) for a, b, c in manifest["left_out"]))


def measure(
    context: LabellerContext,
    dev: Sequence[GoldText],
    dev_stances: dict[str, dict[str, str]],
    texts: dict[str, str],
) -> Trust:
    """Run every configured labeller on the dev documents and decide what to leave out."""

    order = list(context.settings.prelabel.labellers)
    ids = sorted({g.id for g in dev} | set(dev_stances))
    documents = [Document(texts[d]) for d in ids]  # ids are hashes of the texts
    found: list[Prelabel] = []
    for name in order:
        found += create(name, context)(documents) if documents else []
    trust = Trust()
    gold = [(g.id, s.start, s.end, s.label) for g in dev for s in g.spans]
    if gold:
        _entities(trust, found, gold, order, {g.id for g in dev})
    bar = context.settings.prelabel.stance_min_precision
    _stances(trust, found, dev_stances, bar)
    return trust


def _merged_f1(
    found: list[Prelabel], gold: list[Any], order: list[str], out: LeftOut, dev: set[str]
) -> float:
    by_document: dict[str, list[Prelabel]] = {}
    for p in found:
        if p.kind == "entity" and p.document_id in dev:
            by_document.setdefault(p.document_id, []).append(p)
    shown = [
        (d, p.start or 0, p.end or 0, p.label)
        for d, suggestions in by_document.items()
        for p in merge_entities(suggestions, order, out)
    ]
    return compare_exact(gold, shown).overall.f1


def _entities(
    trust: Trust, found: list[Prelabel], gold: list[Any], order: list[str], dev: set[str]
) -> None:
    pairs = sorted({(family(p.labeller), "entity", p.label) for p in found if p.kind == "entity"})
    for name, _, label in pairs:
        mine = [
            (p.document_id, p.start or 0, p.end or 0, p.label)
            for p in found
            if p.kind == "entity" and family(p.labeller) == name and p.document_id in dev
        ]
        scores = compare_exact(gold, mine).table().get(label)
        if scores is not None:
            trust.entity_scores.setdefault(name, {})[label] = {
                "precision": round(scores.precision, 4),
                "f1": round(scores.f1, 4),
                "suggested": scores.tp + scores.fp,
            }
    out: set[tuple[str, str, str]] = set()
    before = best = _merged_f1(found, gold, order, frozenset(), dev)
    while True:
        gains = {
            pair: _merged_f1(found, gold, order, frozenset(out | {pair}), dev)
            for pair in pairs
            if pair not in out
        }
        pair, score = max(gains.items(), key=lambda item: item[1], default=(None, best))
        if pair is None or score <= best:
            break
        out.add(pair)
        best = score
    trust.left_out += sorted(out)
    trust.merged_f1 = (round(before, 4), round(best, 4))


def _stances(
    trust: Trust, found: list[Prelabel], gold: dict[str, dict[str, str]], bar: float
) -> None:
    tally: dict[tuple[str, str], list[bool]] = {}
    for p in found:
        if p.kind == "stance" and p.target and p.target in gold.get(p.document_id, {}):
            right = gold[p.document_id][p.target] == p.label
            tally.setdefault((family(p.labeller), p.target), []).append(right)
    for (name, target), marks in sorted(tally.items()):
        precision = sum(marks) / len(marks)
        trust.stance_scores.setdefault(name, {})[target] = {
            "precision": round(precision, 4),
            "suggested": len(marks),
        }
        if len(marks) >= MIN_JUDGED and precision < bar:
            trust.left_out.append((name, "stance", target))


def write(models_dir: Path, trust: Trust, training_hash: str) -> Path:
    folder = models_dir / FOLDER / training_hash[:12]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(trust.as_dict(), indent=2), "utf-8")
    return folder
