"""What a release holds, read from the store in one transaction: gold and annotation rows as
Arrow tables, pre-label rows as plain dicts, and their Hugging Face features. Everything is
sorted by document id so output is stable."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Text, cast, func, select

from curate.config import Settings
from curate.release.gold import read_gold, stance_column
from curate.store import queries
from curate.store.arrow import read_table
from curate.store.schema import annotations as annotation_table

STRING = pa.string()
ANNOTATION_ROWS = pa.schema(
    [
        ("document_id", STRING),
        ("annotator", STRING),
        ("revision", pa.int64()),
        ("origin", STRING),
        (
            "entities",
            pa.list_(
                pa.struct(
                    [
                        ("start", pa.int64()),
                        ("end", pa.int64()),
                        ("label", STRING),
                        ("text", STRING),
                    ]
                )
            ),
        ),
        ("stances", pa.list_(pa.struct([("target", STRING), ("label", STRING)]))),
        ("skipped_reason", STRING),
        ("lead_time_seconds", pa.float64()),
        ("from_prelabel", pa.bool_()),
        ("prelabel_changed", pa.bool_()),
        ("suggestions_accepted", pa.int64()),
        ("suggestions_changed", pa.int64()),
        ("suggestions_rejected", pa.int64()),
        ("guideline_version", STRING),
    ]
)


def pseudonym(name: str, salt: str) -> str:
    """Stable within a project (same salt), not reversible without the salt."""
    return "annotator_" + hashlib.sha256(f"{salt}\0{name}".encode()).hexdigest()[:12]


@dataclass
class ReleaseRows:
    entity_labels: list[str]
    stance_labels: list[str]
    targets: list[str]
    gold: pa.Table = field(default_factory=pa.table)  # one row per document (gold.py)
    annotations: pa.Table = field(default_factory=ANNOTATION_ROWS.empty_table)
    prelabels: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # documents with open items, left out
    # Annotated but not adjudicated (too few annotators so far): left out too, and said so.
    not_adjudicated: list[str] = field(default_factory=list)
    methods: dict[str, int] = field(default_factory=dict)  # how gold labels were decided

    def labelled(self) -> pa.Table:
        """The annotations that are labels (not skips)."""
        return self.annotations.filter(pc.is_null(self.annotations["skipped_reason"]))


def collect_rows(
    connection: Connection,
    settings: Settings,
    salt: str | None,
    with_prelabels: bool = False,
) -> ReleaseRows:
    """Gold for every document whose items are all decided; salt None keeps real names. Spans
    that do not match their text raise SpanError."""
    gold = read_gold(connection, settings)
    rows = ReleaseRows(
        entity_labels=[*settings.entity_label_names(), *gold.extra_labels],
        stance_labels=list(settings.stance.labels),
        targets=settings.target_names(),
        gold=gold.table,
        unresolved=gold.unresolved,
        methods=dict(sorted(gold.methods.items())),
    )
    rows.annotations = _annotation_rows(connection, salt)
    annotated = set(pc.unique(rows.labelled()["document_id"]).to_pylist())
    if annotated:  # the store is asked only when there is something to compare
        rows.not_adjudicated = sorted(annotated - queries.decided_documents(connection))
    if with_prelabels:
        rows.prelabels = _prelabel_rows(connection, rows.gold["id"].to_pylist())
    return rows


def _suggestions(connection: Connection, kind: str) -> Any:
    """How many suggestions an annotation's suggestion_use lists as `kind` (0 without one)."""
    use = annotation_table.c.suggestion_use
    if connection.dialect.name == "postgresql":
        length = func.json_array_length(use[kind])
    else:
        length = func.json_array_length(use, f"$.{kind}")
    return func.coalesce(length, 0)


def _annotation_rows(connection: Connection, salt: str | None) -> pa.Table:
    """Every revision of every annotation, annotators pseudonymized unless salt is None, sorted
    by document, annotator and revision."""
    a = annotation_table.c
    query = select(
        a.document_id,
        a.annotator,
        a.revision,
        a.origin,
        cast(a.spans, Text),
        cast(a.stances, Text),
        a.skipped_reason,
        a.lead_time_seconds,
        a.from_prelabel,
        a.prelabel_changed,
        *(_suggestions(connection, kind) for kind in ("accepted", "changed", "rejected")),
        func.coalesce(a.guideline_version, ""),
    )
    table = read_table(connection, query, ANNOTATION_ROWS)
    if salt is not None:
        names = pc.unique(table["annotator"])
        renamed = pa.array([pseudonym(name, salt) for name in names.to_pylist()], STRING)
        at = pc.index_in(table["annotator"], value_set=names)
        table = table.set_column(1, "annotator", pc.take(renamed, at))
    return table.sort_by(
        [("document_id", "ascending"), ("annotator", "ascending"), ("revision", "ascending")]
    )


def _prelabel_rows(connection: Connection, ids: list[str]) -> list[dict[str, Any]]:
    found = []
    for document_id, suggestions in sorted(queries.prelabels_for_many(connection, ids).items()):
        for p in suggestions:
            found.append(
                {
                    "document_id": document_id,
                    "kind": p.kind,
                    "labeller": p.labeller,
                    "label": p.label,
                    "target": p.target or "",
                    "start": p.start,
                    "end": p.end,
                    "text": p.text,
                    "score": p.score,
                }
            )
    return sorted(
        found,
        key=lambda r: (r["document_id"], r["kind"], r["labeller"], r["start"] or 0, r["label"]),
    )


def features(rows: ReleaseRows, config: str) -> Any:
    """The datasets.Features of one config (ClassLabel names in curate.toml's order)."""
    from datasets import ClassLabel, Features, List, Value

    if config == "gold":
        columns: dict[str, Any] = {
            "id": Value("string"),
            "title": Value("string"),
            "text": Value("string"),
            "source": Value("string"),
            "entities": List(
                {
                    "start": Value("int32"),
                    "end": Value("int32"),
                    "label": ClassLabel(names=rows.entity_labels),
                    "text": Value("string"),
                    "method": Value("string"),
                }
            ),
        }
        for target in rows.targets:
            columns[stance_column(target)] = ClassLabel(names=rows.stance_labels)
            columns[stance_column(target) + "_method"] = Value("string")
        columns["agreement"] = Value("float64")
        return Features(columns)
    if config == "annotations":
        return Features(
            {
                "document_id": Value("string"),
                "annotator": Value("string"),
                "revision": Value("int32"),
                "origin": Value("string"),
                "entities": List(
                    {
                        "start": Value("int32"),
                        "end": Value("int32"),
                        "label": Value("string"),
                        "text": Value("string"),
                    }
                ),
                "stances": List({"target": Value("string"), "label": Value("string")}),
                "skipped_reason": Value("string"),
                "lead_time_seconds": Value("float64"),
                "from_prelabel": Value("bool"),
                "prelabel_changed": Value("bool"),
                "suggestions_accepted": Value("int32"),
                "suggestions_changed": Value("int32"),
                "suggestions_rejected": Value("int32"),
                "guideline_version": Value("string"),
            }
        )
    return Features(
        {
            "document_id": Value("string"),
            "kind": Value("string"),
            "labeller": Value("string"),
            "label": Value("string"),
            "target": Value("string"),
            "start": Value("int32"),
            "end": Value("int32"),
            "text": Value("string"),
            "score": Value("float64"),
        }
    )
