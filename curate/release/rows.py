"""What a release holds, read from the store: gold rows, annotation rows, pre-label rows, and
their Hugging Face features. Gold is an Arrow table (gold.py); annotation and pre-label rows are
plain dicts. Everything is sorted by document id so output is stable."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection

from curate.config import Settings
from curate.release.gold import read_gold, stance_column
from curate.store import queries


def pseudonym(name: str, salt: str) -> str:
    """Stable within a project (same salt), not reversible without the salt."""
    return "annotator_" + hashlib.sha256(f"{salt}\0{name}".encode()).hexdigest()[:12]


@dataclass
class ReleaseRows:
    entity_labels: list[str]
    stance_labels: list[str]
    targets: list[str]
    gold: pa.Table = field(default_factory=pa.table)  # one row per document (gold.py)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    prelabels: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # documents with open items, left out
    # Annotated but not adjudicated (too few annotators so far): left out too, and said so.
    not_adjudicated: list[str] = field(default_factory=list)
    methods: dict[str, int] = field(default_factory=dict)  # how gold labels were decided
    checked: Callable[[], None] = lambda: None  # waits for the gold span check (gold.py)


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector (a context or a decorator). A release makes
    100,000s of fresh objects (ids, splits) on top of the large heap its libraries leave, and
    full collections rescanned it all again and again: a tenth of the release's time
    (bench/release.py). None of those objects form cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def collect_rows(
    connection: Connection,
    settings: Settings,
    salt: str | None,
    with_prelabels: bool = False,
    wait: bool = True,
) -> ReleaseRows:
    """Gold for every document whose items are all decided; salt None keeps real names. With
    wait False, the gold spans may still be being checked: rows.checked() waits (gold.py)."""
    with no_cyclic_gc():
        return _collect_rows(connection, settings, salt, with_prelabels, wait)


def _collect_rows(
    connection: Connection,
    settings: Settings,
    salt: str | None,
    with_prelabels: bool,
    wait: bool,
) -> ReleaseRows:
    gold = read_gold(connection, settings, wait)
    rows = ReleaseRows(
        entity_labels=[*settings.entity_label_names(), *gold.extra_labels],
        stance_labels=list(settings.stance.labels),
        targets=settings.target_names(),
        gold=gold.table,
        unresolved=gold.unresolved,
        methods=dict(sorted(gold.methods.items())),
        checked=gold.checked,
    )
    rows.annotations = _annotation_rows(connection, rows, salt)
    annotated = {r["document_id"] for r in rows.annotations if r["skipped_reason"] is None}
    if annotated:  # the store is asked only when there is something to compare
        rows.not_adjudicated = sorted(annotated - queries.decided_documents(connection))
    if with_prelabels:
        rows.prelabels = _prelabel_rows(connection, rows, rows.gold["id"].to_pylist())
    return rows


def _annotation_rows(
    connection: Connection, rows: ReleaseRows, salt: str | None
) -> list[dict[str, Any]]:
    found = []
    for a in queries.all_annotations(connection):
        use = a.suggestion_use or {}
        found.append(
            {
                "document_id": a.document_id,
                "annotator": a.annotator if salt is None else pseudonym(a.annotator, salt),
                "revision": a.revision,
                "origin": a.origin,
                "entities": [
                    {"start": s.start, "end": s.end, "label": s.label, "text": s.text}
                    for s in a.spans
                ],
                "stances": [{"target": s.target, "label": s.label} for s in a.stances],
                "skipped_reason": a.skipped_reason,
                "lead_time_seconds": a.lead_time_seconds,
                "from_prelabel": a.from_prelabel,
                "prelabel_changed": a.prelabel_changed,
                "suggestions_accepted": len(use.get("accepted", [])),
                "suggestions_changed": len(use.get("changed", [])),
                "suggestions_rejected": len(use.get("rejected", [])),
                "guideline_version": a.guideline_version or "",
            }
        )
    return sorted(found, key=lambda r: (r["document_id"], r["annotator"], r["revision"]))


def _prelabel_rows(
    connection: Connection, rows: ReleaseRows, ids: list[str]
) -> list[dict[str, Any]]:
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
