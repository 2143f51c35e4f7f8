"""Ingest throughput against an anchor: raw sqlite3 inserts of the same article texts.

    .venv/bin/python bench/ingest.py [--articles 5000] [--repeats 5]

Prints the median seconds of each and their ratio (curate / anchor). The anchor does only the
unavoidable work (read the file, split on blank-line runs, insert text rows); curate also parses
headers, cleans, hashes ids, checks duplicates and records provenance.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from curate.ingest import ingest
from curate.store import open_store

ARTICLE = (
    "Headline {n}\n\nCaption {n}.\nCaption {n}.\nTT\n20\n\nHeadline {n}\n\n"
    + ("Body of article {n}: “Tehran” said Washington’s move was unlawful. " * 12 + "\n\n") * 6
)


def make_input(folder: Path, articles: int) -> Path:
    path = folder / "news.txt"
    path.write_text("\n\n\n".join(ARTICLE.format(n=n) for n in range(articles)), encoding="utf-8")
    return path


def run_curate(path: Path, folder: Path, round_: int) -> float:
    store = open_store(f"sqlite:///{folder / f'curate{round_}.db'}")
    start = time.perf_counter()
    report = ingest(store, [path])
    elapsed = time.perf_counter() - start
    assert not report.failed
    store.close()
    return elapsed


def run_anchor(path: Path, folder: Path, round_: int) -> float:
    start = time.perf_counter()
    chunks = path.read_text(encoding="utf-8").split("\n\n\n")
    connection = sqlite3.connect(folder / f"anchor{round_}.db")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, text TEXT)")
    with connection:
        connection.executemany("INSERT INTO documents (text) VALUES (?)", ((c,) for c in chunks))
    connection.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = make_input(folder, args.articles)
        curate_times, anchor_times = [], []
        for round_ in range(args.repeats):
            anchor_times.append(run_anchor(path, folder, round_))
            curate_times.append(run_curate(path, folder, round_))
        size = path.stat().st_size / 1e6
    curate, anchor = statistics.median(curate_times), statistics.median(anchor_times)
    print(f"input: {args.articles} articles, {size:.1f} MB; median of {args.repeats}")
    print(f"{'run':<28}{'seconds':>10}{'MB/s':>10}")
    print(f"{'anchor (raw sqlite3)':<28}{anchor:>10.3f}{size / anchor:>10.1f}")
    print(f"{'curate ingest':<28}{curate:>10.3f}{size / curate:>10.1f}")
    print(f"ratio curate / anchor: {curate / anchor:.1f}x")


if __name__ == "__main__":
    main()
