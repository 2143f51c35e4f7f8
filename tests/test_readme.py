"""The README's walkthrough, run from the README itself: every `$ curate ...` line of its
console blocks runs, in order, in a fresh `curate init demo` project holding the seeds, against
the session's real Label Studio; what people do between the commands (three annotators in the
terminal annotator's session, a reviewer in the review screen) is done here as the README says.
Each command's output must be what the README shows: `…` stands for text left out of a line,
and a line of its own `…` for lines left out."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import review_everything

from curate.adjudicate.review import review_queue
from curate.project import Project
from curate.store import queries
from tui.review import ReviewApp
from tui.session import AnnotationSession

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
WALKTHROUGH = README.split("\n## Walkthrough\n", 1)[1].split("\n## ", 1)[0]
ELIDED = "…"
WIDTH = "160"  # the walkthrough shows output as a 160-column terminal prints it


@dataclass
class Command:
    line: str  # after "$ "
    shown: list[str] = field(default_factory=list)


def console_blocks(text: str) -> list[list[Command]]:
    """Each fenced block without a language that holds `$ ` lines: its commands and output."""
    blocks = []
    for body in re.findall(r"^```\n(.*?)^```$", text, flags=re.S | re.M):
        commands: list[Command] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                commands.append(Command(line[2:]))
            elif commands:
                commands[-1].shown.append(line)
        if commands:
            blocks.append(commands)
    return blocks


def shown_pattern(shown: list[str]) -> re.Pattern[str]:
    """The output the README shows as a pattern: `…` alone skips lines, inside a line text."""
    parts = []
    for line in shown:
        if line.strip() == ELIDED:
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            pieces = [re.escape(piece) for piece in line.rstrip().split(ELIDED)]
            parts.append(r"[^\n]*?".join(pieces) + r"\n")
    return re.compile("".join(parts))


def test_the_walkthrough_parses_into_the_commands_it_teaches() -> None:
    commands = [c.line.split()[:2] for block in console_blocks(WALKTHROUGH) for c in block]
    assert [c[1] for c in commands] == [
        "ingest",
        "prelabel",
        "labelstudio",
        "push",
        "agreement",
        "adjudicate",
        "review",
        "release",
        "releases",
    ]
    pattern = shown_pattern(["a …", "…", "c"])
    assert pattern.fullmatch("a b\nx\ny\nc\n") and not pattern.fullmatch("a b\nx\n")


def run_shown(root: Path, command: Command, port: int) -> None:
    """Run one README command in the project and compare its output with what is shown."""
    arguments = command.line.split()
    assert arguments[0] == "curate"
    environment = os.environ | {"COLUMNS": WIDTH, "HF_DATASETS_OFFLINE": "1"}
    environment |= {"HF_HUB_OFFLINE": "1", "HF_HOME": str(root / ".hf")}
    done = subprocess.run(
        [sys.executable, "-m", "curate.cli", *arguments[1:]],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The session's server runs on a free port; the README's runs on the default one.
    printed = done.stdout.replace(f"127.0.0.1:{port}", "127.0.0.1:8089")
    printed = "".join(line.rstrip() + "\n" for line in printed.splitlines())
    assert shown_pattern(command.shown).fullmatch(printed), (
        f"`{command.line}` printed:\n{printed}\nthe README shows:\n" + "\n".join(command.shown)
    )


def label_as_the_readme_says(project: Project) -> None:
    """Step 3's people: alice, bob and carol take every suggestion shown and call Iran
    "against" and the United States "neutral"; bob relabels the first span of his first
    document and calls Iran "favor" in his first three."""
    store = project.open_store()
    labels = project.settings.stance.labels
    for annotator in ("alice", "bob", "carol"):
        session = AnnotationSession(project, store, annotator, clock=lambda: 0.0)
        for index in range(len(session.assigned)):
            opened = session.open(index)
            state = opened.state
            state.accept_all()
            disagree = annotator == "bob" and index < 3
            if annotator == "bob" and index == 0 and state.spans:
                first = min(state.spans, key=lambda s: s.start)
                state.move_to(first.start)
                state.label("ORG" if first.label != "ORG" else "GPE")
            state.target = 0
            state.set_stance(labels.index("favor" if disagree else "against") + 1)
            state.next_target()
            state.set_stance(labels.index("neutral") + 1)
            session.submit(opened)
    store.close()


async def review_as_the_readme_says(project: Project) -> None:
    """`curate review --as rita`: the reviewer takes annotator 1's version of every open item
    in the review screen."""
    store = project.open_store()
    await review_everything(ReviewApp(project, store, "rita"), (160, 40))
    with store.connect() as connection:
        assert review_queue(connection) == []
    store.close()


@pytest.mark.anyio
async def test_the_readme_walkthrough_prints_what_it_shows(
    tmp_path: Path, labelstudio_server: Any
) -> None:
    from typer.testing import CliRunner

    from curate.cli import app

    initialised = CliRunner().invoke(app, ["init", str(tmp_path / "demo")])
    assert initialised.exit_code == 0, initialised.output
    root = tmp_path / "demo"
    shutil.copytree(ROOT / "seeds", root / "seeds")
    # Point the project at the session's server and its admin token (`serve` finds it running).
    port = labelstudio_server.port
    config = root / "curate.toml"
    config.write_text(config.read_text("utf-8").replace("port = 8089", f"port = {port}"))
    (root / ".curate").mkdir(exist_ok=True)
    shutil.copyfile(
        labelstudio_server.credentials_file, root / ".curate" / "labelstudio-credentials.json"
    )
    (root / ".curate" / "labelstudio-credentials.json").chmod(0o600)
    project = Project.load(root)
    for block in console_blocks(WALKTHROUGH):
        for command in block:
            if command.line.startswith("curate agreement"):
                label_as_the_readme_says(project)
            if command.line.startswith("curate review"):
                await review_as_the_readme_says(project)
                continue  # a terminal screen: run above under Pilot, not as a command
            run_shown(root, command, port)
    snippet = WALKTHROUGH.split("```python\n", 1)[1].split("```", 1)[0]
    code, _, expected = snippet.rpartition("\n# ")
    printed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=os.environ | {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == expected.strip()


def test_the_python_api_snippet_runs_on_an_imported_project(tmp_path: Path) -> None:
    """The README's notebook example, as written, on the LEOKA fixture imported and
    adjudicated, with a sources.csv of the user's own columns."""
    from typer.testing import CliRunner

    from curate.cli import app
    from curate.project import init_project

    init_project(tmp_path)
    for command in (
        ["import-ls", str(ROOT / "tests" / "fixtures" / "leoka_team_1.json"), "--adopt-labels"],
        ["adjudicate", "--auto"],
    ):
        result = CliRunner().invoke(app, ["--project", str(tmp_path), *command])
        assert result.exit_code == 0, result.output
    api = README.split("\n## Python API\n", 1)[1]
    snippet = api.split("```python\n", 1)[1].split("```", 1)[0]
    assert "path/to/project" in snippet
    store = Project.load(tmp_path).open_store()
    with store.connect() as connection:
        ids = queries.document_ids(connection)
    store.close()
    (tmp_path / "sources.csv").write_text(
        "id,outlet\n" + "".join(f"{i},outlet {n % 3}\n" for n, i in enumerate(ids)), "utf-8"
    )
    code = (
        snippet.replace("path/to/project", str(tmp_path))
        + "\nprint(len(gold.merge(sources, on='id')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 0  # the gold documents, with the user's columns
