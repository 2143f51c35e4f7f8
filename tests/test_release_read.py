"""The release's in-process read (curate.store.arrow, release/gold.py, release/rows.py) on
SQLite and a real PostgreSQL: newest decisions, open documents left out, JSON parsed by Arrow the
way Python's json reads it, annotations as stored, and one snapshot under a concurrent writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Connection, Text, cast, event, select

from curate.domain.gold import read_gold
from curate.domain.pseudonyms import pseudonym
from curate.errors import SpanError
from curate.project import Project
from curate.records import Annotation, Decision, Document, Provenance, Span, StanceLabel
from curate.release import release
from curate.release.rows import collect_rows, pseudonymized
from curate.store import Store, arrow, queries
from curate.store.annotation_table import ANNOTATION_TABLE, read_annotations
from curate.store.schema import annotations, decisions

TEXTS = [
    "Iran and the United States met in Oman.",
    "Téhéran a reçu Zarif à Genève.",
    "😀 Khamenei met Qaani in Tehran.",
    "Khamenei told Washington to leave.",
]


def span(text: str, piece: str, label: str, **extra: str) -> dict[str, object]:
    start = text.index(piece)
    return {"start": start, "end": start + len(piece), "label": label, "text": piece, **extra}


def decide(
    connection: Connection,
    document: Document,
    kind: str,
    method: str,
    payload: dict[str, Any],
    **more: str,
) -> None:
    queries.add_decision(
        connection, Decision(document.id, kind, method, "curate-auto", payload, **more)
    )


def fill(store: Store) -> list[Document]:
    """Four documents: superseded and newest entity decisions, stances, one open item."""
    documents = [
        Document(text, title=f"title {n}", provenance=Provenance(f"feeds/day{n}.txt"))
        for n, text in enumerate(TEXTS)
    ]
    plain, accents, emoji, open_one = documents
    with store.transaction() as connection:
        queries.insert_documents(connection, documents)
        queries.insert_sources(connection, documents)
        queries.store_document_scores(connection, [(plain.id, 0.75, 0.8, 0.7, 2)])
        decide(
            connection, plain, "entity", "majority", {"spans": [span(plain.text, "Iran", "ORG")]}
        )
        spans = [span(plain.text, "Iran", "GPE"), span(plain.text, "Oman", "GPE", score="0.9")]
        decide(connection, plain, "entity", "reviewer", {"spans": spans})
        genève = span(accents.text, "Genève", "GPE", method="majority")
        decide(connection, accents, "entity", "unanimous", {"spans": [genève]})
        decide(
            connection, emoji, "entity", "majority", {"spans": [span(emoji.text, "Tehran", "GPE")]}
        )
        decide(connection, open_one, "entity", "open", {"spans": [], "open": []})
        decide(connection, plain, "stance", "majority", {"label": "against"}, target="Iran")
        decide(connection, plain, "stance", "reviewer", {"label": "favor"}, target="Iran")
        decide(connection, emoji, "stance", "unanimous", {"label": "none"}, target="United States")
    return documents


def test_gold_keeps_newest_decisions_and_leaves_open_documents_out(
    store: Store, project_dir: Path
) -> None:
    settings = Project.load(project_dir).settings
    plain, accents, emoji, open_one = fill(store)
    with store.connect() as connection:
        gold = read_gold(connection, settings)
    rows = {row["id"]: row for row in gold.table.to_pylist()}
    assert gold.unresolved == [open_one.id]
    assert list(rows) == sorted(rows) and set(rows) == {plain.id, accents.id, emoji.id}
    assert [(s["text"], s["label"], s["method"]) for s in rows[plain.id]["entities"]] == [
        ("Iran", "GPE", "reviewer"),
        ("Oman", "GPE", "reviewer"),  # a key the span type does not name (score) is ignored
    ]
    assert rows[accents.id]["entities"][0]["method"] == "majority"  # a span's own method wins
    assert rows[accents.id]["text"] == TEXTS[1]
    assert rows[plain.id]["source"] == "day0.txt"
    assert rows[plain.id]["title"] == "title 0"
    labels = settings.stance.labels
    assert rows[plain.id]["stance_iran"] == labels.index("favor")
    assert rows[plain.id]["stance_iran_method"] == "reviewer"
    assert rows[emoji.id]["stance_united_states"] == labels.index("none")
    assert rows[accents.id]["stance_iran"] == -1 and rows[accents.id]["stance_iran_method"] == ""
    assert gold.methods == {"reviewer": 3, "majority": 2, "unanimous": 1}


def test_a_span_that_does_not_match_its_text_is_refused(store: Store, project_dir: Path) -> None:
    settings = Project.load(project_dir).settings
    _, accents, _, _ = fill(store)
    wrong = {"start": 1, "end": 5, "label": "GPE", "text": "Iran"}
    with store.transaction() as connection:
        decide(connection, accents, "entity", "reviewer", {"spans": [wrong]})
    with store.connect() as connection, pytest.raises(SpanError, match=accents.id):
        read_gold(connection, settings)


def test_json_is_read_in_batches_as_python_reads_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many batches (two rows each), SQL NULL and JSON null, nested lists, non-ASCII text."""
    monkeypatch.setattr(arrow, "BATCH_ROWS", 2)
    fill(store)
    kind = pa.struct(
        [("spans", pa.list_(pa.struct([("start", pa.int64()), ("text", pa.string())])))]
    )
    schema = pa.schema([("id", pa.int64()), ("payload", kind)])
    query = select(decisions.c.id, cast(decisions.c.payload, Text)).order_by(decisions.c.id)
    with store.connect() as connection:
        table = arrow.read_table(connection, query, schema)
        stored = [(i, json.loads(p)) for i, p in connection.execute(query)]
    assert len(stored) == 8 and table.column("id").to_pylist() == [i for i, _ in stored]
    assert table.column("payload").to_pylist() == [
        {"spans": [{"start": s["start"], "text": s["text"]} for s in p["spans"]]}
        if "spans" in p
        else {"spans": None}
        for _, p in stored
    ]
    assert arrow.parse_json((None, "null", "[1, 2]"), pa.list_(pa.int64())).to_pylist() == [
        None,
        None,
        [1, 2],
    ]


