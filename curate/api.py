"""The Python API for researchers: a project's store, agreement and releases as pandas frames.

    import curate
    project = curate.open("path/to/project")
    spans = project.annotations()

Frames are built column-wise (Arrow to pandas), on SQLite and PostgreSQL, from a store opened
read-only: the database refuses any write. Every frame's columns and dtypes are in COLUMNS (and
docs/api.md, which a test keeps equal).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from curate.agreement import describe
from curate.agreement.data import AgreementData, load
from curate.agreement.figures import AgreementReport
from curate.agreement.frames import COLUMNS as AGREEMENT_COLUMNS
from curate.agreement.frames import document_frame, report_frame
from curate.domain.gold import stance_column
from curate.domain.pseudonyms import namer, project_salt
from curate.domain.splits import document_splits
from curate.errors import UsageError
from curate.frames import STRING, TEXT, WHEN, to_frame
from curate.project import Project
from curate.release import folder_bytes, folder_of
from curate.release.rows import ReleaseRows, collect_rows, pseudonymized
from curate.store import Store, queries
from curate.store.annotation_table import read_annotations
from curate.store.current import OPEN
from curate.store.database import default_url, open_store
from curate.store.tables import TIME, decision_table, document_table, shown_suggestion_table

# frame -> column -> dtype. "category" columns have the project's labels as categories, in
# curate.toml's order (then any other label found, sorted). gold() adds, per stance target T,
# `stance_T` (category) and `stance_T_method` (string) after `entities`; none when no target
# has a gold stance (as in releases).
COLUMNS: dict[str, dict[str, str]] = {
    "documents": {
        "id": TEXT,
        "title": TEXT,
        "text": TEXT,
        "source": TEXT,
        "characters": "int64",
        "created_at": WHEN,
    },
    "annotations.entities": {
        "document_id": TEXT,
        "annotator": TEXT,
        "revision": "int64",
        "origin": "category",
        "start": "int64",
        "end": "int64",
        "label": "category",
        "text": TEXT,
        "from_prelabel": "bool",
        "lead_time_seconds": "Float64",
        "created_at": WHEN,
    },
    "annotations.stances": {
        "document_id": TEXT,
        "annotator": TEXT,
        "revision": "int64",
        "origin": "category",
        "target": "category",
        "label": "category",
        "from_prelabel": "bool",
        "lead_time_seconds": "Float64",
        "created_at": WHEN,
    },
    "suggestions": {
        "document_id": TEXT,
        "kind": "category",
        "labeller": "category",
        "label": "category",
        "target": TEXT,
        "start": "Int64",
        "end": "Int64",
        "text": TEXT,
        "score": "Float64",
        "created_at": WHEN,
    },
    "decisions": {
        "id": "int64",
        "document_id": TEXT,
        "kind": "category",
        "target": TEXT,
        "method": "category",
        "open": "bool",
        "label": TEXT,
        "spans": "Int64",
        "decided_by": TEXT,
        "note": TEXT,
        "guideline_version": TEXT,
        "created_at": WHEN,
    },
    "gold.documents": {
        "id": TEXT,
        "split": "category",
        "title": TEXT,
        "text": TEXT,
        "source": TEXT,
        "entities": "object",
        "agreement": "Float64",
    },
    "gold.entities": {
        "document_id": TEXT,
        "split": "category",
        "start": "int64",
        "end": "int64",
        "label": "category",
        "text": TEXT,
        "method": "category",
    },
    "gold.stances": {
        "document_id": TEXT,
        "split": "category",
        "target": "category",
        "label": "category",
        "method": "category",
    },
    **{f"agreement.{by}": columns for by, columns in AGREEMENT_COLUMNS.items()},
    "releases": {
        "version": TEXT,
        "created_at": WHEN,
        "documents": "int64",
        "fingerprint": TEXT,
        "folder": TEXT,
        "bytes": "Int64",
    },
}


class ProjectFrames:
    """A project's data as pandas frames. Annotators are pseudonymized (as in releases) unless
    real_names; the pseudonym salt is the project's own (.curate/release-salt, made once)."""

    def __init__(self, root: Path, real_names: bool = False):
        if not (root / "curate.toml").is_file():
            raise UsageError(f"{root} has no curate.toml; give the folder of a curate project")
        self.project = Project.load(root)
        self.real_names = real_names
        self._store: Store | None = None
        # The agreement report, computed once per store state (annotations are append-only).
        self._agreement_data: tuple[tuple[int, int], AgreementData] | None = None
        self._agreement_reports: dict[tuple[int, int], AgreementReport] = {}

    def __enter__(self) -> ProjectFrames:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _read(self) -> Connection:
        if self._store is None:
            self._store = open_store(default_url(self.project.root), read_only=True)
        return self._store.engine.connect()

    def _salt(self) -> str | None:
        return None if self.real_names else project_salt(self.project.root)

    def documents(self) -> pd.DataFrame:
        """One row per document."""
        with self._read() as connection:
            table = document_table(connection)
        table = table.append_column("characters", pc.utf8_length(table["text"]))
        return to_frame(table, COLUMNS["documents"])

    def annotations(
        self,
        kind: Literal["entities", "stances"] = "entities",
        revisions: Literal["latest", "all"] = "latest",
    ) -> pd.DataFrame:
        """One row per span (kind "entities") or stance ("stances") of each annotation: the
        newest revision of each document and annotator, or every revision."""
        if kind not in ("entities", "stances") or revisions not in ("latest", "all"):
            raise UsageError(
                f"annotations(kind={kind!r}, revisions={revisions!r}): kind is 'entities' or "
                "'stances', revisions 'latest' or 'all'"
            )
        with self._read() as connection:
            table = read_annotations(connection, newest_only=revisions == "latest")
        salt = self._salt()
        table = pseudonymized(table, salt) if salt else table  # real names here in full
        settings = self.project.settings
        parts = table[kind].combine_chunks()
        rows = table.select(
            ["document_id", "annotator", "revision", "origin"]
            + ["from_prelabel", "lead_time_seconds", "created_at"]
        ).take(pc.list_parent_indices(parts))
        values = parts.flatten()
        names = ["start", "end", "label", "text"] if kind == "entities" else ["target", "label"]
        for name in names:
            rows = rows.append_column(name, values.field(name))
        labels = settings.entity_label_names() if kind == "entities" else settings.stance.labels
        categories = {"label": labels, "target": settings.target_names(), "origin": []}
        return to_frame(rows, COLUMNS[f"annotations.{kind}"], categories)

    def suggestions(self) -> pd.DataFrame:
        """The machine suggestions annotators are shown: of each labeller, the newest version
        run on the document."""
        with self._read() as connection:
            shown = shown_suggestion_table(connection)
        settings = self.project.settings
        labels = [*settings.entity_label_names(), *settings.stance.labels]
        return to_frame(shown, COLUMNS["suggestions"], {"label": labels})

    def decisions(self, current: bool = True) -> pd.DataFrame:
        """Adjudication decisions: each item's current one (the store's one definition), or
        with current False every decision ever made. `open` items wait for review."""
        with self._read() as connection:
            found = decision_table(connection, current)
        given = found["payload"].combine_chunks()
        spans = pc.list_value_length(given.field("spans"))
        found = found.drop_columns(["payload"])
        found = found.append_column("open", pc.equal(found["method"], OPEN))
        found = found.append_column("label", given.field("label"))
        found = found.append_column(
            "spans", pc.if_else(pc.equal(found["kind"], "entity"), spans, None)
        )
        return to_frame(found, COLUMNS["decisions"])

    def gold(self, kind: Literal["documents", "entities", "stances"] = "documents") -> pd.DataFrame:
        """Gold as the next release would hold it: with kind "documents" one row per document
        (the release's gold config, labels as names, stance columns per target), else one row
        per gold span or stance."""
        if kind not in ("documents", "entities", "stances"):
            raise UsageError(f"gold(kind={kind!r}): kind is 'documents', 'entities' or 'stances'")
        settings = self.project.settings
        with self._read() as connection:
            rows = collect_rows(connection, settings, self._salt())
            ids = rows.gold["id"].to_pylist()
            splits = document_splits(connection, ids, settings.release.splits)
        gold = rows.gold.append_column("split", pa.array([splits[i] for i in ids], STRING))
        split_names = list(settings.release.splits)
        if kind == "documents":
            return _gold_documents(gold, rows, split_names)
        if kind == "entities":
            return _gold_entities(gold, rows, split_names)
        return _gold_stances(gold, rows, split_names)

    def agreement(
        self,
        by: Literal["document", "target", "label", "pair"] = "document",
        resamples: int = 1000,
        seed: int = 0,
    ) -> pd.DataFrame:
        """The figures of `curate agreement --json`, one row per document, stance target,
        entity label (exact and overlap matching) or annotator pair (entities, and each
        target's Cohen's kappa). Nothing is stored."""
        if by not in ("document", "target", "label", "pair"):
            raise UsageError(f"agreement(by={by!r}): by is 'document', 'target', 'label' or 'pair'")
        with self._read() as connection:
            state = queries.annotation_state(connection)
            if self._agreement_data is None or self._agreement_data[0] != state:
                self._agreement_data = state, load(connection, self.project.settings)
                self._agreement_reports.clear()
            data = self._agreement_data[1]
            if by == "document":
                return document_frame(data)
            if (resamples, seed) not in self._agreement_reports:
                report = describe(connection, data, resamples, seed)
                self._agreement_reports[resamples, seed] = report.renamed(
                    namer(self.project.root, self.real_names)
                )
        return report_frame(by, self._agreement_reports[resamples, seed])

    def releases(self) -> pd.DataFrame:
        """One row per release of the project's dataset, oldest first; bytes is NA when the
        folder is gone."""
        with self._read() as connection:
            history = queries.release_history(connection, self.project.settings.release.name)
        rows = []
        for row in history:
            folder = folder_of(self.project, row["path"])
            rows.append(
                {
                    "version": row["version"],
                    "created_at": row["created_at"],
                    "documents": row["documents"] or 0,
                    "fingerprint": row["fingerprint"],
                    "folder": str(folder),
                    "bytes": folder_bytes(folder),
                }
            )
        schema = pa.schema(
            [
                ("version", STRING),
                ("created_at", TIME),
                ("documents", pa.int64()),
                ("fingerprint", STRING),
                ("folder", STRING),
                ("bytes", pa.int64()),
            ]
        )
        return to_frame(pa.Table.from_pylist(rows, schema=schema), COLUMNS["releases"])


