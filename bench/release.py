"""Release speed on 100,000 documents of ~3 KB with ~20 gold spans each, against the anchor: a raw
pyarrow write (zstd) of the same gold rows, built in memory, in the same run.

    .venv/bin/python bench/release.py [--documents 100000] [--repeats 3]

curate's time covers `curate release`: reading documents and decisions from the store, the span
check, building rows, parquet per config and split, the dataset card and the checksums. Each side
runs in a child process so its peak memory can be reported too: the most resident memory the
process and its helpers held at one time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from curate import TUNING

PARAGRAPH = (
    "Tehran said on Monday that Washington had broken the deal, and officials in Baghdad and "
    "Riyadh warned that the Revolutionary Guards would answer. Ali Khamenei spoke in Qom. "
)
PIECES = [
    "Tehran",
    "Washington",
    "Baghdad",
    "Riyadh",
    "Revolutionary Guards",
    "Ali Khamenei",
    "Qom",
]
LABELS = ["GPE", "GPE", "GPE", "GPE", "ORG", "PERSON", "GPE"]


def build(root: Path, documents: int) -> None:
    from curate.project import Project, init_project
    from curate.records import Document
    from curate.store import queries
    from curate.store.schema import decisions

    init_project(root)
    project = Project.load(root)
    store = project.open_store()
    stamp = queries.now()
    for first in range(0, documents, 2000):
        batch = [Document(f"{n}. " + PARAGRAPH * 17) for n in range(first, first + 2000)]
        rows = []
        for document in batch:
            spans, position = [], 0
            while len(spans) < 20:
                for piece, label in zip(PIECES, LABELS, strict=True):
                    start = document.text.index(piece, position)
                    spans.append(
                        {
                            "start": start,
                            "end": start + len(piece),
                            "label": label,
                            "text": piece,
                            "method": "unanimous",
                        }
                    )
                    position = start + len(piece)
            common = {
                "document_id": document.id,
                "decided_by": "curate-auto",
                "based_on": [],
                "note": None,
                "guideline_version": "0.1",
                "created_at": stamp,
            }
            rows.append(
                common
                | {
                    "kind": "entity",
                    "target": None,
                    "method": "unanimous",
                    "payload": {"spans": spans[:20]},
                }
            )
            for target in ("Iran", "United States"):
                rows.append(
                    common
                    | {
                        "kind": "stance",
                        "target": target,
                        "method": "majority",
                        "payload": {"label": "against"},
                    }
                )
        with store.transaction() as connection:
            queries.insert_documents(connection, batch)
            queries.insert_sources(connection, batch)
            connection.execute(insert(decisions), rows)
    store.close()


def run_curate(root: Path, version: str) -> float:
    from curate.project import Project
    from curate.release import release

    project = Project.load(root)
    store = project.open_store()
    start = time.perf_counter()
    # connect(), not transaction(): the release row is rolled back, so every repeat starts
    # from the same store (the folder itself is written, under its own exports root).
    with store.connect() as connection:
        release(project, connection, version=version, exports=root / f"exports-{version}")
    return time.perf_counter() - start


def run_anchor(root: Path, version: str) -> float:
    """The same gold rows, already in memory, written by pyarrow alone."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curate.project import Project
    from curate.release.rows import collect_rows

    project = Project.load(root)
    with project.open_store().connect() as connection:
        rows = collect_rows(connection, project.settings, "salt").gold.to_pylist()
    start = time.perf_counter()
    pq.write_table(
        pa.Table.from_pylist(rows), root / f"anchor-{version}.parquet", compression="zstd"
    )
    return time.perf_counter() - start


def child(kind: str, root: Path, version: str) -> tuple[float, float]:
    """(seconds, peak memory in MB) of one measurement in a fresh process. The peak is the
    largest sum of resident memory over the process and its helpers (curate reads the store in
    helper processes), sampled every 10 ms while it runs, and at least the process's own."""
    code = (
        "import sys, json, resource as r; sys.path.insert(0, 'bench'); import release as b; "
        f"s = b.run_{kind}(__import__('pathlib').Path({str(root)!r}), {version!r}); "
        "print(json.dumps([s, r.getrusage(r.RUSAGE_SELF).ru_maxrss]))"
    )
    # Both sides get the settings curate sets for itself (curate/__init__.py).
    environment = os.environ | TUNING
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=environment
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.01)
    assert process.stdout and process.returncode == 0, f"{kind} failed"
    seconds, own = json.loads(process.stdout.read().strip().splitlines()[-1])
    return seconds, max(peak, own) / 1024  # sampling can miss a short peak of its own


def tree_rss(pid: int) -> int:
    """Resident KB of a process and all its descendants (0 for one that has just ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except (FileNotFoundError, ProcessLookupError):
        return 0
    own = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
    )
    return own + sum(tree_rss(child) for child in children)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        build(root, args.documents)
        print(f"store of {args.documents} documents built in {time.perf_counter() - started:.0f} s")
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
            print(f"  run {n + 1}: curate {curate[-1][0]:.2f} s, raw pyarrow {anchor[-1][0]:.2f} s")
    mine = statistics.median(s for s, _ in curate)
    raw = statistics.median(s for s, _ in anchor)
    print(
        f"raw pyarrow write of the gold rows: {raw:.2f} s (median), peak RSS "
        f"{max(p for _, p in anchor):.0f} MB (includes building the rows)"
    )
    print(
        f"curate release:                     {mine:.2f} s (median), peak RSS "
        f"{max(p for _, p in curate):.0f} MB (curate and its helpers together)"
    )
    print(f"ratio curate / raw pyarrow: {mine / raw:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
