"""`curate train`: learn from adjudicated gold.

- stance-learned.v1: one TF-IDF + logistic-regression classifier per stance target, once the target
  has prelabel.min_gold_documents adjudicated documents with at least two different labels.
- gazetteer patterns: gold entity names the gazetteer does not know yet (gazetteer.v1 loads them).

Artefacts go to .curate/models/NAME/VERSION, VERSION being the start of the training set's hash;
each folder has a manifest.json with the full hash, so a model can be traced to its data.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curate.prelabel.base import LabellerContext
from curate.prelabel.gazetteer import LEARNED, read_gazetteer
from curate.prelabel.stance_learned import FOLDER, build_classifier
from curate.store import Store, queries


@dataclass
class TrainReport:
    stance_model: Path | None = None
    trained_targets: dict[str, int] = field(default_factory=dict)  # target -> documents
    skipped_targets: dict[str, str] = field(default_factory=dict)  # target -> why
    gazetteer_patterns: Path | None = None
    new_patterns: int = 0


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


def train(store: Store, context: LabellerContext) -> TrainReport:
    report = TrainReport()
    with store.connect() as connection:
        stances = queries.gold_stances(connection)
        entities = queries.gold_entities(connection)
        texts = {}
        for document_id in stances:
            document = queries.get_document(connection, document_id)
            assert document is not None
            texts[document_id] = document.text
    _train_stance(context, stances, texts, report)
    _learn_patterns(context, entities, report)
    return report


def _train_stance(
    context: LabellerContext,
    stances: dict[str, dict[str, str]],
    texts: dict[str, str],
    report: TrainReport,
) -> None:
    import joblib

    needed = context.settings.prelabel.min_gold_documents
    training: dict[str, list[tuple[str, str]]] = {}
    for target in context.settings.target_names():
        examples = sorted((d, labels[target]) for d, labels in stances.items() if target in labels)
        if len(examples) < needed:
            report.skipped_targets[target] = (
                f"needs {needed} adjudicated documents, has {len(examples)}"
            )
        elif len({label for _, label in examples}) < 2:
            report.skipped_targets[target] = "all gold documents have the same label"
        else:
            training[target] = examples
    if not training:
        return
    training_hash = _hash({t: ex for t, ex in training.items()})
    folder = context.models_dir / FOLDER / training_hash[:12]
    models = {}
    for target, examples in training.items():
        model = build_classifier()
        model.fit([texts[d] for d, _ in examples], [label for _, label in examples])
        models[target] = model
        report.trained_targets[target] = len(examples)
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(models, folder / "model.joblib")
    _write_artefact(
        folder,
        training_hash,
        {
            "labeller": "stance-learned.v1",
            "documents": {t: len(ex) for t, ex in training.items()},
            "labels": {t: dict(Counter(label for _, label in ex)) for t, ex in training.items()},
        },
    )
    report.stance_model = folder


def _learn_patterns(
    context: LabellerContext, entities: dict[str, list[Any]], report: TrainReport
) -> None:
    known = set()
    if context.gazetteer_path.is_file():
        entries = read_gazetteer(context.gazetteer_path, context.settings.entity_label_names())
        known = {form for entry in entries for form in entry.forms}
    labels: dict[str, Counter[str]] = {}
    for spans in entities.values():
        for span in spans:
            labels.setdefault(span.text, Counter())[span.label] += 1
    # A name is learned only when gold always gave it the same label.
    learned = sorted(
        (text, counts.most_common(1)[0][0])
        for text, counts in labels.items()
        if text not in known and len(counts) == 1 and text.strip() == text and text
    )
    if not learned:
        return
    training_hash = _hash(learned)
    folder = context.models_dir / LEARNED / training_hash[:12]
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"name": text, "label": label, "aliases": []}, ensure_ascii=False)
        for text, label in learned
    ]
    (folder / "patterns.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_artefact(folder, training_hash, {"labeller": "gazetteer.v1", "patterns": len(learned)})
    report.gazetteer_patterns, report.new_patterns = folder, len(learned)
