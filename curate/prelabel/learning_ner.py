"""spacy-ner.v2: the entity model that learns. It runs the model `curate train` last fine-tuned
on gold (.curate/models/ner), which predicts the project's own labels; before any training, the
installed pipeline mapped by prelabel.label_map, as spacy-ner.v1 does. Names learned from gold
(.curate/models/patterns) only fill gaps: a match overlapping a model entity is dropped, so a
pattern never overrides the model.

Scores are spacy-ner.v1's (agreement with the curated gazetteer); a gap-filling pattern scores
PATTERN. The version names the model, so a new model re-labels every document.
"""

from __future__ import annotations

from collections.abc import Sequence

from curate.prelabel import spacy_ner
from curate.prelabel.base import LabellerContext, current_artefact
from curate.prelabel.gazetteer import Gazetteer, load_gazetteer, read_gazetteer
from curate.prelabel.ner_model import FOLDER, model_labels
from curate.records import Document, Prelabel

NAME = "spacy-ner.v2"
PATTERNS = "patterns"  # folder under .curate/models written by `curate train`
PATTERN = 0.4  # a name gold always labelled so, where the model saw nothing


class LearningNer(spacy_ner.SpacyNer):
    def __init__(self, context: LabellerContext):
        settings = context.settings.prelabel
        curated = load_gazetteer(context) if context.gazetteer_path.is_file() else None
        model = current_artefact(context.models_dir / FOLDER)
        if model is None:
            super().__init__(
                settings.spacy_models, settings.label_map, curated, settings.batch_size
            )
            described = self.version.split("+", 1)[1]
        else:
            labels = model_labels(model, context.settings.entity_label_names())
            super().__init__([str(model / "model")], labels, curated, settings.batch_size)
            described = f"ner-{model.name}" + (
                f"+{curated.version.split('+', 1)[1]}" if curated else ""
            )
        self.patterns: Gazetteer | None = None
        learned = current_artefact(context.models_dir / PATTERNS)
        if learned is not None:
            entries = read_gazetteer(
                learned / "patterns.jsonl", context.settings.entity_label_names()
            )
            self.patterns = Gazetteer(entries, learned.name)
            described += f"+patterns-{learned.name}"
        self.name, self.version = NAME, f"{NAME}+{described}"

    def __call__(self, documents: Sequence[Document]) -> list[Prelabel]:
        suggestions = super().__call__(documents)
        if self.patterns is None:
            return suggestions
        found: dict[str, list[Prelabel]] = {d.id: [] for d in documents}
        for s in suggestions:
            found[s.document_id].append(s)
        matches = self.patterns.spans(d.text for d in documents)
        for document, spans in zip(documents, matches, strict=True):
            taken = found[document.id]
            for start, end, label, text in spans:
                if all(end <= t.start or t.end <= start for t in taken):  # type: ignore[operator]
                    suggestions.append(
                        Prelabel(
                            document.id, "entity", label, self.version, PATTERN, start, end, text
                        )
                    )
        return suggestions


def create(context: LabellerContext) -> LearningNer:
    return LearningNer(context)
