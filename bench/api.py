"""project.annotations() on 100,000 documents x 3 annotators (6,000,000 spans), against the
code a researcher writes today: pandas.read_sql of the same rows plus json_normalize.

    .venv/bin/python bench/api.py [--documents 100000] [--repeats 3]

The store is bench/release.py's: every document ~3 KB with 20 spans, three annotations each.
Both sides produce one row per span of the newest revision of each document and annotator,
with its document, annotator, revision, origin, offsets, label, text, from_prelabel, lead time
and time stored. Each side runs in a fresh child process (opening the store included); the sides
take turns at going first after one uncounted round each. Peak memory is ru_maxrss.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from child import in_child

NEWEST = """SELECT a.document_id, a.annotator, a.revision, a.origin, a.spans, a.from_prelabel,
                  a.lead_time_seconds, a.created_at
           FROM annotations a JOIN (SELECT document_id, annotator, MAX(revision) AS revision
                                    FROM annotations GROUP BY document_id, annotator) n
             ON n.document_id = a.document_id AND n.annotator = a.annotator
            AND n.revision = a.revision"""


def run_curate(root: Path) -> tuple[float, int]:
    import curate

    start = time.perf_counter()
    with curate.open(root) as project:
        spans = project.annotations()
    return time.perf_counter() - start, len(spans)


def run_anchor(root: Path) -> tuple[float, int]:
    start = time.perf_counter()
    import sqlite3

    import pandas as pd

    with sqlite3.connect(root / ".curate" / "curate.db") as database:
        rows = pd.read_sql(NEWEST, database)
    rows["spans"] = [json.loads(spans) for spans in rows["spans"]]
    meta = [c for c in rows.columns if c != "spans"]
    spans = pd.json_normalize(rows.to_dict("records"), record_path="spans", meta=meta)
    return time.perf_counter() - start, len(spans)


def child(kind: str, root: Path) -> tuple[float, int, float]:
    """(seconds, rows, peak resident MB) of one run in a fresh process."""
    (seconds, rows), peak = in_child("api", f"run_{kind}(Path({str(root)!r}))")
    return seconds, rows, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from release import build

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        build(root, args.documents)
        print(f"store of {args.documents} documents built in {time.perf_counter() - started:.0f} s")
        child("curate", root)
        child("anchor", root)
        runs: dict[str, list[tuple[float, int, float]]] = {"curate": [], "anchor": []}
        for n in range(args.repeats):
            for side in ["curate", "anchor"] if n % 2 == 0 else ["anchor", "curate"]:
                runs[side].append(child(side, root))
            print(
                f"  run {n + 1}: curate {runs['curate'][-1][0]:.2f} s, "
                f"anchor {runs['anchor'][-1][0]:.2f} s"
            )
    rows = {side: {r for _, r, _ in found} for side, found in runs.items()}
    assert rows["curate"] == rows["anchor"] and len(rows["curate"]) == 1, rows
    median = {side: statistics.median(s for s, _, _ in found) for side, found in runs.items()}
    for side, name in (("anchor", "read_sql + json_normalize"), ("curate", "annotations()")):
        peak = max(p for _, _, p in runs[side])
        print(f"{name:26} {median[side]:.2f} s median, peak RSS {peak:.0f} MB")
    print(
        f"{rows['curate'].pop()} rows each; ratio curate / anchor: "
        f"{median['curate'] / median['anchor']:.2f} (target <= 0.5)"
    )


if __name__ == "__main__":
    main()
