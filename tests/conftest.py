"""Shared fixtures: a project folder with the seeds, and stores on SQLite and a real PostgreSQL."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from curate.project import Project, init_project
from curate.store import DB_URL_VARIABLE, Store, open_store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


# Tests that share a real server run on one pytest-xdist worker, so each server starts once.
SHARED_SERVERS = {"labelstudio_server": "labelstudio", "ray_cluster": "ray"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, group in SHARED_SERVERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(group))
                break


@pytest.fixture(autouse=True)
def _no_outside_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their store explicitly; a developer's CURATE_DB_URL must not leak in."""
    monkeypatch.delenv(DB_URL_VARIABLE, raising=False)


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No Hub: datasets and huggingface_hub offline, a private cache."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A fresh project: curate.toml from `curate init` and a copy of the seeds."""
    init_project(tmp_path)
    shutil.copytree(SEEDS, tmp_path / "seeds")
    return tmp_path


def copies_of_seeds(root: Path, copies: int) -> Path:
    """A folder `more/` of `copies` numbered copies of the project's seeds (not ingested)."""
    seeds = sorted((root / "seeds").glob("*.txt"))
    more = root / "more"
    more.mkdir()
    for n in range(copies):
        text = seeds[n % len(seeds)].read_text("utf-8")
        (more / f"copy{n:03d}.txt").write_text(f"Copy {n}.\n\n{text}", "utf-8")
    return more


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; Debian's package creates the `postgres` user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private PostgreSQL server on 127.0.0.1 for this test session (or CURATE_TEST_PG_URL)."""
    if os.environ.get("CURATE_TEST_PG_URL"):
        yield os.environ["CURATE_TEST_PG_URL"]
        return
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is not installed; run `make test`, which installs it")
    bin_dir = Path(found[-1]).parent
    data = Path(tempfile.mkdtemp(prefix="curate-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "curate", "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_server_user(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(data / "log"),
                "-o",
                # A throwaway server: no flushing to disk (PostgreSQL's "non-durable settings"),
                # so its ~100 test databases cost no fsyncs and it stops in a second, not ten.
                f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off",
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://curate@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


_databases = itertools.count()


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> str:
    """An empty database on the session's server, so tests never see each other's rows."""
    name = f"curate_test_{os.getpid()}_{next(_databases)}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / '.curate' / 'curate.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def project_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The project's store on SQLite (its own .curate/curate.db) or on an empty PostgreSQL
    database (CURATE_DB_URL, which curate processes the test starts inherit too)."""
    if request.param == "postgresql":
        monkeypatch.setenv(DB_URL_VARIABLE, str(request.getfixturevalue("fresh_postgres_url")))
    return str(request.param)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def labelstudio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real Label Studio 1.23.2 on 127.0.0.1 for the whole session.

    `make test` installs it into .venv-labelstudio with a migrated database to start from; the
    server's data lives in a temp folder.
    """
    from curate.labelstudio.server import Server, serve, stop

    venv = ROOT / ".venv-labelstudio"
    if not (venv / "bin" / "label-studio").exists():
        pytest.fail("Label Studio is not installed; run `make test`, which installs it")
    root = tmp_path_factory.mktemp("labelstudio")
    server = Server(root, "127.0.0.1", _free_port(), "admin@example.org", venv)
    migrated = venv / "migrated" / "label_studio.sqlite3"  # `make labelstudio` makes it
    if migrated.is_file():  # a copy skips 40 s of migrations; without it the server makes one
        server.data_dir.mkdir(parents=True)
        shutil.copyfile(migrated, server.data_dir / migrated.name)
    serve(server)
    try:
        yield server
    finally:
        stop(server)


@pytest.fixture(scope="session")
def labelstudio(labelstudio_server: Any) -> tuple[str, str]:
    """(url, admin token) of the session's Label Studio."""
    from curate.labelstudio.server import credentials

    return labelstudio_server.url, credentials(labelstudio_server)["token"]


def _seeded(root: Path, prelabelled: bool) -> None:
    """The seeds ingested into root (a fresh project), pre-labelled by the gazetteer and the
    stance cues if asked."""
    from typer.testing import CliRunner

    from curate.cli import app as cli_app
    from curate.prelabel import prelabel

    result = CliRunner().invoke(cli_app, ["-C", str(root), "ingest", str(root / "seeds")])
    assert result.exit_code == 0, result.output
    if prelabelled:
        project = Project.load(root)
        store = project.open_store()
        prelabel(store, project.labeller_context(), ["gazetteer.v1", "stance-cues.v1"])
        store.close()


@pytest.fixture(scope="session")
def seeded_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """Made once a session: a project with the seeds ingested (False) and also pre-labelled
    (True). A test gets a copy of its store, as if it had run the same commands itself."""
    templates = {}
    for prelabelled in (False, True):
        root = tmp_path_factory.mktemp("seeded")
        init_project(root)
        shutil.copytree(SEEDS, root / "seeds")
        _seeded(root, prelabelled)
        templates[prelabelled] = root
    return templates


def seeded_copy(project_dir: Path, templates: dict[bool, Path], prelabelled: bool) -> None:
    """The template's store into project_dir (its own curate.toml and seeds are the same)."""
    shutil.copytree(templates[prelabelled] / ".curate", project_dir / ".curate", dirs_exist_ok=True)


@pytest.fixture
def project(project_dir: Path, seeded_templates: dict[bool, Path]) -> Project:
    """The seeds ingested and pre-labelled by the gazetteer and the stance cues."""
    seeded_copy(project_dir, seeded_templates, prelabelled=True)
    return Project.load(project_dir)


@pytest.fixture
def conflicted(project: Project) -> str:
    """A document alice and bob labelled differently, auto-adjudicated: open for review."""
    from curate.adjudicate.auto import auto_adjudicate
    from curate.records import Annotation, Document, Span, StanceLabel
    from curate.store import queries

    text = "Khamenei told Washington to leave Iraq."

    def span(piece: str, label: str) -> Span:
        start = text.index(piece)
        return Span(start, start + len(piece), label, piece)

    document = Document(text)
    with project.open_store().transaction() as connection:
        queries.insert_documents(connection, [document])
        for who, spans, stance in (
            ("alice", (span("Khamenei", "PERSON"), span("Washington", "GPE")), "favor"),
            (
                "bob",
                (span("Khamenei told", "PERSON"), span("Washington", "ORG"), span("Iraq", "GPE")),
                "against",
            ),
        ):
            queries.add_annotation(
                connection,
                Annotation(document.id, who, "test", spans, (StanceLabel("Iran", stance),)),
            )
        auto_adjudicate(connection, project.settings, "0.1")
    return document.id


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio."""
    return "asyncio"


def agree_on_the_suggestions(project: Project) -> None:
    """alice and bob label every document as the suggestions say; auto-adjudication then
    makes all of it gold."""
    from curate.adjudicate.auto import auto_adjudicate
    from curate.records import Annotation
    from curate.store import queries

    store = project.open_store()
    with store.transaction() as connection:
        for document_id in queries.document_ids(connection):
            spans, stances = suggested_labels(connection, document_id)
            for who in ("alice", "bob"):
                queries.add_annotation(
                    connection, Annotation(document_id, who, "test", spans, stances)
                )
        auto_adjudicate(connection, project.settings, "0.1")
    store.close()


def suggested_labels(connection: Any, document_id: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The spans the gazetteer and the stances the cues suggested for a document, as an
    annotator who accepts them all would label it."""
    from curate.records import Span, StanceLabel
    from curate.store import queries

    suggestions = queries.prelabels_for(connection, document_id)
    spans = tuple(
        Span(p.start, p.end, p.label, p.text)  # type: ignore[arg-type]
        for p in suggestions
        if p.kind == "entity" and p.labeller.startswith("gazetteer")
    )
    stances = tuple(
        StanceLabel(p.target, p.label)  # type: ignore[arg-type]
        for p in suggestions
        if p.kind == "stance"
    )
    return spans, stances


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real local Ray cluster (`ray start --head`, 2 CPUs, 127.0.0.1) for the session; its
    address. `make test` installs Ray (the curate[ray] extra)."""
    ray = ROOT / ".venv" / "bin" / "ray"
    if not ray.exists():
        pytest.fail("Ray is not installed; run `make test`, which installs curate[ray]")
    port = _free_port()
    # Ray's sockets live under its temp dir: keep the path short (108 bytes at most).
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    environment = os.environ | {"RAY_USAGE_STATS_ENABLED": "0"}
    from curate.prelabel.ray_engine import local_head_command

    command = local_head_command(ray, port, temp)
    subprocess.run(command, check=True, capture_output=True, env=environment)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(ray), "stop", "--force"], capture_output=True, env=environment)
        shutil.rmtree(temp, ignore_errors=True)


async def review_everything(app: Any, size: tuple[int, int]) -> None:
    """Resolve the whole review queue in the review screen under Pilot, as a reviewer who takes
    annotator 1's version of every span and stance (annotator 2's where 1 gave no stance)."""
    async with app.run_test(size=size) as pilot:
        while app.resolution is not None:
            resolution = app.resolution
            for _ in resolution.groups:
                await pilot.press("1", "down")
            await pilot.press("tab")
            for _ in resolution.alignment.stances:
                await pilot.press("1")
                if resolution.left():
                    await pilot.press("2")
                await pilot.press("down")
            assert resolution.left() == 0
            await pilot.press("ctrl+s")
            await pilot.pause()
