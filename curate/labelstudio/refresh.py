"""Refresh the predictions of Label Studio tasks nobody has worked on yet, so a retrained
labeller reaches the browser too.

A task is open while it has no annotation and no skip; an open task gets the prediction the
store now shows for its document when its current one differs (labeller versions or content).
Tasks someone annotated or skipped keep the prediction they were shown (the anchoring and
suggestion-use figures depend on it); blind and control tasks never get one.

Every prediction of a push carries the same model_version (the newest version of each labeller
in the store), and the project's model_version is set to it: Label Studio shows that version's
predictions, and its "Uncertainty sampling" serves the tasks holding a prediction of the
project's model_version lowest score first. With `[assignment] order = "uncertain"` the score is
1 - the document's uncertainty, so each annotator's next task is the most uncertain open one.

Safe to kill: the new prediction is made before the old ones are deleted, and a re-run keeps the
newest matching prediction of each task and deletes the rest, so a task ends with exactly one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from curate.labelstudio.client import NO_RETRY, call
from curate.labelstudio.reconcile import ServerTasks

UNCERTAINTY_SAMPLING = "Uncertainty sampling"
SEQUENTIAL_SAMPLING = "Sequential sampling"


@dataclass
class Refreshed:
    tasks: int = 0  # open tasks given a new prediction (or their stale one removed)
    holding: int = 0  # open tasks that now hold a prediction of this push


def content(prediction: dict[str, Any]) -> str:
    """What an annotator would see of a prediction, comparable across the API's shapes."""
    results = sorted(
        json.dumps({k: r.get(k) for k in ("from_name", "to_name", "type", "value")}, sort_keys=True)
        for r in prediction.get("result") or []
    )
    score = prediction.get("score")
    return json.dumps(
        [prediction.get("model_version") or "", results, None if score is None else round(score, 4)]
    )


def _as_dict(item: Any) -> dict[str, Any]:
    return dict(item.model_dump() if hasattr(item, "model_dump") else item)


def sampling(uncertain: bool) -> str:
    return UNCERTAINTY_SAMPLING if uncertain else SEQUENTIAL_SAMPLING


def set_project_version(
    client: Any, project_id: int, model_version: str, sampling: str, url: str
) -> None:
    """Label Studio accepts a project model_version only once a prediction of it exists."""
    call(
        lambda: client.projects.update(
            id=project_id, model_version=model_version, sampling=sampling
        ),
        "set the project's model version",
        url,
    )


def refresh(
    client: Any,
    project_id: int,
    tasks: ServerTasks,
    wanted: dict[str, list[dict[str, Any]]],
    url: str,
) -> Refreshed:
    """wanted: document id -> the predictions (0 or 1) its open task should hold now; documents
    left out (blind, control) are not touched."""
    found: dict[int, list[dict[str, Any]]] = {}
    listed = call(
        lambda: list(client.predictions.list(project=project_id)),
        f"read the predictions of project {project_id}",
        url,
    )
    for item in listed:
        prediction = _as_dict(item)
        task = prediction.get("task")
        if isinstance(task, dict):
            task = task.get("id")
        if task is not None:
            found.setdefault(int(task), []).append(prediction)
    report = Refreshed()
    for document_id, predictions in wanted.items():
        want = content(predictions[0]) if predictions else None
        for task_id in tasks.by_document.get(document_id, []):
            if not tasks.is_open(task_id):
                continue
            held = sorted(found.get(task_id, []), key=lambda p: int(p["id"]))
            keep = [p for p in held if content(p) == want]
            if predictions and not keep:
                made = call(
                    lambda p=predictions[0], t=task_id: client.predictions.create(  # type: ignore[misc]
                        task=t,
                        result=p["result"],
                        score=p["score"],
                        model_version=p["model_version"],
                        request_options=NO_RETRY,
                    ),
                    f"give task {task_id} its new prediction",
                    url,
                    retry=False,
                )
                keep = [_as_dict(made)]
            stale = [p for p in held if not keep or int(p["id"]) != int(keep[-1]["id"])]
            for prediction in stale:
                call(
                    lambda i=int(prediction["id"]): client.predictions.delete(id=i),  # type: ignore[misc]
                    f"delete an old prediction of task {task_id}",
                    url,
                )
            report.holding += bool(keep)
            report.tasks += bool(stale) or (bool(predictions) and not held)
    return report
