"""Pre-labelling throughput against the anchor: raw `nlp.pipe` of the same pipeline, same texts.

    .venv/bin/python bench/prelabel.py [--words 1000000] [--repeats 3]

Texts are the 8 seed articles, each copy made unique with a numbered closing sentence, until the
corpus reaches --words words. The anchor loads the same spaCy pipeline with the same components
enabled (NER only) and runs nlp.pipe with the same batch size. curate's run adds the gazetteer
score, span checks and the store writes. Then curate runs again on the unchanged documents, which
it must skip. Prints medians over --repeats and the ratios (targets: >= 0.8 and >= 100x).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from curate.config import load_settings
from curate.ingest.scraped import read_scraped
from curate.prelabel import prelabel
from curate.prelabel.base import LabellerContext
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings = load_settings(ROOT)
    documents = corpus(args.words)
    texts = [d.text for d in documents]
    words = sum(len(t.split()) for t in texts)
    nlp = load_pipeline(settings.prelabel.spacy_models)
    anchor, first, rerun = [], [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        entities = sum(
            len(doc.ents) for doc in nlp.pipe(texts, batch_size=settings.prelabel.batch_size)
        )
        anchor.append(time.perf_counter() - start)

        folder = Path(tempfile.mkdtemp())
        for name in ("curate.toml", "gazetteer.jsonl"):
            shutil.copy(ROOT / name, folder / name)
        store = open_store(f"sqlite:///{folder / 'curate.db'}")
        with store.transaction() as connection:
            queries.insert_documents(connection, documents)
        context = LabellerContext(settings, folder)
        start = time.perf_counter()
        report = prelabel(store, context, ["spacy-ner.v1"])
        first.append(time.perf_counter() - start)
        assert report.labellers[0].documents == len(documents)
        start = time.perf_counter()
        report = prelabel(store, context, ["spacy-ner.v1"])
        rerun.append(time.perf_counter() - start)
        assert report.labellers[0].documents == 0
        store.close()
        shutil.rmtree(folder)
    a, f, r = (statistics.median(x) for x in (anchor, first, rerun))
    print(f"corpus: {len(texts)} documents, {words:,} words, {entities:,} entities (anchor)")
    print(
        f"pipeline: {nlp.meta['lang']}_{nlp.meta['name']} {nlp.meta['version']}, "
        f"enabled {nlp.pipe_names}; median of {args.repeats}"
    )
    print(f"{'run':<34}{'seconds':>10}{'words/s':>12}")
    print(f"{'anchor: raw nlp.pipe':<34}{a:>10.2f}{words / a:>12,.0f}")
    print(f"{'curate prelabel (spacy-ner.v1)':<34}{f:>10.2f}{words / f:>12,.0f}")
    print(f"{'curate prelabel, unchanged re-run':<34}{r:>10.3f}{words / r:>12,.0f}")
    print(f"throughput ratio curate / anchor: {a / f:.2f} (target >= 0.8)")
    print(f"re-run speed-up over first run: {f / r:,.0f}x (target >= 100x)")


if __name__ == "__main__":
    main()
