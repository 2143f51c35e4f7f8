"""`curate train`: learn from the store's gold (adjudicated and imported).

- spacy-ner.v2's model: spaCy's training loop fine-tunes the installed pipeline's NER on the
  project's labels (curate.prelabel.ner_model).
- spacy-ner.v2's learned names: gold names worth suggesting, kept per label only where they
  help on the dev documents (curate.prelabel.learned_names; names kept for merely doing no
  harm on dev did poorly on held-out folds: README, Known limits).
- stance-learned.v1: one selective classifier per stance target (stance_learned.py), once it has
  prelabel.min_gold_documents gold documents and two labels with MIN_PER_LABEL each; scored on
  the held-out dev documents (F1avg of favor and against beside the majority-class baseline,
  and the precision and coverage of what it suggests at its threshold).

Test-split documents are never trained on. Artefacts go to .curate/models/KIND/VERSION, VERSION
being the start of the hash of what was learned from; each has a manifest.json.

One training at a time per project (a second is refused at once). The new artefacts become
CURRENT only if the gold is still what they were trained on when they are published: a model of
older gold never replaces one of newer gold.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curate.agreement.stance import StanceScores, score_stance
from curate.domain.splits import document_splits
from curate.errors import UsageError
from curate.locks import one_run_at_a_time
from curate.prelabel import trust
from curate.prelabel.base import LabellerContext, mark_current
from curate.prelabel.learned_names import learn_names
from curate.prelabel.learning_ner import PATTERNS
from curate.prelabel.ner_model import FOLDER as NER_FOLDER
from curate.prelabel.ner_model import (
    SCRATCH,
    GoldText,
    NerReport,
    partition,
    train_ner,
)
from curate.prelabel.stance_learned import (
    FOLDER,
    FORMAT,
    MIN_PER_LABEL,
    Selective,
    fit_selective,
    learnable,
)
from curate.prelabel.trust import Trust
from curate.store import Store, queries


@dataclass
class TrainReport:
    ner: NerReport = field(default_factory=NerReport)
    stance_model: Path | None = None
    trained_targets: dict[str, int] = field(default_factory=dict)  # target -> documents
    skipped_targets: dict[str, str] = field(default_factory=dict)  # target -> why
    stance_scores: dict[str, StanceScores] = field(default_factory=dict)  # on dev documents
    stance_thresholds: dict[str, Selective] = field(default_factory=dict)  # target -> chosen
    stance_min_precision: float = 0.0  # the bar the thresholds were chosen for
    stance_dev: dict[str, dict[str, str]] = field(default_factory=dict)  # document -> target
    trust: Trust | None = None  # what annotators are shown, measured on dev (trust.py)
    patterns: Path | None = None
    new_patterns: int = 0
    refused_patterns: Counter[str] = field(default_factory=Counter)  # why -> names
    candidates: list[str] = field(default_factory=list)  # names that passed the guards
    unhelpful_labels: list[str] = field(default_factory=list)  # names not shown (dev)
    gold_changed: bool = False  # during training: nothing was made CURRENT
    scratch_removed: int = 0  # scratch folders of trainings that were killed


def _hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def _write_artefact(folder: Path, training_hash: str, details: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "training_set_sha256": training_hash,
        "created": datetime.now(UTC).isoformat(),
        **details,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _gold_fingerprint(
    stances: dict[str, dict[str, str]], entities: dict[str, list[Any]], splits: dict[str, str]
) -> str:
    spans = {d: sorted((s.start, s.end, s.label) for s in found) for d, found in entities.items()}
    return _hash([stances, spans, splits])


def gold_state(
    store: Store, shares: dict[str, float]
) -> tuple[dict[str, dict[str, str]], dict[str, list[Any]], dict[str, str]]:
    """(gold stances, gold entities, split of each gold document): what training learns from,
    read at its start and again before publishing."""
    with store.connect() as connection:
        stances = queries.gold_stances(connection)
        entities = queries.gold_entities(connection)
        ids = sorted(stances.keys() | entities.keys())
        splits = document_splits(connection, ids, shares)
    return stances, entities, splits


def remove_dead_scratch(models_dir: Path) -> int:
    """Scratch folders left by trainings that were killed; called under the train lock, so no
    living training owns one."""
    dead = sorted((models_dir / NER_FOLDER).glob(f"{SCRATCH}*"))
    for folder in dead:
        shutil.rmtree(folder, ignore_errors=True)
    return len(dead)


def train(
    store: Store,
    context: LabellerContext,
    on_step: Callable[[int, float | None], None] | None = None,
) -> TrainReport:
    """on_step(step, dev score or None) follows the entity model's training."""
    then = "run `curate train` again if the gold changed since it started"
    with one_run_at_a_time(context.root, "train", then):
        # Models hold names learned from the texts: the folder is the owner's alone (0700),
        # like Label Studio's; made so, and repaired on every training.
        context.models_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(context.models_dir, 0o700)
        scratch = remove_dead_scratch(context.models_dir)
        report = _train(store, context, on_step)
        report.scratch_removed = scratch
        return report


