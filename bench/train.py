"""`curate train` against two raw `spacy train` runs, on the LEOKA fixture's own labels.

    .venv/bin/python bench/train.py [--repeats 3] [--export PATH]

Setup (not timed): a project imports the Label Studio export (its labels adopted) and
adjudicates it by majority; the gold documents fall in train / validation / test by curate's
deterministic splits. Then, alternating sides each round:

- anchor: what a user would write: read the gold from the store, write train and dev DocBins,
  `python -m spacy init config --pipeline ner` (the default config) and `python -m spacy train`.
- sourced anchor: the same, the config edited to fine-tune the installed pipeline's own NER
  (`[components.ner] source`, no separate tok2vec), with curate's step budget (max_steps,
  patience, eval_frequency from curate.toml).
- curate: `train()` (what `curate train` runs): the same gold read, training with spaCy's loop
  from the installed pipeline (its NER and a fresh NER on its tok2vec, the better on dev
  kept; ner_model.py), learning names,
  measuring what annotators are shown, writing the versioned models.

Each side's model is one draw of a random training: the sourced anchor's spaCy adds the new
labels in an order that changes from one process to the next, and so its F1 changes from run to
run; curate adds them sorted, so it trains the same model every time unless `[train] seed`
changes. So that both sides are sampled, curate's round N trains with seed N (the anchors keep
their defaults, as a user would run them).

Both models are scored on the test documents (never trained on) with spaCy's scorer (exact
spans), as is what annotators would be shown: the untrained pre-labeller (the installed
pipeline, which knows none of these labels) and spacy-ner.v2 after training (model + learned
names). Prints medians and the time ratio (target: curate scores at least as high as both,
in at most 1.2 times the slower anchor's time).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from curate.adjudicate.auto import auto_adjudicate
from curate.domain.splits import document_splits
from curate.labelstudio.importer import import_into_project
from curate.prelabel.base import LabellerContext
from curate.prelabel.learning_ner import LearningNer
from curate.prelabel.ner_model import GoldText, base_pipeline, partition
from curate.prelabel.train import train
from curate.project import Project, init_project
from curate.store import Store, open_store, queries
from curate.store.database import default_url

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT.parent / "shared" / "fixtures" / "labelstudio" / "leoka_team_1.json"


def make_project(folder: Path, export: Path) -> tuple[Project, Store]:
    init_project(folder)
    project = Project.load(folder)
    store = open_store(default_url(folder))
    import_into_project(project, store, export, adopt=True)
    project = Project.load(folder)
    with store.transaction() as connection:
        auto_adjudicate(connection, project.settings, None)
    return project, store


def read_gold(store: Store, project: Project) -> tuple[list[GoldText], dict[str, str]]:
    with store.connect() as connection:
        entities = queries.gold_entities(connection)
        ids = sorted(entities)
        texts = queries.documents_by_ids(connection, ids)
        splits = document_splits(connection, ids, project.settings.release.splits)
    return [GoldText(d, texts[d].text, tuple(entities[d])) for d in ids], splits


def doc_bin(nlp: Any, gold: list[GoldText]) -> Any:
    from spacy.tokens import DocBin
    from spacy.util import filter_spans

    docs = DocBin()
    for item in gold:
        doc = nlp.make_doc(item.text)
        spans = [
            doc.char_span(s.start, s.end, s.label, alignment_mode="expand") for s in item.spans
        ]
        doc.ents = filter_spans([s for s in spans if s is not None])
        docs.add(doc)
    return docs


def anchor(store: Store, project: Project, work: Path, sourced: str | None = None) -> Path:
    """The whole job as a user would write it, store read included. sourced: an installed
    pipeline whose NER the config fine-tunes."""
    import spacy

    gold, splits = read_gold(store, project)
    train_docs, dev_docs, _ = partition(gold, splits, project.settings.train.dev_share)
    blank = spacy.blank("en")
    doc_bin(blank, train_docs).to_disk(work / "train.spacy")
    doc_bin(blank, dev_docs).to_disk(work / "dev.spacy")
    spacy_cli = [sys.executable, "-m", "spacy"]
    quiet = {"check": True, "capture_output": True}
    subprocess.run(
        [*spacy_cli, "init", "config", str(work / "config.cfg"), "--pipeline", "ner"], **quiet
    )
    if sourced is not None:  # the edit a user makes to start from the pipeline's own NER
        config = spacy.util.load_config(work / "config.cfg")
        config["nlp"]["pipeline"] = ["ner"]
        del config["components"]["tok2vec"]
        config["components"]["ner"] = {"source": sourced}
        steps = project.settings.train
        config["training"] |= {
            "max_steps": steps.max_steps,
            "patience": steps.patience,
            "eval_frequency": steps.eval_frequency,
        }
        config.to_disk(work / "config.cfg")
    subprocess.run(
        [*spacy_cli, "train", str(work / "config.cfg"), "--output", str(work / "out")]
        + ["--paths.train", str(work / "train.spacy"), "--paths.dev", str(work / "dev.spacy")],
        **quiet,
    )
    return work / "out" / "model-best"


def seeded(context: LabellerContext, seed: int) -> LabellerContext:
    """The project's context with `[train] seed` set (what editing curate.toml does)."""
    settings = context.settings
    changed = settings.model_copy(
        update={"train": settings.train.model_copy(update={"seed": seed})}
    )
    return LabellerContext(changed, context.root)


