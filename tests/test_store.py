"""The store suite: runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from curate.errors import StoreError
from curate.records import Annotation, Decision, Document, Prelabel, Provenance, Span, StanceLabel
from curate.store import Store, open_store, queries

EXPECTED_TABLES = {
    "documents",
    "document_sources",
    "prelabels",
    "assignments",
    "annotations",
    "decisions",
    "releases",
    "release_documents",
    "sync_state",
    "alembic_version",
    "prelabel_runs",
}
TEXT = "Khamenei met Qaani in Tehran 🇮🇷 — “the void” was filled."


def _add_document(store: Store, body: str = TEXT) -> Document:
    document = Document(
        text=body,
        title="t",
        metadata={"caption": "c"},
        provenance=Provenance("seeds/a.txt", 0, len(body)),
    )
    with store.transaction() as connection:
        queries.insert_documents(connection, [document])
        queries.insert_sources(connection, [document])
    return document


def _annotation(document: Document, label: str = "PERSON") -> Annotation:
    return Annotation(
        document_id=document.id,
        annotator="alice",
        origin="tui",
        spans=(Span(0, 8, label, "Khamenei"),),
        stances=(StanceLabel("Iran", "favor"),),
        guideline_version="1.0",
    )


def test_migrations_create_every_table(store: Store) -> None:
    assert EXPECTED_TABLES <= set(inspect(store.engine).get_table_names())


def test_the_newest_migration_file_names_alembics_head_and_a_store_records_it(
    store: Store,
) -> None:
    """open_store skips Alembic when the store is at SCHEMA_HEAD: that must be Alembic's head."""
    from alembic.script import ScriptDirectory

    from curate.store.database import SCHEMA_HEAD, _alembic_config, schema_version

    assert ScriptDirectory.from_config(_alembic_config()).get_current_head() == SCHEMA_HEAD
    with store.connect() as connection:
        assert schema_version(connection) == SCHEMA_HEAD


def test_reopening_a_migrated_store_keeps_its_rows(store: Store, store_url: str) -> None:
    document = _add_document(store)
    store.close()
    again = open_store(store_url)
    with again.connect() as connection:
        assert queries.get_document(connection, document.id) == Document(
            text=TEXT, title="t", metadata={"caption": "c"}
        )
    again.close()


def test_document_text_round_trips_exactly(store: Store) -> None:
    document = _add_document(store)
    with store.connect() as connection:
        stored = queries.get_document(connection, document.id)
        sources = queries.sources_of(connection, document.id)
    assert stored is not None and stored.text == TEXT
    assert [(s["source"], s["char_start"], s["char_end"]) for s in sources] == [
        ("seeds/a.txt", 0, len(TEXT))
    ]


def test_a_changed_annotation_is_a_new_revision(store: Store) -> None:
    document = _add_document(store)
    with store.transaction() as connection:
        first = queries.add_annotation(connection, _annotation(document))
        second = queries.add_annotation(connection, _annotation(document, "ORG"))
    assert (first.revision, second.revision) == (1, 2)
    with store.connect() as connection:
        history = queries.annotation_history(connection, document.id, "alice")
    assert [a.spans[0].label for a in history] == ["PERSON", "ORG"]
    assert history[0].stances == (StanceLabel("Iran", "favor"),)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE annotations SET annotator = 'mallory'",
        "DELETE FROM annotations",
        "UPDATE decisions SET method = 'forged'",
        "DELETE FROM decisions",
    ],
)
def test_the_database_refuses_to_change_human_labels(store: Store, statement: str) -> None:
    document = _add_document(store)
    with store.transaction() as connection:
        queries.add_annotation(connection, _annotation(document))
        queries.add_decision(
            connection,
            Decision(
                document_id=document.id,
                kind="stance",
                method="unanimous",
                decided_by="auto",
                payload={"label": "favor"},
                based_on=(1,),
                target="Iran",
            ),
        )
    with pytest.raises(DBAPIError, match="append-only"):
        with store.transaction() as connection:
            connection.execute(text(statement))
    with store.connect() as connection:
        history = queries.annotation_history(connection, document.id)
    assert [a.annotator for a in history] == ["alice"]


