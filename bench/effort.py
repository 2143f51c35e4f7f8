"""Annotate less: how many documents uncertain-first needs against random, on the pooled LEOKA.

    .venv/bin/python bench/effort.py [--round 25] [--until 200] [--random-seeds 0 1 2]
        [--uncertain-seeds 0] [--max-steps 1000] [--jobs 2] [--plot effort.png]

The data: the seven LEOKA team exports (../shared/fixtures/labelstudio), ~730 narratives. The
30 narratives every team labelled, with gold from all 21 coders, plus a fixed 10% of the
others (by a hash of the text) are the test set, never chosen. The rest is the pool. A pool
document's gold is its coders' majority (`adjudicate --auto` over its team's 3; a narrative
two teams labelled has 6), revealed when the document is chosen: its annotations are
imported, as a pull would bring them.

A run starts from a random seed set (--round documents, drawn by the run's seed), then round
after round runs curate's own cycle (adjudicate --auto, train, prelabel every document) and
chooses the next round: (a) `uncertain`: the first documents of curate's queue (queue_order,
as push and the terminal compute it, with its random share), or (b) `random`. The seed set of
seed N is the same for both orders. After each
cycle it records the exact-span F1 of what annotators are shown on the test set; the
corrections an annotator would make on the next round's documents (spans to add, delete or
fix, against their gold); documents, characters and gold spans so far; the cycle's time. The
bench's project has one split ("train"): the test set above plays the test split.

The reference is a model trained the same way on the whole pool. The report gives, per order,
the documents (and characters) each run needed to reach 95% of its F1, mean and range over
seeds, and writes the curves as a PNG.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from curate.adjudicate.auto import auto_adjudicate
from curate.agreement.spans import compare_exact
from curate.domain.hashing import unit
from curate.ingest.clean import clean_with_offsets
from curate.labelstudio.importer import import_into_project
from curate.prelabel import prelabel, trust
from curate.prelabel.train import train
from curate.prelabel.uncertainty import queue_order
from curate.project import Project, init_project
from curate.records import Document
from curate.store import open_store, queries
from curate.store.current import current_decisions
from curate.store.database import default_url
from curate.suggestions import shown

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "labelstudio"
TEST_SHARE = 0.1
Span = tuple[int, int, str]


def load_tasks() -> dict[str, list[dict[str, Any]]]:
    """Document id -> its tasks (one per team that labelled it)."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(FIXTURES.glob("leoka_team_*.json")):
        for task in json.loads(path.read_text("utf-8")):
            text, _ = clean_with_offsets(task["data"]["text"])
            found[Document(text=text).id].append(task)
    return dict(found)


def configure(folder: Path, settings: dict[str, str]) -> Project:
    init_project(folder)
    config = folder / "curate.toml"
    text = config.read_text("utf-8")
    for old, new in settings.items():
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text, "utf-8")
    return Project.load(folder)


def oracle(folder: Path, tasks: dict[str, list[dict[str, Any]]]) -> dict[str, set[Span]]:
    """Every document's gold: the spans a majority of all its coders marked alike (what
    `adjudicate --auto` settles; a span with no majority is in no one's gold, even where the
    document has other spans still open)."""
    project = configure(folder, {})
    store = open_store(default_url(folder))
    export = folder / "all.json"
    export.write_text(json.dumps([t for found in tasks.values() for t in found]), "utf-8")
    import_into_project(project, store, export, adopt=True)
    project = Project.load(folder)
    with store.transaction() as connection:
        auto_adjudicate(connection, project.settings, None)
    with store.connect() as connection:
        decided = current_decisions(connection, queries.document_ids(connection))
    store.close()
    return {
        d: {(s["start"], s["end"], s["label"]) for s in decision.payload.get("spans", [])}
        for (d, kind, _), decision in decided.items()
        if kind == "entity"
    }


def corrections(shown_spans: set[Span], gold: set[Span]) -> int:
    """Spans to add, delete or fix (an overlapping span with other bounds or label: one fix)."""
    exact = shown_spans & gold
    wrong, missing = shown_spans - exact, set(gold - exact)
    fixes = 0
    for a, b, _ in sorted(wrong):
        hit = next((g for g in sorted(missing) if g[0] < b and a < g[1]), None)
        if hit is not None:
            missing.discard(hit)
            fixes += 1
    return len(wrong) + len(missing)  # each fix replaces one add and one delete