def _train(
    store: Store,
    context: LabellerContext,
    on_step: Callable[[int, float | None], None] | None,
) -> TrainReport:
    settings = context.settings
    report = TrainReport()
    stances, entities, splits = gold_state(store, settings.release.splits)
    if splits and all(split == "test" for split in splits.values()):
        raise UsageError(
            f"no gold to train on (all {len(splits)} in the test split, which is never trained "
            "on); adjudicate annotations (`curate adjudicate --auto`, `curate review`) or import "
            "gold for training (`curate import-gold FILE --split train`)"
        )
    trained_on = _gold_fingerprint(stances, entities, splits)
    with store.connect() as connection:
        documents = queries.documents_by_ids(connection, sorted(splits))
    gold = [GoldText(d, documents[d].text, tuple(entities[d])) for d in sorted(entities)]
    train_part, dev_part, held_out = partition(gold, splits, settings.train.dev_share)
    report.ner = train_ner(
        train_part,
        dev_part,
        held_out,
        settings.entity_label_names(),
        context.models_dir,
        settings.prelabel.spacy_models,
        settings.train,
        on_step,
        settings.prelabel.label_map,
    )
    _learn_patterns(context, train_part, dev_part, report)
    texts = texts_of(documents)
    _train_stance(context, stances, texts, splits, report)
    models = context.models_dir
    if _gold_fingerprint(*gold_state(store, settings.release.splits)) != trained_on:
        report.gold_changed = True  # a newer gold deserves a newer model: this one waits
        for kind in (NER_FOLDER, PATTERNS, FOLDER, trust.FOLDER):
            if not (models / kind / "CURRENT").exists():  # else "newest" would pick this one
                mark_current(models / kind, None)
        return report
    if report.ner.folder is not None:
        mark_current(models / NER_FOLDER, report.ner.folder)
    mark_current(models / PATTERNS, report.patterns)  # names of older gold must not linger
    if report.stance_model is not None:
        mark_current(models / FOLDER, report.stance_model)
    # With the new models current: which labellers' labels earn a place in what is shown.
    report.trust = trust.measure(context, dev_part, report.stance_dev, texts)
    measured = _hash([trained_on, report.trust.as_dict()])  # a new measure, a new version
    mark_current(models / trust.FOLDER, trust.write(models, report.trust, measured))
    return report


def texts_of(documents: dict[str, Any]) -> dict[str, str]:
    return {d: document.text for d, document in documents.items()}


