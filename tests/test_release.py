"""Releases: real `load_dataset` on the folder (offline), byte-identical re-export, gates, splits
that never move, diff, publish (HfApi autospec), and a store -> release -> load round trip."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from conftest import agree_on_the_suggestions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from curate.adjudicate.auto import auto_adjudicate
from curate.adjudicate.review import decide
from curate.cli import app
from curate.domain.splits import split_of, splits_of
from curate.errors import SpanError, UsageError
from curate.project import Project, init_project
from curate.records import Annotation, Decision, Document, Span
from curate.release import release
from curate.release.folder import agreement, export
from curate.release.publish import publish
from curate.release.rows import collect_rows, pseudonym
from curate.store import queries

runner = CliRunner()


def curate(project: Path, *args: str) -> str:
    result = runner.invoke(app, ["--project", str(project), *args])
    assert result.exit_code == 0, result.output
    return result.output


def load(folder: Path, config: str | None = None, **options):  # type: ignore[no-untyped-def]
    import datasets

    datasets.disable_progress_bars()
    return datasets.load_dataset(str(folder), config, **options)


@pytest.fixture
def adjudicated(project: Project) -> Project:
    """The seeds with alice and bob labelling the suggestions the same way: all gold."""
    agree_on_the_suggestions(project)
    return project


def folder_of(project: Project, version: str) -> Path:
    return project.root / "exports" / project.settings.release.name / f"v{version}"


def test_release_loads_with_load_dataset_and_matches_the_store(
    adjudicated: Project, offline: None
) -> None:
    output = curate(adjudicated.root, "release", "--version", "1.0.0", "--notes", "First cut.")
    assert "released v1.0.0" in output
    folder = folder_of(adjudicated, "1.0.0")
    gold = load(folder)
    train = gold["train"]
    features = train.features
    assert features["entities"].feature["label"].names == adjudicated.settings.entity_label_names()
    assert features["stance_iran"].names == ["favor", "against", "neutral", "none"]
    with adjudicated.open_store().connect() as connection:
        store_entities = queries.gold_entities(connection)
        store_stances = queries.gold_stances(connection)
    rows = [row for split in gold.values() for row in split]
    assert {row["id"] for row in rows} == set(store_entities)
    names = features["entities"].feature["label"].names
    for row in rows:
        spans = {(s["start"], s["end"], names[s["label"]], s["text"]) for s in row["entities"]}
        assert spans == {(s.start, s.end, s.label, s.text) for s in store_entities[row["id"]]}
        assert all(row["text"][s["start"] : s["end"]] == s["text"] for s in row["entities"])
        iran = store_stances.get(row["id"], {}).get("Iran")
        assert row["stance_iran"] == (
            -1 if iran is None else features["stance_iran"].names.index(iran)
        )
        assert {s["method"] for s in row["entities"]} <= {"unanimous"}
    annotations = load(folder, "annotations")
    annotators = {row["annotator"] for split in annotations.values() for row in split}
    assert annotators and all(a.startswith("annotator_") for a in annotators)
    for path in folder.rglob("*"):
        if path.is_file():
            assert b"alice" not in path.read_bytes() and b"bob" not in path.read_bytes()
    streamed = next(iter(load(folder, split="train", streaming=True)))
    assert streamed["id"] == train[0]["id"]
    card = (folder / "README.md").read_text("utf-8")
    assert "First cut." in card and "Krippendorff" in card and "First release." in card
    assert "text[start:end]" in card and "a named individual" in card
    annotators_part = card[card.index("## Annotators") : card.index("## Changes")]
    assert "annotator_" in annotators_part and "Dawid-Skene" in annotators_part
    assert "alice" not in annotators_part and "αu" in annotators_part
    checksums = (folder / "checksums.sha256").read_text("utf-8").splitlines()
    assert {line.split("  ")[1] for line in checksums} == {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name != "checksums.sha256"
    }
    listed = curate(adjudicated.root, "releases")
    assert "v1.0.0" in listed and "MB" in listed


def test_the_same_store_gives_a_byte_identical_folder(adjudicated: Project) -> None:
    with adjudicated.open_store().transaction() as connection:
        rows = collect_rows(connection, adjudicated.settings, "salt")
        splits = {
            i: split_of(i, adjudicated.settings.release.splits) for i in rows.gold["id"].to_pylist()
        }
        folders = [Path(tempfile.mkdtemp()) for _ in range(2)]
        for folder in folders:
            report = agreement(connection, adjudicated, rows)
            export(adjudicated, "1.0.0", folder, rows, splits, None, None, report)
    files = sorted(p.relative_to(folders[0]) for p in folders[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(folders[1]) for p in folders[1].rglob("*") if p.is_file())
    for name in files:
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes(), name


def test_change_one_label_then_minor_release_and_diff_shows_exactly_it(
    adjudicated: Project, offline: None
) -> None:
    curate(adjudicated.root, "release", "--version", "1.0.0")
    with adjudicated.open_store().transaction() as connection:
        document_id = sorted(queries.gold_entities(connection))[0]
        spans = queries.gold_entities(connection)[document_id]
        changed = Span(
            spans[0].start,
            spans[0].end,
            "EVENT" if spans[0].label != "EVENT" else "LOC",
            spans[0].text,
        )
        decide(
            connection,
            adjudicated.settings,
            document_id,
            "rita",
            [changed, *spans[1:]],
            queries.gold_stances(connection).get(document_id, {}),
            note="relabel",
        )
    output = curate(adjudicated.root, "release", "--bump", "minor")
    assert "released v1.1.0" in output and "1 relabelled spans" in output
    diff = curate(adjudicated.root, "diff", "v1.0.0", "v1.1.0")
    expected = (
        f"{document_id} span {changed.start}-{changed.end}: {spans[0].label} -> {changed.label}"
    )
    # alice and bob agreed on the span: the reviewer's relabel is an override, counted apart.
    override = f"{document_id} span {changed.start}-{changed.end}: a reviewer override"
    assert diff.splitlines() == [expected, override, "1 relabelled spans, 1 overrides"]
    card = (folder_of(adjudicated, "1.1.0") / "README.md").read_text("utf-8")
    assert "Since v1.0.0:" in card and expected in card
    new = load(folder_of(adjudicated, "1.1.0"))
    assert any(
        new[split].features["entities"].feature["label"].names[s["label"]] == changed.label
        for split in new
        for row in new[split]
        if row["id"] == document_id
        for s in row["entities"]
        if s["start"] == changed.start
    )


def released_splits(project: Project) -> dict[str, str]:
    """Document -> split as the released v1.0.0 folder holds them."""
    import pyarrow.parquet as pq

    folder = folder_of(project, "1.0.0")
    return {
        i: path.name.split("-", 1)[0]
        for path in (folder / "gold").glob("*.parquet")
        for i in pq.read_table(path, columns=["id"]).column("id").to_pylist()
    }


def test_gates_refuse_and_leave_no_folder(adjudicated: Project) -> None:
    curate(adjudicated.root, "release", "--version", "1.0.0")
    again = runner.invoke(app, ["-C", str(adjudicated.root), "release", "--version", "1.0.0"])
    assert again.exit_code == 2 and "already exists" in again.output
    unchanged = runner.invoke(app, ["-C", str(adjudicated.root), "release", "--bump", "patch"])
    assert unchanged.exit_code == 2 and "nothing changed since v1.0.0" in unchanged.output
    older = runner.invoke(app, ["-C", str(adjudicated.root), "release", "--version", "0.9.0"])
    assert older.exit_code == 2 and "must be newer" in older.output
    exports = folder_of(adjudicated, "1.0.0").parent
    assert sorted(p.name for p in exports.iterdir()) == ["v1.0.0"]  # no scratch left behind
    # In one transaction, a refused release leaves nothing of itself behind.
    with adjudicated.open_store().transaction() as connection:
        with pytest.raises(UsageError, match="nothing changed"):
            release(adjudicated, connection, version="1.0.1")
        history = queries.release_history(connection, adjudicated.settings.release.name)
        assert [h["version"] for h in history] == ["1.0.0"]
        assert queries.release_splits(connection) == released_splits(adjudicated)
    with adjudicated.open_store().transaction() as connection:
        document_id = sorted(queries.gold_entities(connection))[0]
        queries.add_decision(
            connection,
            Decision(
                document_id,
                "entity",
                "reviewer",
                "rita",
                {"spans": [{"start": 0, "end": 4, "label": "GPE", "text": "Nope"}]},
            ),
        )
    with adjudicated.open_store().transaction() as connection:
        with pytest.raises(SpanError, match="does not match the text"):
            release(adjudicated, connection, version="2.0.0")
        assert len(queries.release_history(connection, adjudicated.settings.release.name)) == 1


def test_unresolved_conflicts_refused_unless_allowed(project: Project, offline: None) -> None:
    text = "Khamenei told Washington to leave."
    document = Document(text)
    with project.open_store().transaction() as connection:
        queries.insert_documents(connection, [document])
        for who, label in (("alice", "GPE"), ("bob", "ORG")):
            span = Span(14, 24, label, "Washington")
            queries.add_annotation(connection, Annotation(document.id, who, "t", (span,)))
    with project.open_store().transaction() as connection:
        ids = queries.document_ids(connection)
        for other in ids:
            if other != document.id:
                for who in ("alice", "bob"):
                    queries.add_annotation(connection, Annotation(other, who, "t", ()))
        auto_adjudicate(connection, project.settings, None)
    refused = runner.invoke(app, ["-C", str(project.root), "release", "--version", "1.0.0"])
    assert refused.exit_code == 2 and "1 documents have unresolved conflicts" in refused.output
    output = curate(project.root, "release", "--version", "1.0.0", "--allow-unresolved")
    assert "left out: 1 documents" in output
    card = (folder_of(project, "1.0.0") / "README.md").read_text("utf-8")
    assert "Left out: 1 documents still have an open conflict" in card
    released = {row["id"] for split in load(folder_of(project, "1.0.0")).values() for row in split}
    assert document.id not in released and len(released) == len(ids) - 1


def set_splits(root: Path, shares: str) -> None:
    """Change curate.toml's [release] splits from the template's 0.8 / 0.1 / 0.1."""
    config = root / "curate.toml"
    template = "splits = { train = 0.8, validation = 0.1, test = 0.1 }"
    config.write_text(
        config.read_text("utf-8").replace(template, f"splits = {{ {shares} }}"), encoding="utf-8"
    )


def test_a_document_never_moves_split(adjudicated: Project) -> None:
    curate(adjudicated.root, "release", "--version", "1.0.0")
    with adjudicated.open_store().connect() as connection:
        first = queries.release_splits(connection)
    set_splits(adjudicated.root, "train = 0.1, validation = 0.1, test = 0.8")
    project = Project.load(adjudicated.root)
    with project.open_store().transaction() as connection:
        document_id = sorted(first)[0]
        gold = queries.gold_entities(connection)[document_id]
        decide(connection, project.settings, document_id, "rita", gold[1:], {}, note="drop one")
        release(project, connection, bump_part="minor")
        second = queries.release_splits(connection)
    assert second == first


def test_splits_of_many_ids_match_the_hash_of_each_id_alone() -> None:
    """The bulk split (numpy) puts every id where hashing it alone puts it: releases made
    before the bulk version keep their splits. Shares that do not add up to 1 send the rest to
    the last split."""

    def one_at_a_time(document_id: str, splits: dict[str, float]) -> str:
        digest = hashlib.sha256(f"{document_id}\0split".encode()).digest()
        position, total = int.from_bytes(digest[:8], "big") / 2**64, 0.0
        for name, share in splits.items():
            total += share
            if position < total:
                return name
        return list(splits)[-1]

    ids = [f"doc_{n:020x}" for n in range(5000)] + ["Tehrān 😀", ""]
    for shares in (
        {"train": 0.8, "validation": 0.1, "test": 0.1},
        {"train": 0.1, "validation": 0.1, "test": 0.8},
        {"a": 0.3, "b": 0.3},
        {"only": 1.0},
    ):
        found = splits_of(ids, shares)
        assert found == [one_at_a_time(i, shares) for i in ids]
        assert set(found) == set(shares)
    assert splits_of([], {"train": 1.0}) == []


def test_pseudonyms_are_stable_and_salted() -> None:
    assert pseudonym("alice", "s1") == pseudonym("alice", "s1")
    assert pseudonym("alice", "s1") != pseudonym("alice", "s2")
    assert "alice" not in pseudonym("alice", "s1")


def test_publish_uploads_then_tags_the_returned_commit(adjudicated: Project) -> None:
    from huggingface_hub import HfApi

    curate(adjudicated.root, "release", "--version", "1.0.0")
    folder = folder_of(adjudicated, "1.0.0")
    api = mock.create_autospec(HfApi, instance=True)
    api.list_repo_refs.return_value = mock.Mock(tags=[])
    api.upload_folder.return_value = mock.Mock(oid="abc123")
    assert publish(api, folder, "1.0.0", "org/curate-seeds") == "abc123"
    api.upload_folder.assert_called_once_with(
        repo_id="org/curate-seeds",
        folder_path=str(folder),
        repo_type="dataset",
        commit_message="Release v1.0.0",
    )
    api.create_tag.assert_called_once_with(
        "org/curate-seeds",
        tag="v1.0.0",
        revision="abc123",
        repo_type="dataset",
        tag_message="v1.0.0",
    )
    tagged = mock.create_autospec(HfApi, instance=True)
    existing = mock.Mock()
    existing.name = "v1.0.0"
    tagged.list_repo_refs.return_value = mock.Mock(tags=[existing])
    with pytest.raises(UsageError, match="already has tag v1.0.0"):
        publish(tagged, folder, "1.0.0", "org/curate-seeds")
    tagged.upload_folder.assert_not_called()


labels = st.sampled_from(["PERSON", "ORG", "GPE"])
stances = st.sampled_from(["favor", "against", "neutral", "none"])


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.lists(st.tuples(st.integers(0, 9), labels), max_size=4, unique_by=lambda x: x[0]),
            stances,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_store_release_load_round_trip(offline: None, documents: list) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        init_project(root)
        project = Project.load(root)
        words = [f"word{i}" for i in range(10)]
        expected = {}
        with project.open_store().transaction() as connection:
            for n, (chosen, stance) in enumerate(documents):
                text = " ".join(f"{w}{n}" for w in words)
                document = Document(text)
                queries.insert_documents(connection, [document])
                spans = []
                for index, label in chosen:
                    start = sum(len(w) + len(str(n)) + 1 for w in words[:index])
                    end = start + len(words[index]) + len(str(n))
                    spans.append(Span(start, end, label, text[start:end]))
                decide(connection, project.settings, document.id, "rita", spans, {"Iran": stance})
                expected[document.id] = ({(s.start, s.end, s.label) for s in spans}, stance)
            release(project, connection, version="1.0.0")
        folder = root / "exports" / project.settings.release.name / "v1.0.0"
        loaded = load(folder, cache_dir=str(root / "hf-cache"))  # a cache per example
        seen = {}
        for split in loaded.values():
            names = split.features["entities"].feature["label"].names
            stance_names = split.features["stance_iran"].names
            for row in split:
                spans = {(s["start"], s["end"], names[s["label"]]) for s in row["entities"]}
                seen[row["id"]] = (spans, stance_names[row["stance_iran"]])
        assert seen == expected
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_card_json_round_trip_of_features(adjudicated: Project) -> None:
    """The parquet files carry the features too, for readers that skip the card."""
    import pyarrow.parquet as pq

    curate(adjudicated.root, "release", "--version", "1.0.0")
    path = next((folder_of(adjudicated, "1.0.0") / "gold").glob("*.parquet"))
    info = json.loads(pq.read_schema(path).metadata[b"huggingface"])
    assert info["info"]["features"]["stance_iran"]["names"] == [
        "favor",
        "against",
        "neutral",
        "none",
    ]


LEOKA = Path(__file__).parent / "fixtures" / "leoka_team_1.json"


@pytest.mark.parametrize(
    ("policy", "releasable"), [("strict", 0), ("threshold", 112), ("majority", 112)]
)
def test_the_leoka_export_releases_most_documents_under_the_majority_policy(
    tmp_path: Path, offline: None, policy: str, releasable: int
) -> None:
    """A real four-annotator export: how many documents each entity policy makes releasable,
    and every released span still equal to the text it points at."""
    init_project(tmp_path)
    config = tmp_path / "curate.toml"
    config.write_text(
        config.read_text("utf-8").replace(
            'entity_policy = "majority"', f'entity_policy = "{policy}"'
        ),
        "utf-8",
    )
    curate(tmp_path, "import-ls", str(LEOKA), "--adopt-labels")
    queue = json.loads(curate(tmp_path, "adjudicate", "--auto", "--json"))["queue"]
    assert len(queue) == 129 - releasable
    if not releasable:
        return
    curate(tmp_path, "release", "--version", "1.0.0", "--allow-unresolved")
    dataset = load(tmp_path / "exports" / "curate-seeds" / "v1.0.0")
    rows = [row for split in dataset.values() for row in split]
    assert len(rows) == releasable
    names = dataset["train"].features["entities"].feature["label"].names
    spans = [(row["text"], s) for row in rows for s in row["entities"]]
    assert len(spans) > 700  # about eight gold spans per document
    assert all(text[s["start"] : s["end"]] == s["text"] for text, s in spans)
    assert {names[s["label"]] for _, s in spans} >= {"PERSON", "Firearm", "Drugs"}
    assert all(s["text"] == s["text"].strip() for _, s in spans)  # edges trimmed on import
    # Every label came from the import: the ClassLabel holds those it used, not the template's.
    assert "GPE" not in names and "EVENT" not in names and "Firearm" in names


def test_gold_columns_are_the_same_on_sqlite_and_postgresql(project_dir: Path, store) -> None:  # type: ignore[no-untyped-def]
    """The bulk read (SQL, Arrow's JSON reader, the numpy span check) on both back ends, in one
    transaction that has not committed yet, with non-ASCII texts checked span by span."""
    settings = Project.load(project_dir).settings
    texts = {
        "plain": "Iran and the United States met in Oman.",
        "accents": "Téhéran a reçu Zarif à Genève.",
        "emoji": "😀 Khamenei met Qaani in Tehran.",
        "open": "Khamenei told Washington to leave.",
    }
    chosen = {
        "plain": [("Iran", "GPE"), ("Oman", "GPE")],
        "accents": [("Zarif", "PERSON"), ("Genève", "GPE")],
        "emoji": [("Khamenei", "PERSON"), ("Tehran", "GPE")],
        "open": [("Khamenei", "PERSON")],
    }
    with store.transaction() as connection:
        for name, text in texts.items():
            document = Document(text)
            queries.insert_documents(connection, [document])
            spans = [
                Span(text.index(p), text.index(p) + len(p), label, p) for p, label in chosen[name]
            ]
            if name == "open":
                queries.add_decision(
                    connection,
                    Decision(
                        document.id, "entity", "open", "curate-auto", {"spans": [], "open": []}
                    ),
                )
                continue
            decide(connection, settings, document.id, "rita", spans, {"Iran": "against"})
        rows = collect_rows(connection, settings, "salt")
        gold = {row["id"]: row for row in rows.gold.to_pylist()}
        assert rows.unresolved == [Document(texts["open"]).id]
        assert set(gold) == {Document(t).id for n, t in texts.items() if n != "open"}
        for name, text in texts.items():
            if name == "open":
                continue
            row = gold[Document(text).id]
            assert row["text"] == text
            assert [(s["text"], s["label"], s["method"]) for s in row["entities"]] == [
                (p, label, "reviewer") for p, label in chosen[name]
            ]
            assert row["stance_iran"] == settings.stance.labels.index("against")
            assert row["stance_iran_method"] == "reviewer"
            assert row["stance_united_states"] == -1 and row["stance_united_states_method"] == ""
        assert rows.methods == {"reviewer": 9}
        # A wrong span in a non-ASCII text and in an ASCII one: both are caught.
        for name in ("accents", "plain"):
            document_id = Document(texts[name]).id
            queries.add_decision(
                connection,
                Decision(
                    document_id,
                    "entity",
                    "reviewer",
                    "rita",
                    {"spans": [{"start": 1, "end": 5, "label": "GPE", "text": "Iran"}]},
                ),
            )
            with pytest.raises(SpanError, match=document_id):
                collect_rows(connection, settings, "salt")
            queries.add_decision(
                connection,
                Decision(document_id, "entity", "reviewer", "rita", {"spans": []}),
            )


def test_a_release_on_sqlite_and_postgresql_records_its_splits_and_a_refused_one_nothing(
    project_dir: Path, store, tmp_path: Path, offline: None
) -> None:  # type: ignore[no-untyped-def]
    """The splits are recorded while the files are written, in a savepoint: the recorded
    release carries the folder's fingerprint, and a refused release in the caller's
    transaction leaves no row behind, on both back ends."""
    project = Project.load(project_dir)
    texts = [f"Khamenei met Qaani in Tehran on day {n}." for n in range(12)]
    with store.transaction() as connection:
        for text in texts:
            document = Document(text)
            queries.insert_documents(connection, [document])
            spans = [Span(0, 8, "PERSON", "Khamenei"), Span(22, 28, "GPE", "Tehran")]
            decide(connection, project.settings, document.id, "rita", spans, {"Iran": "against"})
        report = release(project, connection, version="1.0.0", exports=tmp_path / "exports")
    with store.transaction() as connection:
        history = queries.release_history(connection, project.settings.release.name)
        assert [(h["version"], h["fingerprint"], h["documents"]) for h in history] == [
            ("1.0.0", report.fingerprint, len(texts))
        ]
        splits = queries.release_splits(connection)
        assert splits == {
            Document(t).id: split_of(Document(t).id, project.settings.release.splits) for t in texts
        }
        with pytest.raises(UsageError, match="nothing changed"):
            release(project, connection, version="1.0.1", exports=tmp_path / "exports")
        assert len(queries.release_history(connection, project.settings.release.name)) == 1
        assert queries.release_splits(connection) == splits
    gold = load(report.folder, "gold")
    assert sum(len(gold[split]) for split in gold) == len(texts)


def test_the_card_describes_process_splits_labels_and_what_was_left_out(
    adjudicated: Project, offline: None
) -> None:
    import yaml

    from curate.records import Document

    set_splits(adjudicated.root, "train = 0.9, validation = 0.1, test = 0.0")
    config = adjudicated.root / "curate.toml"
    text = config.read_text("utf-8")
    config.write_text(text.replace('description = ""', 'description = "Short items."'), "utf-8")
    project = Project.load(adjudicated.root)
    lone = Document("Zarif flew to Oman on Tuesday.")
    with project.open_store().transaction() as connection:
        queries.insert_documents(connection, [lone])
        queries.add_annotation(connection, Annotation(lone.id, "carol", "test", ()))
    output = " ".join(curate(project.root, "release", "--version", "1.0.0").split())
    assert "left out: 1 annotated documents not adjudicated yet" in output
    card = (folder_of(project, "1.0.0") / "README.md").read_text("utf-8")
    header = yaml.safe_load(card.split("---")[1])
    assert header["size_categories"] == ["n<1K"]
    # What the texts are comes from curate.toml; tags and claims from what was released.
    flat = " ".join(card.split())
    assert (
        "Short items. Each text is labelled with named entities and the stance each text " in flat
    )
    assert header["task_categories"] == ["token-classification", "text-classification"]
    assert header["tags"] == ["named-entity-recognition", "stance-detection", "curate"]
    assert header["language"] == ["en"]
    assert "stance by a 0.66 majority" in flat and "(label definitions above)" in flat
    assert "news only" not in flat and "in news," not in flat  # no domain the project did not state
    splits = card.split("## Splits")[1].split("##")[0]
    empty = next(line for line in splits.splitlines() if line.startswith("Empty split"))
    assert "| test | 0 |" in splits and "test" in empty  # a 0.0 share: named, no file
    released = sum(
        int(line.split("|")[2])
        for line in splits.splitlines()
        if line.startswith("| t") or line.startswith("| v")
    )
    assert released == 8  # the card's counts are the release's
    assert "## Label distribution" in card and "| GPE |" in card
    assert "Stance towards Iran:" in card
    assert "## Example instance" in card and '"entities"' in card
    assert "## Annotation process" in card and "3 annotators labelled 9 documents" in card
    assert "`majority` policy" in card
    assert "Left out: 1 documents were annotated but not adjudicated yet" in card
    assert lone.id in card
    assert "## Limitations" in card and "## Citation" in card and "@misc{" in card
    load(folder_of(project, "1.0.0"))  # the YAML still loads


def test_control_scores_reach_the_card_and_control_labels_stay_out(
    adjudicated: Project, offline: None
) -> None:
    """carol labels control documents (gold from alice and bob) and finds nothing: the card's
    annotator table shows her failed control score under her pseudonym; her control labels
    are neither gold nor in the annotations config; load_dataset reads it all."""
    from curate.domain.assign import assign
    from curate.domain.pseudonyms import project_salt, pseudonym
    from curate.records import Annotation

    store = adjudicated.open_store()
    names = [a.name for a in adjudicated.settings.annotators]
    report = assign(store, names, 2, control_fraction=0.5)
    with store.transaction() as connection:
        controls = sorted(d for d, who in queries.control_pairs(connection) if who == "carol")
        for document_id in controls:
            queries.add_annotation(connection, Annotation(document_id, "carol", "test", (), ()))
    store.close()
    assert report.controls and controls
    curate(adjudicated.root, "release", "--version", "1.0.0")
    folder = folder_of(adjudicated, "1.0.0")
    card = (folder / "README.md").read_text("utf-8")
    carol = pseudonym("carol", project_salt(adjudicated.root))
    row = next(line for line in card.splitlines() if line.startswith(f"| {carol}"))
    assert "FAIL" in row and f"({len(controls)} docs)" in row
    annotations = load(folder, "annotations")
    assert carol not in {r["annotator"] for split in annotations.values() for r in split}
    assert sum(len(split) for split in load(folder).values()) == len(queries_gold(adjudicated))


def queries_gold(project: Project) -> dict[str, object]:
    with project.open_store().connect() as connection:
        return dict(queries.gold_entities(connection))


def test_a_release_without_stance_columns_says_so_in_its_changes(
    adjudicated: Project, offline: None
) -> None:
    """The stance targets leave curate.toml: the next release has no stance columns, and its
    card's changes and `curate diff` name the columns that went."""
    import re

    curate(adjudicated.root, "release", "--version", "1.0.0")
    config = adjudicated.root / "curate.toml"
    text = config.read_text("utf-8")
    config.write_text(re.sub(r'\[\[stance\.targets\]\]\nname = "[^"]+"\naliases = .*\n', "", text))
    project = Project.load(adjudicated.root)
    assert project.settings.target_names() == []
    curate(project.root, "release", "--version", "2.0.0")
    card = (folder_of(project, "2.0.0") / "README.md").read_text("utf-8")
    changes = card.split("## Changes")[1].split("##")[0]
    assert "- gold column removed: stance_iran" in changes
    assert "- gold column removed: stance_united_states_method" in changes
    assert "Stance labels" not in card and "stance-detection" not in card
    assert not [c for c in load(folder_of(project, "2.0.0"))["train"].features if "stance" in c]
    diff = curate(project.root, "diff", "v1.0.0", "v2.0.0")
    assert "gold column removed: stance_iran" in diff


def test_the_card_checksum_and_sizes_can_be_recounted_with_the_shell(
    adjudicated: Project,
) -> None:
    """The card's checksum comes with the command that recounts it (run here with bash and
    sha256sum), and each config's download_size is the size of its parquet files."""
    import subprocess

    import yaml

    curate(adjudicated.root, "release", "--version", "1.0.0")
    folder = folder_of(adjudicated, "1.0.0")
    card = (folder / "README.md").read_text("utf-8")
    fingerprint, command = re.search(
        r"Data sha256: `([0-9a-f]{64})`.*? recount it in this folder with `([^`]+)`", card
    ).groups()  # type: ignore[union-attr]
    assert command.startswith("sha256sum ") and command.endswith(" | sha256sum")
    recounted = subprocess.run(
        ["bash", "-c", command], cwd=folder, capture_output=True, text=True, check=True
    )
    assert recounted.stdout.split()[0] == fingerprint
    header = yaml.safe_load(card.split("---\n")[1])
    files = {entry["config_name"]: entry["data_files"] for entry in header["configs"]}
    # Agreement counts the documents two or more annotators labelled, recounted with pandas.
    import pandas as pd

    annotations = pd.concat(pd.read_parquet(folder / f["path"]) for f in files["annotations"])
    labelled = annotations[annotations["skipped_reason"].isna()]
    compared = int((labelled.groupby("document_id")["annotator"].nunique() >= 2).sum())
    assert compared > 0
    assert f"Inter-annotator agreement over the {compared} documents two or more" in card
    for info in header["dataset_info"]:
        on_disk = sum((folder / f["path"]).stat().st_size for f in files[info["config_name"]])
        assert info["download_size"] == on_disk > 0


def test_the_card_states_how_documents_were_chosen_and_that_the_test_split_is_random(
    project: Project, offline: None
) -> None:
    from curate.domain.splits import document_splits
    from curate.prelabel.uncertainty import queue

    set_splits(project.root, "train = 0.5, validation = 0.25, test = 0.25")
    config = project.root / "curate.toml"
    config.write_text(config.read_text("utf-8").replace('order = "id"', 'order = "uncertain"'))
    project = Project.load(project.root)
    store = project.open_store()
    with store.transaction() as connection:
        ids = queries.document_ids(connection)
        served = queue(connection, project.settings, project.root, ids)
        splits = document_splits(connection, ids, project.settings.release.splits)
    store.close()
    agree_on_the_suggestions(project)
    curate(project.root, "release", "--version", "1.0.0")
    flat = " ".join((folder_of(project, "1.0.0") / "README.md").read_text("utf-8").split())
    assert "## How documents were chosen for labelling" in flat
    assert "uncertain-first (ranked with gazetteer.v1+" in flat
    assert "10% of the places drawn at random, the held-out splits (test, validation)" in flat
    test = [d for d in ids if splits[d] == "test"]
    assert test and {served.reasons[d] for d in test} == {"random"}
    assert (
        f"The test split is a random sample of the corpus: its documents are placed by a hash "
        f"of their id, and none of its {len(test)} documents was chosen" in flat
    )
    # A test document served uncertain-first (the order changed under it) is said to lean.
    with store.transaction() as connection:
        queries.record_selections(
            connection, {test[0]: queries.Selection("uncertain", "uncertain", 0.1, "m")}
        )
    agree_on_the_suggestions(project)
    curate(project.root, "release", "--version", "1.0.1", "--allow-unresolved")
    flat = " ".join((folder_of(project, "1.0.1") / "README.md").read_text("utf-8").split())
    assert f"1 of {len(test)} test documents were served uncertain-first" in flat


def test_diff_counts_a_reviewers_overrides_apart() -> None:
    from curate.release.compare import diff_gold

    old = {"d": {"spans": {(0, 6): "GPE"}, "stance": {"Iran": "none"}, "methods": {}}}
    methods = {(0, 6): "unanimous", (11, 21): "reviewer-override", "Iran": "reviewer-override"}
    new = {
        "d": {"spans": {(0, 6): "GPE", (11, 21): "GPE"}, "stance": {"Iran": "favor"}}
        | {"methods": methods}
    }
    found = diff_gold(old, new)
    assert found.stance_changes == [("d", "Iran", "none", "favor")]
    assert found.overrides == [("d", "span 11-21"), ("d", "stance Iran")]
    assert found.counts()["overrides"] == 2
    assert "d stance Iran: a reviewer override" in found.lines()


def test_the_card_counts_span_and_stance_suggestions_apart(
    adjudicated: Project, offline: None
) -> None:
    with adjudicated.open_store().transaction() as connection:
        document_id = queries.document_ids(connection)[0]
        use = {
            "accepted": [[0, 4, "GPE", "m"]],
            "changed": [[5, 9, "ORG", "m"]],
            "stances_accepted": [["Iran", "favor"]],
            "stances_changed": [["United States", "none"]],
            "stances_rejected": [["Iran", "against"]],
        }
        queries.add_annotation(
            connection,
            Annotation(document_id, "carol", "tui", from_prelabel=True, suggestion_use=use),
        )
    curate(adjudicated.root, "release", "--version", "1.0.0", "--allow-unresolved")
    flat = " ".join((folder_of(adjudicated, "1.0.0") / "README.md").read_text("utf-8").split())
    assert "1 of 2 span suggestions and 1 of 3 stance suggestions were kept as they were" in flat
