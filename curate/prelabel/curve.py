"""`curate train --curve`: does more annotation still help? The entity model and the stance
classifiers are trained on 25, 50, 75 and 100% of the training gold (nested shares, the same
documents at every step, chosen by a hash of their ids) and scored on the same dev documents,
exactly as `curate train` trains and scores them. Nothing is kept: the models are trained in a
scratch folder, and the project's current models stay as they are."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from curate.domain.hashing import unit
from curate.locks import one_run_at_a_time
from curate.prelabel.base import LabellerContext
from curate.prelabel.ner_model import GoldText, partition, train_ner
from curate.prelabel.stance_learned import fit_selective, learnable
from curate.prelabel.train import dev_scores, gold_state, stance_gold, texts_of
from curate.store import Store, queries

SHARES = (0.25, 0.5, 0.75, 1.0)


@dataclass
class CurvePoint:
    share: float
    entity_documents: int  # training documents with entity gold at this share
    entity_scores: dict[str, dict[str, float]] = field(default_factory=dict)  # label -> p, r, f
    entity_skipped: str | None = None  # why no entity model was trained at this share
    stance_documents: dict[str, int] = field(default_factory=dict)  # target -> documents
    stance_f1_avg: dict[str, float] = field(default_factory=dict)  # target -> F1avg on dev
    stance_baseline: dict[str, float] = field(default_factory=dict)  # majority, same dev

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _first(items: list[Any], share: float, key: Callable[[Any], str]) -> list[Any]:
    """The first share of items in a fixed order by hash: every smaller share is inside it."""
    ranked = sorted(items, key=lambda item: unit(key(item), "curve"))
    return ranked[: max(1, round(share * len(ranked)))] if ranked else []


def learning_curve(
    store: Store,
    context: LabellerContext,
    on_point: Callable[[CurvePoint], None] | None = None,
) -> list[CurvePoint]:
    then = "run `curate train --curve` again when it has finished"
    with one_run_at_a_time(context.root, "train", then):
        return _curve(store, context, on_point)


def _curve(
    store: Store, context: LabellerContext, on_point: Callable[[CurvePoint], None] | None
) -> list[CurvePoint]:
    settings = context.settings
    stances, entities, splits = gold_state(store, settings.release.splits)
    with store.connect() as connection:
        documents = queries.documents_by_ids(connection, sorted(splits))
    texts = texts_of(documents)
    gold = [GoldText(d, texts[d], tuple(entities[d])) for d in sorted(entities)]
    train_part, dev_part, held_out = partition(gold, splits, settings.train.dev_share)
    stance = stance_gold(context, stances, splits)
    bar = settings.prelabel.stance_min_precision
    points = []
    with tempfile.TemporaryDirectory(prefix="curve-") as scratch:
        for share in SHARES:
            chosen = _first(train_part, share, lambda g: g.id)
            point = CurvePoint(share, len(chosen))
            ner = train_ner(
                chosen,
                dev_part,
                held_out,
                settings.entity_label_names(),
                Path(scratch),
                settings.prelabel.spacy_models,
                settings.train,
                label_map=settings.prelabel.label_map,
            )
            point.entity_scores, point.entity_skipped = ner.scores, ner.skipped
            for target, examples in stance.train.items():
                subset = _first(examples, share, lambda example: example[0])
                kept = learnable([label for _, label in subset])
                subset = [(d, label) for d, label in subset if label in kept]
                point.stance_documents[target] = len(subset)
                if len(kept) < 2 or not stance.dev[target]:
                    continue  # too few of a label at this share to learn from
                model = fit_selective(
                    [texts[d] for d, _ in subset], [label for _, label in subset], bar
                )
                scores = dev_scores(model, stance.dev[target], texts)
                point.stance_f1_avg[target] = round(scores.f1_avg, 4)
                point.stance_baseline[target] = round(scores.baseline_f1_avg, 4)
            points.append(point)
            if on_point is not None:
                on_point(point)
    return points
