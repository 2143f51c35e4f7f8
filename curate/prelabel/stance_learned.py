"""stance-learned.v1: per target, the stance-detection field's strong simple baseline, made
selective. Features are TF-IDF word 1-3-grams and character 2-5-grams, the model a linear SVM
(scikit-learn) whose scores are calibrated into probabilities (CalibratedClassifierCV, sigmoid).
A label is suggested only when its calibrated probability clears the target's threshold, chosen
by `curate train` on out-of-fold predictions of the training gold as the lowest that reaches
`[prelabel] stance_min_precision`, and when the text is like the training texts (its nearest
training text, by word TF-IDF cosine, is as close as for all but FAMILIAR_SHARE of the training
texts themselves: far from them the probabilities mean little). Otherwise the labeller abstains
(a wrong suggestion anchors annotators, a missing one costs a keystroke). Until a model is
trained it suggests nothing (version "+untrained"), so it can sit in the default list."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curate.prelabel.base import LabellerContext, current_artefact
from curate.records import Document, Prelabel

NAME = "stance-learned.v1"
FOLDER = "stance-learned"
FORMAT = 2  # 1: TF-IDF words + logistic regression, never abstaining
MIN_PER_LABEL = 3  # gold documents a label needs to be learned (and calibrated on folds)
MIN_SHOWN = 5  # out-of-fold suggestions a threshold must rest on
NEVER = 1.01  # a threshold no probability reaches: the target is never suggested
FAMILIAR_SHARE = 0.05  # training texts allowed to count as unfamiliar (the floor's percentile)


def build_classifier(calibration_folds: int = 3) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    svm = LinearSVC(random_state=0)
    return make_pipeline(
        features, CalibratedClassifierCV(svm, method="sigmoid", cv=calibration_folds)
    )


@dataclass(frozen=True)
class Selective:
    """One target's classifier and the probability a suggestion needs."""

    model: Any
    threshold: float
    # Out of fold on the training gold, at the threshold: share of documents suggested, and
    # share of those suggestions that were right.
    coverage: float
    precision: float
    training: Any  # the training texts' word TF-IDF rows (what "familiar" is measured against)
    familiar: float  # the least nearest-neighbour similarity a text needs

    def suggest(self, texts: Sequence[str]) -> list[tuple[str, float] | None]:
        """(label, probability) per text, or None where the model is not sure enough."""
        probabilities = self.model.predict_proba(list(texts))
        best = probabilities.argmax(axis=1)
        near = nearest(_words(self.model).transform(list(texts)), self.training)
        return [
            (str(self.model.classes_[b]), float(p[b]))
            if p[b] >= self.threshold and close >= self.familiar
            else None
            for b, p, close in zip(best, probabilities, near, strict=True)
        ]


def _words(model: Any) -> Any:
    """The fitted word TF-IDF of a classifier from build_classifier (rows of unit length)."""
    return model.steps[0][1].transformer_list[0][1]


def nearest(rows: Any, training: Any, leave_out_self: bool = False) -> np.ndarray:
    """Each row's highest cosine similarity to a training row (sparse, a block at a time)."""
    found = []
    for first in range(0, rows.shape[0], 1000):
        block = (rows[first : first + 1000] @ training.T).toarray()
        if leave_out_self:
            block[np.arange(len(block)), np.arange(first, first + len(block))] = 0
        found.append(block.max(axis=1, initial=0.0))
    return np.concatenate(found) if found else np.zeros(0)


def learnable(labels: Sequence[str]) -> dict[str, int]:
    """The labels with enough gold documents to learn and calibrate (MIN_PER_LABEL each)."""
    return {k: n for k, n in Counter(labels).items() if n >= MIN_PER_LABEL}


def fit_selective(texts: Sequence[str], labels: Sequence[str], min_precision: float) -> Selective:
    """Fit on every document; the threshold comes from 3-to-5-fold out-of-fold probabilities.
    Labels with fewer than MIN_PER_LABEL documents must be left out by the caller."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    smallest = min(Counter(labels).values())
    folds = min(5, smallest)
    inner = 2 if smallest * (folds - 1) // folds < 3 else 3
    outer = StratifiedKFold(folds, shuffle=True, random_state=0)
    held_out = cross_val_predict(
        build_classifier(inner), list(texts), list(labels), cv=outer, method="predict_proba"
    )
    classes = np.array(sorted(set(labels)))  # cross_val_predict orders columns by class
    threshold, coverage, precision = choose_threshold(
        held_out.max(axis=1), classes[held_out.argmax(axis=1)] == np.array(labels), min_precision
    )
    model = build_classifier(min(5, smallest)).fit(list(texts), list(labels))
    training = _words(model).transform(list(texts))
    familiar = float(np.quantile(nearest(training, training, leave_out_self=True), FAMILIAR_SHARE))
    return Selective(model, threshold, coverage, precision, training, familiar)


def choose_threshold(
    confidence: np.ndarray, correct: np.ndarray, min_precision: float
) -> tuple[float, float, float]:
    """(threshold, coverage, precision): the lowest confidence at which the suggestions at or
    above it are right at least min_precision of the time (and number MIN_SHOWN or more);
    NEVER when no such confidence exists."""
    order = np.argsort(-confidence, kind="stable")
    ranked, hits = confidence[order], np.cumsum(correct[order])
    best = (NEVER, 0.0, 0.0)
    for k in range(MIN_SHOWN, len(ranked) + 1):
        if k < len(ranked) and ranked[k] == ranked[k - 1]:
            continue  # a threshold takes every document of equal confidence
        if hits[k - 1] / k >= min_precision:
            best = (float(ranked[k - 1]), k / len(ranked), float(hits[k - 1] / k))
    return best


class StanceLearned:
    def __init__(self, folder: Path | None):
        import joblib

        self.name = NAME
        self.version = f"{NAME}+{folder.name if folder else 'untrained'}"
        self.models: dict[str, Selective] = {}
        if folder is not None:
            stored = joblib.load(folder / "model.joblib")
            if stored.get("format") == FORMAT:  # older models are ignored until retrained
                self.models = stored["targets"]

    def __call__(self, documents: Sequence[Document]) -> list[Prelabel]:
        texts = [d.text for d in documents]
        suggestions = []
        for target, selective in self.models.items():
            for document, found in zip(documents, selective.suggest(texts), strict=True):
                if found is not None:
                    label, probability = found
                    suggestions.append(
                        Prelabel(
                            document.id,
                            "stance",
                            label,
                            self.version,
                            round(probability, 4),
                            target=target,
                        )
                    )
        return suggestions


def create(context: LabellerContext) -> StanceLearned:
    return StanceLearned(current_artefact(context.models_dir / FOLDER))
