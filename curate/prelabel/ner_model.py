"""Fine-tune the entity model on gold with spaCy's own training loop.

The config is `spacy init config --pipeline ner`'s, started from the installed pipeline in one
of two ways:
- "base-ner": its own NER is fine-tuned (new labels added), keeping what it knew about the
  labels `[prelabel] label_map` maps onto the project's. Gold labels are renamed to the
  pipeline's (the map, inverted) for training and mapped back when it predicts.
- "fresh-ner": its tok2vec is sourced and a fresh NER listens to it, so it predicts the
  project's labels and no others.
`[train] start = "auto"` takes "base-ner" when the training gold has labels the base knows and
"fresh-ner" when it has none; one training either way. A dev-F1 race between the two was tried
and dropped: it doubled the time, and its 3 to 8 dev documents once picked the fresh NER on a
fold where it then scored lower on the held-out documents (bench/train.py's figures are in the
README).
Documents in the "test" split are never trained on; the validation split (or, when it holds no
gold, a deterministic share of the training documents) is the dev set for early stopping. The
model lands in .curate/models/ner/VERSION, VERSION being the start of the hash of the gold, the
config and the base pipeline: the same gold trains the same version once.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curate.agreement.spans import compare_exact
from curate.config import TrainSettings
from curate.domain.hashing import unit
from curate.domain.splits import DEV_SPLITS, TEST
from curate.errors import UsageError
from curate.prelabel.base_pipeline import base_labels, base_pipeline, known_labels, tok2vec_width
from curate.records import Span

FOLDER = "ner"
SCRATCH = ".training-"  # a training's work folder under FOLDER, renamed into place when done
LOGGER = "curate.TrainingProgress.v1"
BASE, FRESH = "base-ner", "fresh-ner"


@dataclass(frozen=True)
class GoldText:
    id: str
    text: str
    spans: tuple[Span, ...]


@dataclass
class NerReport:
    version: str = ""
    folder: Path | None = None
    reused: bool = False  # this gold and config were trained before: that model is kept
    skipped: str | None = None  # why no model was trained
    base: str = "blank"
    train_documents: int = 0
    dev_documents: int = 0
    held_out: int = 0  # test documents, never trained on
    spans: int = 0
    start: str = FRESH  # or BASE (see the module's doc)
    chosen_by: str = ""  # why that start: the rule or the setting
    dev_f1: float = 0.0  # exact F1 on dev, in the project's labels
    known_share: float = 0.0  # of the training gold spans, those with labels the base knows
    label_map: dict[str, str] = field(default_factory=dict)  # model label -> project label
    unaligned: int = 0  # spans whose ends fall inside a token: widened to whole tokens
    overlapping: int = 0  # spans dropped because they overlap a longer one
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # label -> p, r, f
    steps: int = 0


def partition(
    gold: Sequence[GoldText], splits: dict[str, str], dev_share: float
) -> tuple[list[GoldText], list[GoldText], int]:
    """(train, dev, held-out test count), deterministic from the ids."""
    train = [g for g in gold if splits[g.id] not in (TEST, *DEV_SPLITS)]
    dev = [g for g in gold if splits[g.id] in DEV_SPLITS]
    held_out = sum(splits[g.id] == TEST for g in gold)
    if not dev and len(train) > 1:
        ranked = sorted(train, key=lambda g: unit(g.id, "dev"))
        cut = max(1, round(len(train) * dev_share))
        dev, train = ranked[:cut], ranked[cut:]
    return train, dev, held_out


def training_config(base: str | None, settings: TrainSettings, start: str = FRESH) -> Any:
    """`spacy init config --pipeline ner`, sourcing the installed pipeline's NER ("base-ner")
    or its tok2vec under a fresh NER ("fresh-ner") when one is installed."""
    from spacy.cli.init_config import init_config

    config = init_config(lang="en", pipeline=["ner"], optimize="efficiency")
    if base is not None and start == BASE:
        # The pipeline's NER carries its own tok2vec: nothing else is needed.
        config["nlp"]["pipeline"] = ["ner"]
        del config["components"]["tok2vec"]
        config["components"]["ner"] = {"source": base}
    elif base is not None:
        # The installed pipeline's tok2vec (trained on OntoNotes) starts the shared embedding;
        # the NER on top is new, so it knows the project's labels and no others.
        config["components"]["tok2vec"] = {"source": base}
        width = tok2vec_width(base)
        config["components"]["ner"]["model"]["tok2vec"]["width"] = width
    config["training"]["max_steps"] = settings.max_steps
    config["training"]["patience"] = settings.patience
    config["training"]["eval_frequency"] = settings.eval_frequency
    config["training"]["seed"] = settings.seed
    config["training"]["logger"] = {"@loggers": LOGGER}
    return config


def _doc_bin(nlp: Any, gold: Sequence[GoldText], report: NerReport) -> Any:
    from spacy.tokens import DocBin
    from spacy.util import filter_spans

    docs = DocBin(store_user_data=False)
    for item in gold:
        doc = nlp.make_doc(item.text)
        spans = []
        for s in item.spans:
            span = doc.char_span(s.start, s.end, s.label, alignment_mode="expand")
            if span is None:  # only whitespace: nothing to learn
                continue
            report.unaligned += (span.start_char, span.end_char) != (s.start, s.end)
            spans.append(span)
        kept = filter_spans(spans)
        report.overlapping += len(spans) - len(kept)
        report.spans += len(kept)
        doc.ents = kept
        docs.add(doc)
    return docs


def fingerprint(train: Sequence[GoldText], dev: Sequence[GoldText], config: str) -> str:
    digest = hashlib.sha256(config.encode("utf-8"))
    for part, gold in (("train", train), ("dev", dev)):
        for item in sorted(gold, key=lambda g: g.id):
            spans = sorted((s.start, s.end, s.label) for s in item.spans)
            digest.update(json.dumps([part, item.id, spans]).encode("utf-8"))
    return digest.hexdigest()


class _Progress(io.StringIO):
    """spaCy's loop hands its logger a stdout: curate's logger finds the step callback here."""

    def __init__(self, on_step: Callable[[int, float | None], None] | None):
        super().__init__()
        self.on_step = on_step


def _register_logger() -> None:
    import spacy

    if LOGGER in spacy.registry.loggers:
        return

    @spacy.registry.loggers(LOGGER)
    def progress_logger() -> Any:
        def setup(nlp: Any, stdout: Any = None, stderr: Any = None) -> Any:
            state = {"step": 0}
            on_step = getattr(stdout, "on_step", None)

            def log_step(info: dict[str, Any] | None) -> None:
                state["step"] += 1
                if on_step is not None:
                    on_step(state["step"], None if info is None else info.get("score"))

            return log_step, lambda: None

        return setup


def relabelled(gold: Sequence[GoldText], renamed: dict[str, str]) -> list[GoldText]:
    """The gold with project labels renamed to the base pipeline's (training from its NER)."""
    if not renamed:
        return list(gold)
    return [
        GoldText(
            g.id, g.text, tuple(replace(s, label=renamed.get(s.label, s.label)) for s in g.spans)
        )
        for g in gold
    ]


