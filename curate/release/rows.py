"""What a release holds, read from the store in one transaction: gold and annotation rows as
Arrow tables, pre-label rows as plain dicts, and their Hugging Face features. Everything is
sorted by document id so output is stable."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from curate.agreement.data import AgreementData, from_store
from curate.agreement.report import document_scores
from curate.config import Settings
from curate.domain.gold import read_gold, stance_column
from curate.domain.pseudonyms import pseudonym
from curate.quality.annotators import control_data
from curate.store import queries
from curate.store.annotation_table import ANNOTATION_TABLE, ORDER, read_annotations
from curate.store.queries import Selection


@dataclass
class ReleaseRows:
    entity_labels: list[str]
    stance_labels: list[str]
    targets: list[str]
    gold: pa.Table = field(default_factory=pa.table)  # one row per document (gold.py)
    # Every revision, annotators pseudonymized unless real names were asked for.
    annotations: pa.Table = field(default_factory=ANNOTATION_TABLE.empty_table)
    agreement: AgreementData | None = None  # what the card's figures are computed on
    controls: AgreementData | None = None  # control documents' annotations, same names
    prelabels: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # documents with open items, left out
    # Annotated but not adjudicated (too few annotators so far): left out too, and said so.
    not_adjudicated: list[str] = field(default_factory=list)
    methods: dict[str, int] = field(default_factory=dict)  # how gold labels were decided
    # Why the queue served each released document (prelabel/uncertainty.py), newest reason.
    selections: dict[str, Selection] = field(default_factory=dict)

    def labelled(self) -> pa.Table:
        """The annotations that are labels (not skips)."""
        return self.annotations.filter(pc.is_null(self.annotations["skipped_reason"]))


def collect_rows(
    connection: Connection,
    settings: Settings,
    salt: str | None,
    with_prelabels: bool = False,
) -> ReleaseRows:
    """Gold for every document whose items are all decided, its agreement score computed from
    the annotations; salt None keeps real names. Spans that do not match their text raise
    SpanError."""
    gold = read_gold(connection, settings)
    rows = ReleaseRows(
        entity_labels=[*settings.entity_label_names(), *gold.extra_labels],
        stance_labels=list(settings.stance.labels),
        targets=settings.target_names(),
        gold=gold.table,
        unresolved=gold.unresolved,
        methods=dict(sorted(gold.methods.items())),
    )
    rows.selections = queries.newest_selections(connection, rows.gold["id"].to_pylist())
    # Control documents' annotations measure annotators; they are not behind any gold.
    rows.annotations = pseudonymized(read_annotations(connection, evidence_only=True), salt)
    scores = pa.nulls(rows.gold.num_rows, pa.float64())
    if rows.annotations.num_rows:
        rows.agreement = from_store(connection, rows.annotations, settings)
        found = pa.array(document_scores(rows.agreement)["score"], from_pandas=True)  # NaN: none
        at = pc.index_in(rows.gold["id"], value_set=pa.array(rows.agreement.documents))
        scores = pc.round(pc.take(found, at), 6)  # the rounding older releases used
        annotated = set(pc.unique(rows.labelled()["document_id"]).to_pylist())
        rows.not_adjudicated = sorted(annotated - queries.decided_documents(connection))
    rows.gold = rows.gold.append_column("agreement", scores)
    if not targets_with_gold(rows.gold, rows.targets):
        rows.gold = rows.gold.drop_columns(
            [stance_column(t) + end for t in rows.targets for end in ("", "_method")]
        )
        rows.targets = []  # no target has gold: the release has no stance columns
    rows.entity_labels = _labels_released(rows)
    rows.controls = control_data(connection, settings, lambda table: pseudonymized(table, salt))
    if with_prelabels:
        rows.prelabels = _prelabel_rows(connection, rows.gold["id"].to_pylist())
    return rows


def _labels_released(rows: ReleaseRows) -> list[str]:
    """The entity ClassLabel's names: curate.toml's labels where this project's annotators
    worked (they were offered all of them); where every label came from an import, only the
    labels the imported annotations and gold use (a template's labels nobody used are not
    this dataset's)."""
    origins = rows.annotations["origin"]
    if pc.any(pc.not_equal(origins, "import")).as_py():
        return rows.entity_labels
    used: set[str] = set()
    for table in (rows.annotations, rows.gold):
        if table.num_rows:
            spans = pc.list_flatten(table["entities"])
            used.update(pc.unique(pc.struct_field(spans, "label")).to_pylist())
    kept = [label for label in rows.entity_labels if label in used]
    return kept or rows.entity_labels  # no span anywhere: the configured scheme


def targets_with_gold(gold: pa.Table, targets: list[str]) -> list[str]:
    """The targets some released document has a gold stance for (-1 is none)."""
    found = []
    for target in targets:
        column = stance_column(target)
        top = pc.max(gold[column]).as_py() if column in gold.column_names else None
        if top is not None and top >= 0:
            found.append(target)
    return found


def pseudonymized(table: pa.Table, salt: str | None) -> pa.Table:
    """Annotator names replaced by their pseudonyms, rows sorted again. salt None keeps real
    names, but an e-mail address (an outside annotator curate.toml does not list) is cut to
    its local part: a release is shared, addresses are not."""
    if table.num_rows == 0:
        return table
    names = pc.unique(table["annotator"])
    shown = (
        [pseudonym(name, salt) for name in names.to_pylist()]
        if salt
        else local_parts(names.to_pylist())
    )
    at = pc.index_in(table["annotator"], value_set=names)
    column = table.schema.get_field_index("annotator")
    renamed = pc.take(pa.array(shown, pa.string()), at)
    return table.set_column(column, "annotator", renamed).sort_by(ORDER)


def local_parts(names: list[str]) -> list[str]:
    """Each name, an address cut to its local part; two addresses with one local part keep
    them apart with a short hash of the address."""
    local = [name.split("@", 1)[0] if "@" in name else name for name in names]
    counts = Counter(local)
    return [
        part
        if counts[part] == 1 or "@" not in name
        else f"{part}.{hashlib.sha256(name.encode()).hexdigest()[:6]}"
        for name, part in zip(names, local, strict=True)
    ]


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
    if config == "gold":
        return _gold_features(rows)
    return _annotation_features() if config == "annotations" else _prelabel_features()


def _gold_features(rows: ReleaseRows) -> Any:
    from datasets import ClassLabel, Features, List, Value

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


def _annotation_features() -> Any:
    from datasets import Features, List, Value

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
            "stance_suggestions_accepted": Value("int32"),
            "stance_suggestions_changed": Value("int32"),
            "stance_suggestions_rejected": Value("int32"),
            "guideline_version": Value("string"),
        }
    )


def _prelabel_features() -> Any:
    from datasets import Features, Value

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
