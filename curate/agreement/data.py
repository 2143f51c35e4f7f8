"""What agreement is computed on: each annotator's newest revision per document, as arrays.

Only the newest revision of each (document, annotator) counts; a newest revision that is a skip
means that annotator did not label the document. Suggestions are the ones an annotator is shown
(merged entity suggestions and the stance suggestions), so anchoring compares like with like.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from curate.agreement.matching import SpanArrays
from curate.config import Settings
from curate.records import Annotation, Prelabel
from curate.store import queries
from curate.store.annotation_table import ANNOTATION_TABLE, ORDER, read_annotations
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
    started_from_suggestions: np.ndarray  # documents x coders: annotation began from pre-labels
    blind: np.ndarray  # documents: pushed without pre-labels
    spans: SpanArrays
    span_coder: np.ndarray  # coder index of each span
    stances: np.ndarray  # targets x documents x coders: stance label index, or MISSING
    suggestions: SpanArrays
    suggested_stances: np.ndarray  # targets x documents: stance label index, or MISSING
    # documents x coders: seconds spent (NaN: not recorded), and suggestions accepted, changed
    # and rejected (the last axis); both default to nothing recorded.
    lead_time: np.ndarray | None = None
    suggestion_use: np.ndarray | None = None

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


def annotation_table(annotations: Iterable[Annotation]) -> pa.Table:
    """In-memory annotations, each the newest revision of its document and annotator, as the
    store gives them (curate.store.annotation_table)."""
    rows = [
        {
            "document_id": a.document_id,
            "annotator": a.annotator,
            "revision": a.revision or 0,
            "origin": a.origin,
            "entities": [
                {"start": s.start, "end": s.end, "label": s.label, "text": s.text} for s in a.spans
            ],
            "stances": [asdict(s) for s in a.stances],
            "skipped_reason": a.skipped_reason,
            "lead_time_seconds": a.lead_time_seconds,
            "from_prelabel": a.from_prelabel,
            "prelabel_changed": a.prelabel_changed,
            **{
                f"suggestions_{kind}": len((a.suggestion_use or {}).get(kind, []))
                for kind in ("accepted", "changed", "rejected")
            },
            "newest": True,
        }
        for a in annotations
    ]
    return pa.Table.from_pylist(rows, schema=ANNOTATION_TABLE).sort_by(ORDER)


def collect(
    annotations: Iterable[Annotation],
    texts: dict[str, str],
    suggestions: dict[str, list[Prelabel]],
    blind: set[str],
    settings: Settings,
) -> AgreementData:
    """Arrays from annotations, each the newest revision of its (document, annotator) (as
    curate.store.queries.newest_evidence reads them)."""
    return from_table(annotation_table(annotations), texts, suggestions, blind, settings)


def _positions(values: pa.ChunkedArray | pa.Array, names: list[str]) -> np.ndarray:
    """The index of each value in names (every value is one of them)."""
    return pc.index_in(values, value_set=pa.array(names, pa.string())).to_numpy()


def from_table(
    table: pa.Table,
    texts: dict[str, str],
    suggestions: dict[str, list[Prelabel]],
    blind: set[str],
    settings: Settings,
) -> AgreementData:
    """Arrays from an annotation table (curate.store.annotation_table), in bulk: its rows of
    newest revisions (a table of every revision holds the older ones too)."""
    if not pc.all(table["newest"]).as_py():  # every row newest (load()): no copy needed
        table = table.filter(table["newest"])
    documents = sorted(set(table["document_id"].to_pylist()))
    coders = sorted(set(table["annotator"].to_pylist()))
    spans = table["entities"].combine_chunks()
    stance_rows = table["stances"].combine_chunks()
    entity_labels, stance_labels, targets = _names(spans, stance_rows, suggestions, settings)
    rows = _Rows(
        _positions(table["document_id"], documents),
        _positions(table["annotator"], coders),
        table["skipped_reason"].is_valid().to_numpy(),
        (len(documents), len(coders)),
    )
    span_row = rows.labelled(pc.list_parent_indices(spans).to_numpy())
    values = spans.filter(pa.array(~rows.skip)).flatten()
    span_arrays = SpanArrays(
        rows.doc[span_row],
        values.field("start").to_numpy(),
        values.field("end").to_numpy(),
        _positions(values.field("label"), entity_labels),
    )
    shown_spans, suggested_stances = _shown(
        documents, suggestions, entity_labels, stance_labels, targets, settings
    )
    return AgreementData(
        documents=documents,
        texts=[texts.get(d, "") for d in documents],
        coders=coders,
        entity_labels=entity_labels,
        stance_labels=stance_labels,
        targets=targets,
        labelled=rows.grid(~rows.skip, False),
        skipped=rows.grid(rows.skip, False),
        started_from_suggestions=rows.grid(table["from_prelabel"].to_numpy(), False),
        blind=np.array([d in blind for d in documents], bool),
        spans=span_arrays,
        span_coder=rows.coder[span_row],
        stances=rows.stances(stance_rows, targets, stance_labels),
        suggestions=shown_spans,
        suggested_stances=suggested_stances,
        lead_time=rows.grid(pc.fill_null(table["lead_time_seconds"], np.nan).to_numpy(), np.nan),
        suggestion_use=np.stack(
            [
                rows.grid(pc.fill_null(table[f"suggestions_{kind}"], 0).to_numpy(), 0)
                for kind in ("accepted", "changed", "rejected")
            ],
            axis=-1,
        ),
    )


@dataclass(frozen=True)
class _Rows:
    """Where each row of the annotation table sits in the documents x coders grid."""

    doc: np.ndarray
    coder: np.ndarray
    skip: np.ndarray  # the row is a skip: its spans and stances (if any) are not labels
    shape: tuple[int, int]

    def grid(self, values: np.ndarray, empty: object) -> np.ndarray:
        """A documents x coders array of one value per row, `empty` where no row is."""
        grid = np.full(self.shape, empty, np.asarray(values).dtype)
        grid[self.doc, self.coder] = values
        return grid

    def stances(
        self, stance_rows: pa.ListArray, targets: list[str], labels: list[str]
    ) -> np.ndarray:
        """targets x documents x coders: each coder's stance label index, or MISSING."""
        stances = np.full((len(targets), *self.shape), MISSING, np.int64)
        row = self.labelled(pc.list_parent_indices(stance_rows).to_numpy())
        values = stance_rows.filter(pa.array(~self.skip)).flatten()
        at = (_positions(values.field("target"), targets), self.doc[row], self.coder[row])
        stances[at] = _positions(values.field("label"), labels)
        return stances

    def labelled(self, parent_rows: np.ndarray) -> np.ndarray:
        """The rows of list items (spans, stances), without those of skips."""
        return parent_rows[~self.skip[parent_rows]]