@dataclass
class StanceGold:
    """Per target: training examples (labels with enough documents), dev examples, or why the
    target is not trained."""

    train: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    dev: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def stance_gold(
    context: LabellerContext, stances: dict[str, dict[str, str]], splits: dict[str, str]
) -> StanceGold:
    needed = context.settings.prelabel.min_gold_documents
    found = StanceGold()
    for target in context.settings.target_names():
        labelled = [
            GoldText(d, "", ()) for d, labels in sorted(stances.items()) if target in labels
        ]
        train_part, dev_part, _ = partition(labelled, splits, context.settings.train.dev_share)
        examples = [(g.id, stances[g.id][target]) for g in train_part]
        found.dev[target] = [(g.id, stances[g.id][target]) for g in dev_part]
        kept = learnable([label for _, label in examples])
        if len(examples) < needed:
            found.skipped[target] = (
                f"needs {needed} gold documents outside the test and dev splits, has "
                f"{len(examples)}"
            )
        elif len(kept) < 2:
            found.skipped[target] = (
                f"needs two labels with {MIN_PER_LABEL} gold documents each, has "
                + (", ".join(f"{label} {n}" for label, n in sorted(kept.items())) or "none")
            )
        else:
            found.train[target] = [(d, label) for d, label in examples if label in kept]
    return found


def dev_scores(
    chosen: Selective, dev: list[tuple[str, str]], texts: dict[str, str]
) -> StanceScores:
    """The classifier's suggestions on the dev documents (an abstention a miss) against gold."""
    ids = [d for d, _ in dev]
    found = chosen.suggest([texts[d] for d in ids])
    guesses = {d: g[0] for d, g in zip(ids, found, strict=True) if g is not None}
    return score_stance(dict(dev), guesses)


def _train_stance(
    context: LabellerContext,
    stances: dict[str, dict[str, str]],
    texts: dict[str, str],
    splits: dict[str, str],
    report: TrainReport,
) -> None:
    import joblib

    bar = report.stance_min_precision = context.settings.prelabel.stance_min_precision
    gold = stance_gold(context, stances, splits)
    report.skipped_targets = gold.skipped
    for target, examples in gold.dev.items():
        for d, label in examples:
            report.stance_dev.setdefault(d, {})[target] = label
    training = gold.train
    if not training:
        return
    training_hash = _hash({"format": FORMAT, "min_precision": bar, "examples": training})
    folder = context.models_dir / FOLDER / training_hash[:12]
    models = {}
    for target, examples in training.items():
        chosen = fit_selective(
            [texts[d] for d, _ in examples], [label for _, label in examples], bar
        )
        models[target] = chosen
        report.trained_targets[target] = len(examples)
        report.stance_thresholds[target] = chosen
        if gold.dev[target]:
            report.stance_scores[target] = dev_scores(chosen, gold.dev[target], texts)
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump({"format": FORMAT, "targets": models}, folder / "model.joblib")
    _write_artefact(
        folder,
        training_hash,
        {
            "labeller": "stance-learned.v1",
            "features": "TF-IDF word 1-3-grams + character 2-5-grams",
            "model": "LinearSVC, sigmoid-calibrated (CalibratedClassifierCV)",
            "min_precision": bar,
            "documents": {t: len(ex) for t, ex in training.items()},
            "labels": {t: dict(Counter(label for _, label in ex)) for t, ex in training.items()},
            "thresholds": {
                t: {"probability": m.threshold, "coverage": m.coverage, "precision": m.precision}
                for t, m in models.items()
            },
            "dev_scores": {t: s.as_dict() for t, s in report.stance_scores.items()},
        },
    )
    report.stance_model = folder


def _learn_patterns(
    context: LabellerContext, gold: list[GoldText], dev: list[GoldText], report: TrainReport
) -> None:
    names = learn_names(context, gold, dev, report.ner.folder)
    report.refused_patterns.update(names.refused)
    report.candidates, report.unhelpful_labels = names.candidates, names.unhelpful_labels
    if not names.learned:
        return
    training_hash = _hash(names.learned)
    folder = context.models_dir / PATTERNS / training_hash[:12]
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"name": text, "label": label, "aliases": []}, ensure_ascii=False)
        for text, label in names.learned
    ]
    (folder / "patterns.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_artefact(
        folder, training_hash, {"labeller": "spacy-ner.v2", "patterns": len(names.learned)}
    )
    report.patterns, report.new_patterns = folder, len(names.learned)
