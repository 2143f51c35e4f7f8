"""`curate train` against two raw `spacy train` runs, on the LEOKA fixture's own labels.

    .venv/bin/python bench/train.py [--folds 4] [--repeats 1] [--first-seed 0] [--export PATH]

Cross-validated, so every gold document is a test document once: the documents fall in
`--folds` folds by curate's deterministic draw. For each fold (setup not timed), a project
imports the Label Studio export without the fold's documents (its labels adopted) and
adjudicates it by majority; its gold falls in train / validation / test by curate's splits, as
in any project, and every side trains on the same train and dev documents (the project's own
test split is used by none). Then, alternating sides:

- anchor: what a user would write: read the gold from the store, write train and dev DocBins,
  `python -m spacy init config --pipeline ner` (the default config) and `python -m spacy train`.
- sourced anchor: the same, the config edited to fine-tune the installed pipeline's own NER
  (`[components.ner] source`, no separate tok2vec), with curate's step budget (max_steps,
  patience, eval_frequency from curate.toml).
- curate: `train()` (what `curate train` runs): the same gold read, training with spaCy's loop
  from the installed pipeline (`[train] start = "auto"`: its own NER, as the gold has a label it
  knows; ner_model.py), learning names, measuring what annotators are shown, writing the
  versioned models.
- curate, fresh NER: the same with `[train] start = "fresh-ner"` (a new NER on the pipeline's
  tok2vec), the start "auto" passes over here: the evidence for that rule, outside the ratio.

Each model is scored on its fold's documents (never imported into its project) with spaCy's
scorer (exact spans); the counts are summed over the folds, so each F1 rests on every gold
document. So is what annotators would be shown: the untrained pre-labeller (the installed
pipeline, which knows none of these labels) and spacy-ner.v2 after training (model + learned
names).

Each side's model is one draw of a random training: the sourced anchor's spaCy adds the new
labels in an order that changes from one process to the next; curate adds them sorted, so each
repeat trains curate with its own `[train] seed` (repeat N: seed `--first-seed` + N). Prints the
pooled F1 and the summed time of each side per repeat, their medians, and the time ratio
(target: curate scores at least as high as both, in at most 1.2 times the slower anchor's
time).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from curate.adjudicate.auto import auto_adjudicate
from curate.domain.hashing import unit
from curate.domain.splits import document_splits
from curate.labelstudio.importer import import_into_project
from curate.prelabel.base import LabellerContext
from curate.prelabel.base_pipeline import base_pipeline
from curate.prelabel.learning_ner import LearningNer
from curate.prelabel.ner_model import GoldText, partition
from curate.prelabel.train import train
from curate.project import Project, init_project
from curate.records import Document
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


def edited(context: LabellerContext, **train: Any) -> LabellerContext:
    """The project's context with `[train]` settings changed (what editing curate.toml does)."""
    settings = context.settings
    changed = settings.model_copy(update={"train": settings.train.model_copy(update=train)})
    return LabellerContext(changed, context.root)


def fold_of(document_id: str, folds: int) -> int:
    return min(int(unit(document_id, "bench-fold") * folds), folds - 1)


def export_without(export: Path, left_out: set[str], path: Path) -> Path:
    """The export without the tasks of the left-out documents."""
    tasks = json.loads(export.read_text("utf-8"))
    kept = [t for t in tasks if Document(text=t["data"]["text"]).id not in left_out]
    path.write_text(json.dumps(kept), "utf-8")
    return path


Counts = tuple[int, int, int]  # true positives, false positives, false negatives


def added(total: Counts, more: Counts) -> Counts:
    return total[0] + more[0], total[1] + more[1], total[2] + more[2]


def f1(counts: Counts) -> float:
    tp, fp, fn = counts
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def score_model(model: Path, test: list[GoldText]) -> Counts:
    """Exact spans of the model against the gold widened to whole tokens (as trained): what
    spaCy's scorer counts."""
    import spacy

    nlp = spacy.load(model)
    tp = fp = fn = 0
    for gold, predicted in zip(_docs(nlp, test), nlp.pipe(d.text for d in test), strict=True):
        want = {(e.start_char, e.end_char, e.label_) for e in gold.ents}
        got = {(e.start_char, e.end_char, e.label_) for e in predicted.ents}
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
    return tp, fp, fn


def _docs(nlp: Any, gold: list[GoldText]) -> list[Any]:
    return list(doc_bin(nlp, gold).get_docs(nlp.vocab))