def model_labels(folder: Path, labels: Sequence[str]) -> dict[str, str]:
    """A trained model's label -> project label (identity for models that did not record it)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return dict(manifest.get("label_map") or {label: label for label in labels})


def choose_start(setting: str, base: str | None, known_share: float) -> tuple[str, str]:
    """(start, why) for `[train] start` (see the module's doc)."""
    if setting == "auto" and base is None:
        return FRESH, "no installed pipeline to start from"
    if setting == "auto":
        known = "knows some of the gold's labels" if known_share else "knows none of its labels"
        return (BASE if known_share else FRESH), f"auto: the pipeline {known}"
    if setting == BASE and base is None:
        raise UsageError(
            '[train] start = "base-ner" needs an installed spaCy pipeline with an NER '
            "(`[prelabel] spacy_models`; `make install` installs the default); or set it to "
            '"auto"'
        )
    return setting, "[train] start"


def train_ner(
    train: Sequence[GoldText],
    dev: Sequence[GoldText],
    held_out: int,
    labels: Sequence[str],
    models_dir: Path,
    candidates: Sequence[str],
    settings: TrainSettings,
    on_step: Callable[[int, float | None], None] | None = None,
    label_map: dict[str, str] | None = None,
) -> NerReport:
    """Train (or find already trained) the NER model on train, stopping early on dev (see
    partition); held_out counts the test documents left out. on_step(step, dev score or None)
    is called after every optimizer step. label_map: `[prelabel] label_map` (base pipeline
    label -> project label), which says the labels the base pipeline knows (see the module's
    doc for the start chosen)."""
    report = NerReport(held_out=held_out, train_documents=len(train), dev_documents=len(dev))
    with_entities = [g for g in [*train, *dev] if any(s.label in labels for s in g.spans)]
    if len(with_entities) < settings.min_entity_documents or not dev or not train:
        report.skipped = (
            f"needs {settings.min_entity_documents} gold documents with entities outside the "
            f"test split, has {len(with_entities)} ({len(train)} train, {len(dev)} dev)"
        )
        return report
    found = base_pipeline(candidates)
    base_name, report.base = found if found else (None, "blank")
    renamed = known_labels(label_map or {}, base_labels(base_name), labels) if base_name else {}
    spans = [s.label for g in train for s in g.spans]
    report.known_share = sum(label in renamed for label in spans) / len(spans) if spans else 0.0
    report.start, report.chosen_by = choose_start(settings.start, base_name, report.known_share)
    config = training_config(base_name, settings, report.start)
    report.version = fingerprint(train, dev, config.to_str() + report.base)[:12]
    folder = models_dir / FOLDER / report.version
    names = renamed if report.start == BASE else {}
    report.label_map = {names.get(label, label): label for label in labels}
    if (folder / "manifest.json").is_file():
        return _reused(folder, report)
    _register_logger()
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=SCRATCH, dir=folder.parent) as scratch:
        work = Path(scratch)
        step = on_step or (lambda number, score: None)
        train_docs, dev_docs = relabelled(train, names), relabelled(dev, names)
        best, scores = _fit(config, train_docs, dev_docs, work / report.start, report, step)
        report.dev_f1 = round(_dev_f1(best, dev, report.label_map), 4)
        report.scores = {
            report.label_map[label]: values
            for label, values in scores.items()
            if label in report.label_map  # the base's other labels are not the project's
        } | {"overall": scores["overall"]}
        staged = work / "model"
        shutil.copytree(best, staged / "model")
        (staged / "config.cfg").write_text(config.to_str(), encoding="utf-8")
        manifest = _manifest(report, train, dev)
        (staged / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        staged.rename(folder)  # the whole model appears at once, or not at all
    report.folder = folder
    return report


def _reused(folder: Path, report: NerReport) -> NerReport:
    """The report of the model trained before in folder."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    report.folder, report.reused, report.scores = folder, True, manifest["scores"]
    dev_f1 = manifest.get("dev_f1", 0.0)  # by start in models trained before 2026-12-04
    report.dev_f1 = dev_f1.get(report.start, 0.0) if isinstance(dev_f1, dict) else dev_f1
    return report


def _manifest(
    report: NerReport, train: Sequence[GoldText], dev: Sequence[GoldText]
) -> dict[str, Any]:
    """What a trained model's manifest.json says: how it was made, and on which gold."""
    return {
        "version": report.version,
        "gold_sha256": fingerprint(train, dev, ""),
        "created": datetime.now(UTC).isoformat(),
        "base_pipeline": report.base,
        "start": report.start,
        "chosen_by": report.chosen_by,
        "dev_f1": report.dev_f1,
        "known_share": round(report.known_share, 4),
        "label_map": report.label_map,
        "config": "config.cfg",
        "train_documents": sorted(g.id for g in train),
        "dev_documents": sorted(g.id for g in dev),
        "spans": report.spans,
        "scores": report.scores,
    }


def _fit(
    config: Any,
    train: Sequence[GoldText],
    dev: Sequence[GoldText],
    work: Path,
    report: NerReport,
    on_step: Callable[[int, float | None], None],
) -> tuple[Path, dict[str, dict[str, float]]]:
    """One run of spaCy's training loop: (the best model's folder, its dev scores per model
    label and overall)."""
    import spacy
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as spacy_train

    work.mkdir()
    blank = spacy.blank("en")
    counted = NerReport()
    _doc_bin(blank, train, counted).to_disk(work / "train.spacy")
    _doc_bin(blank, dev, NerReport()).to_disk(work / "dev.spacy")  # dev spans counted apart
    report.spans, report.unaligned, report.overlapping = (
        counted.spans,
        counted.unaligned,
        counted.overlapping,
    )
    config["paths"]["train"] = str(work / "train.spacy")
    config["paths"]["dev"] = str(work / "dev.spacy")
    nlp = init_nlp(config)
    if "ner" in nlp.pipe_names:
        # A sourced NER learns new labels as batches show them, in an order that changes from
        # one process to the next; adding them sorted first makes the same gold train the same.
        ner: Any = nlp.get_pipe("ner")
        for label in sorted({s.label for g in train for s in g.spans}):
            ner.add_label(label)
    (work / "output").mkdir()
    spacy_train(nlp, work / "output", stdout=_Progress(on_step), stderr=io.StringIO())
    best = work / "output" / "model-best"
    performance = json.loads((best / "meta.json").read_text(encoding="utf-8"))["performance"]
    scores = {
        label: {k: round(v, 4) for k, v in values.items()}
        for label, values in (performance.get("ents_per_type") or {}).items()
    }
    scores["overall"] = {
        key[-1]: round(performance.get(f"ents_{key[-1]}", 0.0) or 0.0, 4) for key in ("p", "r", "f")
    }
    return best, scores


def _dev_f1(model: Path, dev: Sequence[GoldText], model_labels: dict[str, str]) -> float:
    """Exact character-span F1 on dev of the model's entities in the project's labels (the
    base's other labels dropped), as spacy-ner.v2 would suggest them."""
    import spacy

    nlp = spacy.load(model)
    gold = [(g.id, s.start, s.end, s.label) for g in dev for s in g.spans]
    found = [
        (g.id, e.start_char, e.end_char, model_labels[e.label_])
        for g, doc in zip(dev, nlp.pipe(g.text for g in dev), strict=True)
        for e in doc.ents
        if e.label_ in model_labels
    ]
    return compare_exact(gold, found).overall.f1