def test_a_failed_transaction_leaves_the_store_as_it_was(store: Store) -> None:
    document = _add_document(store)
    with pytest.raises(RuntimeError):
        with store.transaction() as connection:
            queries.add_annotation(connection, _annotation(document))
            queries.insert_documents(connection, [Document(text="another")])
            raise RuntimeError("crash mid-way")
    with store.connect() as connection:
        assert queries.annotation_history(connection, document.id) == []
        assert queries.document_ids(connection) == [document.id]


def test_stage_counts_follow_the_workflow(store: Store) -> None:
    document = _add_document(store)
    _add_document(store, "A second article.")
    with store.transaction() as connection:
        queries.insert_prelabels(
            connection,
            [
                Prelabel(document.id, "entity", "PERSON", "gazetteer.v1+a", 0.9, 0, 8, "Khamenei"),
                Prelabel(document.id, "stance", "favor", "stance-cues.v1", 0.6, target="Iran"),
            ],
        )
        queries.record_prelabel_runs(connection, "gazetteer.v1+a", {document.id: 1})
        queries.record_prelabel_runs(connection, "stance-cues.v1", {document.id: 1})
        queries.insert_assignments(
            connection, [(document.id, "alice", False), (document.id, "bob", True)]
        )
        queries.add_annotation(connection, _annotation(document))
    with store.connect() as connection:
        counts = queries.stage_counts(connection)
        assert len(queries.prelabels_for(connection, document.id)) == 2
        assert queries.assignments_of(connection, "bob") == [document.id]
    assert counts == {
        "documents": 2,
        "pre-labelled": 1,
        "assigned": 1,
        "annotated": 1,
        "waiting for review": 0,
        "adjudicated": 0,
        "released": 0,
    }


def test_a_new_labeller_version_replaces_the_old_suggestions_but_keeps_them(store: Store) -> None:
    document = _add_document(store)
    old = Prelabel(document.id, "entity", "PERSON", "gazetteer.v1+old", 0.9, 0, 8, "Khamenei")
    new = Prelabel(document.id, "entity", "ORG", "gazetteer.v1+new", 0.9, 0, 8, "Khamenei")
    with store.transaction() as connection:
        queries.insert_prelabels(connection, [old])
        queries.record_prelabel_runs(connection, old.labeller, {document.id: 1})
        assert list(queries.documents_not_run(connection, old.labeller)) == []
        assert [d.id for d in queries.documents_not_run(connection, new.labeller)] == [document.id]
        assert queries.documents_not_run(connection, new.labeller, after=document.id) == []
        queries.insert_prelabels(connection, [new])
        queries.record_prelabel_runs(connection, new.labeller, {document.id: 1})
    with store.connect() as connection:
        assert queries.prelabels_for(connection, document.id) == [new]
        assert queries.count_documents_not_run(connection, new.labeller) == 0


def test_external_ids_are_recorded_once(store: Store) -> None:
    document = _add_document(store)
    with store.transaction() as connection:
        for _ in range(2):  # a re-run sync records nothing new
            queries.record_external_id(connection, "labelstudio", "task", document.id, "17")
    with store.connect() as connection:
        assert queries.external_ids(connection, "labelstudio", "task") == {"17": document.id}


def test_documents_are_paged_in_id_order(store: Store) -> None:
    bodies = [f"article number {n}" for n in range(7)]
    with store.transaction() as connection:
        queries.insert_documents(connection, [Document(text=b) for b in bodies])
    with store.connect() as connection:
        paged = [d.id for d in queries.iter_documents(connection, batch_size=3)]
    assert paged == sorted(Document(text=b).id for b in bodies)


def test_an_unreachable_database_says_what_to_check() -> None:
    with pytest.raises(StoreError, match="check that it is running and CURATE_DB_URL is right"):
        open_store("postgresql+psycopg://nobody@127.0.0.1:1/none")


