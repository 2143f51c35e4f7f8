"""Stance scores against gold, as the stance-detection field reports them: F1avg, the mean of
the F1 of favor and of against (SemEval-2016 task 6), over every gold document, an abstention
counting as a miss; accuracy and macro-F1 on what was predicted; coverage; and the same
figures for the majority-class baseline (every document given the commonest gold label)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

POLAR = ("favor", "against")
ABSTAINED = "(abstained)"


@dataclass(frozen=True)
class StanceScores:
    documents: int  # gold documents for this target
    predicted: int  # of those, how many got a prediction (the rest abstained)
    accuracy: float
    macro_f1: float
    f1_avg: float  # mean F1 of favor and against, over all gold documents
    baseline_label: str  # the commonest gold label
    baseline_accuracy: float
    baseline_f1_avg: float

    @property
    def coverage(self) -> float:
        return self.predicted / self.documents if self.documents else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "documents": self.documents,
            "predicted": self.predicted,
            "coverage": self.coverage,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "f1_avg": self.f1_avg,
            "baseline": {
                "label": self.baseline_label,
                "accuracy": self.baseline_accuracy,
                "f1_avg": self.baseline_f1_avg,
            },
        }


def f1_avg(truth: list[str], guess: list[str]) -> float:
    from sklearn.metrics import f1_score

    scores = f1_score(truth, guess, labels=list(POLAR), average=None, zero_division=0)
    return float(sum(scores) / len(POLAR))


def score_stance(gold: dict[str, str], predicted: dict[str, str]) -> StanceScores:
    """gold and predicted map document id -> label for one target."""
    from sklearn.metrics import accuracy_score, f1_score

    everything = sorted(gold)
    truth_all = [gold[d] for d in everything]
    common = Counter(truth_all).most_common(1)[0][0] if truth_all else ""
    baseline = [common] * len(truth_all)
    shared = sorted(gold.keys() & predicted.keys())
    truth = [gold[d] for d in shared]
    guess = [predicted[d] for d in shared]
    labels = sorted(set(truth) | set(guess))
    return StanceScores(
        documents=len(gold),
        predicted=len(shared),
        accuracy=float(accuracy_score(truth, guess)) if shared else 0.0,
        macro_f1=float(f1_score(truth, guess, labels=labels, average="macro", zero_division=0))
        if shared
        else 0.0,
        f1_avg=f1_avg(truth_all, [predicted.get(d, ABSTAINED) for d in everything])
        if everything
        else 0.0,
        baseline_label=common,
        baseline_accuracy=float(accuracy_score(truth_all, baseline)) if everything else 0.0,
        baseline_f1_avg=f1_avg(truth_all, baseline) if everything else 0.0,
    )
