"""Span precision / recall / F1, with exact matching and with overlap matching.

Overlap matching pairs spans one-to-one by overlap first (largest overlap first, same label as the
tie-break), then compares labels: a pair with equal labels is a true positive; a pair with different
labels is a label conflict (a false negative for the gold label and a false positive for the
other); a pair whose offsets differ is also counted as a boundary difference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

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
    gold_counts, predicted_counts = Counter(gold), Counter(predicted)
    result = SpanComparison()
    for key in gold_counts.keys() | predicted_counts.keys():
        matched = min(gold_counts[key], predicted_counts[key])
        scores = result.by_label[key[3]]
        scores.tp += matched
        scores.fn += gold_counts[key] - matched
        scores.fp += predicted_counts[key] - matched
    return result


def compare_overlap(gold: Iterable[SpanKey], predicted: Iterable[SpanKey]) -> SpanComparison:
    gold_spans, predicted_spans = list(gold), list(predicted)
    candidates = []
    for g, (gdoc, gs, ge, glabel) in enumerate(gold_spans):
        for p, (pdoc, ps, pe, plabel) in enumerate(predicted_spans):
            overlap = min(ge, pe) - max(gs, ps)
            if gdoc == pdoc and overlap > 0:
                candidates.append((-overlap, glabel != plabel, g, p))
    paired_gold: set[int] = set()
    paired_predicted: set[int] = set()
    result = SpanComparison()
    for _, _, g, p in sorted(candidates):
        if g in paired_gold or p in paired_predicted:
            continue
        paired_gold.add(g)
        paired_predicted.add(p)
        _, gs, ge, glabel = gold_spans[g]
        _, ps, pe, plabel = predicted_spans[p]
        if (gs, ge) != (ps, pe):
            result.boundary_differences += 1
        if glabel == plabel:
            result.by_label[glabel].tp += 1
        else:
            result.label_conflicts += 1
            result.by_label[glabel].fn += 1
            result.by_label[plabel].fp += 1
    for g, span in enumerate(gold_spans):
        if g not in paired_gold:
            result.by_label[span[3]].fn += 1
    for p, span in enumerate(predicted_spans):
        if p not in paired_predicted:
            result.by_label[span[3]].fp += 1
    return result
