"""Hardening, one test per finding: nothing skipped after a bad file, one pre-labelling run at a
time, long documents, no silent changes on import, releases that survive being run from
elsewhere or killed, private stores and shareable releases, section names left in messages."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from curate.cli import app
from curate.project import Project
from curate.store import queries

runner = CliRunner()


def curate(root: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--project", str(root), *args], env={"COLUMNS": "300"})
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    return " ".join(result.output.split())


def test_an_unreadable_file_is_reported_and_the_files_after_it_still_land(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root nothing is unreadable by mode, so the OS's answer is simulated for one file.
    folder = project_dir / "news"
    folder.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (folder / name).write_text(f"Report {name}: Khamenei spoke in Tehran.\n", "utf-8")
    real_open = Path.open

    def refusing(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "b.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing)
    output = curate(project_dir, "ingest", str(folder), code=1)
    assert "b.txt: cannot read it (Permission denied); check its permissions" in output
    with Project.load(project_dir).open_store().connect() as connection:
        assert queries.stage_counts(connection)["documents"] == 2  # a.txt and c.txt


def test_a_second_prelabel_run_is_refused_while_one_holds_the_lock(project_dir: Path) -> None:
    curate(project_dir, "ingest", str(project_dir / "seeds"))
    lock = project_dir / ".curate" / "prelabel.lock"
    with lock.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run is labelling
        output = curate(project_dir, "prelabel", "--labeller", "gazetteer.v1", code=2)
        assert "another `curate prelabel` is running" in output
    output = curate(project_dir, "prelabel", "--labeller", "gazetteer.v1")  # lock released
    with Project.load(project_dir).open_store().connect() as connection:
        assert queries.stage_counts(connection)["pre-labelled"] > 0
    assert lock.read_text() == ""  # a finished run leaves no pid behind to mislead anyone


def test_documents_longer_than_spacys_limit_are_labelled_in_pieces(project_dir: Path) -> None:
    from curate.prelabel.pieces import split_long
    from curate.prelabel.spacy_ner import create

    paragraph = "Ali Khamenei spoke in Tehran on Monday. Officials in Baghdad listened.\n\n"
    text = paragraph * 80  # ~5,700 characters
    pieces = split_long(text, 1000)
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= 1000 and text[o : o + len(piece)] == piece for o, piece in pieces)
    assert all(piece.endswith("\n\n") for _, piece in pieces[:-1])  # cut at paragraph ends
    labeller = create(Project.load(project_dir).labeller_context())
    labeller.nlp.max_length = 1000
    [found] = labeller.entities([text])
    assert all(text[start:end] == words for start, end, _, words in found)
    tehran = [start for start, _, _, words in found if words == "Tehran"]
    assert len(tehran) > 40 and max(tehran) > 5000  # found in the last pieces too


def test_ingest_warns_about_a_very_long_document(project_dir: Path) -> None:
    long = project_dir / "long.jsonl"
    long.write_text(json.dumps({"text": "Tehran. " * 130_000}) + "\n", "utf-8")
    result = runner.invoke(app, ["--project", str(project_dir), "ingest", str(long)])
    assert result.exit_code == 0
    output = " ".join(result.output.split())
    assert "has 1,03" in output and "characters; it is pre-labelled in pieces" in output


def test_import_counts_what_it_could_not_take_as_written(project_dir: Path) -> None:
    text = "Khamenei spoke in Tehran."
    task = {
        "id": 1,
        "data": {"text": text},
        "annotations": [
            {
                "id": 10,
                "completed_by": {"id": 3, "email": "alice@example.org"},
                "result": [
                    {
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {
                            "start": 0.0,
                            "end": 8.0,
                            "text": "Khamenei",
                            "labels": ["PERSON"],
                        },
                    },
                    {
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {
                            "start": 18,
                            "end": 24,
                            "text": "Tehran",
                            "labels": ["GPE", "LOC"],
                        },
                    },
                    {
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {"start": 9.5, "end": 14, "text": "spoke", "labels": ["ORG"]},
                    },
                    {
                        "type": "choices",
                        "from_name": "stance_iran",
                        "to_name": "text",
                        "value": {"choices": ["maybe"]},
                    },
                ],
            },
            {"id": 11, "completed_by": None, "result": []},
            {
                "id": 12,
                "completed_by": {"id": 4, "email": "bob@example.org"},
                "result": [
                    {
                        "type": "choices",
                        "from_name": "stance_iran",
                        "to_name": "text",
                        "value": {"choices": ["maybe"]},
                    }
                ],
            },
        ],
    }
    export = project_dir / "export.json"
    export.write_text(json.dumps([task]), "utf-8")
    result = runner.invoke(app, ["--project", str(project_dir), "import-ls", str(export)])
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    assert "warning: 1 spans with offsets written as non-integers" in output
    assert "warning: 1 spans with more than one label (the first kept)" in output
    assert "warning: 2 stance 'maybe' is not in curate.toml" in output
    assert "warning: 1 annotations with no annotator id (kept apart)" in output
    assert "offset 9.5 is not a whole number" in output
    # Two annotators chose "maybe" for Iran: unanimous, but not a stance curate.toml knows.
    curate(project_dir, "adjudicate", "--auto")
    with Project.load(project_dir).open_store().connect() as connection:
        assert queries.gold_stances(connection) == {}
        names = {a.annotator for a in queries.all_annotations(connection)}
    assert "labelstudio-unknown-11" in names


def _released(project: Path) -> None:
    """Seeds labelled the same way by alice and bob, adjudicated: ready to release."""
    from curate.records import Annotation, Span

    with Project.load(project).open_store().transaction() as connection:
        for document_id in queries.document_ids(connection):
            spans = tuple(
                Span(p.start, p.end, p.label, p.text)  # type: ignore[arg-type]
                for p in queries.prelabels_for(connection, document_id)
                if p.kind == "entity"
            )
            for who in ("alice", "bob"):
                queries.add_annotation(connection, Annotation(document_id, who, "test", spans))
    curate(project, "adjudicate", "--auto")


def test_releases_work_from_anywhere_and_are_private_where_they_should_be(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _released(project.root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    relative = os.path.relpath(project.root, elsewhere)
    curate(Path(relative), "release", "--version", "1.0.0")
    listed = curate(Path(relative), "releases")
    assert "v1.0.0" in listed and "missing" not in listed
    with project.open_store().connect() as connection:
        [row] = queries.release_history(connection, project.settings.release.name)
    assert row["path"] == "exports/curate-seeds/v1.0.0"  # relative to the project
    folder = project.root / row["path"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*") if p.is_file()} == {0o644}
    store_file = project.root / ".curate" / "curate.db"
    assert stat.S_IMODE(store_file.stat().st_mode) == 0o600
    ignore = (project.root / ".gitignore").read_text("utf-8").splitlines()
    assert ".curate/" in ignore


def test_a_release_killed_before_it_was_recorded_is_adopted_or_refused(
    project: Project, tmp_path: Path
) -> None:
    from curate.release import release

    _released(project.root)
    root = project.root / "exports" / project.settings.release.name
    stale = root / ".v0.9.0-leftover"
    stale.mkdir(parents=True)
    old = time.time() - 7200
    os.utime(stale, (old, old))
    fresh = root / ".v0.9.1-running"
    fresh.mkdir()
    # Written and renamed into place, then killed before the store's commit.
    with project.open_store().connect() as connection:
        release(project, connection, version="1.0.0")
        connection.rollback()
    assert (root / "v1.0.0").is_dir() and not stale.exists() and fresh.exists()
    kept = tmp_path / "kept"
    shutil.copytree(root / "v1.0.0", kept)
    output = curate(project.root, "release", "--version", "1.0.0")
    assert "its checksums hold, so it is recorded now" in output
    with project.open_store().connect() as connection:
        [row] = queries.release_history(connection, project.settings.release.name)
        assert row["documents"] == 8
    # The same again, with a file changed: refused, and the fix named.
    shutil.copytree(kept, root / "v1.1.0")
    (root / "v1.1.0" / "README.md").write_text("edited by hand", "utf-8")
    output = curate(project.root, "release", "--version", "1.1.0", code=2)
    assert "README.md does not match its checksum; move the folder aside" in output


def test_section_names_survive_in_help_and_messages(project_dir: Path) -> None:
    assert "[adjudication]" in curate(project_dir, "adjudicate", "--help")
    output = curate(project_dir, "release", "--version", "1.0.0", code=2)
    assert "no adjudicated documents" in output


LEOKA = Path(__file__).parent / "fixtures" / "leoka_team_1.json"


def test_real_names_write_only_the_local_part_of_outside_addresses(tmp_path: Path) -> None:
    """The LEOKA annotators are not in curate.toml: the store keys them by e-mail address,
    and a --real-names release shows the part before the @ only."""
    import pyarrow.parquet as pq

    from curate.project import init_project
    from curate.release.rows import local_parts

    init_project(tmp_path)
    curate(tmp_path, "import-ls", str(LEOKA), "--adopt-labels")
    curate(tmp_path, "adjudicate", "--auto")
    curate(tmp_path, "release", "--version", "1.0.0", "--allow-unresolved", "--real-names")
    folder = tmp_path / "exports" / "curate-seeds" / "v1.0.0"
    names = {
        name
        for path in (folder / "annotations").glob("*.parquet")
        for name in pq.read_table(path).column("annotator").to_pylist()
    }
    with Project.load(tmp_path).open_store().connect() as connection:
        stored = {a.annotator for a in queries.all_annotations(connection)}
    assert all("@" in name for name in stored)
    assert names == {name.split("@")[0] for name in stored}
    card = (folder / "README.md").read_text("utf-8")
    assert not any(address in card for address in stored)
    # Two addresses with one local part stay two people.
    assert local_parts(["ann@a.org", "ann@b.org", "bob"]) == [
        "ann." + __import__("hashlib").sha256(b"ann@a.org").hexdigest()[:6],
        "ann." + __import__("hashlib").sha256(b"ann@b.org").hexdigest()[:6],
        "bob",
    ]


def test_a_full_disk_names_the_folder_and_records_nothing(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from curate.release import write

    curate(project_dir, "ingest", str(project_dir / "seeds"))
    store = Project.load(project_dir).open_store()
    with store.transaction() as connection:
        from curate.records import Decision

        for document_id in queries.document_ids(connection):
            queries.add_decision(
                connection, Decision(document_id, "entity", "unanimous", "rita", {"spans": []})
            )
    store.close()

    def full(_data: Any, path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path.parent))

    monkeypatch.setattr(write, "write_parquet", full)
    monkeypatch.setattr("curate.release.folder.write_parquet", full)
    output = curate(project_dir, "release", "--version", "1.0.0", code=1)
    assert "no space left on the device holding" in output and "/exports/" in output
    assert "TMPDIR" in output
    with Project.load(project_dir).open_store().connect() as connection:
        assert queries.release_history(connection, "curate-seeds") == []


def test_a_full_disk_under_the_store_says_so() -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from curate.store.database import explain

    error = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    message = explain(error, "/data/project/.curate")
    assert "is full" in message and "free some space" in message and "/data/project" in message


def test_a_document_over_a_million_characters_is_prelabelled_by_the_default_labellers(
    project_dir: Path,
) -> None:
    """Beyond spaCy's max_length (1,000,000): every default labeller works in pieces, offsets
    mapped back onto the whole text (one long word a paragraph keeps the parse cheap)."""
    paragraph = "Ali Khamenei spoke in Tehran. " + "x" * 10_000 + "\n\n"
    text = paragraph * 120
    assert len(text) > 1_200_000
    (project_dir / "long.jsonl").write_text(json.dumps({"text": text}) + "\n", "utf-8")
    curate(project_dir, "ingest", str(project_dir / "long.jsonl"))
    curate(project_dir, "prelabel")
    with Project.load(project_dir).open_store().connect() as connection:
        [document_id] = queries.document_ids(connection)
        found = queries.prelabels_for(connection, document_id)
        stored = queries.documents_by_ids(connection, [document_id])[document_id].text
    assert len(stored) > 1_000_000  # ingest's cleaning keeps it long
    entities = [p for p in found if p.kind == "entity"]
    labellers = {p.labeller.split("+")[0] for p in entities}
    assert labellers == {"gazetteer.v1", "spacy-ner.v2"}
    assert all(stored[p.start : p.end] == p.text for p in entities)  # type: ignore[index]
    tehran = [p.start for p in entities if p.text == "Tehran" and p.labeller.startswith("gaz")]
    assert len(tehran) == 120 and max(tehran) > 1_000_000  # found in the last piece too