@pytest.mark.parametrize("table", ["annotations", "decisions"])
def test_replacing_or_truncating_human_labels_is_refused_too(store: Store, table: str) -> None:
    """INSERT OR REPLACE (SQLite) deletes without firing DELETE triggers; ON CONFLICT DO UPDATE
    and TRUNCATE (PostgreSQL) have their own paths: each is refused."""
    document = _add_document(store)
    with store.transaction() as connection:
        queries.add_annotation(connection, _annotation(document))
        queries.add_decision(
            connection,
            Decision(document.id, "stance", "unanimous", "auto", {"label": "favor"}, target="Iran"),
        )
    if store.engine.dialect.name == "postgresql":
        column = "annotator" if table == "annotations" else "method"
        statements = [
            f"INSERT INTO {table} SELECT * FROM {table} "
            f"ON CONFLICT (id) DO UPDATE SET {column} = 'forged'",
            f"TRUNCATE {table} CASCADE",
        ]
    else:
        statements = [f"INSERT OR REPLACE INTO {table} SELECT * FROM {table}"]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            with store.transaction() as connection:
                connection.execute(text(statement))
    with store.connect() as connection:
        assert [a.annotator for a in queries.annotation_history(connection, document.id)] == [
            "alice"
        ]
        assert [d.method for d in queries.decisions_for(connection, [document.id])] == ["unanimous"]


def test_a_document_counts_as_adjudicated_only_when_nothing_in_it_is_open(store: Store) -> None:
    document = _add_document(store)

    def counted() -> int:
        with store.connect() as connection:
            return queries.stage_counts(connection)["adjudicated"]

    with store.transaction() as connection:
        queries.add_decision(
            connection, Decision(document.id, "entity", "unanimous", "auto", {"spans": []})
        )
        queries.add_decision(
            connection,
            Decision(document.id, "stance", "open", "auto", {"label": None}, target="Iran"),
        )
    assert counted() == 0  # the entities are settled, the stance on Iran is not
    with store.transaction() as connection:
        queries.add_decision(
            connection,
            Decision(document.id, "stance", "reviewer", "rita", {"label": "favor"}, target="Iran"),
        )
    assert counted() == 1


def test_a_release_records_every_document_split_and_the_next_keeps_them(store: Store) -> None:
    """The split of each released document goes in as one JSON parameter the database unpacks
    (json_each / json_each_text): every row arrives, with ids of any script intact."""
    documents = [_add_document(store, f"{TEXT} {n}") for n in range(3)]
    first = {documents[0].id: "train", documents[1].id: "test"}
    with store.transaction() as connection:
        queries.record_release(connection, "news", "1.0.0", "exports/v1.0.0", "f1", first)
    later = first | {documents[2].id: "validation"}
    with store.transaction() as connection:
        queries.record_release(connection, "news", "1.1.0", "exports/v1.1.0", "f2", later)
    with store.connect() as connection:
        history = queries.release_history(connection, "news")
        assert [(h["version"], h["documents"], h["fingerprint"]) for h in history] == [
            ("1.0.0", 2, "f1"),
            ("1.1.0", 3, "f2"),
        ]
        assert queries.release_splits(connection) == later
        assert queries.stage_counts(connection)["released"] == 3


@pytest.mark.postgres
def test_a_lost_connection_after_commits_is_not_called_a_change_of_nothing(
    fresh_postgres_url: str,
) -> None:
    """PostgreSQL ends the session between two transactions of a command: the first stays
    stored, and the message says so instead of "nothing was changed"."""
    from sqlalchemy import create_engine

    from curate.store.database import explain

    store = open_store(fresh_postgres_url)
    with store.transaction() as connection:
        queries.insert_documents(connection, [Document(text="Stored before the loss.")])
    with store.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = create_engine(fresh_postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        with pytest.raises(DBAPIError) as lost:
            connection.execute(text("SELECT 1"))
    message = explain(lost.value, "the team store")
    assert message.startswith("the connection to the store the team store was lost (")
    assert "running it again is safe" in message and "nothing was changed" not in message
    with store.connect() as connection:
        assert len(queries.document_ids(connection)) == 1
    store.close()
