"""Pre-labelling throughput against the anchors: raw `nlp.pipe` of the same pipeline, same texts,
in one process and with n_process=2; curate with 1 worker, 2 workers and on a local Ray cluster.

    .venv/bin/python bench/prelabel.py [--words 1000000] [--repeats 1]

Texts are the 8 seed articles, each copy made unique with a numbered closing sentence, until the
corpus reaches --words words. The anchors load the same spaCy pipeline with the same components
enabled (NER only) and run nlp.pipe with the same batch size. curate's runs add the gazetteer
score, span checks and the store writes, each into a fresh store. The Ray run starts a local
cluster (`ray start --head`, 2 CPUs) first, and stops it after. Then curate runs again on the
unchanged documents, which it must skip. Prints medians over --repeats and the ratios (targets:
2 workers >= 0.9x raw n_process=2 and >= 1.7x raw single-process; Ray >= 0.8x raw n_process=2;
an unchanged re-run >= 100x faster).
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

from curate.config import load_settings
from curate.ingest.scraped import read_scraped
from curate.prelabel import prelabel
from curate.prelabel.base import LabellerContext
from curate.prelabel.ray_engine import local_head_command
from curate.prelabel.spacy_ner import load_pipeline
from curate.records import Document
from curate.store import open_store, queries

ROOT = Path(__file__).resolve().parent.parent


def corpus(words: int) -> list[Document]:
    seeds = [d.text for p in sorted((ROOT / "seeds").glob("*.txt")) for d in read_scraped(p, "")]
    documents, total, n = [], 0, 0
    while total < words:
        text = f"{seeds[n % len(seeds)]}\nThis is copy {n} of the report."
        documents.append(Document(text=text))
        total += len(text.split())
        n += 1
    return documents


def curate_run(
    documents: list[Document], settings: object, workers: int, engine: str, address: str
) -> tuple[float, float]:
    """(first run, unchanged re-run) seconds of curate prelabel into a fresh store."""
    folder = Path(tempfile.mkdtemp())
    for name in ("curate.toml", "gazetteer.jsonl"):
        shutil.copy(ROOT / name, folder / name)
    store = open_store(f"sqlite:///{folder / '.curate' / 'curate.db'}")
    with store.transaction() as connection:
        queries.insert_documents(connection, documents)
    context = LabellerContext(settings, folder)  # type: ignore[arg-type]
    options = {"workers": workers, "engine": engine, "address": address}
    start = time.perf_counter()
    report = prelabel(store, context, ["spacy-ner.v1"], **options)  # type: ignore[arg-type]
    first = time.perf_counter() - start
    assert report.labellers[0].documents == len(documents), report
    start = time.perf_counter()
    report = prelabel(store, context, ["spacy-ner.v1"], **options)  # type: ignore[arg-type]
    rerun = time.perf_counter() - start
    assert report.labellers[0].documents == 0
    store.close()
    shutil.rmtree(folder)
    return first, rerun


def start_ray() -> tuple[str, Path]:
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    ray = Path(sys.executable).with_name("ray")
    subprocess.run(local_head_command(ray, 6391, temp), check=True, capture_output=True)
    return "127.0.0.1:6391", temp


def stop_ray(temp: Path) -> None:
    ray = Path(sys.executable).with_name("ray")
    subprocess.run([str(ray), "stop", "--force"], capture_output=True)
    shutil.rmtree(temp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    settings = load_settings(ROOT)
    documents = corpus(args.words)
    texts = [d.text for d in documents]
    words = sum(len(t.split()) for t in texts)
    nlp = load_pipeline(settings.prelabel.spacy_models)
    size = settings.prelabel.batch_size
    seconds: dict[str, list[float]] = {}

    def timed(name: str, run: object) -> None:
        start = time.perf_counter()
        run()  # type: ignore[operator]
        seconds.setdefault(name, []).append(time.perf_counter() - start)

    address, temp = start_ray()
    try:
        for _ in range(args.repeats):
            timed(
                "raw nlp.pipe, 1 process", lambda: sum(1 for _ in nlp.pipe(texts, batch_size=size))
            )
            timed(
                "raw nlp.pipe, n_process=2",
                lambda: sum(1 for _ in nlp.pipe(texts, batch_size=size, n_process=2)),
            )
            for name, workers, engine in (
                ("curate prelabel, 1 worker", 1, "local"),
                ("curate prelabel, 2 workers", 2, "local"),
                ("curate prelabel --engine ray", None, "ray"),
            ):
                first, rerun = curate_run(documents, settings, workers, engine, address)  # type: ignore[arg-type]
                seconds.setdefault(name, []).append(first)
                seconds.setdefault(name + ", unchanged re-run", []).append(rerun)
    finally:
        stop_ray(temp)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    print(f"corpus: {len(texts)} documents, {words:,} words; 2 cores; median of {args.repeats}")
    print(
        f"pipeline: {nlp.meta['lang']}_{nlp.meta['name']} {nlp.meta['version']}, "
        f"enabled {nlp.pipe_names}"
    )
    print(f"{'run':<46}{'seconds':>10}{'words/s':>12}")
    for name, value in median.items():
        print(f"{name:<46}{value:>10.2f}{words / value:>12,.0f}")
    one, two = median["raw nlp.pipe, 1 process"], median["raw nlp.pipe, n_process=2"]
    workers, ray = median["curate prelabel, 2 workers"], median["curate prelabel --engine ray"]
    print(f"2 workers / raw n_process=2: {two / workers:.2f} (target >= 0.9)")
    print(f"2 workers / raw 1 process:   {one / workers:.2f} (target >= 1.7)")
    print(f"ray / raw n_process=2:       {two / ray:.2f} (target >= 0.8)")
    rerun = median["curate prelabel, 2 workers, unchanged re-run"]
    print(f"re-run speed-up over first run (2 workers): {workers / rerun:,.0f}x (target >= 100x)")


if __name__ == "__main__":
    main()
