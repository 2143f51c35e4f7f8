"""The product's own learning curve: a simulated team on the LEOKA fixture.

    .venv/bin/python bench/loop.py [--round 20] [--max-steps 2000] [--export PATH]

Setup (not timed): every task's text is imported without annotations (the documents waiting
to be labelled), and an oracle store adjudicates the whole export by majority (the gold the team
will reach). Then round after round, ~20 more tasks' annotations are revealed (imported, as a
pull would bring them), and the cycle `curate loop` runs on the store runs: adjudicate --auto,
train when the gold grew by [train] retrain_after, prelabel when a model changed. After each
round it prints the exact span F1 of what annotators would be shown on the documents not yet
revealed, against the oracle's gold, and the cycle's time. The Label Studio legs (pull, push)
are left out here: bench/labelstudio.py times them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from curate.adjudicate.auto import auto_adjudicate
from curate.agreement.spans import compare_exact
from curate.labelstudio.importer import import_into_project
from curate.loop import gold_for_training, trained_on
from curate.prelabel import prelabel
from curate.prelabel.train import train
from curate.project import Project, init_project
from curate.store import Store, open_store, queries
from curate.store.database import default_url
from curate.suggestions import shown

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT.parent / "shared" / "fixtures" / "labelstudio" / "leoka_team_1.json"


def project_of(folder: Path, export: Path, max_steps: int, retrain_after: int) -> Project:
    init_project(folder)
    config = folder / "curate.toml"
    text = config.read_text("utf-8").replace("max_steps = 2000", f"max_steps = {max_steps}")
    config.write_text(text.replace("retrain_after = 20", f"retrain_after = {retrain_after}"))
    return Project.load(folder)


def oracle_gold(folder: Path, export: Path) -> dict[str, list[tuple[int, int, str]]]:
    project = project_of(folder, export, 1, 1)
    store = open_store(default_url(folder))
    import_into_project(project, store, export, adopt=True)
    project = Project.load(folder)
    with store.transaction() as connection:
        auto_adjudicate(connection, project.settings, None)
    with store.connect() as connection:
        gold = queries.gold_entities(connection)
    store.close()
    return {d: [(s.start, s.end, s.label) for s in spans] for d, spans in gold.items()}


def shown_f1(store: Store, project: Project, ids: list[str], gold: dict[str, Any]) -> float:
    order = project.settings.prelabel.labellers
    with store.connect() as connection:
        suggestions = queries.prelabels_for_many(connection, ids)
    predicted = [
        (d, p.start, p.end, p.label)
        for d in ids
        for p in shown(suggestions.get(d, []), order)
        if p.kind == "entity"
    ]
    truth = [(d, a, b, label) for d in ids for a, b, label in gold.get(d, [])]
    return compare_exact(truth, predicted).overall.f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, default=20, help="tasks revealed per round")
    parser.add_argument("--max-steps", type=int, default=2000)
    parser.add_argument("--retrain-after", type=int, default=20)
    parser.add_argument("--export", type=Path, default=EXPORT)
    args = parser.parse_args()
    tasks = json.loads(args.export.read_text("utf-8"))
    tasks.sort(key=lambda t: hashlib.sha256(str(t["id"]).encode()).hexdigest())
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "oracle").mkdir()
        gold = oracle_gold(root / "oracle", args.export)
        folder = root / "team"
        folder.mkdir()
        project = project_of(folder, args.export, args.max_steps, args.retrain_after)
        store = open_store(default_url(folder))
        texts = root / "texts.json"
        texts.write_text(json.dumps([t | {"annotations": []} for t in tasks]), "utf-8")
        import_into_project(project, store, texts, adopt=True)
        project = Project.load(folder)
        context = project.labeller_context()
        prelabel(store, context)
        print(
            f"{'round':>5} {'revealed':>8} {'gold':>5} {'trained':>8} {'unseen':>6} "
            f"{'shown F1':>8} {'cycle s':>8}"
        )
        with store.connect() as connection:
            every = queries.document_ids(connection)
        untrained = shown_f1(store, project, every, gold)
        print(f"{0:>5} {0:>8} {0:>5} {'-':>8} {len(every):>6} {untrained:>8.3f} {'':>8}")
        for number, start in enumerate(range(0, len(tasks), args.round), start=1):
            batch = tasks[: start + args.round]
            export = root / f"round{number}.json"
            export.write_text(json.dumps(batch), "utf-8")
            began = time.perf_counter()
            import_into_project(project, store, export, adopt=True)
            project = Project.load(folder)  # labels adopted from the revealed annotations
            context = project.labeller_context()
            with store.transaction() as connection:
                auto_adjudicate(connection, project.settings, project.guideline_version())
            known = trained_on(context.models_dir)
            training = gold_for_training(store, project)
            grown = len(training - known) if known is not None else len(training)
            trained = "-"
            if known is None or grown >= project.settings.train.retrain_after:
                report = train(store, context)
                trained = report.ner.version or "skipped"
                prelabel(store, context)
            seconds = time.perf_counter() - began
            with store.connect() as connection:
                revealed = {d for d, _ in queries.annotated_pairs(connection)}
                unseen = [d for d in queries.document_ids(connection) if d not in revealed]
            f1 = shown_f1(store, project, unseen, gold) if unseen else float("nan")
            print(
                f"{number:>5} {len(batch):>8} {len(training):>5} {trained:>8.8} "
                f"{len(unseen):>6} {f1:>8.3f} {seconds:>8.1f}",
                flush=True,
            )
        store.close()


if __name__ == "__main__":
    main()
