"""Plain records passed between curate's layers. Offsets are 0-based code points, end exclusive."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


def document_id(text: str) -> str:
    """Content-derived id, so re-ingesting the same cleaned text is idempotent."""
    return "doc_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Provenance:
    """Where a document came from: the file and the character range (or row) in it."""

    source: str
    char_start: int | None = None
    char_end: int | None = None
    row: int | None = None

    def describe(self) -> str:
        if self.row is not None:
            return f"{self.source} row {self.row}"
        return f"{self.source} chars {self.char_start}-{self.char_end}"


@dataclass(frozen=True)
class Document:
    text: str
    title: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    provenance: Provenance | None = None

    @cached_property
    def id(self) -> str:
        return document_id(self.text)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str
    text: str
    # The offsets as the annotator's tool gave them, when curate trimmed edge whitespace off
    # (kept with the annotation; never part of a span's identity).
    raw: tuple[int, int] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StanceLabel:
    target: str
    label: str


@dataclass(frozen=True)
class Annotation:
    """One revision of one annotator's work on one document; never changed once stored."""

    document_id: str
    annotator: str
    origin: str
    spans: tuple[Span, ...] = ()
    stances: tuple[StanceLabel, ...] = ()
    skipped_reason: str | None = None
    lead_time_seconds: float | None = None
    from_prelabel: bool = False
    prelabel_changed: bool = False
    suggestion_use: dict[str, Any] | None = None
    guideline_version: str | None = None
    external_id: str | None = None
    revision: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class Prelabel:
    document_id: str
    kind: str  # "entity", "stance", or EXPECTED_CORRECTIONS (see there)
    label: str
    labeller: str  # versioned name, e.g. "spacy-ner.v1"
    score: float | None = None
    start: int | None = None
    end: int | None = None
    text: str | None = None
    target: str | None = None

    @property
    def family(self) -> str:
        return family(self.labeller)


# A labeller's note on a whole document, not a suggestion: the corrections it expects there (the
# score). prelabel.run_labeller stores it with the labeller's run; it is never shown.
EXPECTED_CORRECTIONS = "expected-corrections"


def family(labeller: str) -> str:
    """A labeller's name without what its version adds: "spacy-ner.v2+abc123" -> "spacy-ner.v2"
    (the name curate.toml lists)."""
    return labeller.split("+", 1)[0]


@dataclass(frozen=True)
class Decision:
    document_id: str
    kind: str  # "entity" or "stance"
    method: str  # "unanimous", "majority", "reviewer", ...
    decided_by: str
    payload: dict[str, Any]
    based_on: tuple[int, ...] = ()
    target: str | None = None
    note: str | None = None
    guideline_version: str | None = None
    id: int | None = None
