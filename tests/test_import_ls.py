"""`curate import-ls` on a real multi-annotator Label Studio export (tests/fixtures, MIT)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curate.cli import app
from curate.config import load_settings
from curate.errors import InputError
from curate.labelstudio.importer import import_export
from curate.store import Store, queries

FIXTURE = Path(__file__).parent / "fixtures" / "leoka_team_1.json"
ROOT = Path(__file__).resolve().parent.parent


def test_the_fixture_imports_every_annotation_with_checked_spans(store: Store) -> None:
    report = import_export(store, FIXTURE, load_settings(ROOT))
    # 130 tasks, but two carry the very same text: content ids store it once (and say so).
    assert (report.tasks, report.new_documents) == (130, 129)
    assert report.repeated_texts == [
        "task 97056429 has the same text as task 97056355; stored as one document"
    ]
    assert report.new_annotations == 389
    assert report.conversion.spans_checked == 3260
    assert report.conversion.repairs == {"whitespace": 38}
    assert report.conversion.rejected == []
    assert report.conversion.ignored_results == {"taxonomy": 383}
    with store.connect() as connection:
        counts = queries.stage_counts(connection)
        stored = 0
        for document_id in queries.document_ids(connection):
            document = queries.get_document(connection, document_id)
            assert document is not None
            for annotation in queries.annotation_history(connection, document_id):
                for span in annotation.spans:
                    assert document.text[span.start : span.end] == span.text
                    stored += 1
    assert counts["documents"] == 129 and counts["annotated"] == 129
    assert stored == 3260
    again = import_export(store, FIXTURE, load_settings(ROOT))
    assert (again.new_annotations, again.known_annotations, again.new_documents) == (0, 389, 0)


def test_annotators_are_keyed_by_email_and_the_duplicate_task_becomes_revisions(
    store: Store,
) -> None:
    import_export(store, FIXTURE, load_settings(ROOT))
    data = json.loads(FIXTURE.read_text())
    task = next(t for t in data if t["id"] == 97056355)
    with store.connect() as connection:
        [document_id] = [
            d
            for d in queries.document_ids(connection)
            if queries.get_document(connection, d).text == task["data"]["text"]  # type: ignore[union-attr]
        ]
        history = queries.annotation_history(connection, document_id)
    assert sorted({a.annotator for a in history}) == sorted(
        a["completed_by"]["email"] for a in task["annotations"]
    )
    assert sorted(a.revision for a in history) == [1, 1, 1, 2, 2, 2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"tasks": []}', "holds a JSON dict, not Label Studio's task list"),
        ('[{"data": {"text": "x"}}]', "task 0 is not a Label Studio task (id: Field required)"),
        (
            '[{"id": 1, "data": {"body": "x"}}]',
            "task 1 has no text in data.text; pass --text-field",
        ),
    ],
)
def test_a_bad_export_is_refused_with_nothing_stored(
    store: Store, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_export(store, path, load_settings(ROOT))
    with store.connect() as connection:
        assert queries.stage_counts(connection)["documents"] == 0


def test_a_span_that_cannot_be_repaired_is_kept_out_and_reported(
    store: Store, tmp_path: Path
) -> None:
    text = "😀 Khamenei met\r\nQaani."
    results = [
        {
            "type": "labels",
            "from_name": "label",
            "to_name": "text",
            "value": {"start": 2, "end": 10, "text": "Khamenei", "labels": ["PERSON"]},
        },
        {
            "type": "labels",
            "from_name": "label",
            "to_name": "text",  # UTF-16 offsets
            "value": {"start": 3, "end": 11, "text": "Khamenei", "labels": ["PERSON"]},
        },
        {
            "type": "labels",
            "from_name": "label",
            "to_name": "text",  # escaped line break
            "value": {"start": 11, "end": 21, "text": "met\\nQaani", "labels": ["ORG"]},
        },
        {
            "type": "labels",
            "from_name": "label",
            "to_name": "text",  # simply wrong
            "value": {"start": 2, "end": 10, "text": "Soleiman", "labels": ["PERSON"]},
        },
        {
            "type": "choices",
            "from_name": "stance_iran",
            "to_name": "text",
            "value": {"choices": ["favor"]},
        },
    ]
    task = {
        "id": 7,
        "data": {"text": text},
        "annotations": [
            {"id": 70, "completed_by": {"id": 3, "email": "alice@example.org"}, "result": results}
        ],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task]), encoding="utf-8")
    report = import_export(store, path, load_settings(ROOT))
    assert report.conversion.repairs == {"utf-16 offsets": 1, "escaped line break": 1}
    [rejected] = report.conversion.rejected
    assert "annotation 70: span 2-10 says 'Soleiman' but the text there is 'Khamenei'" in rejected
    with store.connect() as connection:
        [document_id] = queries.document_ids(connection)
        [annotation] = queries.annotation_history(connection, document_id)
    assert annotation.annotator == "alice"  # configured annotators keep their curate name
    assert [(s.start, s.end, s.text) for s in annotation.spans] == [
        (2, 10, "Khamenei"),
        (2, 10, "Khamenei"),
        (11, 21, "met\r\nQaani"),
    ]
    assert [(s.target, s.label) for s in annotation.stances] == [("Iran", "favor")]


def test_the_cli_reports_repairs(project_dir: Path) -> None:
    result = CliRunner().invoke(app, ["--project", str(project_dir), "import-ls", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    assert "130 tasks: 129 new documents" in result.output
    assert "3260 spans checked; repaired to agree with the text: 38 whitespace" in result.output
