"""Span precision / recall / F1 with exact and with overlap matching (see matching.py).

In overlap matching a pair with equal labels is a true positive; a pair with different labels is a
label conflict (a false negative for the reference label and a false positive for the other); a
pair whose offsets differ is also counted as a boundary difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from curate.agreement.matching import PairCounts, SpanArrays, count_pairs

# (document id, start, end, label)
SpanKey = tuple[str, int, int, str]
OVERALL = "overall"


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass
class SpanComparison:
    by_label: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    label_conflicts: int = 0
    boundary_differences: int = 0

    @property
    def overall(self) -> Scores:
        total = Scores()
        for scores in self.by_label.values():
            total.tp, total.fp, total.fn = (
                total.tp + scores.tp,
                total.fp + scores.fp,
                total.fn + scores.fn,
            )
        return total

    def table(self) -> dict[str, Scores]:
        return {**dict(sorted(self.by_label.items())), OVERALL: self.overall}


def compare_exact(gold: Iterable[SpanKey], predicted: Iterable[SpanKey]) -> SpanComparison:
    return _compare(list(gold), list(predicted), overlap=False)


def compare_overlap(gold: Iterable[SpanKey], predicted: Iterable[SpanKey]) -> SpanComparison:
    return _compare(list(gold), list(predicted), overlap=True)


def _compare(gold: list[SpanKey], predicted: list[SpanKey], overlap: bool) -> SpanComparison:
    documents = {d: i for i, d in enumerate(sorted({s[0] for s in gold + predicted}))}
    labels = sorted({s[3] for s in gold + predicted})
    index = {label: i for i, label in enumerate(labels)}

    def arrays(spans: list[SpanKey]) -> SpanArrays:
        return SpanArrays.build(
            [documents[s[0]] for s in spans],
            [s[1] for s in spans],
            [s[2] for s in spans],
            [index[s[3]] for s in spans],
        )

    counts, _, _ = count_pairs(arrays(gold), arrays(predicted), len(labels), overlap)
    return comparison_from(counts, labels)


def comparison_from(counts: PairCounts, labels: list[str]) -> SpanComparison:
    result = SpanComparison(
        label_conflicts=counts.label_conflicts, boundary_differences=counts.boundary_differences
    )
    for i, label in enumerate(labels):
        if counts.tp[i] or counts.fp[i] or counts.fn[i]:
            result.by_label[label] = Scores(int(counts.tp[i]), int(counts.fp[i]), int(counts.fn[i]))
    return result