def score_labeller(context: LabellerContext, test: list[GoldText]) -> tuple[Counts, Counts]:
    """Exact character spans of spacy-ner.v2's suggestions (what annotators see) on the test
    documents: (the model's alone, with the learned names filling its gaps)."""
    from curate.agreement.spans import compare_exact
    from curate.prelabel.learning_ner import PATTERN

    suggested = LearningNer(context)([Document(text=d.text) for d in test])
    gold = [(d.id, s.start, s.end, s.label) for d in test for s in d.spans]
    ids = {Document(text=d.text).id: d.id for d in test}
    found = [(ids[p.document_id], p.start, p.end, p.label, p.score) for p in suggested]
    alone = compare_exact(gold, [key[:4] for key in found if key[4] != PATTERN]).overall  # type: ignore[arg-type]
    names = compare_exact(gold, [key[:4] for key in found]).overall  # type: ignore[arg-type]
    return (alone.tp, alone.fp, alone.fn), (names.tp, names.fp, names.fn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0, help="curate's seed in repeat 1")
    parser.add_argument("--export", type=Path, default=EXPORT)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-train-"))
    (folder / "all").mkdir()
    whole, store = make_project(folder / "all", args.export)
    gold, _ = read_gold(store, whole)
    store.close()
    found = base_pipeline(whole.settings.prelabel.spacy_models)
    assert found is not None, "the installed pipeline (make install) is needed"
    sides = ["anchor", "sourced", "curate", "fresh"]
    repeats = range(args.repeats)
    times = {side: [0.0 for _ in repeats] for side in sides}
    counts: dict[str, list[Counts]] = {
        side: [(0, 0, 0) for _ in repeats] for side in [*sides, "shown", "names"]
    }
    untrained: Counts = (0, 0, 0)
    sizes, starts = [], []
    for fold in range(args.folds):
        test = [g for g in gold if fold_of(g.id, args.folds) == fold]
        (folder / f"fold-{fold}").mkdir()
        export = export_without(args.export, {g.id for g in test}, folder / f"fold-{fold}.json")
        project, store = make_project(folder / f"fold-{fold}", export)
        context = project.labeller_context()
        trained_on, splits = read_gold(store, project)
        train_docs, dev_docs, _ = partition(trained_on, splits, project.settings.train.dev_share)
        sizes.append(f"fold {fold}: {len(train_docs)} train, {len(dev_docs)} dev, {len(test)} test")
        untrained = added(untrained, score_labeller(context, test)[1])
        for repeat in repeats:
            for side in sides if (repeat + fold) % 2 == 0 else sides[::-1]:
                shutil.rmtree(project.root / ".curate" / "models", ignore_errors=True)
                work = Path(tempfile.mkdtemp(prefix="anchor-", dir=folder))
                start = time.perf_counter()
                if side in ("anchor", "sourced"):
                    model = anchor(store, project, work, found[0] if side == "sourced" else None)
                else:
                    seed = args.first_seed + repeat
                    start_as = "auto" if side == "curate" else "fresh-ner"
                    report = train(store, edited(context, seed=seed, start=start_as))
                    assert report.ner.folder is not None, report.ner.skipped
                    model = report.ner.folder / "model"
                    starts.append(
                        f"fold {fold} seed {seed}: {report.ner.start} "
                        f"(dev F1 {report.ner.dev_f1:.3f})"
                    )
                times[side][repeat] += time.perf_counter() - start
                counts[side][repeat] = added(counts[side][repeat], score_model(model, test))
                if side == "curate":
                    alone, with_names = score_labeller(context, test)
                    counts["shown"][repeat] = added(counts["shown"][repeat], alone)
                    counts["names"][repeat] = added(counts["names"][repeat], with_names)
                shutil.rmtree(work)
        store.close()
    shutil.rmtree(folder)
    t = {side: statistics.median(values) for side, values in times.items()}
    f = {side: statistics.median(f1(c) for c in values) for side, values in counts.items()}
    print(
        f"{args.export.name}: {len(gold)} gold documents in {args.folds} folds, each the test "
        f"set once; median of {args.repeats} repeat(s), sides alternating"
    )
    print("\n".join(sizes))
    print("spaCy's scorer (gold spans widened to whole tokens, as trained), pooled over folds:")
    print(f"{'run':<58}{'seconds':>9}{'test F1':>9}")
    anchor_run = "anchor: spacy init config --pipeline ner + spacy train"
    print(f"{anchor_run:<58}{t['anchor']:>9.1f}{f['anchor']:>9.3f}")
    sourced_run = f"anchor: spacy train fine-tuning {found[0]}'s NER"
    print(f"{sourced_run:<58}{t['sourced']:>9.1f}{f['sourced']:>9.3f}")
    print(f"{'curate train (model)':<58}{t['curate']:>9.1f}{f['curate']:>9.3f}")
    fresh_run = 'curate train, start = "fresh-ner" (not in the ratio)'
    print(f"{fresh_run:<58}{t['fresh']:>9.1f}{f['fresh']:>9.3f}")
    print("curate's exact character spans against the gold as stored (what `evaluate` does):")
    print(
        f"{'untrained pre-labeller (installed pipeline, mapped)':<58}{'':>9}{f1(untrained):>9.3f}"
    )
    print(f"{'spacy-ner.v2 after training, model alone':<58}{'':>9}{f['shown']:>9.3f}")
    print(f"{'spacy-ner.v2 after training, with learned names':<58}{'':>9}{f['names']:>9.3f}")
    print("curate's starts per fold: " + "; ".join(starts))
    for side in [*sides, "shown", "names"]:
        runs = ", ".join(f"{f1(c):.3f} {c}" for c in counts[side])
        print(
            f"all repeats, {side}: F1 (tp, fp, fn) {runs}"
            + (f"; seconds {[round(x, 1) for x in times[side]]}" if side in times else "")
        )
    slower = max(t["anchor"], t["sourced"])
    print(
        f"time ratio curate / slower anchor: {t['curate'] / slower:.2f} (target <= 1.2); "
        f"F1 curate - anchor: {f['curate'] - f['anchor']:+.3f}, curate - sourced anchor: "
        f"{f['curate'] - f['sourced']:+.3f} (targets >= 0); fresh-ner - auto: "
        f"{f['fresh'] - f['curate']:+.3f}"
    )


if __name__ == "__main__":
    main()