def _after(spec: dict[str, str], column: str, more: dict[str, str]) -> dict[str, str]:
    """spec with `more` inserted after `column`."""
    out: dict[str, str] = {}
    for name, dtype in spec.items():
        out[name] = dtype
        if name == column:
            out |= more
    return out


def _gold_documents(gold: pa.Table, rows: ReleaseRows, split_names: list[str]) -> pd.DataFrame:
    spans = gold["entities"].combine_chunks()
    table, stance_columns = gold, dict[str, str]()
    for target in rows.targets:
        column = stance_column(target)
        index = gold[column].combine_chunks()
        given = pc.if_else(pc.less(index, 0), None, index)  # -1: no gold stance
        names = pc.take(pa.array(rows.stance_labels, STRING), given)
        table = table.set_column(table.schema.get_field_index(column), column, names)
        stance_columns |= {column: "category", column + "_method": TEXT}
    spec = _after(COLUMNS["gold.documents"], "entities", stance_columns)
    categories = {stance_column(t): rows.stance_labels for t in rows.targets}
    categories["split"] = split_names
    frame = to_frame(table, spec, categories)
    frame["entities"] = spans.to_pylist()
    return frame


def _gold_entities(gold: pa.Table, rows: ReleaseRows, split_names: list[str]) -> pd.DataFrame:
    spans = gold["entities"].combine_chunks()
    table = gold.select(["id", "split"]).take(pc.list_parent_indices(spans))
    table = table.rename_columns(["document_id", "split"])
    for name in ("start", "end", "label", "text", "method"):
        table = table.append_column(name, spans.flatten().field(name))
    categories = {"label": rows.entity_labels, "split": split_names, "method": []}
    return to_frame(table, COLUMNS["gold.entities"], categories)


def _gold_stances(gold: pa.Table, rows: ReleaseRows, split_names: list[str]) -> pd.DataFrame:
    parts = []
    for target in rows.targets:
        column = stance_column(target)
        chosen = gold.filter(pc.greater_equal(gold[column], 0))
        parts.append(
            pa.table(
                {
                    "document_id": chosen["id"],
                    "split": chosen["split"],
                    "target": pa.array([target] * chosen.num_rows, STRING),
                    "label": pc.take(pa.array(rows.stance_labels, STRING), chosen[column]),
                    "method": chosen[column + "_method"],
                }
            )
        )
    empty = pa.schema([(n, STRING) for n in COLUMNS["gold.stances"]]).empty_table()
    table = pa.concat_tables([empty, *parts]).sort_by(
        [("document_id", "ascending"), ("target", "ascending")]
    )
    categories = {
        "target": rows.targets,
        "label": rows.stance_labels,
        "split": split_names,
        "method": [],
    }
    return to_frame(table, COLUMNS["gold.stances"], categories)
