"""spacy-ner.v2: the entity model that learns. It runs the model `curate train` last fine-tuned
on gold (.curate/models/ner), which predicts the project's own labels; before any training, the
installed pipeline mapped by prelabel.label_map, as spacy-ner.v1 does. Names learned from gold
(.curate/models/patterns) only fill gaps: a match overlapping a model entity is dropped, so a
pattern never overrides the model.

Scores are spacy-ner.v1's (agreement with the curated gazetteer); a gap-filling pattern scores
PATTERN. A trained model also notes, per document, the corrections it expects there (its own
beam probabilities, prelabel/confidence.py): the uncertain-first queue ranks by them. The
version names the model, so a new model re-labels every document.
"""

from __future__ import annotations

from collections.abc import Sequence

from curate.prelabel import spacy_ner
from curate.prelabel.base import LabellerContext, current_artefact
from curate.prelabel.confidence import expected_corrections
from curate.prelabel.gazetteer import Gazetteer, load_gazetteer, read_gazetteer
from curate.prelabel.ner_model import FOLDER, model_labels
from curate.prelabel.pieces import Entity, entities_of, parsed_pieces
from curate.records import EXPECTED_CORRECTIONS, Document, Prelabel

NAME = "spacy-ner.v2"
PATTERNS = "patterns"  # folder under .curate/models written by `curate train`
PATTERN = 0.4  # a name gold always labelled so, where the model saw nothing


class LearningNer(spacy_ner.SpacyNer):
    def __init__(self, context: LabellerContext):
        settings = context.settings.prelabel
        curated = load_gazetteer(context) if context.gazetteer_path.is_file() else None
        model = current_artefact(context.models_dir / FOLDER)
        self.trained = model is not None
        self.expected: list[float] = []  # per text of the last entities() call
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

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """spacy-ner.v1's, and with a trained model the corrections it expects per text."""
        if not self.trained:
            return super().entities(texts)
        found: list[list[Entity]] = [[] for _ in texts]
        self.expected = [0.0 for _ in texts]
        parsed = list(parsed_pieces(self.nlp, texts, self.batch_size))
        ner, shown = self.nlp.get_pipe("ner"), set(self.label_map)
        for at in range(0, len(parsed), self.batch_size):
            batch = parsed[at : at + self.batch_size]
            expected = expected_corrections(ner, [doc for _, _, doc in batch], shown)
            for (number, offset, doc), corrections in zip(batch, expected, strict=True):
                found[number].extend(entities_of(doc, offset))
                self.expected[number] += corrections
        return found

    def __call__(self, documents: Sequence[Document]) -> list[Prelabel]:
        suggestions = super().__call__(documents)
        if self.trained:
            suggestions += [
                Prelabel(d.id, EXPECTED_CORRECTIONS, "entities", self.version, round(e, 4))
                for d, e in zip(documents, self.expected, strict=True)
            ]
        if self.patterns is None:
            return suggestions
        found: dict[str, list[Prelabel]] = {d.id: [] for d in documents}
        for s in suggestions:
            if s.kind == "entity":
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
