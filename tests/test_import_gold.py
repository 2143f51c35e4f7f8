"""`curate import-gold`: outside gold into the store, with provenance, never as an annotator;
released in its pinned split and opened with a real `load_dataset`; bad files store nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curate.cli import app
from curate.project import Project
from curate.records import Annotation, Document, Span
from curate.store import gold_imports, queries

CONLL = """-DOCSTART- -X- O O

Ali NNP B-PER
Khamenei NNP I-PER
met VBD O
Qaani NNP B-PER
in IN O
Tehran NNP B-LOC
. . O

-DOCSTART- -X- O O

Iranian JJ B-MISC
officials NNS O
visited VBD O
Baghdad NNP B-LOC
"""


def _run(project_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["-C", str(project_dir), *args])
    return result.exit_code, " ".join(result.output.split())  # Rich wraps lines


def _store_rows(project_dir: Path) -> tuple[int, int, int]:
    with Project.load(project_dir).open_store().connect() as connection:
        decisions = len(queries.decisions_for(connection, queries.document_ids(connection)))
        return (
            len(queries.document_ids(connection)),
            decisions,
            len(queries.all_annotations(connection)),
        )


def test_conll_gold_is_imported_with_provenance_and_a_pinned_split(project_dir: Path) -> None:
    path = project_dir / "gold.conll"
    path.write_text(CONLL, encoding="utf-8")
    code, output = _run(
        project_dir, "import-gold", str(path), "--label-map", "PER=PERSON,LOC=GPE",
        "--drop-labels", "MISC", "--split", "test",
    )  # fmt: skip
    assert code == 0, output
    assert "gold stored for 2 (4 spans, 0 stances)" in output
    assert "spans left out: 1 MISC" in output and "2 test (pinned)" in output
    project = Project.load(project_dir)
    with project.open_store().connect() as connection:
        ids = queries.document_ids(connection)
        gold = queries.gold_entities(connection)
        decisions = queries.decisions_for(connection, ids)
        assert gold_imports.pinned_splits(connection) == dict.fromkeys(ids, "test")
        assert queries.all_annotations(connection) == []  # no annotator was made up
    assert len(ids) == 2
    assert sorted((s.text, s.label) for spans in gold.values() for s in spans) == [
        ("Ali Khamenei", "PERSON"), ("Baghdad", "GPE"), ("Qaani", "PERSON"), ("Tehran", "GPE"),
    ]  # fmt: skip
    assert {d.method for d in decisions} == {"imported"}
    assert all(d.note and d.note.startswith("gold.conll sha256:") for d in decisions)

    # The same file again changes nothing.
    code, output = _run(
        project_dir, "import-gold", str(path), "--label-map", "PER=PERSON,LOC=GPE",
        "--drop-labels", "MISC", "--split", "test",
    )  # fmt: skip
    assert code == 0 and "gold stored for 0" in output and "2 already imported" in output
    assert _store_rows(project_dir)[1] == len(decisions)


def test_jsonl_gold_with_stances_is_released_and_read_by_load_dataset(
    project_dir: Path, offline: None
) -> None:
    from datasets import load_dataset

    rows = [
        {"text": "Khamenei spoke in Tehran.", "spans": [{"start": 0, "end": 8, "label": "PERSON"}],
         "stances": {"Iran": "favor"}},
        {"text": "Washington condemned Iran.", "spans": [{"start": 0, "end": 10, "label": "GPE"}],
         "stance": {"Iran": "against", "United States": "neutral"}},
    ]  # fmt: skip
    path = project_dir / "gold.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code, output = _run(project_dir, "import-gold", str(path), "--split", "validation")
    assert code == 0, output
    assert "gold stored for 2 (2 spans, 3 stances)" in output
    code, output = _run(project_dir, "release", "--version", "1.0.0")
    assert code == 0, output
    folder = next((project_dir / "exports").glob("*/v1.0.0"))
    dataset = load_dataset(str(folder), "gold")
    assert set(dataset) == {"validation"} and dataset["validation"].num_rows == 2
    card = " ".join((folder / "README.md").read_text().split())
    assert "5 labels are gold imported from files made elsewhere" in card
    assert "Where annotators agreed" not in card and "decided: `imported`." in card


def test_people_s_adjudicated_gold_is_kept(project_dir: Path) -> None:
    from curate.adjudicate.review import decide

    project = Project.load(project_dir)
    text = "Khamenei spoke in Tehran."
    with project.open_store().transaction() as connection:
        document = Document(text=text)
        queries.insert_documents(connection, [document])
        queries.add_annotation(connection, Annotation(document.id, "alice", "test", ()))
        decide(
            connection,
            project.settings,
            document.id,
            "rita",
            [Span(0, 8, "PERSON", "Khamenei")],
            {},
        )
    path = project_dir / "gold.jsonl"
    path.write_text(json.dumps({"text": text, "spans": []}) + "\n", encoding="utf-8")
    code, output = _run(project_dir, "import-gold", str(path))
    assert code == 0 and "1 kept the gold people adjudicated" in output
    with project.open_store().connect() as connection:
        assert [s.text for s in queries.gold_entities(connection)[document.id]] == ["Khamenei"]


BAD = [
    ("missing.conll", None, "does not exist"),
    ("gold.csv", "text,label\n", "gold must be CoNLL"),
    ("empty.conll", "\n\n", "holds no documents"),
    ("tag.conll", "Iran X-LOC\n", "line 1: expected 'TOKEN ... TAG'"),
    ("labels.conll", CONLL, "uses labels that are not in curate.toml: PER (2 spans)"),
    ("json.jsonl", '{"text": "Iran"\n', "line 1 is not valid JSON"),
    ("span.jsonl", '{"text": "Iran", "spans": [{"start": 0, "end": 9, "label": "GPE"}]}\n',
     "line 1: span 0-9"),
    ("blank.jsonl", '{"text": "   ", "spans": []}\n', "'text' must be a non-empty string"),
    ("target.jsonl", '{"text": "Iran", "stances": {"Mars": "favor"}}\n',
     "stance target 'Mars' is not in curate.toml"),
    ("stance.jsonl", '{"text": "Iran", "stances": {"Iran": "love"}}\n',
     "stance label 'love' for 'Iran' is not one of"),
    ("twice.jsonl", '{"text": "Iran", "spans": []}\n{"text": "Iran", "spans": '
     '[{"start": 0, "end": 4, "label": "GPE"}]}\n', "repeats an earlier document's text"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "message"), BAD)
def test_bad_gold_files_are_refused_and_store_nothing(
    project_dir: Path, name: str, content: str | None, message: str
) -> None:
    path = project_dir / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    before = _store_rows(project_dir)
    code, output = _run(project_dir, "import-gold", str(path), "--drop-labels", "MISC")
    assert code != 0 and message in output, output
    assert _store_rows(project_dir) == before


def test_a_bad_split_or_map_is_refused(project_dir: Path) -> None:
    path = project_dir / "gold.conll"
    path.write_text(CONLL, encoding="utf-8")
    code, output = _run(project_dir, "import-gold", str(path), "--split", "dev")
    assert code != 0 and "--split 'dev' is not a split" in output
    code, output = _run(project_dir, "import-gold", str(path), "--label-map", "PER=PERSON;LOC=GPE")
    assert code != 0 and "holds ';'" in output
    code, output = _run(project_dir, "import-gold", str(path), "--label-map", "PER=HUMAN")
    assert code != 0 and "'HUMAN', which is not an entity label" in output
    assert _store_rows(project_dir) == (0, 0, 0)


def test_conll_tokens_split_on_spaces_and_tabs_only(tmp_path: Path) -> None:
    """A no-break space inside a token is part of it: the text keeps every character."""
    from curate.ingest.gold import read_conll

    path = tmp_path / "nbsp.conll"
    path.write_text("Paid O\n10\u00a0000 O\nto O\nJohn\tB-PER\n", "utf-8")
    [gold] = read_conll(path)
    assert gold.document.text == "Paid 10\u00a0000 to John"
    [span] = gold.spans
    assert (span.text, span.label) == ("John", "PER")
