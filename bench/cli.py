"""How fast `curate status` starts: the median of 5 runs on a 100-document SQLite project,
beside `python -c pass` (the interpreter alone) and `curate --help`.

    .venv/bin/python bench/cli.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from curate.ingest import ingest
from curate.project import Project, init_project

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        init_project(root)
        texts = root / "texts"
        texts.mkdir()
        for n in range(100):
            (texts / f"d{n:03}.txt").write_text(f"Document {n}.\n\nIran and Oman met {n} times.\n")
        store = Project.load(root).open_store()
        ingest(store, [texts], base_dir=root)
        store.close()
        curate = [sys.executable, "-m", "curate.cli", "--project", str(root)]
        rows = [
            ("python -c pass", timed([sys.executable, "-c", "pass"], args.runs)),
            ("curate --help", timed([*curate, "--help"], args.runs)),
            ("curate status (100 documents)", timed([*curate, "status"], args.runs)),
        ]
    base = rows[0][1]
    print(f"{'command':<32}{'median s':>10}{'minus python':>14}")
    for name, seconds in rows:
        print(f"{name:<32}{seconds:>10.3f}{seconds - base:>14.3f}")


if __name__ == "__main__":
    main()
