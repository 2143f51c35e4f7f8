"""`curate evaluate` on hand-made gold files: the figures below were computed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curate.agreement.spans import compare_exact, compare_overlap
from curate.cli import app
from curate.config import load_settings
from curate.errors import InputError
from curate.ingest.gold import (
    map_labels,
    read_conll,
    read_gold_jsonl,
)
from curate.labels import DEFAULT_CONLL_MAP, parse_label_map
from curate.prelabel.base import LabellerContext
from curate.prelabel.evaluate import evaluate_file

ROOT = Path(__file__).resolve().parent.parent

# Document 1 in IOB2, document 2 in IOB1 (I- starts an entity; MISC is not mapped, so dropped).
CONLL = """-DOCSTART- -X- O O

Ali NNP B-PER
Khamenei NNP I-PER
met VBD O
Qaani NNP B-PER
in IN O
Tehran NNP B-LOC
. . O

-DOCSTART- -X- O O

Iranian JJ I-MISC
Revolutionary NNP I-ORG
Guards NNP I-ORG
Corps NNP I-ORG
chief NN O
Hossein NNP I-PER
Salami NNP I-PER
visited VBD O
Baghdad NNP I-LOC
and CC O
Washington NNP I-ORG
"""


def test_conll_decodes_iob1_and_iob2_into_text_and_spans(tmp_path: Path) -> None:
    path = tmp_path / "gold.conll"
    path.write_text(CONLL, encoding="utf-8")
    raw = list(read_conll(path))
    assert [s.label for s in raw[0].spans] == ["PER", "PER", "LOC"]
    (first, second), dropped = map_labels(raw, parse_label_map(DEFAULT_CONLL_MAP))
    assert dropped == {"MISC": 1}
    assert first.document.text == "Ali Khamenei met Qaani in Tehran ."
    assert [(s.text, s.label) for s in first.spans] == [
        ("Ali Khamenei", "PERSON"),
        ("Qaani", "PERSON"),
        ("Tehran", "GPE|LOC"),
    ]
    assert [(s.text, s.label) for s in second.spans] == [
        ("Revolutionary Guards Corps", "ORG"),
        ("Hossein Salami", "PERSON"),
        ("Baghdad", "GPE|LOC"),
        ("Washington", "ORG"),
    ]


def test_iob1_adjacent_entities_of_one_type_split_at_b(tmp_path: Path) -> None:
    path = tmp_path / "g.conll"
    path.write_text("Paris I-LOC\nLondon B-LOC\nBerlin I-LOC\n", encoding="utf-8")
    [document] = read_conll(path)
    assert [s.text for s in document.spans] == ["Paris", "London Berlin"]


def test_evaluating_the_gazetteer_on_conll_gives_the_hand_computed_scores(tmp_path: Path) -> None:
    path = tmp_path / "gold.conll"
    path.write_text(CONLL, encoding="utf-8")
    context = LabellerContext(load_settings(ROOT), ROOT)
    result = evaluate_file(context, path, DEFAULT_CONLL_MAP, "gazetteer.v1")
    exact, overlap = result.exact.table(), result.overlap.table()
    # Exact: 5 right; "Revolutionary Guards" and Washington/GPE wrong; "Iranian"/NORP not scored.
    # Rows are the file's own labels: GPE and LOC predictions map back to LOC.
    assert (exact["overall"].tp, exact["overall"].fp, exact["overall"].fn) == (5, 2, 2)
    assert exact["overall"].f1 == pytest.approx(5 / 7)
    assert {k: (v.tp, v.fp, v.fn) for k, v in exact.items() if k != "overall"} == {
        "PER": (3, 0, 0),
        "LOC": (2, 1, 0),
        "ORG": (0, 1, 2),
    }
    assert result.dropped_gold == {"MISC": 1} and result.ignored_predictions == {"NORP": 1}
    # Overlap: the Guards boundary difference becomes a hit; Washington stays a label conflict.
    assert (overlap["overall"].tp, overlap["overall"].fp, overlap["overall"].fn) == (6, 1, 1)
    assert overlap["overall"].precision == pytest.approx(6 / 7)
    assert overlap["ORG"].recall == pytest.approx(1 / 2)
    assert (result.overlap.label_conflicts, result.overlap.boundary_differences) == (1, 1)


def _jsonl(path: Path, rows: list[tuple[str, list[tuple[str, str, int]], dict[str, str]]]) -> Path:
    lines = []
    for text, spans, stance in rows:
        items = []
        for surface, label, occurrence in spans:
            start = -1
            for _ in range(occurrence + 1):
                start = text.index(surface, start + 1)
            items.append({"start": start, "end": start + len(surface), "label": label})
        lines.append(json.dumps({"text": text, "spans": items, "stance": stance}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


TEXT1, TEXT2, TEXT3 = (
    "Khamenei praised the Quds Force in Tehran.",
    "Washington condemned Iran.",
    "Nothing here.",
)


def _gold_and_predictions(tmp_path: Path) -> tuple[Path, Path]:
    gold = _jsonl(
        tmp_path / "gold.jsonl",
        [
            (
                TEXT1,
                [("Khamenei", "PERSON", 0), ("Quds Force", "ORG", 0), ("Tehran", "GPE", 0)],
                {"Iran": "favor", "United States": "none"},
            ),
            (
                TEXT2,
                [("Washington", "GPE", 0), ("Iran", "GPE", 0)],
                {"Iran": "against", "United States": "neutral"},
            ),
            (TEXT3, [], {"Iran": "none", "United States": "none"}),
        ],
    )
    predictions = _jsonl(
        tmp_path / "predictions.jsonl",
        [
            (
                TEXT1,
                [("Khamenei", "PERSON", 0), ("the Quds Force", "ORG", 0), ("Tehran", "LOC", 0)],
                {"Iran": "favor", "United States": "none"},
            ),
            (TEXT2, [("Washington", "GPE", 0), ("condemned", "EVENT", 0)], {"Iran": "against"}),
            (TEXT3, [], {"Iran": "favor", "United States": "none"}),
        ],
    )
    return gold, predictions


def test_jsonl_predictions_against_jsonl_gold(tmp_path: Path) -> None:
    gold, predictions = _gold_and_predictions(tmp_path)
    context = LabellerContext(load_settings(ROOT), ROOT)
    result = evaluate_file(context, gold, None, predictions_path=predictions)
    exact, overlap = result.exact.overall, result.overlap.overall
    assert (exact.tp, exact.fp, exact.fn, exact.f1) == (2, 3, 3, pytest.approx(0.4))
    assert (overlap.tp, overlap.fp, overlap.fn, overlap.f1) == (3, 2, 2, pytest.approx(0.6))
    assert (result.overlap.label_conflicts, result.overlap.boundary_differences) == (1, 1)
    iran, us = result.stance["Iran"], result.stance["United States"]
    assert (iran.accuracy, iran.macro_f1, iran.coverage) == (
        pytest.approx(2 / 3),
        pytest.approx(5 / 9),
        1.0,
    )
    assert (us.accuracy, us.macro_f1, us.coverage) == (1.0, 1.0, pytest.approx(2 / 3))
    # F1avg: favor P 1/2 R 1 (F1 2/3), against 1; the baseline says "none" to every US document.
    assert iran.f1_avg == pytest.approx((2 / 3 + 1) / 2)
    assert (us.f1_avg, us.baseline_label, us.baseline_accuracy) == (
        0.0,
        "none",
        pytest.approx(2 / 3),
    )


def test_the_cli_prints_the_same_figures_as_json(tmp_path: Path) -> None:
    gold, predictions = _gold_and_predictions(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "--project",
            str(ROOT),
            "evaluate",
            "--gold",
            str(gold),
            "--predictions",
            str(predictions),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["entities"]["overlap"]["labels"]["overall"]["f1"] == pytest.approx(0.6)
    assert report["stance"]["Iran"]["macro_f1"] == pytest.approx(5 / 9)


def test_matching_by_hand_cases() -> None:
    gold = [("d", 0, 5, "PERSON"), ("d", 10, 20, "ORG")]
    assert compare_exact(gold, gold).overall.f1 == 1.0
    boundary = compare_overlap(gold, [("d", 0, 4, "PERSON"), ("d", 10, 20, "GPE")])
    assert (boundary.overall.tp, boundary.overall.fp, boundary.overall.fn) == (1, 1, 1)
    assert (boundary.boundary_differences, boundary.label_conflicts) == (1, 1)
    assert compare_exact(gold, [("d", 0, 4, "PERSON")]).overall.tp == 0


def test_gold_files_with_bad_spans_or_tags_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Iran", "spans": [{"start": 0, "end": 9, "label": "GPE"}]}\n')
    with pytest.raises(InputError, match="line 1: span 0-9"):  # bad input: exit 2
        list(read_gold_jsonl(bad))
    conll = tmp_path / "bad.conll"
    conll.write_text("Iran X-LOC\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: expected 'TOKEN ... TAG'"):
        list(read_conll(conll))


def test_an_annotator_is_scored_only_on_the_documents_they_were_given(project_dir) -> None:  # type: ignore[no-untyped-def]
    from curate.adjudicate.review import decide
    from curate.project import Project
    from curate.records import Annotation, Document, Span
    from curate.store import queries

    project = Project.load(project_dir)
    given, other = Document("Khamenei spoke in Tehran."), Document("Zarif flew to Oman.")
    with project.open_store().transaction() as connection:
        queries.insert_documents(connection, [given, other])
        queries.insert_assignments(connection, [(given.id, "alice", False)])
        gold_given = [Span(0, 8, "PERSON", "Khamenei"), Span(18, 24, "GPE", "Tehran")]
        decide(connection, project.settings, given.id, "rita", gold_given, {})
        decide(connection, project.settings, other.id, "rita", [Span(0, 5, "PERSON", "Zarif")], {})
        queries.add_annotation(
            connection, Annotation(given.id, "alice", "test", (Span(0, 8, "PERSON", "Khamenei"),))
        )
    from curate.prelabel.evaluate import evaluate_store

    result = evaluate_store(project.open_store(), project.labeller_context(), annotator="alice")
    assert result.documents == 1  # Zarif's document was never alice's: not a miss
    overall = result.exact.overall
    assert (overall.tp, overall.fp, overall.fn) == (1, 0, 1)  # Tehran missed, Zarif not counted


@pytest.mark.parametrize(
    ("label_map", "message"),
    [
        ("PER=PERSON;ORG=ORG", "holds ';'; separate items with commas"),
        ("PER=HUMAN", "maps 'PER' to 'HUMAN', which is not an entity label"),
        ("PER=PERSON,LOC=PERSON", "maps both 'PER' and 'LOC' to 'PERSON'"),
        ("FOO=PERSON", "keeps none of"),
    ],
)
def test_a_malformed_or_empty_label_map_is_refused(
    tmp_path: Path, label_map: str, message: str
) -> None:
    path = tmp_path / "gold.conll"
    path.write_text(CONLL, encoding="utf-8")
    args = ["--project", str(ROOT), "evaluate", "--gold", str(path), "--label-map", label_map]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert message in " ".join(result.output.split())


def test_the_cli_names_dropped_gold_and_rows_by_gold_label(tmp_path: Path) -> None:
    path = tmp_path / "gold.conll"
    path.write_text(CONLL, encoding="utf-8")
    args = ["--project", str(ROOT), "evaluate", "--gold", str(path), "--labeller", "gazetteer.v1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "gold spans the label map leaves out (not scored): 1 MISC" in output
    assert "│ PER │ 1.000 │ 1.000 │ 1.000 │ 3 │ 0 │ 0 │" in output


def test_store_gold_scores_the_merged_suggestions_annotators_see(project) -> None:  # type: ignore[no-untyped-def]
    from curate.adjudicate.review import decide
    from curate.prelabel.evaluate import evaluate_store
    from curate.records import Span
    from curate.store import queries
    from curate.suggestions import shown

    store = project.open_store()
    order = project.settings.prelabel.labellers
    with store.transaction() as connection:
        first = queries.document_ids(connection)[0]
        seen = shown(queries.prelabels_for(connection, first), order)
        spans = [Span(p.start, p.end, p.label, p.text) for p in seen if p.kind == "entity"]  # type: ignore[arg-type]
        stances = {p.target: p.label for p in seen if p.kind == "stance"}
        decide(connection, project.settings, first, "rita", spans, stances)  # type: ignore[arg-type]
    result = evaluate_store(store, project.labeller_context())
    assert result.system.startswith("suggestions annotators are shown (gazetteer.v1+")
    assert result.exact.overall.f1 == 1.0 and result.exact.overall.tp == len(spans) > 0
    assert all(s.accuracy == 1.0 for s in result.stance.values())


def test_predictions_on_other_texts_are_warned_about(tmp_path: Path) -> None:
    """Texts that differ (a word more) match no gold; texts that differ only by what `ingest`
    cleans (trailing spaces) are the same document and do match."""
    gold, predictions = _gold_and_predictions(tmp_path)
    spaced = tmp_path / "spaced.jsonl"
    spaced.write_text(
        "".join(
            json.dumps(json.loads(line) | {"text": json.loads(line)["text"] + "  "}) + "\n"
            for line in predictions.read_text("utf-8").splitlines()
        ),
        "utf-8",
    )
    same = CliRunner().invoke(
        app, ["-C", str(ROOT), "evaluate", "--gold", str(gold), "--predictions", str(spaced)]
    )
    assert same.exit_code == 0, same.output
    assert "matches a prediction" not in " ".join(same.output.split())
    other = tmp_path / "other.jsonl"
    other.write_text(
        "".join(
            json.dumps(json.loads(line) | {"text": json.loads(line)["text"] + " More."}) + "\n"
            for line in predictions.read_text("utf-8").splitlines()
        ),
        "utf-8",
    )
    none = CliRunner().invoke(
        app, ["-C", str(ROOT), "evaluate", "--gold", str(gold), "--predictions", str(other)]
    )
    assert none.exit_code == 0, none.output
    assert "no gold document's text matches a prediction's text" in " ".join(none.output.split())
    some = tmp_path / "some.jsonl"
    some.write_text(
        "".join(other.read_text("utf-8").splitlines(True)[:2])
        + predictions.read_text("utf-8").splitlines(True)[2],
        "utf-8",
    )
    result = evaluate_file(
        LabellerContext(load_settings(ROOT), ROOT), gold, None, predictions_path=some
    )
    assert result.unmatched_gold == 2
    full = evaluate_file(
        LabellerContext(load_settings(ROOT), ROOT), gold, None, predictions_path=predictions
    )
    assert full.unmatched_gold == 0
