"""What curate has made in Label Studio, as the store records it: each annotator's project, and
the tasks sent, one per annotator and document under the key `annotator/document_id` (made and
read only here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from curate.store import queries

SYSTEM = "labelstudio"
KIND = "task"


@dataclass(frozen=True)
class TaskKey:
    """One annotator's task for one document (names and ids hold no '/')."""

    annotator: str
    document_id: str

    def __str__(self) -> str:
        return f"{self.annotator}/{self.document_id}"

    @classmethod
    def parse(cls, text: str) -> TaskKey:
        annotator, _, document_id = text.partition("/")
        return cls(annotator, document_id)


def annotator_projects(connection: Connection) -> dict[str, int]:
    """Each annotator's Label Studio project, as push recorded it: annotator -> project id."""
    recorded = queries.external_ids(connection, SYSTEM, "project")
    return {annotator: int(project) for project, annotator in recorded.items()}


def sent_tasks(connection: Connection) -> dict[TaskKey, int]:
    """Every task the store has recorded: its key -> its Label Studio id."""
    recorded = queries.external_ids(connection, SYSTEM, KIND)
    return {TaskKey.parse(local): int(task) for task, local in recorded.items()}


def tasks_of(connection: Connection, annotator: str) -> dict[str, int]:
    """The tasks recorded for this annotator: document id -> Label Studio id."""
    return {k.document_id: t for k, t in sent_tasks(connection).items() if k.annotator == annotator}


def record_tasks(connection: Connection, annotator: str, tasks: Iterable[tuple[str, int]]) -> None:
    """Record (document id, Label Studio task id) pairs as this annotator's tasks."""
    pairs = [(str(TaskKey(annotator, document)), str(task)) for document, task in tasks]
    queries.insert_external_ids(connection, SYSTEM, KIND, pairs)