def score_model(model: Path, test: list[GoldText]) -> float:
    import spacy
    from spacy.training import Example

    nlp = spacy.load(model)
    examples = [
        Example(nlp.make_doc(d.text), doc) for d, doc in zip(test, _docs(nlp, test), strict=True)
    ]
    return float(nlp.evaluate(examples)["ents_f"] or 0.0)


def _docs(nlp: Any, gold: list[GoldText]) -> list[Any]:
    return list(doc_bin(nlp, gold).get_docs(nlp.vocab))


def score_labeller(context: LabellerContext, test: list[GoldText]) -> tuple[float, float]:
    """Exact character-span F1 of spacy-ner.v2's suggestions (what annotators see) on the test
    documents: (the model's alone, with the learned names filling its gaps)."""
    from curate.agreement.spans import compare_exact
    from curate.prelabel.learning_ner import PATTERN
    from curate.records import Document

    suggested = LearningNer(context)([Document(text=d.text) for d in test])
    gold = [(d.id, s.start, s.end, s.label) for d in test for s in d.spans]
    ids = {Document(text=d.text).id: d.id for d in test}
    found = [(ids[p.document_id], p.start, p.end, p.label, p.score) for p in suggested]
    alone = [key[:4] for key in found if key[4] != PATTERN]
    return (
        compare_exact(gold, alone).overall.f1,  # type: ignore[arg-type]
        compare_exact(gold, [key[:4] for key in found]).overall.f1,  # type: ignore[arg-type]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--export", type=Path, default=EXPORT)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-train-"))
    project, store = make_project(folder, args.export)
    gold, splits = read_gold(store, project)
    test = [g for g in gold if splits[g.id] == "test"]
    train_docs, dev_docs, _ = partition(gold, splits, project.settings.train.dev_share)
    context = project.labeller_context()
    untrained = score_labeller(context, test)[1]
    found = base_pipeline(project.settings.prelabel.spacy_models)
    assert found is not None, "the installed pipeline (make install) is needed"
    sides = ["anchor", "sourced", "curate"]
    times: dict[str, list[float]] = {side: [] for side in sides}
    scores: dict[str, list[float]] = {side: [] for side in sides} | {"shown": [], "names": []}
    starts = set()
    for round_number in range(args.repeats):
        for side in sides if round_number % 2 == 0 else sides[::-1]:
            shutil.rmtree(folder / ".curate" / "models", ignore_errors=True)
            work = Path(tempfile.mkdtemp(prefix="anchor-", dir=folder))
            start = time.perf_counter()
            if side != "curate":
                model = anchor(store, project, work, found[0] if side == "sourced" else None)
            else:
                report = train(store, seeded(context, round_number))
                assert report.ner.folder is not None, report.ner.skipped
                model = report.ner.folder / "model"
                dev = ", ".join(f"{k} {v:.3f}" for k, v in report.ner.dev_f1.items())
                starts.add(f"{report.ner.start} (dev F1 {dev})")
            times[side].append(time.perf_counter() - start)
            scores[side].append(score_model(model, test))
            if side == "curate":
                alone, with_names = score_labeller(context, test)
                scores["shown"].append(alone)
                scores["names"].append(with_names)
            shutil.rmtree(work)
    store.close()
    shutil.rmtree(folder)
    t = {side: statistics.median(values) for side, values in times.items()}
    f = {side: statistics.median(values) for side, values in scores.items()}
    print(
        f"{args.export.name}: {len(gold)} gold documents: {len(train_docs)} train, "
        f"{len(dev_docs)} dev, {len(test)} test; median of {args.repeats}, sides alternating"
    )
    print("spaCy's scorer (gold spans widened to whole tokens, as trained):")
    print(f"{'run':<58}{'seconds':>9}{'test F1':>9}")
    anchor_run = "anchor: spacy init config --pipeline ner + spacy train"
    print(f"{anchor_run:<58}{t['anchor']:>9.1f}{f['anchor']:>9.3f}")
    sourced_run = f"anchor: spacy train fine-tuning {found[0]}'s NER"
    print(f"{sourced_run:<58}{t['sourced']:>9.1f}{f['sourced']:>9.3f}")
    print(f"{'curate train: model, from ' + ', '.join(sorted(starts)):<58}", end="")
    print(f"{t['curate']:>9.1f}{f['curate']:>9.3f}")
    print("curate's exact character spans against the gold as stored (what `evaluate` does):")
    print(f"{'untrained pre-labeller (installed pipeline, mapped)':<58}{'':>9}{untrained:>9.3f}")
    print(f"{'spacy-ner.v2 after training, model alone':<58}{'':>9}{f['shown']:>9.3f}")
    print(f"{'spacy-ner.v2 after training, with learned names':<58}{'':>9}{f['names']:>9.3f}")
    for side in sides:
        print(f"all runs, {side}: seconds {times[side]}, test F1 {scores[side]}")
    slower = max(t["anchor"], t["sourced"])
    print(
        f"time ratio curate / slower anchor: {t['curate'] / slower:.2f} (target <= 1.2); "
        f"F1 curate - anchor: {f['curate'] - f['anchor']:+.3f}, curate - sourced anchor: "
        f"{f['curate'] - f['sourced']:+.3f} (targets >= 0)"
    )


if __name__ == "__main__":
    main()
