"""`curate prelabel --workers N`: the same suggestions as one process, in the same store
transactions; a worker that dies stops the run cleanly and a re-run finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copies_of_seeds
from sqlalchemy import select

from curate.prelabel import prelabel
from curate.project import Project
from curate.store import queries
from curate.store.schema import prelabel_runs, prelabels

LABELLERS = ["gazetteer.v1", "stance-cues.v1"]


def corpus(root: Path, copies: int) -> None:
    """The seeds and `copies` numbered copies of them, ingested."""
    more = copies_of_seeds(root, copies)
    for folder in (root / "seeds", more):
        done = subprocess.run(
            [sys.executable, "-m", "curate.cli", "--project", str(root), "ingest", str(folder)],
            capture_output=True,
        )
        assert done.returncode == 0, done.stderr


def stored(root: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    p, r = prelabels.c, prelabel_runs.c
    with Project.load(root).open_store().connect() as connection:
        rows = connection.execute(
            select(
                p.document_id,
                p.kind,
                p.labeller,
                p.label,
                p.target,
                p.start,
                p.end,
                p.text,
                p.score,
            )
        ).all()
        runs = connection.execute(select(r.document_id, r.labeller, r.suggestions)).all()
    return sorted(map(tuple, rows), key=repr), sorted(map(tuple, runs))


def test_two_workers_store_exactly_what_one_process_stores(
    project_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    corpus(project_dir, 300)
    twin = tmp_path_factory.mktemp("twin")
    for name in ("curate.toml", "gazetteer.jsonl", "guidelines.md"):
        (twin / name).write_bytes((project_dir / name).read_bytes())
    (twin / ".curate").mkdir()
    (twin / ".curate" / "curate.db").write_bytes(
        (project_dir / ".curate" / "curate.db").read_bytes()
    )
    reports = []
    for root, workers in ((project_dir, 1), (twin, 2)):
        project = Project.load(root)
        store = project.open_store()
        reports.append(prelabel(store, project.labeller_context(), LABELLERS, workers=workers))
        store.close()
    one, two = stored(project_dir), stored(twin)
    assert len(one[1]) == 2 * 308 and one == two
    assert [r.documents for r in reports[0].labellers] == [
        r.documents for r in reports[1].labellers
    ]


def test_a_worker_killed_mid_run_stops_the_run_cleanly_and_a_rerun_finishes(
    project_dir: Path,
) -> None:
    corpus(project_dir, 600)
    command = [sys.executable, "-m", "curate.cli", "--project", str(project_dir), "prelabel"]
    command += ["--workers", "2", "--labeller", "gazetteer.v1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while not workers and time.monotonic() < deadline and process.poll() is None:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        # The pool's workers: spawned Python processes (not the resource tracker).
        workers = [
            int(c)
            for c in children
            if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()
            and b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()
        ]
        time.sleep(0.05)
    assert workers, "no worker process was seen"
    os.kill(workers[0], signal.SIGKILL)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 1, output
    assert "a pre-labelling worker process died" in " ".join(output.split())
    assert "Traceback" not in output
    with Project.load(project_dir).open_store().connect() as connection:
        done = queries.count_documents_not_run(connection, _version(project_dir))
    assert done > 0  # it stopped before the end
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    with Project.load(project_dir).open_store().connect() as connection:
        assert queries.count_documents_not_run(connection, _version(project_dir)) == 0
        counts = dict(
            connection.execute(select(prelabel_runs.c.document_id, prelabel_runs.c.labeller)).all()
        )
    assert len(counts) == 608  # every document once


def _version(root: Path) -> str:
    from curate.prelabel.registry import create

    return create("gazetteer.v1", Project.load(root).labeller_context()).version
