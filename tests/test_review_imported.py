"""A project made from someone else's Label Studio export (the LEOKA fixture, its own labels):
review in the terminal with Pilot and in tmux, panes that show every character at any width,
a refused store that loses nothing, and a release whose card is true to the store."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from curate.adjudicate.review import review_queue
from curate.cli import app
from curate.errors import StoreError
from curate.project import Project, init_project
from curate.store import queries
from tui.document_view import DocumentView
from tui.review import ReviewApp

FIXTURE = Path(__file__).parent / "fixtures" / "leoka_team_1.json"
runner = CliRunner()


def curate(root: Path, *args: str) -> str:
    result = runner.invoke(app, ["--project", str(root), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def leoka(tmp_path: Path) -> Project:
    """The whole fixture imported with its labels adopted, then auto-adjudicated."""
    root = tmp_path / "leoka"
    curate(tmp_path, "init", str(root))
    curate(root, "import-ls", str(FIXTURE), "--adopt-labels")
    curate(root, "adjudicate", "--auto")
    return Project.load(root)


def one_task(tmp_path: Path, annotators: int) -> Project:
    """The fixture's first task with `annotators` annotators (a fourth one copies the first
    but drops its last span), imported and auto-adjudicated: one document open for review."""
    task = json.loads(FIXTURE.read_text("utf-8"))[0]
    people = task["annotations"][: min(annotators, 3)]
    if annotators == 4:
        extra = json.loads(json.dumps(people[0]))
        extra["id"] += 1
        extra["completed_by"] = {"id": 4, "email": "annotator_dave@example.invalid"}
        extra["result"] = extra["result"][:-2]
        people.append(extra)
    task["annotations"] = people
    export = tmp_path / f"task-{annotators}.json"
    export.write_text(json.dumps([task]), "utf-8")
    root = tmp_path / f"one-{annotators}"
    init_project(root, name="one")
    curate(root, "import-ls", str(export), "--adopt-labels")
    curate(root, "adjudicate", "--auto")
    return Project.load(root)


@pytest.mark.anyio
async def test_a_reviewer_settles_three_open_items_of_an_imported_project_and_releases(
    leoka: Project, offline: None
) -> None:
    from datasets import load_dataset

    store = leoka.open_store()
    review = ReviewApp(leoka, store, "rita")
    resolved, stored = 0, []
    async with review.run_test(size=(160, 40)) as pilot:
        while resolved < 3 or review.resolution is not None and review.resolution.changed:
            resolution = review.resolution
            assert resolution is not None and resolution.left()
            group = resolution.groups[resolution.group]
            number = next(
                n for n, who in enumerate(resolution.annotators, 1) if group.versions.get(who)
            )
            await pilot.press(str(number))
            resolved += 1
            if resolution.left():
                await pilot.press("space")
                continue
            stored.append(resolution.alignment.document_id)
            chosen = set(resolution.spans())
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert (
                review.resolution is None or review.resolution.alignment.document_id not in stored
            )
    assert not review.unstored
    with store.connect() as connection:
        gold = queries.gold_entities(connection)
    store.close()
    assert set(gold[stored[-1]]) == chosen
    curate(leoka.root, "release", "--version", "1.0.0", "--allow-unresolved")
    dataset = load_dataset(str(leoka.root / "exports" / "leoka" / "v1.0.0"))
    rows = {row["id"]: row for split in dataset.values() for row in split}
    assert set(stored) <= set(rows)
    methods = {s["method"] for d in stored for s in rows[d]["entities"]}
    assert "reviewer" in methods
    names = dataset["train"].features["entities"].feature["label"].names
    assert {names[s["label"]] for d in stored for s in rows[d]["entities"]} <= set(names)


@pytest.mark.anyio
async def test_a_refused_store_keeps_the_decision_as_a_draft_restored_with_a_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = one_task(tmp_path, 3)
    import tui.review_session

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise StoreError("database is locked; try again")

    monkeypatch.setattr(tui.review_session, "decide", refuse)
    store = project.open_store()
    first = ReviewApp(project, store, "rita")
    async with first.run_test(size=(120, 40)) as pilot:
        resolution = first.resolution
        assert resolution is not None
        while resolution.left():
            group = resolution.groups[resolution.group]
            who = next(n for n, w in enumerate(resolution.annotators, 1) if group.versions.get(w))
            await pilot.press(str(who), "space")
        chosen = resolution.spans()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "NOT STORED (database is locked" in str(first.query_one("#status").render())
        assert first.resolution is resolution  # still on the same document
    assert first.unstored == {resolution.alignment.document_id}
    monkeypatch.undo()
    again = ReviewApp(project, store, "rita")
    async with again.run_test(size=(120, 40)) as pilot:
        restored = again.resolution
        assert restored is not None and restored.left() == 0 and restored.spans() == chosen
        assert "restored your unstored choices" in str(again.query_one("#status").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
    with store.connect() as connection:
        gold = queries.gold_entities(connection)[resolution.alignment.document_id]
    store.close()
    assert gold == chosen
    drafts = project.root / ".curate" / "review-drafts" / "rita"
    assert not list(drafts.glob("doc_*.json"))


def test_review_refuses_labels_curate_toml_does_not_know_before_anyone_works(
    tmp_path: Path,
) -> None:
    project = one_task(tmp_path, 3)
    config = project.root / "curate.toml"
    text = config.read_text("utf-8")
    config.write_text(re.sub(r'\[\[entity_labels\]\]\nname = "Time"\n[^\[]*', "", text), "utf-8")
    result = runner.invoke(app, ["--project", str(project.root), "review", "--as", "rita"])
    output = " ".join(result.output.split())
    assert result.exit_code == 2, output
    assert "annotations use entity labels that are not in curate.toml: Time" in output
    assert "Traceback" not in output


@pytest.mark.anyio
@pytest.mark.parametrize("annotators", [2, 4])
@pytest.mark.parametrize("columns", [80, 100, 160])
async def test_review_panes_show_every_character_at_any_width(
    tmp_path: Path, annotators: int, columns: int
) -> None:
    project = one_task(tmp_path, annotators)
    store = project.open_store()
    review = ReviewApp(project, store, "rita")
    async with review.run_test(size=(columns, 40)) as pilot:
        await pilot.pause()
        panes = list(review.query(DocumentView))
        assert len(panes) == annotators
        for pane in panes:
            width = pane.scrollable_content_region.width
            plain = pane.text.plain
            lines = [pane.line_text(k).plain for k in range(pane.line_count)]
            assert all(cell_len(line) <= width for line in lines)
            # Laid end to end (line breaks put back), the lines are the text, every character.
            starts = [*pane._starts, len(plain)]
            rebuilt = ""
            for k, line in enumerate(lines):
                piece = plain[starts[k] : starts[k + 1]]
                assert piece in (line, line + "\n")
                rebuilt += piece
            assert rebuilt == plain
            # A line ends at a space (or a line break) unless one word is wider than the line,
            # and a wrapped line never starts with a space.
            for k in range(1, len(lines)):
                cut = starts[k]
                assert plain[cut - 1] == "\n" or not plain[cut].isspace(), (lines[k - 1], lines[k])
                if plain[cut - 1].isspace() or plain[cut].isspace():
                    continue
                word = re.search(r"\S+$", plain[starts[k - 1] : cut])
                assert word is not None and word.start() == 0, (lines[k - 1], lines[k])
            # What is drawn on screen is the line itself, uncut.
            for y in range(min(pane.size.height, len(lines))):
                drawn = pane.render_line(y).text
                assert drawn[: len(lines[y])] == lines[y] and not drawn[len(lines[y]) :].strip()
    store.close()


@pytest.mark.anyio
@pytest.mark.parametrize("show_annotators", [False, True])
async def test_the_reviewer_names_annotators_as_the_reports_do(
    tmp_path: Path, show_annotators: bool
) -> None:
    """Pseudonyms in pane titles and the conflict line, as in `curate agreement`; real names
    (here e-mail addresses) only with --show-annotators."""
    project = one_task(tmp_path, 4)
    store = project.open_store()
    with store.connect() as connection:
        names = {a.annotator for a in queries.newest_evidence(connection)}
    report = json.loads(curate(project.root, "agreement", "--json", "--resamples", "10"))
    review = ReviewApp(project, store, "rita", show_annotators=show_annotators)
    async with review.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        titles = [str(pane.border_title) for pane in review.query(DocumentView)]
        shown = " ".join([*titles, str(review.query_one("#info").render())])
    store.close()
    assert len(names) == 4 and all("@" in name for name in names)
    expected = names if show_annotators else set(report["annotators"])
    assert {title.split(" ", 1)[1] for title in titles} == expected
    assert all(name in shown for name in expected)
    if not show_annotators:
        assert "@" not in shown


@pytest.mark.anyio
@pytest.mark.parametrize("columns", [80, 100, 160])
async def test_the_review_footer_fits_and_help_lists_every_key(
    tmp_path: Path, columns: int
) -> None:
    from textual.widgets._footer import FooterKey

    from tui.review import KEYS
    from tui.screens import HelpScreen

    project = one_task(tmp_path, 4)
    store = project.open_store()
    review = ReviewApp(project, store, "rita")
    async with review.run_test(size=(columns, 30)) as pilot:
        await pilot.pause()
        keys = sorted(review.query(FooterKey), key=lambda k: k.region.x)
        shown = [(k.key_display, k.description) for k in keys]
        assert ("?", "all keys") in shown and ("^s", "decide") in shown
        for key in keys:  # each whole, inside the screen, none over another
            assert 0 <= key.region.x and key.region.right <= columns, shown
            assert key.region.width >= cell_len(f" {key.key_display} {key.description} ")
        assert all(a.region.right <= b.region.x for a, b in zip(keys, keys[1:], strict=False))
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(review.screen, HelpScreen)
        listed = {description for _, description in review.screen.rows}
        assert {b.description for b in KEYS} <= listed
    store.close()


def test_the_reviewer_in_a_real_terminal_at_160_columns_with_four_panes(tmp_path: Path) -> None:
    project = one_task(tmp_path, 4)
    script = Path(__file__).resolve().parent.parent / "scripts" / "review-smoke.sh"
    result = subprocess.run(
        ["bash", str(script), str(project.root), "rita"],
        capture_output=True,
        text=True,
        timeout=180,
        env={
            "PATH": "/usr/bin:/bin",
            "CURATE": str(Path(sys.executable).parent / "curate"),
            "TERM": "xterm-256color",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "review-smoke: ok" in result.stdout
    screen = result.stdout.split("--- screen\n", 1)[1].split("--- end", 1)[0]
    titles = re.findall(r"[╭┌]─* ?([1-4]) ", screen)
    assert titles[:4] == ["1", "2", "3", "4"]
    with project.open_store().connect() as connection:
        [document_id] = queries.document_ids(connection)
        document = queries.get_document(connection, document_id)
    assert document is not None
    words = set(document.text.split())
    seen = 0
    for line in screen.splitlines():
        for cell in line.split("│")[1:-1]:  # the text between each pane's borders
            # Tags and the · padding that keeps the panes' lines side by side are inserted.
            for token in re.sub(r"\[[A-Za-z_]+\]|·+", "", cell).split():
                if token.strip("▁▂▃▄▅▆▇█▔▕▐"):
                    assert token in words, f"{token!r} is cut or garbled in {cell!r}"
                    seen += 1
    assert seen > 100


def test_the_card_of_an_imported_project_says_what_the_store_holds(
    leoka: Project, offline: None
) -> None:
    from collections import Counter

    import yaml
    from datasets import load_dataset

    curate(leoka.root, "release", "--version", "1.0.0", "--allow-unresolved")
    card = (leoka.root / "exports" / "leoka" / "v1.0.0" / "README.md").read_text("utf-8")
    flat = " ".join(card.split())
    with leoka.open_store().connect() as connection:
        newest = [a for a in queries.newest_evidence(connection) if a.skipped_reason is None]
        every = queries.all_annotations(connection)
        gold = queries.gold_entities(connection)
        released = set(queries.release_splits(connection))
    per_document = Counter(Counter(a.document_id for a in newest).values())
    spread = ", ".join(
        f"{k} annotator{'s' if k > 1 else ''} on {n} document{'s' if n > 1 else ''}"
        for k, n in sorted(per_document.items())
    )
    assert f"Annotators per document: {spread}." in flat
    assert "assigned to 2 of them" not in flat
    # Nobody was shown a pre-label in this export, and the card says so.
    assert not any(a.from_prelabel for a in every)
    assert f"Pre-labels: none shown; none of the {len(every)} annotations" in flat
    assert "Pre-labels were shown to annotators" not in flat
    # No stance in a police-report export: no stance claimed, tagged or released as columns.
    said = " ".join(card.split("---", 2)[2].split())  # the card after its YAML header
    for claim in ("stance", "news", "English", "Iran", "United States"):
        assert not re.search(rf"\b{claim}\b", said, re.I), claim
    header = yaml.safe_load(card.split("---")[1])
    assert header["task_categories"] == ["token-classification"]
    assert header["tags"] == ["named-entity-recognition", "curate"]
    assert header["language"] == ["en"]  # as curate.toml says
    features = load_dataset(str(leoka.root / "exports" / "leoka" / "v1.0.0"))["train"].features
    assert not [c for c in features if c.startswith("stance")]
    assert flat.split("# leoka 1.0.0 ")[1].startswith("Texts labelled with named entities.")
    # Only the labels gold uses; nobody here labelled under this project's guidelines, so the
    # template's definitions (PERSON: "Not job titles on their own") are not claimed.
    used = {s.label for d in released for s in gold[d]}
    label_rows = re.findall(
        r"^\| (\d+) \| (\S+) \| (.+) \|$", card.split("## Labels")[1].split("##")[0], re.M
    )
    assert {label for _, label, _ in label_rows} == used
    assert {definition for _, _, definition in label_rows} == {
        "labelled elsewhere (imported), under that project's guidelines"
    }
    assert "job titles" not in card and "label definitions above" not in card
    # Headings say what their tables show: no claim of intervals over tables without them.
    assert "bootstrap intervals over documents):" not in card
    for table in re.findall(r"(?m)^\|.*\| 95% CI.*\|$", card):
        assert "bootstrap over documents" in table
    assert "even splits (for example 2-2) went to a reviewer" in flat
    # How the release was chosen: per annotator count, annotated and released.
    for k in per_document:
        documents = {d for d, n in Counter(a.document_id for a in newest).items() if n == k}
        assert f"| {k} | {len(documents)} | {len(documents & released)} |" in card
    # Agreement of the released subset beside the whole set, over the documents it compares.
    counts = Counter(a.document_id for a in newest if not a.skipped_reason)
    compared = {d for d, n in counts.items() if n >= 2}
    assert (
        f"| documents two or more annotators labelled | {len(compared)} | "
        f"{len(compared & released)} |" in card
    )
    assert "example.invalid" not in card  # annotators pseudonymised
    assert "{leoka}: named entities, version 1.0.0" in card  # the citation claims no stance


def test_trimming_span_edges_raises_exact_agreement_on_the_fixture(tmp_path: Path) -> None:
    scores = {}
    for trim in (True, False):
        root = tmp_path / f"trim-{trim}"
        init_project(root, name="trim")
        config = root / "curate.toml"
        text = config.read_text("utf-8")
        config.write_text(
            text.replace(
                "trim_span_whitespace = true", f"trim_span_whitespace = {str(trim).lower()}"
            ),
            "utf-8",
        )
        report = json.loads(curate(root, "agreement", "--from-export", str(FIXTURE), "--json"))
        scores[trim] = report["entities"]["overall"]
    assert scores[True]["exact"]["f1"] > scores[False]["exact"]["f1"] + 0.05
    assert scores[True]["boundary_differences"] < scores[False]["boundary_differences"]


def test_the_prelabel_tie_rule_without_prelabels_leaves_ties_to_a_reviewer(tmp_path: Path) -> None:
    """The export has no pre-labels: `tie_breaker = "prelabel"` cannot apply, so it decides
    exactly what "review" decides, says how many splits it left, and the card claims none."""
    outcome = {}
    for rule in ("review", "prelabel"):
        root = tmp_path / rule
        curate(tmp_path, "init", str(root))
        config = root / "curate.toml"
        text = config.read_text("utf-8")
        config.write_text(text.replace('tie_breaker = "review"', f'tie_breaker = "{rule}"'))
        curate(root, "import-ls", str(FIXTURE), "--adopt-labels")
        said = " ".join(curate(root, "adjudicate", "--auto").split())
        with Project.load(root).open_store().connect() as connection:
            outcome[rule] = (
                queries.gold_entities(connection),
                [e.document_id for e in review_queue(connection)],
            )
        if rule == "prelabel":
            found = re.search(r"(\d+) even splits went to review: tie_breaker = 'prelabel'", said)
            assert found and int(found.group(1)) > 0, said
            curate(root, "release", "--version", "1.0.0", "--allow-unresolved")
            card = " ".join((root / "exports" / rule / "v1.0.0" / "README.md").read_text().split())
            assert "settled by `prelabel` where it could apply (0 released labels)" in card
    assert outcome["prelabel"] == outcome["review"]
