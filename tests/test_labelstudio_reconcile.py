"""A push that dies mid-import, or whose server answers after curate gave up, never leaves a
document with two tasks: against the real Label Studio, with kill -9 and SIGSTOP/SIGCONT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from curate.labelstudio.client import LabelStudioError, connect
from curate.labelstudio.push import push
from curate.labelstudio.reconcile import doctor, server_tasks, unsettled
from curate.project import Project
from curate.records import Document
from curate.store import Store, queries

CURATE = Path(sys.executable).with_name("curate")


def _documents(store: Store, count: int, words: int = 40) -> None:
    filler = " ".join(["The delegation met in Muscat to discuss sanctions"] * (words // 8))
    with store.transaction() as connection:
        queries.insert_documents(
            connection,
            [Document(text=f"Report {n}. {filler}", title=f"r{n}") for n in range(count)],
        )


def _one_task_per_assignment(store: Store, client: Any, url: str) -> None:
    checkup = doctor(client, store, url)
    assert checkup.duplicates == {}
    with store.connect() as connection:
        for name in ("alice", "bob", "carol"):
            assigned = len(queries.assignments_of(connection, name))
            assert checkup.tasks[name] == assigned
            assert checkup.unrecorded[name] == 0 and checkup.missing[name] == []


def _use_server(project_dir: Path, url: str) -> None:
    config = project_dir / "curate.toml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("[labelstudio]", f'[labelstudio]\nurl = "{url}"', 1), "utf-8")


def _in_flight(store: Store) -> bool:
    """An import is written ahead and not settled yet (read as any reader of the store)."""
    with store.connect() as connection:
        projects = queries.external_ids(connection, "labelstudio", "project")
        return any(unsettled(connection, int(p)) for p in projects)


def _ready_to_push(
    project_dir: Path, labelstudio: tuple[str, str], documents: int
) -> tuple[Store, dict[str, str]]:
    """A project using the session's server with `documents` stored; its store and the
    environment a `curate push` process needs."""
    url, token = labelstudio
    _use_server(project_dir, url)
    store = Project.load(project_dir).open_store()
    _documents(store, documents)
    return store, os.environ | {"LABEL_STUDIO_API_KEY": token}


def test_kill_9_during_an_import_then_a_rerun_makes_no_duplicates(
    project_dir: Path, labelstudio: tuple[str, str]
) -> None:
    url, token = labelstudio
    store, environment = _ready_to_push(project_dir, labelstudio, 1500)
    running = subprocess.Popen(
        [str(CURATE), "--project", str(project_dir), "push"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not _in_flight(store):
        assert running.poll() is None, "push ended before any import started"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)  # the request is on its way (or already being imported)
    running.send_signal(signal.SIGKILL)
    running.wait()
    again = subprocess.run(
        [str(CURATE), "--project", str(project_dir), "push", "--wait", "15"],
        env=environment,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    with connect(url, token) as client:
        _one_task_per_assignment(store, client, url)
    store.close()


def test_a_server_frozen_past_the_timeout_then_a_rerun_makes_no_duplicates(
    project_dir: Path, labelstudio_server: Any, labelstudio: tuple[str, str]
) -> None:
    url, token = labelstudio
    project = Project.load(project_dir)
    store = project.open_store()
    _documents(store, 30)
    group = int(labelstudio_server.pid_file.read_text().strip())
    # The server stalls for 4 s, past the client's 3 s timeout, then wakes up.
    wake = threading.Timer(4, os.killpg, (group, signal.SIGCONT))
    with connect(url, token, timeout=3) as client:
        real_import = client.projects.import_tasks

        def frozen_import(*args: Any, **kwargs: Any) -> Any:
            os.killpg(group, signal.SIGSTOP)  # the server takes the request, then stalls
            wake.start()
            return real_import(*args, **kwargs)

        client.projects.import_tasks = frozen_import
        with pytest.raises(LabelStudioError, match="did not answer in time"):
            push(store, project, client, url)
    wake.join()  # the server is awake; push(wait=30) polls for what it was sent
    with connect(url, token) as client:
        report = push(store, project, client, url, wait=30)
        with store.connect() as connection:
            first_batch = len(queries.assignments_of(connection, "alice"))
        assert report.adopted == first_batch  # found on the server, not sent again
        _one_task_per_assignment(store, client, url)
    store.close()


def test_doctor_finds_and_fixes_duplicates_but_keeps_labelled_copies(
    project_dir: Path, labelstudio: tuple[str, str]
) -> None:
    url, token = labelstudio
    project = Project.load(project_dir)
    store = project.open_store()
    _documents(store, 6)
    with connect(url, token) as client:
        push(store, project, client, url)
        with store.connect() as connection:
            projects = {
                a: int(p)
                for p, a in queries.external_ids(connection, "labelstudio", "project").items()
            }
        # Someone imports alice's tasks again by hand: every document twice.
        tasks = server_tasks(client, projects["alice"], url)
        copies = [
            {"data": dict(client.tasks.get(id=ids[0]).data)} for ids in tasks.by_document.values()
        ]
        answer = client.projects.import_tasks(
            id=projects["alice"], request=copies, return_task_ids=True
        )
        labelled = answer.task_ids[0]
        alice = next(u.id for u in client.users.list() if u.email == "alice@example.org")
        client.annotations.create(id=labelled, result=[], completed_by=alice)
        found = doctor(client, store, url)
        assert len(found.duplicates["alice"]) == len(copies) and found.unrecorded["alice"] == len(
            copies
        )
        fixed = doctor(client, store, url, fix=True)
        assert len(fixed.deleted) == len(copies) - 1
        assert fixed.kept_annotated == {"alice": [labelled]}
        after = doctor(client, store, url)
        assert len(after.duplicates["alice"]) == 1  # only the copy with alice's annotation
    store.close()


def test_an_in_flight_record_of_any_size_fits_either_store(store: Store) -> None:
    """The write-ahead record of an import holds the batch's document ids: 5,000 of them fit
    PostgreSQL's schema as well as SQLite's (it once went into a 128-character column)."""
    from curate.labelstudio.reconcile import mark_in_flight, settle, unsettled

    batch = [f"doc_{n:060d}" for n in range(5000)]
    with store.transaction() as connection:
        mark_in_flight(connection, 7, batch)
    with store.connect() as connection:
        assert unsettled(connection, 7) == batch
        assert unsettled(connection, 8) == []
    with store.transaction() as connection:
        settle(connection, 7)
    with store.connect() as connection:
        assert unsettled(connection, 7) == []


def test_a_second_push_is_refused_at_once_and_two_at_a_time_make_no_duplicates(
    project_dir: Path, labelstudio: tuple[str, str]
) -> None:
    from curate.locks import one_run_at_a_time

    url, token = labelstudio
    store, environment = _ready_to_push(project_dir, labelstudio, 40)
    command = [str(CURATE), "--project", str(project_dir), "push"]
    with one_run_at_a_time(project_dir, "push", "then"):  # as a running push holds it
        started = time.monotonic()
        refused = subprocess.run(command, env=environment, capture_output=True, text=True)
        assert time.monotonic() - started < 30  # at once: it does not wait for the holder
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"another `curate push` is running (pid {os.getpid()})" in refused.stderr
    with store.connect() as connection:
        assert queries.assignment_map(connection) == {}  # refused before assigning anything
    both = [
        subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for running in both:
        running.communicate(timeout=300)
    codes = sorted(p.returncode for p in both)
    assert codes in ([0, 0], [0, 2]), codes  # the second refused, or started after the first
    with connect(url, token) as client:
        _one_task_per_assignment(store, client, url)
    store.close()