def test_an_empty_result_is_an_empty_table(store: Store) -> None:
    with store.connect() as connection:
        table = read_annotations(connection)
    assert table.num_rows == 0 and table.schema == ANNOTATION_TABLE


def test_annotation_rows_are_the_stored_revisionspseudonymized(store: Store) -> None:
    plain, accents, *_ = fill(store)
    iran = Span(0, 4, "GPE", "Iran", raw=(0, 5))
    made = [
        Annotation(
            plain.id,
            "zoe",
            "tui",
            (iran,),
            (StanceLabel("Iran", "favor"),),
            lead_time_seconds=12.5,
            from_prelabel=True,
            suggestion_use={
                "accepted": [[0, 4, "GPE", "spacy"]],
                "changed": [],
                "rejected": [[1, 2, "ORG", "spacy"]] * 2,
                "stances_changed": [["Iran", "against"]],
            },
            guideline_version="1.2",
        ),
        Annotation(plain.id, "adam", "labelstudio", (iran,), suggestion_use=None),
        Annotation(plain.id, "zoe", "tui", (), (), skipped_reason="off topic"),
        Annotation(accents.id, "adam", "tui", (Span(23, 29, "GPE", "Genève"),)),
    ]
    with store.transaction() as connection:
        for annotation in made:
            queries.add_annotation(connection, annotation)
    with store.connect() as connection:
        real = read_annotations(connection)
        table = pseudonymized(real, "salt")
        newest = read_annotations(connection, [plain.id], newest_only=True)
        stored = connection.execute(select(annotations.c.id)).all()
    assert len(stored) == table.num_rows == 4
    rows = table.to_pylist()
    keys = [(r["document_id"], r["annotator"], r["revision"]) for r in rows]
    assert keys == sorted(keys)
    zoe = [r for r in rows if r["annotator"] == pseudonym("zoe", "salt")]
    assert [r["revision"] for r in zoe] == [1, 2]
    first = zoe[0]
    assert first["entities"] == [{"start": 0, "end": 4, "label": "GPE", "text": "Iran"}]  # no raw
    assert first["stances"] == [{"target": "Iran", "label": "favor"}]
    assert (
        first["suggestions_accepted"],
        first["suggestions_changed"],
        first["suggestions_rejected"],
    ) == (1, 0, 2)
    stance_use = [first[f"stance_suggestions_{k}"] for k in ("accepted", "changed", "rejected")]
    assert stance_use == [0, 1, 0]
    assert first["lead_time_seconds"] == 12.5 and first["from_prelabel"] is True
    assert first["guideline_version"] == "1.2" and first["skipped_reason"] is None
    assert zoe[1]["skipped_reason"] == "off topic" and zoe[1]["entities"] == []
    adam = [r for r in rows if r["annotator"] == pseudonym("adam", "salt")]
    assert [r["suggestions_accepted"] for r in adam] == [0, 0] and adam[0][
        "guideline_version"
    ] == ""
    assert sorted(set(real.column("annotator").to_pylist())) == ["adam", "zoe"]
    # The newest revision of each annotator: zoe's skip, adam's labels.
    assert [(r["annotator"], r["revision"]) for r in newest.to_pylist()] == [
        ("adam", 1),
        ("zoe", 2),
    ]


