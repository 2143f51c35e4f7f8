"""stance-learned.v1: per target, TF-IDF (words and word pairs) + logistic regression from
scikit-learn, trained by `curate train` on gold stance. Score = predicted probability. Until a
model is trained it suggests nothing (version "+untrained"), so it can sit in the default list."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from curate.prelabel.base import LabellerContext, current_artefact
from curate.records import Document, Prelabel

NAME = "stance-learned.v1"
FOLDER = "stance-learned"


def build_classifier() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        LogisticRegression(max_iter=2000, class_weight="balanced", random_state=0),
    )


class StanceLearned:
    def __init__(self, folder: Path | None):
        import joblib

        self.name = NAME
        self.version = f"{NAME}+{folder.name if folder else 'untrained'}"
        self.models: dict[str, Any] = joblib.load(folder / "model.joblib") if folder else {}

    def __call__(self, documents: Sequence[Document]) -> list[Prelabel]:
        texts = [d.text for d in documents]
        suggestions = []
        for target, model in self.models.items():
            for document, probabilities in zip(documents, model.predict_proba(texts), strict=True):
                best = int(probabilities.argmax())
                suggestions.append(
                    Prelabel(
                        document.id,
                        "stance",
                        str(model.classes_[best]),
                        self.version,
                        round(float(probabilities[best]), 4),
                        target=target,
                    )
                )
        return suggestions


def create(context: LabellerContext) -> StanceLearned:
    return StanceLearned(current_artefact(context.models_dir / FOLDER))
