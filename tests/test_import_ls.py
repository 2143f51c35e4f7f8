"""`curate import-ls` on a real multi-annotator Label Studio export (tests/fixtures, MIT)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curate.cli import app
from curate.config import COMMAND_KEYS, Settings, load_settings
from curate.errors import InputError, UsageError
from curate.ingest.clean import clean_text
from curate.labelstudio.importer import import_export
from curate.project import Project, add_entity_labels, init_project
from curate.store import Store, queries

FIXTURE = Path(__file__).parent / "fixtures" / "leoka_team_1.json"
ROOT = Path(__file__).resolve().parent.parent


# The fixture's own labels; its `Person` maps itself onto curate.toml's PERSON (case folded).
LEOKA_LABELS = ["Age", "Date", "Department", "Drugs", "Experience", "Firearm", "Other_weapon"]
LEOKA_LABELS += ["SWAT", "Time"]


@pytest.fixture
def leoka_settings(tmp_path: Path) -> Settings:
    """A new project that has adopted the fixture's labels."""
    init_project(tmp_path / "leoka")
    return add_entity_labels(tmp_path / "leoka", LEOKA_LABELS)


def test_the_fixture_imports_every_annotation_with_checked_spans(
    store: Store, leoka_settings: Settings
) -> None:
    report = import_export(store, FIXTURE, leoka_settings)
    # 130 tasks, but two carry the very same text: content ids store it once (and say so).
    assert (report.tasks, report.new_documents) == (130, 129)
    assert report.repeated_texts == [
        "task 97056429 has the same text as task 97056355; stored as one document"
    ]
    assert report.new_annotations == 389
    assert report.conversion.spans_checked == 3260
    assert report.conversion.repairs == {"whitespace": 38, "edge whitespace trimmed": 548}
    assert report.conversion.rejected == []
    assert report.conversion.ignored_results == {"taxonomy": 383}
    assert report.mapped == {"Person": "PERSON"}
    labels: set[str] = set()
    with store.connect() as connection:
        counts = queries.stage_counts(connection)
        stored = trimmed = 0
        for document_id in queries.document_ids(connection):
            document = queries.get_document(connection, document_id)
            assert document is not None
            for annotation in queries.annotation_history(connection, document_id):
                for span in annotation.spans:
                    assert document.text[span.start : span.end] == span.text
                    assert span.text == span.text.strip()
                    if span.raw is not None:  # the offsets the annotator's tool gave
                        trimmed += 1
                        assert document.text[slice(*span.raw)].strip() == span.text
                    labels.add(span.label)
                    stored += 1
    assert counts["documents"] == 129 and counts["annotated"] == 129
    assert (stored, trimmed) == (3260, 548)
    assert labels == {"PERSON", *LEOKA_LABELS}
    again = import_export(store, FIXTURE, leoka_settings)
    assert (again.new_annotations, again.known_annotations, again.new_documents) == (0, 389, 0)


def test_annotators_are_keyed_by_email_and_the_duplicate_task_becomes_revisions(
    store: Store, leoka_settings: Settings
) -> None:
    import_export(store, FIXTURE, leoka_settings)
    data = json.loads(FIXTURE.read_text())
    task = next(t for t in data if t["id"] == 97056355)
    with store.connect() as connection:
        [document_id] = [
            d
            for d in queries.document_ids(connection)
            if queries.get_document(connection, d).text == clean_text(task["data"]["text"])  # type: ignore[union-attr]
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
            "task 1 has no field data.text; pass --text-field with the field that holds the text",
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
        (11, 20, "met\nQaani"),  # stored as `ingest` stores the text: \r\n is \n
    ]
    assert [(s.target, s.label) for s in annotation.stances] == [("Iran", "favor")]


