"""What Label Studio holds against what the store recorded, so a push never sends a document
twice: not after curate was killed mid-import, nor after a server that answered too late.

Each import is written ahead: the batch's documents are recorded as "in flight" before the
request and settled in the transaction that records the new task ids. An unsettled batch on the
next push means the answer was lost; the server is then asked which documents it has (tasks
carry `doc_id`) before anything is sent again.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from curate.labelstudio.client import call
from curate.labelstudio.tasks import SYSTEM, annotator_projects, record_tasks, sent_tasks, tasks_of
from curate.store import Store, queries

PAGE = 1000  # tasks per page when listing a project


@dataclass
class ServerTasks:
    by_document: dict[str, list[int]] = field(default_factory=dict)  # doc_id -> task ids
    annotated: dict[int, int] = field(default_factory=dict)  # task id -> annotations
    skipped: dict[int, int] = field(default_factory=dict)  # task id -> skips (cancelled)
    without_doc_id: list[int] = field(default_factory=list)

    def is_open(self, task_id: int) -> bool:
        """Nobody has annotated or skipped it yet."""
        return not self.annotated.get(task_id) and not self.skipped.get(task_id)

    @property
    def duplicates(self) -> dict[str, list[int]]:
        return {d: ids for d, ids in self.by_document.items() if len(ids) > 1}


def server_tasks(client: Any, project_id: int, url: str) -> ServerTasks:
    found = call(
        lambda: list(client.tasks.list(project=project_id, page_size=PAGE)),
        f"list the tasks of project {project_id}",
        url,
    )
    tasks = ServerTasks()
    for task in sorted(found, key=lambda t: t.id):
        document_id = (task.data or {}).get("doc_id")
        if document_id is None:
            tasks.without_doc_id.append(task.id)
            continue
        tasks.by_document.setdefault(str(document_id), []).append(task.id)
        tasks.annotated[task.id] = int(getattr(task, "total_annotations", 0) or 0)
        tasks.skipped[task.id] = int(getattr(task, "cancelled_annotations", 0) or 0)
    return tasks


def in_flight_key(project_id: int) -> str:
    return f"import-in-flight:{project_id}"


def mark_in_flight(connection: Connection, project_id: int, documents: Sequence[str]) -> str:
    batch = uuid.uuid4().hex
    value = json.dumps({"batch": batch, "documents": list(documents)})
    queries.set_marker(connection, SYSTEM, in_flight_key(project_id), value)
    return batch


def settle(connection: Connection, project_id: int) -> None:
    queries.set_marker(connection, SYSTEM, in_flight_key(project_id), f"settled {uuid.uuid4().hex}")


def unsettled(connection: Connection, project_id: int) -> list[str]:
    """Documents of an import whose answer never arrived (empty when the last one settled)."""
    value = queries.last_marker(connection, SYSTEM, in_flight_key(project_id))
    if not value or not value.startswith("{"):
        return []
    return list(json.loads(value)["documents"])


@dataclass
class Reconciled:
    adopted: int = 0  # tasks on the server the store had not recorded: now recorded
    duplicates: dict[str, list[int]] = field(default_factory=dict)
    waited: float = 0.0


def reconcile(
    client: Any,
    store: Store,
    annotator: str,
    project_id: int,
    url: str,
    wait: float,
) -> Reconciled:
    """Record every task the server holds for this project that the store does not know yet.

    Cheap when nothing went wrong: the server's task count is compared with the store's first,
    and the project is listed only when they differ or an import did not settle. Documents of an
    unsettled import that are still missing are waited for up to `wait` seconds (the server may
    be importing them still); after that they count as lost and are sent again."""
    result = Reconciled()
    with store.connect() as connection:
        in_flight = unsettled(connection, project_id)
        recorded = set(tasks_of(connection, annotator))
    counted = _task_count(client, project_id, url)
    if counted == len(recorded) and not in_flight:
        return result
    started = time.monotonic()
    while True:
        tasks = server_tasks(client, project_id, url)
        missing = [d for d in in_flight if d not in tasks.by_document]
        result.waited = time.monotonic() - started
        if not missing or result.waited >= wait:
            break
        time.sleep(min(1.0, wait - result.waited))
    adopt = [(d, ids[0]) for d, ids in tasks.by_document.items() if d not in recorded]
    with store.transaction() as connection:
        record_tasks(connection, annotator, adopt)
        settle(connection, project_id)
    result.adopted = len(adopt)
    result.duplicates = tasks.duplicates
    return result


def _task_count(client: Any, project_id: int, url: str) -> int:
    project = call(lambda: client.projects.get(id=project_id), "read a project", url)
    return int(project.task_number or 0)


@dataclass
class Checkup:
    tasks: dict[str, int] = field(default_factory=dict)  # annotator -> tasks on the server
    duplicates: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    unrecorded: dict[str, int] = field(default_factory=dict)  # on the server, not in the store
    missing: dict[str, list[str]] = field(default_factory=dict)  # in the store, not on the server
    without_doc_id: dict[str, list[int]] = field(default_factory=dict)
    deleted: list[int] = field(default_factory=list)
    kept_annotated: dict[str, list[int]] = field(default_factory=dict)  # copies with labels


def doctor(client: Any, store: Store, url: str, fix: bool = False) -> Checkup:
    """Compare each annotator's Label Studio project with the store. With `fix`, delete the
    extra copies of a duplicated task that nobody has annotated (labelled copies stay: human
    labels are never thrown away; `curate pull` reads them all)."""
    checkup = Checkup()
    with store.connect() as connection:
        projects = annotator_projects(connection)
        recorded = sent_tasks(connection)
    for annotator, project_id in sorted(projects.items()):
        tasks = server_tasks(client, project_id, url)
        checkup.tasks[annotator] = sum(len(ids) for ids in tasks.by_document.values())
        mine = {k.document_id: t for k, t in recorded.items() if k.annotator == annotator}
        on_server = {t for ids in tasks.by_document.values() for t in ids}
        checkup.unrecorded[annotator] = len(on_server - set(mine.values()))
        checkup.missing[annotator] = sorted(d for d, t in mine.items() if t not in on_server)
        if tasks.without_doc_id:
            checkup.without_doc_id[annotator] = tasks.without_doc_id
        if not tasks.duplicates:
            continue
        checkup.duplicates[annotator] = tasks.duplicates
        for document_id, ids in tasks.duplicates.items():
            keep = mine.get(document_id, ids[0])
            keep = keep if keep in ids else ids[0]
            labelled = [t for t in ids if t != keep and tasks.annotated.get(t)]
            if labelled:
                checkup.kept_annotated.setdefault(annotator, []).extend(labelled)
            for extra in ids:
                if fix and extra != keep and extra not in labelled:
                    call(
                        lambda t=extra: client.tasks.delete(id=t),  # type: ignore[misc]
                        f"delete duplicate task {extra}",
                        url,
                    )
                    checkup.deleted.append(extra)
    return checkup
