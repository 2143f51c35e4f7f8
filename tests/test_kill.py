"""`kill -9` at several moments of a pre-labelling run, and in the middle of writing a release:
no process of curate's survives, no file is left outside the project, and the next run finishes
the job."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import agree_on_the_suggestions, copies_of_seeds

from curate.project import Project
from curate.store import queries

CURATE = [sys.executable, "-m", "curate.cli"]
MOMENTS = [0.5, 1.5, 3.0, 5.0]  # seconds after start: importing, reading, writing, finishing


def run(root: Path, scratch: Path, *args: str, kill_after: float | None = None) -> int | None:
    """curate in a session of its own, TMPDIR in `scratch`; killed with SIGKILL after
    kill_after seconds (if still running). Returns its exit code, None when killed."""
    environment = os.environ | {"TMPDIR": str(scratch)}
    process = subprocess.Popen(
        [*CURATE, "--project", str(root), *args],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        code = process.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        code = None
    deadline = time.monotonic() + 10  # worker processes notice their parent is gone
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return code  # nothing of its session is left
        time.sleep(0.1)
    raise AssertionError(f"processes of curate's session outlived it: {args}")


# What a curate process can leave in /dev/shm when killed: Python's multiprocessing semaphores
# and shared memory, joblib's memory-mapping folders. Other programs' entries (the PostgreSQL
# server of a parallel test worker makes PostgreSQL.*) are not curate's to clean up.
CURATE_MADE = ("sem.mp-", "psm_", "joblib_memmapping_folder_", "sem.loky-")


def shared_memory() -> set[str]:
    if not os.path.isdir("/dev/shm"):
        return set()
    return {name for name in os.listdir("/dev/shm") if name.startswith(CURATE_MADE)}


def no_shared_memory_left(before: set[str]) -> bool:
    """True when nothing curate-made is in /dev/shm beyond `before`. A parallel test's live
    curate process may hold an entry for a moment; one a killed process left stays for good."""
    deadline = time.monotonic() + 10
    while shared_memory() - before:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def intact(root: Path) -> None:
    with sqlite3.connect(root / ".curate" / "curate.db") as database:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.fixture
def many(project_dir: Path) -> Path:
    """The seeds and 400 more documents made from them: runs that last a few seconds."""
    more = copies_of_seeds(project_dir, 400)
    assert run(project_dir, project_dir, "ingest", str(project_dir / "seeds")) == 0
    assert run(project_dir, project_dir, "ingest", str(more)) == 0
    return project_dir


def test_prelabel_killed_at_any_moment_leaves_nothing_and_resumes(
    many: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    scratch = tmp_path_factory.mktemp("tmp")
    before = shared_memory()
    labellers = ["--labeller", "gazetteer.v1", "--labeller", "stance-cues.v1"]
    for moment in MOMENTS:
        run(many, scratch, "prelabel", *labellers, kill_after=moment)
        intact(many)
        assert not list(scratch.iterdir()) and no_shared_memory_left(before)
    assert run(many, scratch, "prelabel", *labellers) == 0
    with Project.load(many).open_store().connect() as connection:
        counts = queries.stage_counts(connection)
    assert counts["pre-labelled"] == counts["documents"] == 408
    assert not list(scratch.iterdir())


def test_a_release_killed_while_writing_leaves_nothing_and_resumes(
    many: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The kill lands while the release writes: its scratch folder (exports/NAME/.v1.0.0-*,
    renamed into place only when whole) is there and the process is still running."""
    project = Project.load(many)
    scratch = tmp_path_factory.mktemp("tmp")
    labellers = ["--labeller", "gazetteer.v1", "--labeller", "stance-cues.v1"]
    assert run(many, scratch, "prelabel", *labellers) == 0
    agree_on_the_suggestions(project)
    before = shared_memory()
    exports = many / "exports" / project.settings.release.name
    process = subprocess.Popen(
        [*CURATE, "--project", str(many), "release", "--version", "1.0.0"],
        env=os.environ | {"TMPDIR": str(scratch)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and not list(exports.glob(".v1.0.0-*")):
        assert time.monotonic() < deadline, "the release never started writing"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the release finished before the kill landed"
    assert list(exports.glob(".v1.0.0-*")) and not (exports / "v1.0.0").exists()
    intact(many)
    assert not list(scratch.iterdir()) and no_shared_memory_left(before)
    with project.open_store().connect() as connection:
        assert queries.release_history(connection, project.settings.release.name) == []
    assert run(many, scratch, "release", "--version", "1.0.0") == 0
    with project.open_store().connect() as connection:
        [recorded] = queries.release_history(connection, project.settings.release.name)
    assert recorded["version"] == "1.0.0" and recorded["documents"] > 0
    assert (exports / "v1.0.0" / "checksums.sha256").is_file()
    shutil.rmtree(scratch)