def test_the_cli_reports_repairs(project_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["--project", str(project_dir), "import-ls", str(FIXTURE), "--adopt-labels"]
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    assert "130 tasks: 129 new documents" in output
    assert (
        "3260 spans checked; repaired to agree with the text: 548 edge whitespace trimmed, "
        "38 whitespace" in output
    )
    assert "labels mapped: Person -> PERSON" in output
    assert f"labels added to curate.toml: {', '.join(sorted(LEOKA_LABELS))}" in output


def test_adopting_into_a_fresh_project_replaces_the_labels_it_never_uses(
    project_dir: Path,
) -> None:
    """Nothing is labelled yet, so the export's labels become the project's: the template's
    GPE, ORG ... go from curate.toml, its label map and the gazetteer, and the output says so."""
    gazetteer = project_dir / "gazetteer.jsonl"
    labels_before = Counter(
        json.loads(line)["label"] for line in gazetteer.read_text("utf-8").splitlines()
    )
    result = CliRunner().invoke(
        app, ["--project", str(project_dir), "import-ls", str(FIXTURE), "--adopt-labels"]
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    unused = ["ORG", "GPE", "LOC", "NORP", "EVENT"]
    assert f"labels removed from curate.toml, as nothing uses them: {', '.join(unused)}" in output
    settings = Project.load(project_dir).settings
    assert settings.entity_label_names() == ["PERSON", *LEOKA_LABELS]
    assert settings.prelabel.label_map == {"PERSON": "PERSON"}
    labels_after = Counter(
        json.loads(line)["label"] for line in gazetteer.read_text("utf-8").splitlines()
    )
    assert labels_after == {"PERSON": labels_before["PERSON"]}
    text = (project_dir / "curate.toml").read_text("utf-8")
    assert "# Entity labels: name (as stored" in text and "\n\n\n" not in text
    prelabelled = CliRunner().invoke(app, ["--project", str(project_dir), "prelabel"])
    assert prelabelled.exit_code == 0, prelabelled.output  # the gazetteer still loads


def test_adopting_into_a_labelled_project_keeps_every_label(project_dir: Path) -> None:
    """Once anything is labelled, a label may be in use: adopting only adds."""
    export = project_dir / "one.json"
    export.write_text(
        '[{"id": 5, "data": {"text": "Iran talks."}, "annotations": [{"id": 9, "completed_by": '
        '{"id": 1, "email": "alice@example.org"}, "result": [{"id": "r1", "type": "labels", '
        '"from_name": "label", "to_name": "text", "value": {"start": 0, "end": 4, '
        '"text": "Iran", "labels": ["GPE"]}}]}]}]',
        "utf-8",
    )
    first = CliRunner().invoke(app, ["--project", str(project_dir), "import-ls", str(export)])
    assert first.exit_code == 0, first.output
    result = CliRunner().invoke(
        app, ["--project", str(project_dir), "import-ls", str(FIXTURE), "--adopt-labels"]
    )
    assert result.exit_code == 0, result.output
    assert "removed" not in result.output
    names = Project.load(project_dir).settings.entity_label_names()
    assert names[:6] == ["PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT"]


def test_labels_outside_curate_toml_stop_the_import_with_the_fix(project_dir: Path) -> None:
    before = (project_dir / "curate.toml").read_text("utf-8")
    result = CliRunner().invoke(app, ["--project", str(project_dir), "import-ls", str(FIXTURE)])
    output = " ".join(result.output.split())
    assert result.exit_code == 2, output
    assert "uses labels that are not in curate.toml: Age (453 spans)" in output
    assert "Time (390 spans)" in output and "Person" not in output  # Person maps by case
    assert "--label-map" in output and "--adopt-labels" in output
    assert "nothing was imported" in output
    assert (project_dir / "curate.toml").read_text("utf-8") == before
    with Project.load(project_dir).open_store().connect() as connection:
        assert queries.stage_counts(connection)["documents"] == 0


def test_a_label_map_renames_labels_and_is_matched_regardless_of_case(
    project_dir: Path,
) -> None:
    mapping = ",".join(
        f"{label.lower()}={'EVENT' if label in ('Date', 'Time') else 'ORG'}"
        for label in LEOKA_LABELS
    )
    result = CliRunner().invoke(
        app,
        ["--project", str(project_dir), "import-ls", str(FIXTURE), "--label-map", mapping],
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    assert "Time -> EVENT" in output and "Firearm -> ORG" in output
    with Project.load(project_dir).open_store().connect() as connection:
        used = Counter(s.label for a in queries.all_annotations(connection) for s in a.spans)
    assert set(used) == {"PERSON", "EVENT", "ORG"}
    assert used["EVENT"] == 390 + 392


@pytest.mark.parametrize(
    ("label_map", "message"),
    [
        ("Person=PEOPLE", "maps 'Person' to 'PEOPLE', which is not an entity label"),
        ("Person=PERSON;Age=ORG", "holds ';'; separate items with commas"),
        ("Person", "must look like PER=PERSON"),
    ],
)
def test_a_bad_label_map_is_refused(project_dir: Path, label_map: str, message: str) -> None:
    result = CliRunner().invoke(
        app,
        ["--project", str(project_dir), "import-ls", str(FIXTURE), "--label-map", label_map],
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_adopted_labels_get_free_hotkeys_and_colours_and_keep_the_comments(
    project_dir: Path,
) -> None:
    settings = add_entity_labels(project_dir, LEOKA_LABELS)
    text = (project_dir / "curate.toml").read_text("utf-8")
    assert "# Stance labels: favor, against" in text  # the file is edited, not rewritten
    assert text.index('name = "Time"') < text.index("[stance]")
    hotkeys = [label.hotkey for label in settings.entity_labels]
    assert len(set(hotkeys)) == len(hotkeys) == 6 + len(LEOKA_LABELS)
    assert not set(hotkeys) & COMMAND_KEYS
    assert Project.load(project_dir).settings == settings
    with pytest.raises(UsageError, match="cannot be a curate label"):
        add_entity_labels(project_dir, ["Other weapon"])


@pytest.mark.parametrize(
    ("labels", "shown"), [('"PERSON"', "'PERSON'"), ("[null]", "[None]"), ("[3]", "[3]")]
)
def test_labels_in_the_wrong_shape_are_refused_with_the_task_and_result(
    store: Store, tmp_path: Path, labels: str, shown: str
) -> None:
    value = f'{{"start": 0, "end": 4, "text": "Iran", "labels": {labels}}}'
    export = tmp_path / "export.json"
    export.write_text(
        '[{"id": 5, "data": {"text": "Iran talks."}, "annotations": [{"id": 9, "completed_by": '
        '{"id": 1, "email": "alice@example.org"}, "result": [{"id": "r1", "type": "labels", '
        f'"from_name": "label", "to_name": "text", "value": {value}}}]}}]}}]',
        "utf-8",
    )
    with pytest.raises(InputError) as refused:
        import_export(store, export, load_settings(ROOT))
    assert (
        'task 5 annotation 9 result r1: labels must be a list of label names, e.g. ["PERSON"], '
        f"not {shown}; fix the export (nothing was imported)"
    ) in str(refused.value)
    with store.connect() as connection:
        assert queries.all_annotations(connection) == []
        assert queries.document_ids(connection) == []


def test_a_reimported_edit_is_a_new_revision_and_nothing_is_lost(
    store: Store, leoka_settings: Settings, tmp_path: Path
) -> None:
    """The export re-made after an annotator cut 13 spans to 2 in Label Studio: the edit is a
    new revision of that annotator's work, the first revision stays, nothing else changes. The
    same annotation id on two tasks keeps both."""
    import_export(store, FIXTURE, leoka_settings)
    data = json.loads(FIXTURE.read_text())
    task = next(t for t in data if len(t["annotations"][0]["result"]) >= 13)
    edited = task["annotations"][0]
    spans = [r for r in edited["result"] if r["type"] == "labels"]
    edited["result"] = [r for r in edited["result"] if r["type"] != "labels"] + spans[:2]
    edited["updated_at"] = "2026-11-29T10:00:00Z"
    again = tmp_path / "edited.json"
    again.write_text(json.dumps(data), "utf-8")
    with store.connect() as connection:
        before = len(queries.all_annotations(connection))
    report = import_export(store, again, leoka_settings)
    assert (report.new_annotations, report.changed_annotations) == (0, 1)
    assert report.known_annotations == 388
    with store.connect() as connection:
        document_id = next(
            d
            for d in queries.document_ids(connection)
            if queries.get_document(connection, d).text == clean_text(task["data"]["text"])  # type: ignore[union-attr]
        )
        who = edited["completed_by"]["email"]
        history = queries.annotation_history(connection, document_id, who)
        assert len(queries.all_annotations(connection)) == before + 1
    assert [a.revision for a in history] == [1, 2]
    assert len(history[0].spans) >= 13 and len(history[1].spans) == 2
    # Re-importing the edited export again adds nothing.
    assert import_export(store, again, leoka_settings).changed_annotations == 0

    # One annotation id on two tasks (two Label Studio projects' exports merged): both kept.
    twin = [
        {"id": 1, "data": {"text": "Iran talks."}, "annotations": [_annotation(77, 0, 4)]},
        {"id": 2, "data": {"text": "Oman hosts."}, "annotations": [_annotation(77, 0, 4)]},
    ]
    both = tmp_path / "twin.json"
    both.write_text(json.dumps(twin), "utf-8")
    assert import_export(store, both, leoka_settings).new_annotations == 2


def _annotation(annotation_id: int, start: int, end: int) -> dict[str, object]:
    return {
        "id": annotation_id,
        "completed_by": {"id": 1, "email": "alice@example.org"},
        "result": [
            {
                "id": "r1",
                "type": "labels",
                "from_name": "label",
                "to_name": "text",
                "value": {"start": start, "end": end, "labels": ["GPE"]},
            }
        ],
    }


def test_an_export_without_stance_warns_of_the_targets_and_the_fix_works(
    project_dir: Path,
) -> None:
    import re

    result = CliRunner().invoke(
        app, ["--project", str(project_dir), "import-ls", str(FIXTURE), "--adopt-labels"]
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    assert (
        "warning: the export holds no stance, but curate.toml lists stance targets (Iran, "
        "United States); if this project has no stance, delete their [[stance.targets]] blocks"
    ) in output
    config = project_dir / "curate.toml"
    text = config.read_text("utf-8")
    text = re.sub(r'\[\[stance\.targets\]\]\nname = "[^"]+"\naliases = .*\n', "", text)
    config.write_text(text, "utf-8")
    assert Project.load(project_dir).settings.target_names() == []
    again = CliRunner().invoke(app, ["--project", str(project_dir), "import-ls", str(FIXTURE)])
    assert again.exit_code == 0 and "no stance" not in again.output
    adjudicated = CliRunner().invoke(app, ["--project", str(project_dir), "adjudicate", "--auto"])
    assert adjudicated.exit_code == 0, adjudicated.output


def test_one_article_ingested_and_imported_is_one_document(project_dir: Path) -> None:
    """The same text with CRLF line ends and trailing spaces, ingested from a JSONL file and
    imported from a Label Studio export: one document, the import's spans moved onto the
    cleaned text, and both commands say they cleaned it."""
    raw = "Officer Ann Lee was shot.  \r\nShe survived in Dallas. \r\n"
    (project_dir / "one.jsonl").write_text(json.dumps({"text": raw}) + "\n", "utf-8")
    start = raw.index("Dallas")
    task = {
        "id": 5,
        "data": {"text": raw},
        "annotations": [
            {
                "id": 50,
                "completed_by": {"id": 3, "email": "alice@example.org"},
                "result": [
                    {
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {"start": start, "end": start + 6, "labels": ["GPE"]},
                    },
                    {
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {"start": 8, "end": 15, "labels": ["PERSON"]},
                    },
                ],
            }
        ],
    }
    (project_dir / "export.json").write_text(json.dumps([task]), "utf-8")
    runner = CliRunner()
    ingested = runner.invoke(
        app, ["-C", str(project_dir), "ingest", str(project_dir / "one.jsonl")]
    )
    assert ingested.exit_code == 0, ingested.output
    imported = runner.invoke(
        app, ["-C", str(project_dir), "import-ls", str(project_dir / "export.json")]
    )
    assert imported.exit_code == 0, imported.output
    assert "0 new documents (1 already stored)" in imported.output
    assert "1 texts cleaned as `curate ingest` cleans them" in imported.output
    store = Project.load(project_dir).open_store()
    with store.connect() as connection:
        [document_id] = queries.document_ids(connection)
        document = queries.get_document(connection, document_id)
        [annotation] = queries.annotation_history(connection, document_id)
    store.close()
    assert document is not None and document.text == clean_text(raw)
    assert sorted((s.text, s.label) for s in annotation.spans) == [
        ("Ann Lee", "PERSON"),
        ("Dallas", "GPE"),
    ]
    for span in annotation.spans:
        assert document.text[span.start : span.end] == span.text


def test_label_studio_stance_suggestions_are_counted_kept_changed_or_rejected() -> None:
    from curate.labelstudio.convert import suggestion_use
    from curate.labelstudio.schema import Prediction, Result

    def choice(target: str, label: str, origin: str | None = None) -> Result:
        return Result(type="choices", from_name=target, value={"choices": [label]}, origin=origin)

    span = Result(type="labels", value={"start": 0, "end": 4, "labels": ["GPE"]})
    shown = Prediction(
        model_version="m",
        result=[span, choice("stance_iran", "favor"), choice("stance_us", "none")]
        + [choice("stance_uk", "against")],
    )
    given = [span, choice("stance_iran", "favor", "prediction"), choice("stance_us", "against")]
    use = suggestion_use(given, shown)
    assert use["accepted"] == [[0, 4, "GPE", "m"]]  # spans, as before
    assert use["stances_accepted"] == [["stance_iran", "favor"]]
    assert use["stances_changed"] == [["stance_us", "none"]]
    assert use["stances_rejected"] == [["stance_uk", "against"]]