def test_the_gold_agreement_column_is_the_score_agreement_stores(
    store: Store, project_dir: Path
) -> None:
    """The release computes each document's score from the annotations it exports: the same
    figure `curate agreement` stores for the review queue."""
    from curate.report import measure

    settings = Project.load(project_dir).settings
    plain, accents, emoji, _ = fill(store)
    oman = span(plain.text, "Oman", "GPE")
    with store.transaction() as connection:
        for who, spans in (("adam", [span(plain.text, "Iran", "GPE"), oman]), ("zoe", [oman])):
            queries.add_annotation(
                connection,
                Annotation(plain.id, who, "tui", tuple(Span(**s) for s in spans)),  # type: ignore[arg-type]
            )
        queries.add_annotation(connection, Annotation(accents.id, "zoe", "tui", ()))
        rows = collect_rows(connection, settings, "salt")
        measure(connection, settings, resamples=10)
        stored = queries.document_scores(connection)
    gold = {row["id"]: row["agreement"] for row in rows.gold.to_pylist()}
    assert gold[plain.id] == pytest.approx(2 / 3) == stored[plain.id]
    assert gold[accents.id] is None and stored[accents.id] is None  # one annotator: no score
    assert gold[emoji.id] is None and emoji.id not in stored


@pytest.mark.postgres
def test_a_release_on_postgresql_reads_one_snapshot_while_another_writer_commits(
    project_dir: Path, fresh_postgres_url: str
) -> None:
    """After the release's first read of decisions, another connection commits a changed entity
    label and stance for one document, an open item for another and a new decided document.
    The release still writes the store as it was when it began, all configs agreeing."""
    from curate.store import open_store

    project = Project.load(project_dir)
    settings = project.settings
    store = open_store(fresh_postgres_url)
    plain, accents, emoji, open_one = fill(store)
    late = Document("Oman hosted the talks.")
    with store.transaction() as connection:
        queries.add_annotation(connection, Annotation(plain.id, "zoe", "tui", ()))
    written = []

    def write_meanwhile(connection: Connection, *_: Any) -> None:
        if written:
            return
        written.append(True)
        with store.transaction() as other:
            decide(other, plain, "entity", "reviewer", {"spans": [span(plain.text, "Iran", "ORG")]})
            decide(other, plain, "stance", "reviewer", {"label": "against"}, target="Iran")
            decide(other, accents, "stance", "open", {"open": []}, target="Iran")
            queries.insert_documents(other, [late])
            decide(other, late, "entity", "unanimous", {"spans": [span(late.text, "Oman", "GPE")]})
            queries.add_annotation(other, Annotation(late.id, "zoe", "tui", ()))

    with store.transaction(snapshot=True) as connection:
        queries.release_history(connection, settings.release.name)  # the snapshot starts here
        event.listen(connection, "after_cursor_execute", write_meanwhile)
        report = release(project, connection, version="1.0.0", allow_unresolved=True)
    assert written
    folder = report.folder
    gold = {
        row["id"]: row
        for path in sorted((folder / "gold").glob("*.parquet"))
        for row in pq.read_table(path).to_pylist()
    }
    assert set(gold) == {plain.id, accents.id, emoji.id}  # not late; accents not yet open
    first = gold[plain.id]["entities"][0]
    assert first["text"] == "Iran" and settings.entity_label_names()[first["label"]] == "GPE"
    assert settings.stance.labels[gold[plain.id]["stance_iran"]] == "favor"
    annotated = {
        row["document_id"]
        for path in (folder / "annotations").glob("*.parquet")
        for row in pq.read_table(path).to_pylist()
    }
    assert annotated <= set(gold)
    with store.connect() as connection:
        recorded = queries.release_splits(connection)
        assert set(recorded) == set(gold)
        assert queries.gold_stances(connection)[plain.id]["Iran"] == "against"  # it did commit
    store.close()
