"""Push and pull against a real Label Studio server (started once per test session)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from curate.ingest import ingest
from curate.labelstudio.client import LabelStudioError, connect
from curate.labelstudio.pull import pull
from curate.labelstudio.push import push
from curate.labelstudio.server import healthy_url
from curate.prelabel import prelabel
from curate.project import Project
from curate.records import Document
from curate.store import Store, queries

EMOJI_TEXT = "😀👩‍👩‍👧 Khamenei met Qaani in Tehran."
CRLF_TEXT = "The Quds Force commander\r\nQassem Soleimani was killed in Baghdad."


def _push_the_seeds(
    project_dir: Path, labelstudio: tuple[str, str]
) -> Iterator[tuple[Project, Store, Any, str]]:
    url, token = labelstudio
    project = Project.load(project_dir)
    store = project.open_store()
    ingest(store, [project_dir / "seeds"], base_dir=project_dir)  # the 8 seed articles
    with store.transaction() as connection:
        queries.insert_documents(
            connection,
            [Document(text=EMOJI_TEXT, title="emoji"), Document(text=CRLF_TEXT, title="crlf")],
        )
    prelabel(store, project.labeller_context(), ["gazetteer.v1", "stance-cues.v1"])
    with connect(url, token) as client:
        report = push(store, project, client, url, blind_fraction=0.3)
        assert sum(report.new_tasks.values()) == 20  # 10 documents x overlap 2
        yield project, store, client, url
    store.close()


@pytest.fixture
def pushed(
    project_dir: Path, labelstudio: tuple[str, str]
) -> Iterator[tuple[Project, Store, Any, str]]:
    """The seeds and two hard texts pushed."""
    yield from _push_the_seeds(project_dir, labelstudio)


@pytest.fixture
def pushed_on_either_store(
    project_dir: Path, labelstudio: tuple[str, str], project_database: str
) -> Iterator[tuple[Project, Store, Any, str]]:
    """The same, on SQLite and on PostgreSQL."""
    yield from _push_the_seeds(project_dir, labelstudio)


def _tasks(client: Any, project_id: int) -> dict[str, Any]:
    return {t.data["doc_id"]: t for t in client.tasks.list(project=project_id, fields="all")}


def _projects(store: Store) -> dict[str, int]:
    """annotator -> their Label Studio project id."""
    with store.connect() as connection:
        pairs = queries.external_ids(connection, "labelstudio", "project").items()
    return {annotator: int(project_id) for project_id, annotator in pairs}


def _user_ids(client: Any) -> dict[str, int]:
    return {u.email: u.id for u in client.users.list()}


def test_each_annotator_project_holds_only_their_documents(
    pushed: tuple[Project, Store, Any, str],
) -> None:
    project, store, client, url = pushed
    with store.connect() as connection:
        projects = queries.external_ids(connection, "labelstudio", "project")
        blind = queries.blind_documents(connection)
        for project_id, annotator in projects.items():
            tasks = _tasks(client, int(project_id))
            assert sorted(tasks) == sorted(queries.assignments_of(connection, annotator))
            for document_id, task in tasks.items():
                assert bool(task.predictions) == (document_id not in blind)
    again = push(store, project, client, url)
    assert sum(again.new_tasks.values()) == 0


def test_round_trip_keeps_offsets_and_a_second_pull_adds_nothing(
    pushed_on_either_store: tuple[Project, Store, Any, str],
) -> None:
    project, store, client, url = pushed_on_either_store
    users = _user_ids(client)
    emoji_id, crlf_id = Document(text=EMOJI_TEXT).id, Document(text=CRLF_TEXT).id
    made: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    with store.connect() as connection:
        projects = queries.external_ids(connection, "labelstudio", "project")
    for project_id, annotator in projects.items():
        email = next(a.email for a in project.settings.annotators if a.name == annotator)
        for document_id, task in _tasks(client, int(project_id)).items():
            if document_id not in (emoji_id, crlf_id):
                continue  # the seed articles stay unlabelled here
            if document_id == emoji_id:
                start = EMOJI_TEXT.index("Khamenei")
                result = [
                    {
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {
                            "start": start,
                            "end": start + 8,
                            "text": "Khamenei",
                            "labels": ["PERSON"],
                        },
                    }
                ]
                spans = [(start, start + 8, "PERSON")]
            else:
                start = CRLF_TEXT.index("commander")
                end = CRLF_TEXT.index(" was")
                label = "PERSON" if annotator != "carol" else "ORG"  # a conflict
                result = [
                    {
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {
                            "start": start,
                            "end": end,
                            "text": "commander\\nQassem Soleimani",
                            "labels": [label],
                        },
                    },
                    {
                        "from_name": "stance_iran",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": ["against"]},
                    },
                ]
                spans = [(start, end, label)]
            client.annotations.create(
                id=task.id, result=result, completed_by=users[email], lead_time=12.5
            )
            made[(document_id, annotator)] = spans
    first = pull(store, project, client, url)
    assert first.new_annotations == len(made) == 4
    assert first.conversion.repairs == {"escaped line break": 2}
    assert first.full_exports == 3
    with store.connect() as connection:
        for (document_id, annotator), spans in made.items():
            [stored] = queries.annotation_history(connection, document_id, annotator)
            document = queries.get_document(connection, document_id)
            assert document is not None
            assert [(s.start, s.end, s.label) for s in stored.spans] == spans
            assert all(document.text[s.start : s.end] == s.text for s in stored.spans)
            assert stored.origin == "labelstudio" and stored.lead_time_seconds == 12.5
            assert stored.guideline_version == project.guideline_version() == "1.0"
    second = pull(store, project, client, url)
    assert (second.new_annotations, second.full_exports) == (0, 0)


def test_an_edit_is_a_new_revision_and_a_skip_is_recorded(
    pushed: tuple[Project, Store, Any, str],
) -> None:
    project, store, client, url = pushed
    users = _user_ids(client)
    projects = _projects(store)
    tasks = _tasks(client, projects["alice"])
    document_id, task = next(iter(tasks.items()))
    choice = [
        {
            "from_name": "stance_iran",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": ["neutral"]},
        }
    ]
    annotation = client.annotations.create(
        id=task.id, result=choice, completed_by=users["alice@example.org"]
    )
    pull(store, project, client, url)
    choice[0]["value"] = {"choices": ["favor"]}
    client.annotations.update(id=annotation.id, result=choice)
    if len(tasks) > 1:
        other = list(tasks.values())[1]
        client.annotations.create(
            id=other.id, result=[], was_cancelled=True, completed_by=users["alice@example.org"]
        )
    report = pull(store, project, client, url)
    assert report.full_exports == 0
    with store.connect() as connection:
        history = queries.annotation_history(connection, document_id, "alice")
    assert [[s.label for s in a.stances] for a in history] == [["neutral"], ["favor"]]
    if len(tasks) > 1:
        assert report.skipped == 1


def test_a_wrong_token_and_a_stopped_server_say_what_to_do(
    pushed: tuple[Project, Store, Any, str],
    labelstudio: tuple[str, str],
) -> None:
    project, store, _, url = pushed
    with (
        connect(url, "0" * 40) as wrong,
        pytest.raises(
            LabelStudioError, match="refused the token .* set LABEL_STUDIO_API_KEY"
        ) as refused,
    ):
        pull(store, project, wrong, url)
    assert "0" * 40 not in str(refused.value)  # the message never repeats the token
    closed = "http://127.0.0.1:9"
    with (
        connect(closed, "x") as nowhere,
        pytest.raises(LabelStudioError, match="cannot reach Label Studio .* labelstudio serve"),
    ):
        pull(store, project, nowhere, closed)


def _annotation_rows(url: str) -> list[tuple[object, ...]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT document_id, annotator, revision, origin, spans, stances, external_id "
                "FROM annotations ORDER BY document_id, annotator, revision"
            )
        ).all()
        keys = connection.execute(
            text(
                "SELECT external_id FROM sync_state WHERE kind = 'annotation' ORDER BY external_id"
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows] + [tuple(k) for k in keys]


def test_a_pull_killed_half_way_and_run_again_ends_like_an_uninterrupted_one(
    project_dir: Path, labelstudio: tuple[str, str], tmp_path: Path
) -> None:
    import shutil
    import signal
    import subprocess
    import sys
    import time

    from sqlalchemy import create_engine, text

    url, token = labelstudio
    config = project_dir / "curate.toml"
    config.write_text(
        config.read_text().replace('# url = "https://labelstudio.example.org"', f'url = "{url}"'),
        encoding="utf-8",
    )
    project = Project.load(project_dir)
    store = project.open_store()
    with store.transaction() as connection:
        queries.insert_documents(
            connection, [Document(text=f"Report {n}: Khamenei spoke in Tehran.") for n in range(45)]
        )
    with connect(url, token) as client:
        push(store, project, client, url)
        users = _user_ids(client)
        with store.connect() as connection:
            projects = queries.external_ids(connection, "labelstudio", "project")
        for project_id, annotator in projects.items():
            email = next(a.email for a in project.settings.annotators if a.name == annotator)
            for task in _tasks(client, int(project_id)).values():
                client.annotations.create(
                    id=task.id,
                    completed_by=users[email],
                    result=[
                        {
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {
                                "start": 11,
                                "end": 19,
                                "text": "Khamenei",
                                "labels": ["PERSON"],
                            },
                        }
                    ],
                )
    store.close()
    database = project_dir / ".curate" / "curate.db"
    reference = tmp_path / "reference.db"
    shutil.copy(database, reference)
    environment = os.environ | {"LABEL_STUDIO_API_KEY": token}
    command = [sys.executable, "-m", "curate.cli", "--project", str(project_dir), "pull"]

    subprocess.run(
        command,
        env=environment | {"CURATE_DB_URL": f"sqlite:///{reference}"},
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    engine = create_engine(f"sqlite:///{database}")
    markers = 0
    while process.poll() is None and markers == 0:
        with engine.connect() as connection:
            markers = connection.execute(
                text(
                    "SELECT count(*) FROM sync_state WHERE kind = 'marker' "
                    "AND local_id LIKE 'pull:%'"
                )
            ).scalar_one()
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    engine.dispose()
    assert markers < 3, "the pull finished before it could be killed half-way"
    rerun = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert token not in rerun.stdout + rerun.stderr
    assert _annotation_rows(f"sqlite:///{database}") == _annotation_rows(f"sqlite:///{reference}")
    assert len(_annotation_rows(f"sqlite:///{database}")) == 2 * 90


def test_guidelines_are_the_instructions_and_a_config_change_is_checked(
    pushed: tuple[Project, Store, Any, str],
) -> None:
    from curate.errors import UsageError

    project, store, client, url = pushed
    projects = _projects(store)
    remote = client.projects.get(id=projects["alice"])
    assert "Annotation guidelines" in (remote.expert_instruction or "")
    assert remote.show_instruction is True
    users = _user_ids(client)
    task = next(iter(_tasks(client, projects["alice"]).values()))
    client.annotations.create(
        id=task.id,
        completed_by=users["alice@example.org"],
        result=[
            {
                "from_name": "stance_iran",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["neutral"]},
            }
        ],
    )
    pull(store, project, client, url)
    config = project.root / "curate.toml"
    original = config.read_text()
    # Dropping EVENT, which nobody used, re-pushes the config.
    event = '[[entity_labels]]\nname = "EVENT"\nhotkey = "e"\ncolour = "#8c564b"\n'
    config.write_text(
        original.replace(event, "").replace('EVENT = "EVENT"\n', ""), encoding="utf-8"
    )
    push(store, Project.load(project.root), client, url)
    assert 'value="EVENT"' not in client.projects.get(id=projects["alice"]).label_config
    # Dropping a stance label an annotation uses is refused, naming it.
    config.write_text(original.replace(', "neutral"', ""), encoding="utf-8")
    with pytest.raises(UsageError, match="drops neutral, which existing annotations use"):
        push(store, Project.load(project.root), client, url)


def test_starting_from_a_prediction_and_changing_it_are_recorded(
    pushed: tuple[Project, Store, Any, str],
) -> None:
    project, store, client, url = pushed
    users = _user_ids(client)
    projects = _projects(store)
    made = {}
    for annotator in ("alice", "bob", "carol"):
        for document_id, task in _tasks(client, projects[annotator]).items():
            if not task.predictions:
                continue
            prediction = task.predictions[0]
            result = [dict(r) for r in prediction.result]
            changed = annotator == "bob"
            if changed:
                result = result[:-1]  # bob rejects one suggestion
            email = f"{annotator}@example.org"
            client.annotations.create(
                id=task.id,
                result=result,
                completed_by=users[email],
                parent_prediction=prediction.id,
            )
            made[(document_id, annotator)] = changed
    assert made, "no task was pushed with predictions"
    pull(store, project, client, url)
    with store.connect() as connection:
        for (document_id, annotator), changed in made.items():
            [stored] = queries.annotation_history(connection, document_id, annotator)
            assert stored.from_prelabel is True
            assert stored.prelabel_changed is changed


def test_suggestion_use_comes_from_result_origins_without_parent_prediction(
    pushed: tuple[Project, Store, Any, str],
) -> None:
    """Label Studio 1.23's web UI leaves parent_prediction empty and marks each result copied from
    a prediction with origin "prediction" (or "prediction-changed" once edited)."""
    from curate.report import measure

    project, store, client, url = pushed
    users = _user_ids(client)
    projects = _projects(store)
    made = {}
    for document_id, task in _tasks(client, projects["alice"]).items():
        spans = (
            [dict(r) for r in task.predictions[0].result if r["type"] == "labels"]
            if task.predictions
            else []
        )
        if len(spans) < 3:
            continue
        kept, edited, _dropped = spans[0], spans[1], spans[2]  # the third is deleted
        edited = edited | {
            "value": edited["value"] | {"labels": ["EVENT"]},
            "origin": "prediction-changed",
        }
        result = [
            kept | {"origin": "prediction"},
            edited,
            *(s | {"origin": "prediction"} for s in spans[3:]),
        ]
        client.annotations.create(
            id=task.id, result=result, completed_by=users["alice@example.org"]
        )
        made[document_id] = (kept["value"], edited["value"], _dropped["value"], len(spans))
    assert made, "no task of alice's has three suggested spans"
    pull(store, project, client, url)
    with store.connect() as connection:
        for document_id, (kept, edited, dropped, shown) in made.items():
            [stored] = queries.annotation_history(connection, document_id, "alice")
            assert stored.from_prelabel is True and stored.prelabel_changed is True
            use = stored.suggestion_use
            assert use is not None
            assert [kept["start"], kept["end"]] in [entry[:2] for entry in use["accepted"]]
            assert [[u[0], u[1]] for u in use["changed"]] == [[edited["start"], edited["end"]]]
            assert [[u[0], u[1]] for u in use["rejected"]] == [[dropped["start"], dropped["end"]]]
            assert len(use["accepted"]) == shown - 2
        report = measure(connection, project.settings, resamples=20)
    assert report.anchoring["alice"]["suggested"].started_from_suggestions == len(made)


def test_the_server_runs_without_outbound_error_reporting(labelstudio_server: Any) -> None:
    """Label Studio reports errors to its Sentry by default; the helper switches that off."""
    pid = int(labelstudio_server.pid_file.read_text().strip())
    environment = dict(
        item.split("=", 1)
        for item in Path(f"/proc/{pid}/environ").read_text("utf-8", "replace").split("\0")
        if "=" in item
    )
    assert environment["SENTRY_DSN"] == "" and environment["FRONTEND_SENTRY_DSN"] == ""
    assert environment["COLLECT_ANALYTICS"] == "false"
    assert "sentry.io" not in labelstudio_server.log_file.read_text("utf-8", "replace")


# Read inside a Label Studio process: its quiet settings, and whether Sentry is set up there.
INSIDE = """
import json, os, sentry_sdk
names = ("SENTRY_DSN", "FRONTEND_SENTRY_DSN", "COLLECT_ANALYTICS", "LATEST_VERSION_CHECK",
         "LABEL_STUDIO_BASE_DATA_DIR")
