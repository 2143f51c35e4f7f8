"""What agreement is computed on: each annotator's newest revision per document, as arrays.

Only the newest revision of each (document, annotator) counts; a newest revision that is a skip
means that annotator did not label the document. Suggestions are the ones an annotator is shown
(merged entity suggestions and the stance suggestions), so anchoring compares like with like.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from sqlalchemy import Connection

from curate.agreement.matching import SpanArrays
from curate.config import Settings
from curate.records import Annotation, Prelabel
from curate.store import queries
from curate.suggestions import merge_entities

MISSING = -1


@dataclass(frozen=True)
class AgreementData:
    documents: list[str]
    texts: list[str]
    coders: list[str]
    entity_labels: list[str]
    stance_labels: list[str]
    targets: list[str]
    labelled: np.ndarray  # documents x coders: the newest revision is a labelling, not a skip
    skipped: np.ndarray  # documents x coders: the newest revision is a skip
    annotation_ids: np.ndarray  # documents x coders: id of the newest revision, or MISSING
    started_from_suggestions: np.ndarray  # documents x coders: annotation began from pre-labels
    blind: np.ndarray  # documents: pushed without pre-labels
    spans: SpanArrays
    span_coder: np.ndarray  # coder index of each span
    stances: np.ndarray  # targets x documents x coders: stance label index, or MISSING
    suggestions: SpanArrays
    suggested_stances: np.ndarray  # targets x documents: stance label index, or MISSING

    @cached_property
    def _spans_by_coder(self) -> list[SpanArrays]:
        return [self.spans.take(self.span_coder == c) for c in range(len(self.coders))]

    def coder_spans(self, coder: int, documents: np.ndarray | None = None) -> SpanArrays:
        """One coder's spans, optionally only on documents where `documents` is True."""
        spans = self._spans_by_coder[coder]
        if documents is None:
            return spans
        chosen = documents[spans.doc]
        return spans if chosen.all() else spans.take(chosen)


def collect(
    annotations: Iterable[Annotation],
    texts: dict[str, str],
    suggestions: dict[str, list[Prelabel]],
    blind: set[str],
    settings: Settings,
) -> AgreementData:
    """Arrays from the newest revision of each (document, annotator)."""
    newest: dict[tuple[str, str], Annotation] = {}
    for annotation in annotations:
        key = (annotation.document_id, annotation.annotator)
        held = newest.get(key)
        if held is None or (annotation.revision or 0) > (held.revision or 0):
            newest[key] = annotation
    documents = sorted({d for d, _ in newest})
    coders = sorted({a for _, a in newest})
    doc_index = {d: i for i, d in enumerate(documents)}
    coder_index = {c: i for i, c in enumerate(coders)}
    entity_labels = _ordered(
        settings.entity_label_names(),
        (s.label for a in newest.values() for s in a.spans),
        (p.label for ps in suggestions.values() for p in ps if p.kind == "entity"),
    )
    stance_labels = _ordered(
        settings.stance.labels,
        (s.label for a in newest.values() for s in a.stances),
        (p.label for ps in suggestions.values() for p in ps if p.kind == "stance"),
    )
    targets = _ordered(
        settings.target_names(), (s.target for a in newest.values() for s in a.stances)
    )
    label_index = {label: i for i, label in enumerate(entity_labels)}
    stance_index = {label: i for i, label in enumerate(stance_labels)}
    target_index = {target: i for i, target in enumerate(targets)}

    shape = (len(documents), len(coders))
    labelled, skipped = np.zeros(shape, bool), np.zeros(shape, bool)
    started = np.zeros(shape, bool)
    annotation_ids = np.full(shape, MISSING, np.int64)
    stances = np.full((len(targets), *shape), MISSING, np.int64)
    columns: tuple[list[int], ...] = ([], [], [], [], [])
    for (document_id, annotator), annotation in newest.items():
        d, c = doc_index[document_id], coder_index[annotator]
        annotation_ids[d, c] = annotation.id if annotation.id is not None else MISSING
        started[d, c] = annotation.from_prelabel
        if annotation.skipped_reason is not None:
            skipped[d, c] = True
            continue
        labelled[d, c] = True
        for span in annotation.spans:
            for column, value in zip(
                columns, (d, span.start, span.end, label_index[span.label], c), strict=True
            ):
                column.append(value)
        for stance in annotation.stances:
            stances[target_index[stance.target], d, c] = stance_index[stance.label]

    shown_spans: tuple[list[int], ...] = ([], [], [], [])
    suggested_stances = np.full((len(targets), len(documents)), MISSING, np.int64)
    order = list(settings.prelabel.labellers)
    for document_id in documents:
        d = doc_index[document_id]
        offered = suggestions.get(document_id, [])
        for p in merge_entities(offered, order):
            assert p.start is not None and p.end is not None
            for column, value in zip(
                shown_spans, (d, p.start, p.end, label_index[p.label]), strict=True
            ):
                column.append(value)
        for p in sorted(
            (p for p in offered if p.kind == "stance" and p.target in target_index),
            key=lambda p: -(p.score or 0.0),
        ):
            assert p.target is not None
            if suggested_stances[target_index[p.target], d] == MISSING:
                suggested_stances[target_index[p.target], d] = stance_index[p.label]

    return AgreementData(
        documents=documents,
        texts=[texts.get(d, "") for d in documents],
        coders=coders,
        entity_labels=entity_labels,
        stance_labels=stance_labels,
        targets=targets,
        labelled=labelled,
        skipped=skipped,
        annotation_ids=annotation_ids,
        started_from_suggestions=started,
        blind=np.array([d in blind for d in documents], bool),
        spans=SpanArrays.build(*columns[:4]),
        span_coder=np.asarray(columns[4], np.int64),
        stances=stances,
        suggestions=SpanArrays.build(*shown_spans),
        suggested_stances=suggested_stances,
    )


def _ordered(configured: Sequence[str], *seen: Iterable[str | None]) -> list[str]:
    """Configured names in their order, then any others found in the data, sorted."""
    extra = {name for names in seen for name in names if name is not None} - set(configured)
    return [*configured, *sorted(extra)]


def load(
    connection: Connection, settings: Settings, document_ids: Sequence[str] | None = None
) -> AgreementData:
    """Everything agreement needs from the store (optionally for some documents only)."""
    annotations = queries.newest_annotations(connection, document_ids)
    ids = sorted({a.document_id for a in annotations})
    texts = {d: doc.text for d, doc in queries.documents_by_ids(connection, ids).items()}
    suggestions = queries.prelabels_for_many(connection, ids)
    return collect(annotations, texts, suggestions, queries.blind_documents(connection), settings)
