"""`curate loop` converges from whatever state it finds (a real Label Studio server): killed with
SIGKILL after `train` made a model CURRENT, in the middle of `prelabel`, and in the middle of the
refresh, the next turn ends with every open task holding exactly one prediction, equal to what
the store now shows from the CURRENT model."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import copies_of_seeds
from test_labelstudio_refresh import _predictions, _use_server, _without_predictions
from test_train_runs import _small_training

from curate.ingest import ingest
from curate.labelstudio.client import connect
from curate.loop import run_cycle
from curate.prelabel import prelabel, trust
from curate.prelabel.base import current_artefact
from curate.prelabel.train import train
from curate.project import Project
from curate.store import queries
from curate.suggestions import shown

CURATE = [sys.executable, "-m", "curate.cli"]


def _current_model(root: Path) -> str | None:
    folder = current_artefact(root / ".curate" / "models" / "ner")
    return folder.name if folder else None


def _runs_of(root: Path, version: str) -> int:
    """Documents the entity labeller of model `version` has labelled (read as the store is)."""
    with sqlite3.connect(root / ".curate" / "curate.db") as database:
        query = "SELECT count(*) FROM prelabel_runs WHERE labeller LIKE ?"
        return int(database.execute(query, (f"%ner-{version}%",)).fetchone()[0])


def _kill_loop_when(root: Path, token: str, moment: Callable[[], bool]) -> None:
    """Start `curate loop` and SIGKILL it as soon as `moment()` holds."""
    running = subprocess.Popen(
        [*CURATE, "--project", str(root), "loop"],
        env=os.environ | {"LABEL_STUDIO_API_KEY": token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not moment():
        assert running.poll() is None, "the loop ended before the moment to kill it"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(running.pid, signal.SIGKILL)
    running.wait()


def _turn(root: Path, url: str, token: str) -> dict[str, str]:
    """One turn of the loop in this process (what `curate loop` runs): step -> what it did."""
    project = Project.load(root)
    store = project.open_store()
    with connect(url, token) as client:
        report = run_cycle(store, project, client, url)
    store.close()
    return {step.name: step.did for step in report.steps}


def _train_and_prelabel(root: Path, prelabel_too: bool) -> None:
    """`curate train` (and `curate prelabel`), as a user would run them beside the loop."""
    project = Project.load(root)
    store = project.open_store()
    assert train(store, project.labeller_context()).ner.folder is not None
    if prelabel_too:
        prelabel(store, project.labeller_context())
    store.close()


def _spans(result: list[Any]) -> set[tuple[int, int, str]]:
    return {
        (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
        for r in result
        if r["type"] == "labels"
    }


def _converged(root: Path, url: str, token: str) -> int:
    """Every open task holds exactly the prediction the store shows, from the CURRENT entity
    model; returns how many open tasks hold one."""
    project = Project.load(root)
    model = _current_model(root)
    assert model is not None
    left_out = trust.in_use(project.labeller_context().models_dir).left_out
    order = project.settings.prelabel.labellers
    store = project.open_store()
    holding = 0
    with connect(url, token) as client, store.connect() as connection:
        projects = queries.external_ids(connection, "labelstudio", "project")
        for project_id, annotator in projects.items():
            quiet = _without_predictions(store, annotator)
            predictions = _predictions(client, int(project_id))
            for task in client.tasks.list(project=int(project_id), fields="all"):
                if task.total_annotations or task.cancelled_annotations:
                    continue
                document_id = task.data["doc_id"]
                suggestions = queries.prelabels_for(connection, document_id)
                runs = queries.newest_runs(connection, [document_id])[document_id]
                [entity] = [r for r in runs if r.startswith("spacy-ner")]
                assert f"ner-{model}" in entity, (document_id, entity)
                wanted = shown(suggestions, order, left_out)
                held = predictions.get(task.id, [])
                if document_id in quiet or not wanted:
                    assert held == [], (annotator, document_id)
                    continue
                assert len(held) == 1, (annotator, document_id, len(held))
                assert f"ner-{model}" in held[0].model_version
                assert _spans(held[0].result) == {
                    (p.start, p.end, p.label) for p in wanted if p.kind == "entity"
                }
                holding += 1
    store.close()
    return holding


def test_the_loop_killed_after_train_mid_prelabel_and_mid_refresh_converges(
    project_dir: Path, labelstudio: tuple[str, str]
) -> None:
    url, token = labelstudio
    _use_server(project_dir, url)
    _small_training(project_dir, steps=10)
    config = project_dir / "curate.toml"
    text = config.read_text("utf-8").replace("retrain_after = 20", "retrain_after = 2")
    # Two documents a batch, each stored as it is done: a kill can land between batches.
    config.write_text(text.replace("batch_size = 64", "batch_size = 2"), "utf-8")
    more = copies_of_seeds(project_dir, 6)
    project = Project.load(project_dir)
    store = project.open_store()
    ingest(store, [project_dir / "seeds", more], base_dir=project_dir)
    with store.connect() as connection:
        documents = len(queries.document_ids(connection))
    store.close()
    _turn(project_dir, url, token)  # no gold yet: tasks pushed with the installed pipeline's labels

    # alice and bob accept every suggestion; carol's tasks stay open.
    store = project.open_store()
    with connect(url, token) as client:
        users = {u.email: u.id for u in client.users.list()}
        with store.connect() as connection:
            projects = queries.external_ids(connection, "labelstudio", "project")
        for project_id, who in projects.items():
            if who == "carol":
                continue
            held = _predictions(client, int(project_id))
            for task in client.tasks.list(project=int(project_id)):
                given = held.get(task.id, [])
                client.annotations.create(
                    id=task.id,
                    result=list(given[0].result) if given else [],
                    completed_by=users[f"{who}@example.org"],
                )
    store.close()

    # 1. Killed right after train made the new model CURRENT.
    _kill_loop_when(project_dir, token, lambda: _current_model(project_dir) is not None)
    first = _current_model(project_dir)
    assert first is not None and _runs_of(project_dir, first) == 0
    did = _turn(project_dir, url, token)
    assert did["train"] == (
        "skipped: 0 new gold documents since the model in use; 2 more to retrain "
        "([train] retrain_after = 2)"
    )
    assert _converged(project_dir, url, token) > 0

    # 2. A new model from `curate train` (another step count), then the loop killed while it
    # pre-labels with it.
    _small_training(project_dir, steps=11)
    _train_and_prelabel(project_dir, prelabel_too=False)
    second = _current_model(project_dir)
    assert second not in (None, first)
    _kill_loop_when(project_dir, token, lambda: 0 < _runs_of(project_dir, second or ""))
    assert 0 < _runs_of(project_dir, second or "") < documents  # killed mid-prelabel
    _turn(project_dir, url, token)
    assert _converged(project_dir, url, token) > 0

    # 3. Another model, pre-labelled, then the loop killed in the middle of the refresh.
    _small_training(project_dir, steps=12)
    _train_and_prelabel(project_dir, prelabel_too=True)
    third = _current_model(project_dir)
    assert third not in (None, second)
    carol = int(next(p for p, who in projects.items() if who == "carol"))

    def refreshing() -> bool:
        with connect(url, token) as client:
            versions = [p.model_version for p in client.predictions.list(project=carol)]
        return any(f"ner-{third}" in v for v in versions)

    _kill_loop_when(project_dir, token, refreshing)
    _turn(project_dir, url, token)
    assert _converged(project_dir, url, token) > 0
