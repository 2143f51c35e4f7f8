"""The layers in pyproject.toml's import-linter contracts hold, and the check catches an import
that goes up, a module no layer lists, and the terminal UI importing a command (each run on a
copy of the code with the fault deliberately added)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the packages in `tree`, found there first."""
    environment = os.environ | {"PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_code(tmp_path: Path) -> Path:
    for package in ("curate", "tui"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_its_layers(tmp_path: Path) -> None:
    result = lint_imports(copy_of_the_code(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_an_import_that_goes_up_breaks_the_contract(tmp_path: Path) -> None:
    tree = copy_of_the_code(tmp_path)
    schema = tree / "curate" / "store" / "schema.py"
    schema.write_text(schema.read_text() + "\nfrom curate.release import card  # up\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "2 kept, 1 broken" in result.stdout
    assert "curate.store.schema -> curate.release.card" in result.stdout


def test_a_module_no_layer_lists_breaks_the_contract(tmp_path: Path) -> None:
    tree = copy_of_the_code(tmp_path)
    (tree / "curate" / "shortcuts.py").write_text('"""A new module nobody placed."""\n')
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "curate.shortcuts" in result.stdout and "exhaustive" in result.stdout


def test_the_terminal_ui_importing_a_command_breaks_the_contract(tmp_path: Path) -> None:
    tree = copy_of_the_code(tmp_path)
    session = tree / "tui" / "session.py"
    session.write_text(session.read_text() + "\nfrom curate.cli import app  # up\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "tui.session -> curate.cli" in result.stdout
