"""Every fix an error message suggests works when followed as written: each `fragment` in
backticks is run (an option is added to the refused command, a command is run as it is), and
the refused command then succeeds. Fragments with a placeholder (NAME, FILE) are templates."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curate.cli import app
from curate.project import init_project

FIXTURE = Path(__file__).parent / "fixtures" / "leoka_team_1.json"
PLACEHOLDER = re.compile(r"\b(NAME|FILE|PATH|DIR)\b")


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--project", str(root), *args])
    return result.exit_code, " ".join(result.output.split())  # Rich wraps long lines


def suggestions(message: str) -> list[str]:
    """The runnable fixes in a message: its backticked fragments without a placeholder."""
    return [f for f in re.findall(r"`([^`]+)`", message) if not PLACEHOLDER.search(f)]


def followed(command: list[str], fix: str) -> list[str]:
    """`command` with the fix applied: an option replaces the same option, or is added."""
    words = shlex.split(fix)
    if words[0] == "curate":
        return words[1:]
    if words[0] in command and len(words) == 2:
        at = command.index(words[0])
        return [*command[:at], *words, *command[at + 2 :]]
    return [*command, *words]


def refused_then_fixed(tmp_path: Path, make: Path, command: list[str], expected: int) -> None:
    """`command` is refused in a copy of project `make`; each suggested fix, followed in a
    fresh copy, makes it (or the command it names, then the refused one) succeed."""
    code, message = run(make, *command)
    assert code == 2, message
    fixes = suggestions(message)
    assert len(fixes) == expected, message
    for n, fix in enumerate(fixes):
        copy = tmp_path / f"fixed-{n}"
        shutil.copytree(make, copy)
        fixed = followed(command, fix)
        code, output = run(copy, *fixed)
        assert code == 0, f"{fix!r} from {message!r} did not work: {output}"
        if fixed[0] != command[0]:  # a command to run first: then the refused one works
            code, output = run(copy, *command)
            assert code == 0, f"after {fix!r}: {output}"


def fresh(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    init_project(root)
    return root


def export_with_labels(tmp_path: Path, renames: dict[str, str], tasks: int = 2) -> Path:
    """The fixture's first tasks with their labels renamed (and the rest dropped)."""
    chosen = json.loads(FIXTURE.read_text("utf-8"))[:tasks]
    for task in chosen:
        for annotation in task["annotations"]:
            kept = []
            for result in annotation["result"]:
                labels = result.get("value", {}).get("labels")
                if result.get("type") != "labels" or labels[0] not in renames:
                    continue
                result["value"]["labels"] = [renames[labels[0]]]
                kept.append(result)
            annotation["result"] = kept
    path = tmp_path / "export.json"
    path.write_text(json.dumps(chosen), "utf-8")
    return path


def test_unknown_labels_in_an_export_suggest_adopting_them(tmp_path: Path) -> None:
    # Age, Firearm, ... are like no label of curate.toml: adopting them is the one fix offered.
    refused_then_fixed(tmp_path, fresh(tmp_path), ["import-ls", str(FIXTURE)], expected=1)


def test_labels_close_to_curate_toml_suggest_a_complete_map(tmp_path: Path) -> None:
    export = export_with_labels(tmp_path, {"Person": "Persons", "Department": "Orgs"})
    root = fresh(tmp_path)
    code, message = run(root, "import-ls", str(export))
    assert "`--label-map 'Orgs=ORG,Persons=PERSON'`" in message
    refused_then_fixed(tmp_path, root, ["import-ls", str(export)], expected=2)


def test_a_label_curate_cannot_hold_suggests_a_rename(tmp_path: Path) -> None:
    export = export_with_labels(tmp_path, {"Other_weapon": "Other weapon", "Person": "Person"}, 20)
    root = fresh(tmp_path)
    command = ["import-ls", str(export), "--adopt-labels"]
    code, message = run(root, *command)
    assert "`--label-map 'Other weapon=Other_weapon'`" in message, message
    refused_then_fixed(tmp_path, root, command, expected=1)


def test_gold_whose_labels_a_map_leaves_out_suggests_one_that_keeps_them(tmp_path: Path) -> None:
    gold = tmp_path / "gold.conll"
    gold.write_text(
        "Ali B-PER\nKhamenei I-PER\nmet O\nQaani B-PER\nin O\nTehran B-LOC\n. O\n", "utf-8"
    )
    root = fresh(tmp_path)
    command = ["import-gold", str(gold), "--label-map", "MISC=EVENT"]
    refused_then_fixed(tmp_path, root, command, expected=2)  # the map, or adopting PER and LOC


def test_a_release_with_open_conflicts_suggests_leaving_them_out(tmp_path: Path) -> None:
    root = fresh(tmp_path)
    assert run(root, "import-ls", str(FIXTURE), "--adopt-labels")[0] == 0
    assert run(root, "adjudicate", "--auto")[0] == 0
    refused_then_fixed(tmp_path, root, ["release", "--version", "1.0.0"], expected=1)


def test_annotations_with_labels_curate_toml_lost_suggest_importing_again(tmp_path: Path) -> None:
    root = fresh(tmp_path)
    export = export_with_labels(tmp_path, {"Person": "Person", "Time": "Time"}, 3)
    assert run(root, "import-ls", str(export), "--adopt-labels")[0] == 0
    config = root / "curate.toml"
    text = config.read_text("utf-8")
    config.write_text(re.sub(r'\[\[entity_labels\]\]\nname = "Time"\n[^\[]*', "", text), "utf-8")
    code, message = run(root, "adjudicate", "--auto")
    assert code == 2 and "`curate import-ls FILE --adopt-labels`" in message, message
    # The template, with FILE filled in, works.
    assert run(root, "import-ls", str(export), "--adopt-labels")[0] == 0
    assert run(root, "adjudicate", "--auto")[0] == 0


@pytest.mark.parametrize("unknown", [["Age"], ["Persons", "Age"]])
def test_the_label_suggestion_never_guesses_a_partial_map(unknown: list[str]) -> None:
    from collections import Counter

    from curate.labels import unknown_labels_error

    message = str(unknown_labels_error(Path("x.json"), Counter(unknown), ["PERSON", "GPE"]))
    assert suggestions(message) == ["--adopt-labels"]


def test_an_evaluation_map_that_keeps_no_gold_suggests_one_that_does(tmp_path: Path) -> None:
    gold = tmp_path / "gold.conll"
    gold.write_text("Ali B-PER\nKhamenei I-PER\nvisited O\nTehran B-LOC\n. O\n", "utf-8")
    root = fresh(tmp_path)
    command = ["evaluate", "--gold", str(gold), "--labeller", "gazetteer.v1"]
    refused_then_fixed(tmp_path, root, [*command, "--label-map", "MISC=EVENT"], expected=1)