print("INSIDE", json.dumps({"environment": {n: os.environ.get(n) for n in names},
      "sentry": sentry_sdk.VERSION, "sentry_active": sentry_sdk.get_client().is_active()}))
"""


def test_a_management_command_gets_the_servers_quiet_environment(labelstudio_server: Any) -> None:
    """`reset_password`, `version`, `shell`... start from the one environment function: with
    the locked sentry-sdk 3 a command run without it dies in Label Studio's Sentry set-up, and
    with sentry-sdk 2 it would report errors, task text included, to Label Studio's Sentry."""
    from curate.labelstudio.server import manage

    shell = manage(labelstudio_server, "shell", stdin=INSIDE)
    assert shell.returncode == 0
    line = next(x for x in shell.stdout.splitlines() if "INSIDE " in x)
    inside = json.loads(line.split("INSIDE ", 1)[1])
    assert inside["environment"] == {
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "COLLECT_ANALYTICS": "false",
        "LATEST_VERSION_CHECK": "false",
        "LABEL_STUDIO_BASE_DATA_DIR": str(labelstudio_server.data_dir),
    }
    assert inside["sentry_active"] is False, inside


def test_the_server_command_line_holds_no_secret(labelstudio_server: Any) -> None:
    """`ps` shows every process's command line to every local user: the admin password and
    the API token reach Label Studio through its environment instead."""
    from curate.labelstudio.server import credentials

    secret = credentials(labelstudio_server)
    pid = int(labelstudio_server.pid_file.read_text("utf-8"))

    def family(process: int) -> list[int]:
        children = [
            int(child)
            for task in Path(f"/proc/{process}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
        return [process, *(p for child in children for p in family(child))]

    lines = [Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ") for p in family(pid)]
    assert any(b"label-studio" in line for line in lines)  # it is the server
    for line in lines:
        assert secret["token"].encode() not in line
        assert secret["password"].encode() not in line
    import httpx

    answer = httpx.get(
        f"{labelstudio_server.url}/api/projects",
        headers={"Authorization": f"Token {secret['token']}"},
        timeout=30,
    )
    assert answer.status_code == 200  # the token given through the environment works


def test_control_documents_go_out_blind_and_without_predictions(
    pushed: tuple[Project, Store, Any, str],
) -> None:
    """Documents with gold become controls for annotators who never had them: pushed with no
    predictions and nothing in the task that says 'control'."""
    from curate.records import Decision

    project, store, client, url = pushed
    with store.transaction() as connection:
        settled = queries.document_ids(connection)[:4]
        for document_id in settled:
            queries.add_decision(
                connection,
                Decision(
                    document_id=document_id,
                    kind="entity",
                    target=None,
                    method="imported",
                    payload={"spans": []},
                    based_on=(),
                    decided_by="test",
                ),
            )
    toml = project.root / "curate.toml"
    toml.write_text(
        toml.read_text("utf-8").replace("control_fraction = 0.0", "control_fraction = 0.3"),
        encoding="utf-8",
    )
    project = Project.load(project.root)
    report = push(store, project, client, url)
    assert report.controls > 0 and sum(report.new_tasks.values()) == report.controls
    with store.connect() as connection:
        controls = queries.control_pairs(connection)
    assert {d for d, _ in controls} <= set(settled)
    projects = _projects(store)
    for document_id, annotator in controls:
        task = _tasks(client, projects[annotator])[document_id]
        assert not task.predictions
        assert set(task.data) == {"text", "title", "doc_id", "annotator"}


def test_the_served_data_folder_and_database_are_private(labelstudio_server: Any) -> None:
    """They hold the API token and every task: no other local user may read them."""
    import stat

    from curate.labelstudio.server import serve

    data = labelstudio_server.data_dir
    assert data.is_absolute() and stat.S_IMODE(data.stat().st_mode) == 0o700
    database = data / "label_studio.sqlite3"
    for path in (database, labelstudio_server.log_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    os.chmod(database, 0o644)
    os.chmod(data, 0o755)
    serve(labelstudio_server)  # already running: the modes are repaired all the same
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert not (data / ".curate").exists()  # no nested data folder from a relative path


def test_a_full_pull_leaves_no_copy_of_the_export_on_the_server(
    pushed: tuple[Project, Store, Any, str], labelstudio_server: Any, tmp_path: Path
) -> None:
    """Label Studio keeps a copy of every export it hands out (all task texts and annotations)
    in its data folder; pull removes the copies of what it stored."""
    from curate.labelstudio.server import export_copies

    project, store, client, url = pushed
    server_exports = labelstudio_server.data_dir / "export"
    ids = sorted(_projects(store).values())
    pull(store, project, client, url, full=True, export_dir=tmp_path / "not-the-server")
    assert all(export_copies(server_exports, i) for i in ids)  # the server made them
    pull(store, project, client, url, full=True, export_dir=server_exports)
    assert [export_copies(server_exports, i) for i in ids] == [[] for _ in ids]


def test_one_label_studio_per_project_and_stop_stops_the_one_it_started(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` records the server it starts; a second `serve` on the same data folder (the port
    changed in curate.toml meanwhile) is refused naming the running one; `status` names it and
    the fix, and `stop` stops it whatever curate.toml says now. A server of its own (not the
    session's), so it runs beside the Label Studio group."""
    import shutil

    from typer.testing import CliRunner

    from curate.cli import app
    from curate.errors import UsageError
    from curate.labelstudio.server import Server, running, serve, stop

    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    first_port, other_port = _free_ports(2)
    venv = Path(__file__).resolve().parent.parent / ".venv-labelstudio"
    assert (venv / "bin" / "label-studio").exists(), "run `make test`, which installs it"
    first = Server(project_dir, "127.0.0.1", first_port, "admin@example.org", venv)
    first.data_dir.mkdir(parents=True)
    migrated = venv / "migrated" / "label_studio.sqlite3"
    shutil.copyfile(migrated, first.data_dir / migrated.name)
    serve(first)
    try:
        started = running(first)
        assert started is not None and started.port == first_port
        moved = Server(project_dir, "127.0.0.1", other_port, "admin@example.org", first.venv)
        with pytest.raises(UsageError) as refused:
            serve(moved)
        assert f"already running (pid {started.pid}, http://127.0.0.1:{first_port}" in str(
            refused.value
        )
        assert f"[labelstudio] port = {first_port}" in str(refused.value)
        config = project_dir / "curate.toml"
        config.write_text(
            re.sub(r"(?m)^port = \d+$", f"port = {other_port}", config.read_text("utf-8")),
            "utf-8",
        )
        status = CliRunner().invoke(app, ["-C", str(project_dir), "labelstudio", "status"])
        said = " ".join(status.output.split())
        assert f"this project's Label Studio is running (pid {started.pid}" in said
        assert f"set [labelstudio] port = {first_port}" in said and status.exit_code == 1
        stopped = CliRunner().invoke(app, ["-C", str(project_dir), "labelstudio", "stop"])
        assert stopped.exit_code == 0 and "stopped" in stopped.output
        assert running(first) is None and not healthy_url(first.url)
    finally:
        stop(first)


def _free_ports(count: int) -> list[int]:
    import socket

    probes = [socket.socket() for _ in range(count)]
    for probe in probes:
        probe.bind(("127.0.0.1", 0))
    ports = [int(p.getsockname()[1]) for p in probes]
    for probe in probes:
        probe.close()
    return ports
