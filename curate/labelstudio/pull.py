"""`curate pull`: annotations from every annotator's project into the store, append-only.

The first pull of a project takes one JSON export of it; later pulls ask only for tasks updated
since the previous pull (Data Manager filter on updated_at). Each project is stored in one
transaction together with its pull marker, so a pull killed half-way and run again ends with the
same store as an uninterrupted one. An annotation's Label Studio id and updated_at key its revision:
an edited annotation becomes a new revision, an unchanged one is never stored twice."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from curate import jsontext
from curate.errors import StoreError
from curate.labelstudio.client import call
from curate.labelstudio.convert import (
    FROM_PREDICTION,
    ConversionReport,
    Labelled,
    Rules,
    convert,
)
from curate.labelstudio.label_config import TEXT_NAME
from curate.labelstudio.schema import Prediction, Task
from curate.labelstudio.server import data_dir_of, export_copies
from curate.labelstudio.tasks import SYSTEM, annotator_projects
from curate.project import Project
from curate.records import Annotation
from curate.store import Store, queries

STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass
class PullReport:
    tasks_read: int = 0
    new_annotations: int = 0
    known_annotations: int = 0
    skipped: int = 0
    full_exports: int = 0
    conversion: ConversionReport = field(default_factory=ConversionReport)
    text_mismatches: list[str] = field(default_factory=list)


def _fetch(client: Any, project_id: int, since: str | None, url: str) -> list[Task]:
    if since is None:
        raw = call(
            lambda: b"".join(
                client.projects.exports.download_sync(
                    project_id, export_type="JSON", download_all_tasks=True
                )
            ),
            f"export project {project_id}",
            url,
        )
        tasks = jsontext.parse(raw, f"Label Studio's export of project {project_id}", StoreError)
        return [Task.model_validate(t) for t in tasks]
    query = {
        "filters": {
            "conjunction": "and",
            "items": [
                {
                    "filter": "filter:tasks:updated_at",
                    "operator": "greater",
                    "type": "Datetime",
                    "value": since,
                }
            ],
        }
    }
    tasks = call(
        lambda: list(client.tasks.list(project=project_id, query=json.dumps(query), fields="all")),
        f"list updated tasks of project {project_id}",
        url,
    )
    return [Task.model_validate(t.model_dump() if hasattr(t, "model_dump") else t) for t in tasks]


def shown_predictions(
    client: Any, project_id: int, tasks: list[Task], url: str
) -> dict[tuple[str, int], Prediction]:
    """The predictions annotators started from, by ("id", prediction id) and ("task", task id),
    to tell which suggestions they kept. Read once per project, only when some annotation did
    start from one (a JSON export lists a task's predictions by id only)."""
    started = any(
        a.parent_prediction or any(r.origin in FROM_PREDICTION for r in a.result)
        for t in tasks
        for a in t.annotations
    )
    if not started:
        return {}
    found = call(
        lambda: list(client.predictions.list(project=project_id)),
        f"read the predictions of project {project_id}",
        url,
    )
    shown: dict[tuple[str, int], Prediction] = {}
    for item in found:
        prediction = Prediction.model_validate(
            item.model_dump() if hasattr(item, "model_dump") else item
        )
        if prediction.id is not None:
            shown[("id", prediction.id)] = prediction
        if prediction.task is not None:
            shown.setdefault(("task", prediction.task), prediction)  # curate sends one per task
    return shown


def pull(
    store: Store,
    project: Project,
    client: Any,
    url: str,
    full: bool = False,
    export_dir: Path | None = None,
) -> PullReport:
    """export_dir: where the Label Studio server keeps the copy of each full export it hands
    out (default: the local server's, under .curate/labelstudio); the copies, every task text
    and annotation, are removed once stored."""
    report = PullReport()
    if export_dir is None:
        export_dir = data_dir_of(project.root) / "export"
    rules = Rules.of("labelstudio", project.settings, guideline_version=project.guideline_version())
    with store.connect() as connection:
        projects = annotator_projects(connection)
        users = {
            int(ext): local
            for ext, local in queries.external_ids(connection, SYSTEM, "user").items()
        }
    for annotator, project_id in sorted(projects.items()):
        with store.connect() as connection:
            since = None if full else queries.last_marker(connection, SYSTEM, f"pull:{project_id}")
        started = datetime.now(UTC).strftime(STAMP)
        tasks = _fetch(client, project_id, since, url)
        report.full_exports += since is None
        reading = _Reading(
            rules, report, annotator, users, shown_predictions(client, project_id, tasks, url)
        )
        with store.transaction() as connection:
            new, keys = reading.new_annotations(connection, tasks)
            queries.add_annotations(connection, new)
            queries.insert_external_ids(connection, SYSTEM, "annotation", keys)
            report.new_annotations += len(new)
            queries.set_marker(connection, SYSTEM, f"pull:{project_id}", started)
        if since is None:
            for copy in export_copies(export_dir, project_id):
                copy.unlink(missing_ok=True)
    return report


@dataclass(frozen=True)
class _Reading:
    """How one project's tasks are read: annotator is the project's, whose work an annotation
    of a user curate did not make is taken to be; shown, the predictions its tasks were sent."""

    rules: Rules
    report: PullReport
    annotator: str
    users: dict[int, str]
    shown: dict[tuple[str, int], Prediction]

    def new_annotations(
        self, connection: Connection, tasks: list[Task]
    ) -> tuple[list[Annotation], list[tuple[str, str]]]:
        """The annotations (and their keys) the store does not hold yet, in that revision."""
        report = self.report
        seen = queries.external_ids(connection, SYSTEM, "annotation")
        documents = queries.documents_by_ids(
            connection, sorted({str(t.data.get("doc_id")) for t in tasks})
        )
        new, keys = [], []
        for task in tasks:
            report.tasks_read += 1
            document_id = str(task.data.get("doc_id"))
            document = documents.get(document_id)
            if document is None:
                report.text_mismatches.append(
                    f"task {task.id}: document {document_id!r} is not in the store; skipped"
                )
                continue
            if task.data.get(TEXT_NAME) != document.text:
                report.text_mismatches.append(
                    f"task {task.id}: its text differs from stored {document_id}; the stored "
                    "text is used for offsets"
                )
            for ls_annotation in task.annotations:
                stamp = ls_annotation.updated_at.isoformat() if ls_annotation.updated_at else ""
                key = f"{ls_annotation.id}@{stamp}"
                if key in seen:
                    report.known_annotations += 1
                    continue
                name = self.users.get(ls_annotation.user_id or -1, self.annotator)
                predicted = self.shown.get(
                    ("id", ls_annotation.parent_prediction or -1)
                ) or self.shown.get(("task", task.id))
                labelled = Labelled(
                    ls_annotation, document_id, document.text, name, task.id, predicted
                )
                new.append(convert(labelled, self.rules, report.conversion))
                keys.append((document_id, key))
                seen[key] = document_id
                report.skipped += ls_annotation.was_cancelled
        return new, keys
