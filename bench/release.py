"""Release speed on 100,000 documents of ~3 KB, three annotators each, against the anchor.

    .venv/bin/python bench/release.py [--documents 100000] [--repeats 3]

The store holds every document with ~20 gold spans and two stances, and three annotations per
document (the same spans and stances, as annotators who agree give). Both sides write the same
two configs, gold and annotations, one parquet file per split:

- anchor: what a user would write with pandas and pyarrow alone. Read the store with
  pandas.read_sql (the newest decision per item picked in SQL), parse the JSON columns with the
  json module, pseudonymize annotators, split by id, write parquet (zstd).
- curate: `curate release` as a whole: the same reads in one transaction, the span check, the
  agreement figures, the dataset card and the checksums.

Each side runs in a fresh child process; the sides take turns at going first. Peak memory is
the child's maximum resident set (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from child import in_child
from sqlalchemy import insert

PARAGRAPH = (
    "Tehran said on Monday that Washington had broken the deal, and officials in Baghdad and "
    "Riyadh warned that the Revolutionary Guards would answer. Ali Khamenei spoke in Qom. "
)
PIECES = [
    ("Tehran", "GPE"),
    ("Washington", "GPE"),
    ("Baghdad", "GPE"),
    ("Riyadh", "GPE"),
    ("Revolutionary Guards", "ORG"),
    ("Ali Khamenei", "PERSON"),
    ("Qom", "GPE"),
]
ANNOTATORS = ["alice", "bob", "chen"]
TARGETS = ["Iran", "United States"]


def spans_of(text: str) -> list[dict[str, object]]:
    spans: list[dict[str, object]] = []
    position = 0
    while len(spans) < 20:
        for piece, label in PIECES:
            start = text.index(piece, position)
            spans.append({"start": start, "end": start + len(piece), "label": label, "text": piece})
            position = start + len(piece)
    return spans[:20]


def build(root: Path, documents: int) -> None:
    from curate.project import Project, init_project
    from curate.records import Document
    from curate.store import queries
    from curate.store.schema import annotations, decisions, document_sources

    init_project(root)
    project = Project.load(root)
    store = project.open_store()
    stamp = queries.now()
    for first in range(0, documents, 2000):
        batch = [Document(f"{n}. " + PARAGRAPH * 17) for n in range(first, first + 2000)]
        sources, made, decided = [], [], []
        for document in batch:
            spans = spans_of(document.text)
            stances = [{"target": t, "label": "against"} for t in TARGETS]
            sources.append(
                {"document_id": document.id, "source": "seeds/news.jsonl", "created_at": stamp}
            )
            for annotator in ANNOTATORS:
                made.append(
                    {
                        "document_id": document.id,
                        "annotator": annotator,
                        "revision": 1,
                        "origin": "tui",
                        "spans": spans,
                        "stances": stances,
                        "lead_time_seconds": 42.0,
                        "from_prelabel": True,
                        "suggestion_use": {"accepted": [[0, 6, "GPE", "spacy"]], "rejected": []},
                        "guideline_version": "0.1",
                        "created_at": stamp,
                    }
                )
            common = {
                "document_id": document.id,
                "decided_by": "curate-auto",
                "based_on": [],
                "guideline_version": "0.1",
                "created_at": stamp,
            }
            gold = [s | {"method": "unanimous"} for s in spans]
            decided.append(
                common | {"kind": "entity", "method": "unanimous", "payload": {"spans": gold}}
            )
            for target in TARGETS:
                decided.append(
                    common
                    | {
                        "kind": "stance",
                        "target": target,
                        "method": "unanimous",
                        "payload": {"label": "against"},
                    }
                )
        with store.transaction() as connection:
            queries.insert_documents(connection, batch)
            connection.execute(insert(document_sources), sources)
            connection.execute(insert(annotations), made)
            connection.execute(insert(decisions), decided)
    store.close()


def run_curate(root: Path, version: str) -> float:
    from curate.project import Project
    from curate.release import release

    start = time.perf_counter()
    project = Project.load(root)
    store = project.open_store()
    # connect(), not transaction(): the release row is rolled back, so every repeat starts
    # from the same store (the folder itself is written, under its own exports root).
    with store.connect() as connection:
        release(project, connection, version=version, exports=root / f"exports-{version}")
    return time.perf_counter() - start


NEWEST = """JOIN (SELECT MAX(id) AS id FROM decisions GROUP BY document_id, kind, target) newest
            ON newest.id = d.id"""


def run_anchor(root: Path, version: str) -> float:
    """The same gold and annotations parquet files, by pandas and pyarrow alone."""
    start = time.perf_counter()
    import hashlib
    import sqlite3

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curate.domain.splits import splits_of

    entity_labels = ["PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT"]
    stance_labels = ["favor", "against", "neutral", "none"]
    database = sqlite3.connect(root / ".curate" / "curate.db")
    gold = pd.read_sql(
        f"""SELECT d.document_id AS id, doc.title, doc.text, d.payload,
                   (SELECT source FROM document_sources s WHERE s.document_id = d.document_id
                    ORDER BY s.id LIMIT 1) AS source, a.score AS agreement
            FROM decisions d {NEWEST} JOIN documents doc ON doc.id = d.document_id
            LEFT JOIN document_agreement a ON a.document_id = d.document_id
            WHERE d.kind = 'entity' ORDER BY d.document_id""",
        database,
    )
    stances = pd.read_sql(
        f"""SELECT d.document_id AS id, d.target, d.method,
                   json_extract(d.payload, '$.label') AS label
            FROM decisions d {NEWEST} WHERE d.kind = 'stance'""",
        database,
    )
    gold["entities"] = [
        [s | {"label": entity_labels.index(s["label"])} for s in json.loads(p)["spans"]]
        for p in gold.pop("payload")
    ]
    gold["source"] = gold["source"].fillna("").str.rsplit("/", n=1).str[-1]
    for target in TARGETS:
        mine = stances[stances.target == target].set_index("id")
        column = "stance_" + target.lower().replace(" ", "_")
        label = gold["id"].map(mine["label"])
        gold[column] = label.map(stance_labels.index, na_action="ignore").fillna(-1).astype(int)
        gold[column + "_method"] = gold["id"].map(mine["method"]).fillna("")
    gold["agreement"] = gold.pop("agreement")
    annotations = pd.read_sql(
        """SELECT document_id, annotator, revision, origin, spans, stances, skipped_reason,
                  lead_time_seconds, from_prelabel, prelabel_changed, suggestion_use,
                  guideline_version FROM annotations""",
        database,
    )
    database.close()
    annotations["annotator"] = [
        "annotator_" + hashlib.sha256(f"salt\0{a}".encode()).hexdigest()[:12]
        for a in annotations["annotator"]
    ]
    annotations = annotations.sort_values(["document_id", "annotator", "revision"])
    annotations["entities"] = [
        [{k: s[k] for k in ("start", "end", "label", "text")} for s in json.loads(spans)]
        for spans in annotations.pop("spans")
    ]
    annotations["stances"] = annotations["stances"].map(json.loads)
    use = [json.loads(u) if u else {} for u in annotations.pop("suggestion_use")]
    for kind in ("accepted", "changed", "rejected"):
        annotations[f"suggestions_{kind}"] = [len(u.get(kind, [])) for u in use]
    annotations[["from_prelabel", "prelabel_changed"]] = annotations[
        ["from_prelabel", "prelabel_changed"]
    ].astype(bool)
    annotations["guideline_version"] = annotations["guideline_version"].fillna("")
    splits = {"train": 0.8, "validation": 0.1, "test": 0.1}
    split = dict(zip(gold["id"], splits_of(list(gold["id"]), splits), strict=True))
    folder = root / f"anchor-{version}"
    for config, frame, key in (("gold", gold, "id"), ("annotations", annotations, "document_id")):
        where = frame[key].map(split)
        for name in splits:
            (folder / config).mkdir(parents=True, exist_ok=True)
            part = pa.Table.from_pandas(frame[where == name], preserve_index=False)
            pq.write_table(part, folder / config / f"{name}.parquet", compression="zstd")
    return time.perf_counter() - start


def child(kind: str, root: Path, version: str) -> tuple[float, float]:
    """(seconds, peak resident MB) of one run in a fresh process."""
    seconds, peak = in_child("release", f"run_{kind}(Path({str(root)!r}), {version!r})")
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        build(root, args.documents)
        print(
            f"store of {args.documents} documents, {len(ANNOTATORS)} annotations each, built in "
            f"{time.perf_counter() - started:.0f} s"
        )
        # One round of each first, not counted: the store was just written, and whichever
        # side ran first paid for it. Then the sides take turns at going first.
        child("curate", root, "0.0.1")
        child("anchor", root, "0.0.1")
        curate, anchor = [], []
        for n in range(args.repeats):
            sides = ["curate", "anchor"] if n % 2 == 0 else ["anchor", "curate"]
            found = {side: child(side, root, f"1.0.{n}") for side in sides}
            curate.append(found["curate"])
            anchor.append(found["anchor"])
            print(f"  run {n + 1}: curate {curate[-1][0]:.2f} s, anchor {anchor[-1][0]:.2f} s")
    mine = statistics.median(s for s, _ in curate)
    base = statistics.median(s for s, _ in anchor)
    for name, seconds, runs in (
        ("anchor (pandas + pyarrow)", base, anchor),
        ("curate release", mine, curate),
    ):
        peak = max(p for _, p in runs)
        print(f"{name:26} {seconds:.2f} s median, peak RSS {peak:.0f} MB")
    # Issue 50's targets: the fixed cost may show below 100,000 documents, by at most a fifth.
    target = 1.0 if args.documents >= 100_000 else 1.2
    print(f"ratio curate / anchor: {mine / base:.2f} (target <= {target})")


if __name__ == "__main__":
    main()
