"""The README documents every command with its help text."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from curate.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_readme_with_its_help(name: str) -> None:
    command = COMMANDS[name]
    assert command.help, f"`curate {name}` has no help text"
    assert f"curate {name}" in README
    assert command.help.strip().splitlines()[0] in README


def test_the_quick_start_is_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = [line for line in quick_start.splitlines() if line.startswith("make ")]
    assert commands == ["make run", "make test"]


def test_readme_configuration_reference_is_generated_from_the_settings() -> None:
    from curate.config import reference_markdown

    readme = README
    start = readme.index("<!-- config-reference:start -->\n") + len(
        "<!-- config-reference:start -->\n"
    )
    end = readme.index("\n<!-- config-reference:end -->")
    assert readme[start:end] == reference_markdown()
    for key in ("adjudication.majority", "release.splits", "labelstudio.port"):
        assert f"`{key}`" in readme[start:end]
