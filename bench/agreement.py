"""Agreement on 100,000 documents x 3 annotators (~20 spans each), against the anchor: the
`krippendorff` package alone on the same stance data, in the same run.

    .venv/bin/python bench/agreement.py [--documents 100000] [--repeats 3] [--resamples 1000]

curate's time covers everything `curate agreement` computes: per target alpha, Fleiss' kappa,
pairwise Cohen's kappa and percent agreement with bootstrap intervals; span P/R/F1 exact and
overlap per pair and label; BIO token kappa; the annotator matrix; anchoring; per-document
scores. The synthetic data is built with numpy and is not timed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from curate.agreement.data import AgreementData
from curate.agreement.matching import SpanArrays
from curate.agreement.report import build_report

WORDS = np.array(["Iran", "said", "the", "United", "States", "Tehran", "talks", "on", "Monday"])
TOKENS, SPANS, CODERS, TARGETS, STANCES = 150, 20, 3, 2, 4


def synthetic(documents: int, seed: int = 0) -> AgreementData:
    rng = np.random.default_rng(seed)
    words = rng.integers(0, len(WORDS), (documents, TOKENS))
    lengths = np.char.str_len(WORDS)[words]
    offsets = np.cumsum(lengths + 1, axis=1) - (lengths + 1)
    texts = [" ".join(row) for row in WORDS[words]]
    # ~20 non-overlapping spans per document, one or two words long.
    slots = np.arange(SPANS) * (TOKENS // SPANS) + rng.integers(0, 4, (documents, SPANS))
    doc = np.repeat(np.arange(documents), SPANS)
    start = offsets[doc, slots.ravel()]
    two = rng.random(len(doc)) < 0.3
    last = slots.ravel() + two
    end = offsets[doc, last] + lengths[doc, last]
    label = rng.integers(0, 6, len(doc))
    columns: list[list[np.ndarray]] = [[], [], [], [], []]
    for coder in range(CODERS):
        keep = rng.random(len(doc)) > 0.05  # each annotator misses ~5%
        moved = rng.random(len(doc)) < 0.05  # ... shortens ~5% to their first word
        relabelled = np.where(rng.random(len(doc)) < 0.05, (label + 1) % 6, label)
        coder_end = np.where(moved, offsets[doc, slots.ravel()] + lengths[doc, slots.ravel()], end)
        for column, values in zip(
            columns,
            (doc, start, coder_end, relabelled, np.full(len(doc), coder)),
            strict=True,
        ):
            column.append(values[keep])
    spans = SpanArrays(*(np.concatenate(c) for c in columns[:4]))
    base = rng.integers(0, STANCES, (TARGETS, documents))
    stances = np.stack(
        [
            np.where(rng.random((TARGETS, documents)) < 0.8, base, rng.integers(0, STANCES))
            for _ in range(CODERS)
        ],
        axis=2,
    )
    return AgreementData(
        documents=[f"doc_{i:08d}" for i in range(documents)],
        texts=texts,
        coders=[f"annotator{c}" for c in range(CODERS)],
        entity_labels=["PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT"],
        stance_labels=["favor", "against", "neutral", "none"],
        targets=["Iran", "United States"],
        labelled=np.ones((documents, CODERS), bool),
        skipped=np.zeros((documents, CODERS), bool),
        started_from_suggestions=np.ones((documents, CODERS), bool),
        blind=rng.random(documents) < 0.1,
        spans=spans,
        span_coder=np.concatenate(columns[4]),
        stances=stances,
        suggestions=SpanArrays(doc, start, end, label),
        suggested_stances=base,
    )


def krippendorff_alone(data: AgreementData) -> float:
    import krippendorff

    start = time.perf_counter()
    for codes in data.stances:
        krippendorff.alpha(reliability_data=codes.T.astype(float), level_of_measurement="nominal")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    data = synthetic(args.documents)
    print(
        f"{args.documents} documents x {CODERS} annotators, {len(data.spans)} spans, "
        f"{sum(map(len, data.texts)) / 1e6:.0f} M characters"
    )
    curate_times, anchor_times = [], []
    for _ in range(args.repeats):
        anchor_times.append(krippendorff_alone(data))
        start = time.perf_counter()
        build_report(data, resamples=args.resamples)
        curate_times.append(time.perf_counter() - start)
    curate, anchor = statistics.median(curate_times), statistics.median(anchor_times)
    print(f"krippendorff alone (stance, {TARGETS} targets): {anchor:.2f} s (median)")
    print(f"curate agreement, all metrics:            {curate:.2f} s (median)")
    print(f"ratio curate / krippendorff alone: {curate / anchor:.1f}x; target: all metrics <= 5 s")


if __name__ == "__main__":
    main()
