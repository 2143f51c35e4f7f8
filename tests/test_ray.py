"""`curate prelabel --engine ray` against a real local Ray cluster (`ray start --head`): the
same suggestions as a local run, a killed actor leaving the store consistent, a re-run
finishing the job, and a default run that never imports Ray."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from test_workers import corpus, stored

from curate.prelabel import prelabel
from curate.project import Project
from curate.store import queries
from curate.store.schema import prelabel_runs, prelabels

LABELLERS = ["gazetteer.v1", "stance-cues.v1", "spacy-ner.v1"]


def twin_of(root: Path, twin: Path) -> Path:
    for name in ("curate.toml", "gazetteer.jsonl", "guidelines.md"):
        (twin / name).write_bytes((root / name).read_bytes())
    (twin / ".curate").mkdir()
    (twin / ".curate" / "curate.db").write_bytes((root / ".curate" / "curate.db").read_bytes())
    return twin


def test_ray_stores_exactly_what_a_local_run_stores(
    project_dir: Path, ray_cluster: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    corpus(project_dir, 60)
    twin = twin_of(project_dir, tmp_path_factory.mktemp("twin"))
    reports = []
    for root, engine in ((project_dir, "local"), (twin, "ray")):
        project = Project.load(root)
        store = project.open_store()
        reports.append(
            prelabel(
                store, project.labeller_context(), LABELLERS, engine=engine, address=ray_cluster
            )
        )
        store.close()
    local, remote = stored(project_dir), stored(twin)
    assert len(local[1]) == 3 * 68 and len(local[0]) > 500
    assert local == remote  # same payloads, same labeller versions, same run records
    assert [r.suggestions for r in reports[0].labellers] == [
        r.suggestions for r in reports[1].labellers
    ]
    assert not reports[1].failed


def consistent(root: Path, version: str) -> int:
    """Checks the store after a killed run; returns how many documents this version labelled."""
    with sqlite3.connect(root / ".curate" / "curate.db") as database:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Project.load(root).open_store().connect() as connection:
        runs = connection.execute(
            select(prelabel_runs.c.document_id, prelabel_runs.c.suggestions).where(
                prelabel_runs.c.labeller == version
            )
        ).all()
        found = dict(
            connection.execute(
                select(prelabels.c.document_id, func.count())
                .where(prelabels.c.labeller == version)
                .group_by(prelabels.c.document_id)
            ).all()
        )
    documents = [d for d, _ in runs]
    assert len(documents) == len(set(documents))  # no document labelled twice
    assert all(found.get(d, 0) == n for d, n in runs)  # each run record matches what it wrote
    assert set(found) <= set(documents)  # nothing written without its run record
    return len(documents)


def test_an_actor_killed_mid_run_leaves_the_store_consistent_and_a_rerun_finishes(
    project_dir: Path, ray_cluster: str
) -> None:
    corpus(project_dir, 400)
    command = [sys.executable, "-m", "curate.cli", "--project", str(project_dir), "prelabel"]
    command += ["--engine", "ray", "--address", ray_cluster, "--labeller", "spacy-ner.v1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and process.poll() is None:
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    line = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"MapWorker(MapBatches(Labelling))" in line:
                    os.kill(int(pid), signal.SIGKILL)
                    killed = int(pid)
                    break
        time.sleep(0.2)
    assert killed is not None, "no labeller actor was seen"
    output, _ = process.communicate(timeout=600)
    assert "Traceback" not in output, output
    version = _version(project_dir)
    first = consistent(project_dir, version)
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert consistent(project_dir, version) == 408 >= first
    with Project.load(project_dir).open_store().connect() as connection:
        assert queries.count_documents_not_run(connection, version) == 0


def test_the_default_path_imports_nothing_from_ray(project_dir: Path) -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from curate.cli import app; "
        f"r = CliRunner().invoke(app, ['--project', {str(project_dir)!r}, 'ingest', "
        f"{str(project_dir / 'seeds')!r}]); assert r.exit_code == 0, r.output; "
        f"r = CliRunner().invoke(app, ['--project', {str(project_dir)!r}, 'prelabel', "
        "'--labeller', 'gazetteer.v1']); assert r.exit_code == 0, r.output; "
        "assert not [m for m in sys.modules if m == 'ray' or m.startswith('ray.')], 'ray'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _version(root: Path) -> str:
    from curate.prelabel.registry import create

    return create("spacy-ner.v1", Project.load(root).labeller_context()).version
