"""The CLI end to end on a fresh project, through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from curate.cli import app

runner = CliRunner()


def _curate(project: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--project", str(project), *args])


def test_init_ingest_status_on_the_seeds(project_dir: Path) -> None:
    first = _curate(project_dir, "ingest", str(project_dir / "seeds"))
    assert first.exit_code == 0, first.output
    assert "8 new documents, 0 already stored, 0 duplicates" in first.output
    second = _curate(project_dir, "ingest", str(project_dir / "seeds"))
    assert "0 new documents, 8 already stored, 0 duplicates" in second.output
    status = _curate(project_dir, "status", "--json")
    assert json.loads(status.output) == {
        "documents": 8,
        "pre-labelled": 0,
        "assigned": 0,
        "annotated": 0,
        "waiting for review": 0,
        "adjudicated": 0,
        "released": 0,
    }
    table = _curate(project_dir, "status")
    assert "documents" in table.output and "8" in table.output
    assert (project_dir / ".curate" / "curate.db").exists()


def test_curate_db_url_selects_another_database(
    project_dir: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    elsewhere = tmp_path / "elsewhere.db"
    monkeypatch.setenv("CURATE_DB_URL", f"sqlite:///{elsewhere}")
    assert _curate(project_dir, "ingest", str(project_dir / "seeds")).exit_code == 0
    assert elsewhere.exists() and not (project_dir / ".curate" / "curate.db").exists()


def test_require_reports_what_it_filtered(project_dir: Path) -> None:
    result = _curate(project_dir, "ingest", "--require", "Japan", str(project_dir / "seeds"))
    assert "3 new documents" in result.output and "5 filtered out by --require" in result.output


def test_a_failing_file_sets_the_exit_code_and_the_rest_still_lands(project_dir: Path) -> None:
    (project_dir / "seeds" / "broken.jsonl").write_text('{"text": 1}\n', encoding="utf-8")
    result = _curate(project_dir, "ingest", str(project_dir / "seeds"))
    assert result.exit_code == 2  # the file is bad input (one that cannot be read exits 1)
    assert "broken.jsonl line 1: field 'text' is int, not text" in result.output
    assert "8 new documents" in result.output and "1 file(s) failed" in result.output


def test_a_missing_path_is_a_usage_error(project_dir: Path) -> None:
    result = _curate(project_dir, "ingest", str(project_dir / "nope"))
    assert result.exit_code == 2
    assert "nope does not exist; check the path" in result.output


def test_commands_outside_a_project_point_to_init(tmp_path: Path) -> None:
    result = _curate(tmp_path, "status")
    assert result.exit_code == 2
    assert "curate.toml not found; run `curate init" in result.output


def test_a_bad_config_stops_every_command_with_its_message(project_dir: Path) -> None:
    config = project_dir / "curate.toml"
    config.write_text(config.read_text().replace("overlap = 2", "overlap = 9"), encoding="utf-8")
    result = _curate(project_dir, "status")
    assert result.exit_code == 2
    assert "assignment.overlap is 9 but only 3 annotators are listed" in result.output


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    again = runner.invoke(app, ["init", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_the_cli_starts_without_the_heavy_libraries(project_dir: Path) -> None:
    """`curate status` and `--help` pay only for what they use: neither loads pandas,
    scikit-learn, spaCy, datasets, matplotlib, the Label Studio SDK or httpx (each command
    imports its own), and a store at the newest schema opens without Alembic."""
    import subprocess
    import sys

    assert CliRunner().invoke(app, ["--project", str(project_dir), "status"]).exit_code == 0
    heavy = ["pandas", "sklearn", "spacy", "datasets", "label_studio_sdk", "matplotlib"]
    heavy += ["httpx", "alembic"]
    for arguments in (["--help"], ["--project", str(project_dir), "status"]):
        probe = (
            "import sys\nfrom curate.cli import app\n"
            f"try:\n    app({arguments!r})\nexcept SystemExit:\n    pass\n"
            f"print([m for m in {heavy!r} if m in sys.modules], file=sys.stderr)"
        )
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stderr.strip().splitlines()[-1] == "[]", (arguments, done.stderr)
        assert done.stdout  # the command ran and printed