def shown_spans(store: Any, project: Project, ids: list[str]) -> dict[str, set[Span]]:
    left_out = trust.in_use(project.labeller_context().models_dir).left_out
    with store.connect() as connection:
        found = queries.prelabels_for_many(connection, ids)
    order = project.settings.prelabel.labellers
    return {
        d: {
            (p.start, p.end, p.label)  # type: ignore[misc]
            for p in shown(found.get(d, []), order, left_out)
            if p.kind == "entity"
        }
        for d in ids
    }


def f1(found: dict[str, set[Span]], gold: dict[str, set[Span]], ids: list[str]) -> float:
    truth = [(d, *s) for d in ids for s in gold.get(d, set())]
    predicted = [(d, *s) for d in ids for s in found.get(d, set())]
    return compare_exact(truth, predicted).overall.f1


def run(job: dict[str, Any]) -> dict[str, Any]:
    """One simulated team: job = order, seed, round, until, max_steps, pool, test, gold."""
    tasks, gold = load_tasks(), {d: {tuple(s) for s in v} for d, v in job["gold"].items()}
    pool, test, size = list(job["pool"]), list(job["test"]), job["round"]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "team"
        folder.mkdir()
        settings = {
            "max_steps = 2000": f"max_steps = {job['max_steps']}",
            'order = "id"': f'order = "{job["order"] if job["order"] != "random" else "id"}"',
            "splits = { train = 0.8, validation = 0.1, test = 0.1 }": "splits = { train = 1.0 }",
        }
        project = configure(folder, settings)
        store = open_store(default_url(folder))
        texts = folder / "texts.json"
        everything = [tasks[d][0] | {"annotations": []} for d in [*pool, *test]]
        texts.write_text(json.dumps(everything), "utf-8")
        import_into_project(project, store, texts, adopt=True)
        project = Project.load(folder)
        prelabel(store, project.labeller_context())
        rng = random.Random(job["seed"])
        chosen = rng.sample(pool, size)
        taken: list[str] = []
        rows = []
        while chosen:
            began = time.perf_counter()
            export = folder / f"round{len(rows)}.json"
            export.write_text(json.dumps([t for d in chosen for t in tasks[d]]), "utf-8")
            import_into_project(project, store, export, adopt=True)
            project = Project.load(folder)
            taken += chosen
            with store.transaction() as connection:
                auto_adjudicate(connection, project.settings, project.guideline_version())
            context = project.labeller_context()
            report = train(store, context)
            prelabel(store, project.labeller_context())
            cycle = time.perf_counter() - began
            seen = shown_spans(store, project, test)
            left = [d for d in pool if d not in set(taken)]
            if len(taken) >= job["until"] or not left:
                chosen = []
            elif job["order"] == "random":
                chosen = rng.sample(left, min(size, len(left)))
            else:
                with store.transaction() as connection:
                    chosen = queue_order(connection, project.settings, folder, left)[:size]
            upcoming = shown_spans(store, project, chosen)
            fixes = [corrections(upcoming[d], gold.get(d, set())) for d in chosen]
            rows.append(
                {
                    "documents": len(taken),
                    "characters": sum(len(tasks[d][0]["data"]["text"]) for d in taken),
                    "gold_spans": sum(len(gold.get(d, ())) for d in taken),
                    "trained": report.ner.train_documents,
                    "test_f1": round(f1(seen, gold, test), 4),
                    "next_corrections": round(statistics.mean(fixes), 3) if fixes else None,
                    "cycle_s": round(cycle, 1),
                }
            )
            print(job["order"], job["seed"], rows[-1], flush=True)
        store.close()
    return {"order": job["order"], "seed": job["seed"], "rows": rows}


def whole_pool(job: dict[str, Any]) -> float:
    """The reference: the same cycle once, on every pool document."""
    result = run(job | {"order": "random", "seed": 0, "round": len(job["pool"])})
    return float(result["rows"][-1]["test_f1"])


