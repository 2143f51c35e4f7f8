"""The whole workflow on the seeds against a real Label Studio: init, ingest, pre-label, push to
three annotators (overlap 2, a blind share), alice and bob label through Label Studio's API,
carol in the terminal UI under Pilot, pull, agreement, auto-adjudication, the remaining conflicts
resolved in the review screen under Pilot, release v1.0.0, load_dataset, one label changed,
release v1.1.0, and `curate diff` showing exactly that change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import review_everything
from typer.testing import CliRunner

from curate.adjudicate.review import decide, review_queue
from curate.cli import app
from curate.labelstudio.client import connect
from curate.labelstudio.pull import pull
from curate.labelstudio.push import push
from curate.project import Project
from curate.records import Document, Span
from curate.store import queries
from tui.annotate import AnnotateApp
from tui.review import ReviewApp

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
EMOJI = "😀 Khamenei told Washington: no talks. 🇮🇷"
runner = CliRunner()


def curate(root: Path, *args: str) -> str:
    result = runner.invoke(app, ["--project", str(root), *args])
    assert result.exit_code == 0, result.output
    return result.output


def labelled_result(task: Any, relabel_first: bool, iran: str) -> list[dict[str, Any]]:
    """The suggestions shown in the task (or none when blind), plus a stance for Iran."""
    shown = [
        r for r in (task.predictions[0].result if task.predictions else []) if r["type"] == "labels"
    ]
    text = task.data["text"]
    if "Khamenei told Washington" in text:  # the emoji text: label by hand
        start = text.index("Khamenei")
        shown = [
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
    result = []
    for i, item in enumerate(shown):
        value = dict(item["value"])
        if relabel_first and i == 0:
            value["labels"] = ["ORG" if value["labels"] != ["ORG"] else "GPE"]
        result.append({"from_name": "label", "to_name": "text", "type": "labels", "value": value})
    result.append(
        {
            "from_name": "stance_iran",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": [iran]},
        }
    )
    return result


@pytest.mark.anyio
async def test_the_whole_workflow_on_the_seeds(
    tmp_path: Path, labelstudio: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    url, token = labelstudio
    root = tmp_path / "project"
    curate(root.parent, "init", str(root))
    shutil.copytree(SEEDS, root / "seeds")
    (root / "extra.jsonl").write_text(json.dumps({"text": EMOJI, "title": "emoji"}) + "\n", "utf-8")
    assert "8 new documents" in curate(root, "ingest", str(root / "seeds"))
    assert "1 new documents" in curate(root, "ingest", str(root / "extra.jsonl"))
    curate(root, "prelabel", "--labeller", "gazetteer.v1", "--labeller", "stance-cues.v1")

    project = Project.load(root)
    store = project.open_store()
    with connect(url, token) as client:
        report = push(store, project, client, url, blind_fraction=0.3)
        assert sum(report.new_tasks.values()) == 18  # 9 documents x overlap 2
        users = {u.email: u.id for u in client.users.list()}
        with store.connect() as connection:
            projects = {
                a: int(p)
                for p, a in queries.external_ids(connection, "labelstudio", "project").items()
            }
            blind = queries.blind_documents(connection)
        assert blind, "the blind share should hold at least one of 9 documents"
        # alice keeps what she is shown and calls Iran "against"; bob relabels the first span
        # of every other document and calls Iran "favor" there: conflicts to review.
        for who, email in (("alice", "alice@example.org"), ("bob", "bob@example.org")):
            tasks = client.tasks.list(project=projects[who], fields="all")
            for n, task in enumerate(sorted(tasks, key=lambda t: t.data["doc_id"])):
                disagree = who == "bob" and n % 2 == 0
                result = labelled_result(task, disagree, "favor" if disagree else "against")
                client.annotations.create(id=task.id, result=result, completed_by=users[email])
        # carol works in the terminal: accept everything shown, Iran "against", submit.
        carol = AnnotateApp(project, store, "carol")
        async with carol.run_test(size=(100, 30)) as pilot:
            for _ in range(len(carol.session.assigned)):
                state = carol.state
                if "Khamenei told Washington" in state.text:
                    start = state.text.index("Khamenei")
                    while state.token.start != start:
                        await pilot.press("right")
                    await pilot.press("p")
                await pilot.press("A", "2")  # the focused target is Iran, the first
                await pilot.press("ctrl+s")
        pulled = pull(store, project, client, url)
    carol_docs = len(carol.session.assigned)
    assert pulled.new_annotations == 18 - carol_docs

    agreement = json.loads(
        curate(root, "agreement", "--json", "--resamples", "200", "--show-annotators")
    )
    assert agreement["documents"] == 9 and agreement["annotators"] == ["alice", "bob", "carol"]
    assert agreement["entities"]["overall"]["label_conflicts"] > 0
    assert set(agreement["anchoring"]["alice"]) == {"suggested", "blind"}
    auto = json.loads(curate(root, "adjudicate", "--auto", "--json"))
    assert auto["auto"]["documents"] == 9 and auto["queue"]

    # The reviewer takes alice's version of every conflict (annotator 1 is alice on documents
    # she labelled; otherwise the first annotator shown).
    await review_everything(ReviewApp(project, store, "rita"), (100, 30))
    with store.connect() as connection:
        assert review_queue(connection) == []
        gold_entities = queries.gold_entities(connection)
        gold_stances = queries.gold_stances(connection)
    assert len(gold_entities) == 9
    emoji_id = Document(EMOJI).id
    assert [(s.text, s.label) for s in gold_entities[emoji_id]] == [("Khamenei", "PERSON")]

    curate(root, "release", "--version", "1.0.0")
    import datasets

    datasets.disable_progress_bars()
    folder = root / "exports" / project.settings.release.name / "v1.0.0"
    loaded = datasets.load_dataset(str(folder))
    rows = {row["id"]: (row, split.features) for split in loaded.values() for row in split}
    assert set(rows) == set(gold_entities)
    for document_id, (row, features) in rows.items():
        names = features["entities"].feature["label"].names
        assert [(s["start"], s["end"], names[s["label"]]) for s in row["entities"]] == [
            (s.start, s.end, s.label) for s in gold_entities[document_id]
        ]
        iran = gold_stances.get(document_id, {}).get("Iran")
        assert row["stance_iran"] == (
            -1 if iran is None else features["stance_iran"].names.index(iran)
        )
    emoji_row = rows[emoji_id][0]
    assert (
        emoji_row["text"][emoji_row["entities"][0]["start"] : emoji_row["entities"][0]["end"]]
        == "Khamenei"
    )

    # One label changes (a reviewer's second look), then a minor release and the diff.
    first = gold_entities[emoji_id][0]
    with store.transaction() as connection:
        decide(
            connection,
            project.settings,
            emoji_id,
            "rita",
            [Span(first.start, first.end, "ORG", first.text)],
            gold_stances.get(emoji_id, {}),
            note="second look",
        )
    store.close()
    curate(root, "release", "--bump", "minor")
    diff = curate(root, "diff", "v1.0.0", "v1.1.0")
    # The annotators had agreed on PERSON: the reviewer's second look is an override.
    assert diff.splitlines() == [
        f"{emoji_id} span {first.start}-{first.end}: PERSON -> ORG",
        f"{emoji_id} span {first.start}-{first.end}: a reviewer override",
        "1 relabelled spans, 1 overrides",
    ]
