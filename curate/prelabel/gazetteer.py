"""gazetteer.v1: the project's curated names and their spelling variants, matched exactly
(case-sensitive) by spaCy's EntityRuler on a blank English tokenizer. Overlapping matches keep
the longest. Names learned from gold are not here: spacy-ner.v2 uses them, below its model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate import jsontext
from curate.config import read_text_file
from curate.errors import ConfigError
from curate.prelabel.base import LabellerContext, short_hash
from curate.prelabel.pieces import entities_in_pieces
from curate.records import Document, Prelabel

NAME = "gazetteer.v1"
SCORE = 0.95  # a curated exact match: wrong only when the name is ambiguous in context


@dataclass(frozen=True)
class Entry:
    name: str
    label: str
    aliases: tuple[str, ...]

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def read_gazetteer(path: Path, labels: Iterable[str]) -> list[Entry]:
    """Parse a gazetteer file; each mistake names the file and line."""
    if not path.is_file():
        raise ConfigError(
            f"gazetteer {path} not found; create it (one JSON object a line: name, label, "
            "aliases) or change prelabel.gazetteer in curate.toml"
        )
    known = set(labels)
    entries = []
    for number, line in enumerate(read_text_file(path).splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path} line {number}"
        record: Any = jsontext.parse(line, where, ConfigError)
        if not isinstance(record, dict) or set(record) - {"name", "label", "aliases"}:
            raise ConfigError(
                f"{where}: expected an object with keys name, label, aliases; got {line.strip()}"
            )
        name, label, aliases = record.get("name"), record.get("label"), record.get("aliases", [])
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: 'name' must be a non-empty string")
        if label not in known:
            raise ConfigError(
                f"{where}: label {label!r} is not an entity label; use one of "
                f"{', '.join(sorted(known))}"
            )
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            raise ConfigError(f"{where}: 'aliases' must be a list of non-empty strings")
        entries.append(Entry(name, label, tuple(aliases)))
    return entries


class Gazetteer:
    """Builds its matcher on first use, so a re-run with nothing new to label stays cheap."""

    def __init__(self, entries: Sequence[Entry], version_hash: str):
        self.name = NAME
        self.version = f"{NAME}+{version_hash}"
        self.entries = list(entries)
        self._nlp: Any = None

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            import spacy

            self._nlp = spacy.blank("en")
            ruler = self._nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
            ruler.add_patterns(
                [
                    {"label": e.label, "pattern": form, "id": e.name}
                    for e in self.entries
                    for form in e.forms
                ]
            )
        return self._nlp

    def spans(self, texts: Iterable[str]) -> list[list[tuple[int, int, str, str]]]:
        return entities_in_pieces(self.nlp, texts)

    def __call__(self, documents: Sequence[Document]) -> list[Prelabel]:
        found = self.spans(d.text for d in documents)
        return [
            Prelabel(doc.id, "entity", label, self.version, SCORE, start, end, text)
            for doc, spans in zip(documents, found, strict=True)
            for start, end, label, text in spans
        ]


def load_gazetteer(context: LabellerContext) -> Gazetteer:
    path = context.gazetteer_path
    entries = read_gazetteer(path, context.settings.entity_label_names())
    return Gazetteer(entries, short_hash(path.read_bytes(), ""))


def create(context: LabellerContext) -> Gazetteer:
    return load_gazetteer(context)