def needed(rows: list[dict[str, Any]], goal: float, key: str) -> int | None:
    return next((r[key] for r in rows if r["test_f1"] >= goal), None)


def report(results: list[dict[str, Any]], reference: float, plot: Path) -> None:
    goal = 0.95 * reference
    print(f"\nwhole-pool F1 {reference:.3f}; 95% of it: {goal:.3f}")
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        by_order[result["order"]].append(result)
    for order, runs in sorted(by_order.items()):
        print(f"\n{order}")
        print(f"{'docs':>5}" + "".join(f"  seed {r['seed']}: F1  fix/doc" for r in runs))
        for n, row in enumerate(runs[0]["rows"]):
            line = f"{row['documents']:>5}"
            for r in runs:
                other = r["rows"][n] if n < len(r["rows"]) else None
                fix = other and other["next_corrections"]
                line += f"  {other['test_f1'] if other else float('nan'):>12.3f}"
                line += f" {fix if fix is not None else float('nan'):>8.2f}"
            print(line)
        for key in ("documents", "characters"):
            found = [needed(r["rows"], goal, key) for r in runs]
            reached = [n for n in found if n is not None]
            summary = (
                f"mean {statistics.mean(reached):,.0f}, range {min(reached):,}-{max(reached):,}"
                if reached
                else "not reached"
            )
            print(f"{key} to 95%: {found} ({summary}; {len(reached)} of {len(found)} reached)")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for result in results:
        colour = "tab:red" if result["order"] == "uncertain" else "tab:blue"
        xs = [r["documents"] for r in result["rows"]]
        left.plot(xs, [r["test_f1"] for r in result["rows"]], color=colour, alpha=0.7)
        fixes = [(r["documents"], r["next_corrections"]) for r in result["rows"]]
        fixes = [(x, y) for x, y in fixes if y is not None]
        right.plot(*zip(*fixes, strict=True), color=colour, alpha=0.7) if fixes else None
    left.axhline(goal, color="grey", linestyle="--", label="95% of whole pool")
    left.set(xlabel="documents labelled", ylabel="test F1 of what annotators are shown")
    right.set(xlabel="documents labelled", ylabel="corrections per next document")
    left.plot([], [], color="tab:red", label="uncertain-first")
    left.plot([], [], color="tab:blue", label="random")
    left.legend()
    figure.tight_layout()
    figure.savefig(plot, dpi=100)
    print(f"\nplot: {plot}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, default=25, help="documents chosen per round")
    parser.add_argument("--until", type=int, default=200, help="stop at this many documents")
    parser.add_argument("--random-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--uncertain-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-steps", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--plot", type=Path, default=Path("effort.png"))
    parser.add_argument("--results", type=Path, default=Path("effort.json"))
    args = parser.parse_args()
    began = time.perf_counter()
    tasks = load_tasks()
    teams = len({t["project"] for found in tasks.values() for t in found})
    common = [d for d, found in tasks.items() if len({t["project"] for t in found}) == teams]
    unique = [d for d, found in tasks.items() if d not in set(common)]
    test = sorted(common + [d for d in unique if unit(d, "effort-test") < TEST_SHARE])
    pool = sorted(d for d in unique if d not in set(test))
    with tempfile.TemporaryDirectory() as scratch:
        gold = oracle(Path(scratch), tasks)
    print(f"{len(tasks)} documents: {len(test)} test ({len(common)} common), {len(pool)} pool")
    base = {
        "round": args.round,
        "until": args.until,
        "max_steps": args.max_steps,
        "pool": pool,
        "test": test,
        "gold": {d: sorted(v) for d, v in gold.items()},
    }
    jobs = [base | {"order": "uncertain", "seed": s} for s in args.uncertain_seeds]
    jobs += [base | {"order": "random", "seed": s} for s in args.random_seeds]
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as workers:
        reference = workers.submit(whole_pool, base | {"until": len(pool)})
        results = list(workers.map(run, jobs))
        pooled = reference.result()
    args.results.write_text(json.dumps({"reference": pooled, "runs": results}, indent=1))
    report(results, pooled, args.plot)
    print(f"bench time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