def _names(
    spans: pa.ListArray,
    stance_rows: pa.ListArray,
    suggestions: dict[str, list[Prelabel]],
    settings: Settings,
) -> tuple[list[str], list[str], list[str]]:
    """Entity labels, stance labels and targets: curate.toml's, then others labelled or
    suggested."""
    entity_labels = _ordered(
        settings.entity_label_names(),
        pc.unique(spans.values.field("label")).to_pylist(),
        (p.label for ps in suggestions.values() for p in ps if p.kind == "entity"),
    )
    stance_labels = _ordered(
        settings.stance.labels,
        pc.unique(stance_rows.values.field("label")).to_pylist(),
        (p.label for ps in suggestions.values() for p in ps if p.kind == "stance"),
    )
    targets = _ordered(
        settings.target_names(), pc.unique(stance_rows.values.field("target")).to_pylist()
    )
    return entity_labels, stance_labels, targets


def _shown(
    documents: list[str],
    suggestions: dict[str, list[Prelabel]],
    entity_labels: list[str],
    stance_labels: list[str],
    targets: list[str],
    settings: Settings,
) -> tuple[SpanArrays, np.ndarray]:
    """What each document's annotators were shown: the merged entity suggestions, and per
    target the stance suggestion of the highest score."""
    label_index = {label: i for i, label in enumerate(entity_labels)}
    stance_index = {label: i for i, label in enumerate(stance_labels)}
    target_index = {target: i for i, target in enumerate(targets)}
    shown_spans: tuple[list[int], ...] = ([], [], [], [])
    suggested_stances = np.full((len(targets), len(documents)), MISSING, np.int64)
    order = list(settings.prelabel.labellers)
    for d, document_id in enumerate(documents):
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
    return SpanArrays.build(*shown_spans), suggested_stances


def _ordered(configured: Sequence[str], *seen: Iterable[str | None]) -> list[str]:
    """Configured names in their order, then any others found in the data, sorted."""
    extra = {name for names in seen for name in names if name is not None} - set(configured)
    return [*configured, *sorted(extra)]


def load(
    connection: Connection, settings: Settings, document_ids: Sequence[str] | None = None
) -> AgreementData:
    """Everything agreement needs from the store (optionally for some documents only)."""
    table = read_annotations(connection, document_ids, newest_only=True, evidence_only=True)
    return from_store(connection, table, settings)


def from_store(connection: Connection, table: pa.Table, settings: Settings) -> AgreementData:
    """Arrays from annotations already read, with the texts, suggestions and blind documents
    the store holds for them."""
    ids = sorted(set(table["document_id"].to_pylist()))
    texts = {d: doc.text for d, doc in queries.documents_by_ids(connection, ids).items()}
    suggestions = queries.prelabels_for_many(connection, ids)
    blind = queries.blind_documents(connection)
    return from_table(table, texts, suggestions, blind, settings)
