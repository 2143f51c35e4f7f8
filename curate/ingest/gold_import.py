"""`curate import-gold`: gold made elsewhere (CoNLL or JSONL) into the store as decisions of
method "imported", with the file and its hash recorded. No annotator is made up for it, so it
never counts in agreement; it is released, trained on and evaluated against like adjudicated
gold. A document people already adjudicated keeps its decisions."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Connection

from curate.domain.splits import document_splits
from curate.errors import InputError
from curate.ingest import source_name
from curate.ingest.gold import GoldDocument, map_labels, read_gold_file
from curate.project import Project, take_labels
from curate.records import Decision, Provenance
from curate.store import Store, gold_imports, queries

IMPORTED = "imported"
AUTO = "auto"


@dataclass
class GoldImportReport:
    source: str
    sha256: str
    documents: int = 0
    new_documents: int = 0  # texts the store did not hold yet
    imported: int = 0  # documents whose gold was stored now
    unchanged: int = 0  # gold already imported from this same file
    kept: int = 0  # documents people adjudicated: their decisions stay
    spans: int = 0
    stances: int = 0
    normalised_texts: int = 0  # texts cleaned as `ingest` cleans them
    dropped: Counter[str] = field(default_factory=Counter)  # label -> spans left out
    mapped: dict[str, str] = field(default_factory=dict)
    adopted: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    splits: Counter[str] = field(default_factory=Counter)  # split -> documents imported


def import_gold(
    project: Project,
    store: Store,
    path: Path,
    label_map: dict[str, str] | None = None,
    drop: set[str] | None = None,
    split: str = AUTO,
    adopt: bool = False,
) -> GoldImportReport:
    """Everything is checked before anything is stored; one transaction for the file."""
    settings = project.settings
    choices = [AUTO, *settings.release.splits]
    if split not in choices:
        raise InputError(f"--split {split!r} is not a split; choose one of {', '.join(choices)}")
    documents = read_gold_file(path)
    report = GoldImportReport(source_name(path, project.root), _sha256(path))
    kept_labels = Counter(
        s.label for g in documents for s in g.spans if s.label not in (drop or set())
    )
    with store.connect() as connection:
        fresh = queries.nothing_labelled(connection)
    taken = take_labels(project, kept_labels, label_map, adopt, path, fresh)
    settings, report.adopted, report.mapped = taken.settings, taken.adopted, taken.mapped
    report.removed = taken.removed
    renaming = {label: report.mapped.get(label, label) for label in kept_labels}
    documents, report.dropped = map_labels(documents, renaming)
    _check_stances(path, documents, settings.target_names(), settings.stance.labels)
    by_id = _one_gold_per_text(path, documents)
    rows = {g.document.id: row for row, g in reversed(list(enumerate(documents)))}
    report.documents = len(by_id)
    ids = sorted(by_id)
    pinned = None if split == AUTO else split
    with store.transaction() as connection:
        report.splits = _splits(connection, path, rows, pinned, settings.release.splits)
        known = queries.existing_document_ids(connection, ids)
        already = gold_imports.imported_from(connection, report.sha256)
        adjudicated = {
            d.document_id for d in queries.decisions_for(connection, ids) if d.method != IMPORTED
        }
        new = [
            replace(by_id[d].document, provenance=Provenance(report.source, row=row))
            for d, row in rows.items()
            if d not in known
        ]
        queries.insert_documents(connection, new)
        queries.insert_sources(connection, new)
        report.new_documents = len(new)
        stored = []
        for document_id in ids:
            if document_id in already:
                report.unchanged += 1
            elif document_id in adjudicated:
                report.kept += 1
            else:
                _store_gold(connection, by_id[document_id], report)
                stored.append(document_id)
        gold_imports.record_imports(connection, stored, report.source, report.sha256, pinned)
        report.imported = len(stored)
    return report


def _splits(
    connection: Connection,
    path: Path,
    rows: dict[str, int],
    pinned: str | None,
    shares: dict[str, float],
) -> Counter[str]:
    """Documents per split: all in the pinned split (refused for a document released in
    another), or each in the split it has or is drawn for."""
    ids = sorted(rows)
    released = queries.release_splits(connection)
    moved = sorted(d for d in ids if pinned and d in released and released[d] != pinned)
    if moved:
        raise InputError(
            f"{path}: {len(moved)} of its documents were released in another split already "
            f"(row {rows[moved[0]] + 1} is in {released[moved[0]]!r}), and a released "
            f"document never moves; import without --split {pinned}, or leave those "
            "documents out of the file"
        )
    if pinned:
        return Counter([pinned] * len(ids))
    return Counter(document_splits(connection, ids, shares).values())


def _store_gold(connection: Connection, gold: GoldDocument, report: GoldImportReport) -> None:
    document_id, by = gold.document.id, "import-gold"
    note = f"{report.source} sha256:{report.sha256[:12]}"
    spans = [queries.span_record(s) | {"method": IMPORTED} for s in gold.spans]
    queries.add_decision(
        connection, Decision(document_id, "entity", IMPORTED, by, {"spans": spans}, note=note)
    )
    for target, label in sorted(gold.stances.items()):
        queries.add_decision(
            connection,
            Decision(document_id, "stance", IMPORTED, by, {"label": label}, (), target, note),
        )
    report.spans += len(gold.spans)
    report.stances += len(gold.stances)
    report.normalised_texts += gold.normalised


def _check_stances(
    path: Path, documents: list[GoldDocument], targets: list[str], labels: list[str]
) -> None:
    for number, gold in enumerate(documents, start=1):
        for target, label in gold.stances.items():
            if target not in targets:
                raise InputError(
                    f"{path} document {number}: stance target {target!r} is not in curate.toml "
                    f"({', '.join(targets)}); add it under [[stance.targets]] or remove it; "
                    "nothing was imported"
                )
            if label not in labels:
                raise InputError(
                    f"{path} document {number}: stance label {label!r} for {target!r} is not "
                    f"one of {', '.join(labels)}; nothing was imported"
                )


def _one_gold_per_text(path: Path, documents: list[GoldDocument]) -> dict[str, GoldDocument]:
    """The same text twice is fine with the same gold, refused with different gold."""
    by_id: dict[str, GoldDocument] = {}
    for number, gold in enumerate(documents, start=1):
        earlier = by_id.setdefault(gold.document.id, gold)
        if earlier.spans != gold.spans or earlier.stances != gold.stances:
            raise InputError(
                f"{path} document {number} repeats an earlier document's text with different "
                "gold; keep one of them; nothing was imported"
            )
    return by_id


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
