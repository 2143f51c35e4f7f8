"""Stance scores against gold: accuracy and macro-F1 on what was predicted, and coverage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StanceScores:
    documents: int  # gold documents for this target
    predicted: int  # of those, how many got a prediction (the rest abstained)
    accuracy: float
    macro_f1: float

    @property
    def coverage(self) -> float:
        return self.predicted / self.documents if self.documents else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "documents": self.documents,
            "predicted": self.predicted,
            "coverage": self.coverage,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
        }


def score_stance(gold: dict[str, str], predicted: dict[str, str]) -> StanceScores:
    """gold and predicted map document id -> label for one target."""
    from sklearn.metrics import accuracy_score, f1_score

    shared = sorted(gold.keys() & predicted.keys())
    if not shared:
        return StanceScores(len(gold), 0, 0.0, 0.0)
    truth = [gold[d] for d in shared]
    guess = [predicted[d] for d in shared]
    labels = sorted(set(truth) | set(guess))
    return StanceScores(
        documents=len(gold),
        predicted=len(shared),
        accuracy=float(accuracy_score(truth, guess)),
        macro_f1=float(f1_score(truth, guess, labels=labels, average="macro", zero_division=0)),
    )
