"""The learning loop reaches Label Studio (a real server): a push refreshes the predictions of
tasks nobody has worked on, spares annotated ones, and Label Studio itself serves the most
uncertain open task next (a kill in the middle of the refresh: test_loop_converges.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from conftest import copies_of_seeds
from test_train import weapon_story
from test_train_runs import _small_training

from curate.ingest import ingest
from curate.labelstudio.client import connect
from curate.labelstudio.push import push
from curate.prelabel import prelabel, trust
from curate.prelabel.base import current_artefact
from curate.prelabel.train import train
from curate.prelabel.uncertainty import rank
from curate.project import Project
from curate.store import Store, queries
from curate.suggestions import shown

CURATE = [sys.executable, "-m", "curate.cli"]
ORDER = ["gazetteer.v1", "spacy-ner.v2", "stance-learned.v1", "stance-cues.v2"]


def _use_server(project_dir: Path, url: str) -> None:
    config = project_dir / "curate.toml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("[labelstudio]", f'[labelstudio]\nurl = "{url}"', 1), "utf-8")


def _predictions(client: Any, project_id: int) -> dict[int, list[Any]]:
    """task id -> its predictions, oldest first."""
    found: dict[int, list[Any]] = {}
    for p in sorted(client.predictions.list(project=project_id), key=lambda p: p.id):
        found.setdefault(int(p.task), []).append(p)
    return found


def _open_tasks(client: Any, project_id: int) -> dict[str, Any]:
    """doc id -> task, for tasks nobody annotated or skipped."""
    return {
        t.data["doc_id"]: t
        for t in client.tasks.list(project=project_id, fields="all")
        if not t.total_annotations and not t.cancelled_annotations
    }


def _without_predictions(store: Store, annotator: str) -> set[str]:
    with store.connect() as connection:
        controls = {d for d, who in queries.control_pairs(connection) if who == annotator}
        return queries.blind_documents(connection) | controls


def _every_open_task_holds_one(
    client: Any, store: Store, projects: dict[str, int], model_version: str
) -> int:
    """Each open task holds exactly one prediction, of model_version (none when blind or a
    control); returns how many open tasks hold one."""
    holding = 0
    for annotator, project_id in projects.items():
        quiet = _without_predictions(store, annotator)
        predictions = _predictions(client, project_id)
        for document_id, task in _open_tasks(client, project_id).items():
            held = predictions.get(task.id, [])
            with store.connect() as connection:
                suggested = shown(queries.prelabels_for(connection, document_id), ORDER)
            if document_id in quiet or not suggested:
                assert held == [], (annotator, document_id)
            else:
                assert [p.model_version for p in held] == [model_version], (annotator, held)
                holding += 1
    return holding


def test_a_retrained_model_reaches_every_open_task_and_the_annotated_one_keeps_its_own(
    project_dir: Path, labelstudio: tuple[str, str], project_database: str
) -> None:
    url, token = labelstudio
    _small_training(project_dir, steps=30)
    project = Project.load(project_dir)
    store = project.open_store()
    ingest(store, [project_dir / "seeds"], base_dir=project_dir)
    context = project.labeller_context()
    prelabel(store, context)
    with connect(url, token) as client:
        first = push(store, project, client, url, blind_fraction=0.25)
        assert sum(first.refreshed.values()) == 0  # every task was new
        alice = first.projects["alice"]
        quiet = _without_predictions(store, "alice")
        opened = next(t for d, t in _open_tasks(client, alice).items() if d not in quiet)
        seen = _predictions(client, alice)[opened.id]
        users = {u.email: u.id for u in client.users.list()}
        client.annotations.create(
            id=opened.id, result=list(seen[0].result), completed_by=users["alice@example.org"]
        )

        # Gold arrives, the entity model is trained on it, the documents are labelled again.
        gold = project_dir / "gold.jsonl"
        lines = []
        for n in range(16):
            text, spans = weapon_story(n)
            kept = [
                {"start": s.start, "end": s.end, "label": s.label, "text": s.text}
                for s in spans
                if s.label != "WEAPON"
            ]
            lines.append(json.dumps({"text": text, "spans": kept}))
        gold.write_text("\n".join(lines) + "\n", "utf-8")
        imported = subprocess.run(
            [*CURATE, "--project", str(project_dir), "import-gold", str(gold)],
            capture_output=True,
            text=True,
        )
        assert imported.returncode == 0, imported.stdout + imported.stderr
        trained = train(store, context)
        assert trained.ner.folder is not None
        relabelled = prelabel(store, context)
        assert any(f"ner-{trained.ner.version}" in r.labeller for r in relabelled.labellers)

        waiting = 0  # open tasks with predictions before the second push
        left_out = trust.in_use(context.models_dir).left_out  # what training found unhelpful
        for annotator, project_id in first.projects.items():
            quiet = _without_predictions(store, annotator)
            with store.connect() as connection:
                waiting += len(
                    [
                        d
                        for d in _open_tasks(client, project_id)
                        if d not in quiet
                        and shown(queries.prelabels_for(connection, d), ORDER, left_out)
                    ]
                )
        second = push(store, project, client, url)
        assert f"ner-{trained.ner.version}" in second.model_version
        holding = _every_open_task_holds_one(client, store, second.projects, second.model_version)
        assert sum(second.refreshed.values()) == waiting > 0 and holding >= waiting
        # The annotated task keeps what alice was shown.
        assert [p.id for p in _predictions(client, alice)[opened.id]] == [p.id for p in seen]
        again = push(store, project, client, url)
        assert sum(again.refreshed.values()) == 0 and sum(again.new_tasks.values()) == 0
    store.close()


def test_label_studio_serves_the_most_uncertain_open_task_next(
    project_dir: Path, labelstudio: tuple[str, str]
) -> None:
    """Each annotator has a project of their own, so Label Studio's uncertainty sampling takes
    the open task with the lowest prediction score of the project's model_version: its place in
    curate's queue (the held-out splits, then most uncertain first); asked twice, after the first
    is annotated, it serves the next one."""
    url, token = labelstudio
    config = project_dir / "curate.toml"
    config.write_text(config.read_text().replace('order = "id"', 'order = "uncertain"'))
    project = Project.load(project_dir)
    store = project.open_store()
    ingest(store, [project_dir / "seeds"], base_dir=project_dir)
    prelabel(store, project.labeller_context(), ["gazetteer.v1", "spacy-ner.v1", "stance-cues.v1"])
    with connect(url, token) as client:
        report = push(store, project, client, url)
        alice = report.projects["alice"]
        settings = client.projects.get(id=alice)
        assert settings.sampling == "Uncertainty sampling"
        assert settings.model_version == report.model_version
        users = {u.email: u.id for u in client.users.list()}
        quiet = _without_predictions(store, "alice")
        for _ in range(2):
            with store.connect() as connection:
                found = rank(
                    connection, project.settings, queries.assignments_of(connection, "alice")
                )
            waiting = _open_tasks(client, alice)
            first = next(d for d in found.order if d in waiting and d not in quiet)
            served = httpx.get(
                f"{url}/api/projects/{alice}/next", headers={"Authorization": f"Token {token}"}
            )
            assert served.status_code == 200, served.text
            task = served.json()
            assert task["data"]["doc_id"] == first
            assert task["predictions"][0]["score"] == found.score(first)
            client.annotations.create(
                id=task["id"], result=[], completed_by=users["alice@example.org"]
            )
    store.close()


def _loop(project_dir: Path, token: str) -> str:
    done = subprocess.run(
        [*CURATE, "--project", str(project_dir), "loop"],
        env=os.environ | {"LABEL_STUDIO_API_KEY": token, "COLUMNS": "200"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _row(output: str, step: str) -> str:
    """The table row of a step, as "step what it did"."""
    rows = [line.replace("│", " ").split() for line in output.splitlines()]
    [row] = [row for row in rows if row and row[0] == step]
    return " ".join(row)


def test_the_loop_over_two_cycles_trains_on_the_new_gold_and_refreshes_open_tasks(
    project_dir: Path, labelstudio: tuple[str, str]
) -> None:
    url, token = labelstudio
    _use_server(project_dir, url)
    _small_training(project_dir, steps=30)
    config = project_dir / "curate.toml"
    config.write_text(config.read_text().replace("retrain_after = 20", "retrain_after = 2"))
    more = copies_of_seeds(project_dir, 24)
    project = Project.load(project_dir)
    store = project.open_store()
    ingest(store, [project_dir / "seeds", more], base_dir=project_dir)
    prelabel(store, project.labeller_context(), ["gazetteer.v1", "stance-cues.v2"])
    store.close()

    first = _loop(project_dir, token)
    assert _row(first, "pull").startswith("pull 0 new annotation revisions")
    assert "not trained" in _row(first, "train")  # no gold yet
    assert _row(first, "push").startswith("push 64 new tasks")  # 32 documents x overlap 2

    # alice and bob accept every suggestion of their tasks; carol has not started.
    store = project.open_store()
    with connect(url, token) as client:
        users = {u.email: u.id for u in client.users.list()}
        with store.connect() as connection:
            projects = {
                who: int(ext)
                for ext, who in queries.external_ids(connection, "labelstudio", "project").items()
            }
        for who in ("alice", "bob"):
            predictions = _predictions(client, projects[who])
            for task in client.tasks.list(project=projects[who]):
                held = predictions.get(task.id, [])
                client.annotations.create(
                    id=task.id,
                    result=list(held[0].result) if held else [],
                    completed_by=users[f"{who}@example.org"],
                )
        carol_open = len(_open_tasks(client, projects["carol"]))
    second = _loop(project_dir, token)
    assert "new annotation revisions" in _row(second, "pull")
    assert not _row(second, "pull").startswith("pull 0 ")
    assert not _row(second, "adjudicate").startswith("adjudicate 0 ")
    # The row counts what the model learned from, as its manifest says.
    folder = current_artefact(project_dir / ".curate" / "models" / "ner")
    assert folder is not None
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    trained, dev = len(manifest["train_documents"]), len(manifest["dev_documents"])
    assert _row(second, "train") == (
        f"train entity model {folder.name} (trained on {trained + dev} gold documents: "
        f"{trained} train, {dev} dev)"
    )
    assert not _row(second, "prelabel").startswith("prelabel skipped")
    # The model version names every labeller's newest version and what training measured as
    # worth showing (a new measure refreshes open tasks too).
    in_use = trust.in_use(Project.load(project_dir).labeller_context().models_dir)
    assert in_use.version is not None
    with store.connect() as connection:
        newest = ", ".join([*queries.newest_labeller_versions(connection), in_use.label()])
    assert "ner-" in newest and "trust+" in newest
    with connect(url, token) as client:
        held = _predictions(client, projects["carol"])
        assert {p.model_version for ps in held.values() for p in ps} == {newest}
        assert all(len(ps) == 1 for ps in held.values())
    # Every open task of carol's holding a prediction got the new one (the model version
    # changed for all); tasks of documents with nothing to suggest stay without.
    assert 0 < len(held) <= carol_open
    assert _row(second, "push") == f"push 0 new tasks, {len(held)} open tasks refreshed"
    store.close()
