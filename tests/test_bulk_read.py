"""The release's bulk read (curate.store.arrow): helper processes with ADBC on SQLite and on a
real PostgreSQL give the same tables as the in-process read; a transaction's own writes are read
in-process; a helper's failure is one line that never holds the password."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from curate.errors import SpanError, StoreError
from curate.project import Project
from curate.records import Decision, Document, Provenance
from curate.release.gold import _queries, read_gold
from curate.store import Store, arrow, queries
from curate.store.database import has_uncommitted_writes

TEXTS = [
    "Iran and the United States met in Oman.",
    "Téhéran a reçu Zarif à Genève.",
    "😀 Khamenei met Qaani in Tehran.",
    "Khamenei told Washington to leave.",
]


def span(text: str, piece: str, label: str, **extra: str) -> dict[str, object]:
    start = text.index(piece)
    return {"start": start, "end": start + len(piece), "label": label, "text": piece, **extra}


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

        def decide(
            document: Document, kind: str, method: str, payload: dict[str, Any], **more: str
        ) -> None:
            queries.add_decision(
                connection, Decision(document.id, kind, method, "curate-auto", payload, **more)
            )

        decide(plain, "entity", "majority", {"spans": [span(plain.text, "Iran", "ORG")]})
        decide(
            plain,
            "entity",
            "reviewer",
            {"spans": [span(plain.text, "Iran", "GPE"), span(plain.text, "Oman", "GPE")]},
        )
        decide(accents, "entity", "unanimous", {"spans": [span(accents.text, "Genève", "GPE")]})
        decide(emoji, "entity", "majority", {"spans": [span(emoji.text, "Tehran", "GPE")]})
        decide(open_one, "entity", "open", {"spans": [], "open": []})
        decide(plain, "stance", "majority", {"label": "against"}, target="Iran")
        decide(plain, "stance", "reviewer", {"label": "favor"}, target="Iran")
        decide(emoji, "stance", "unanimous", {"label": "none"}, target="United States")
    return documents


def in_process(store: Store) -> dict[str, pa.Table]:
    with store.connect() as connection:
        return {
            name: arrow._in_process(connection, query)
            for group in _queries(connection)
            for name, query in group.items()
        }


def test_helpers_read_the_same_tables_as_the_in_process_read(store: Store, tmp_path: Path) -> None:
    fill(store)
    with store.connect() as connection:
        assert arrow._helper_url(connection) is not None
        helped = arrow.read_tables(connection, _queries(connection))
    expected = in_process(store)
    assert set(helped) == set(expected) == {"entities", "stances", "sources", "scores", "texts"}
    for name, table in expected.items():
        assert helped[name].equals(table), name
    parsed = {
        (row["document_id"], row["method"]): [(s["text"], s["label"]) for s in row["spans"]]
        for row in helped["entities"].to_pylist()
    }
    plain = Document(TEXTS[0]).id
    assert parsed[(plain, "majority")] == [("Iran", "ORG")]  # superseded, still read
    assert parsed[(plain, "reviewer")] == [("Iran", "GPE"), ("Oman", "GPE")]
    assert helped["texts"].column("text").to_pylist() == sorted(TEXTS, key=lambda t: Document(t).id)


def test_gold_from_the_helpers_keeps_newest_decisions_and_leaves_open_documents_out(
    store: Store, project_dir: Path
) -> None:
    settings = Project.load(project_dir).settings
    plain, accents, emoji, open_one = fill(store)
    with store.connect() as connection:
        gold = read_gold(connection, settings)
    rows = {row["id"]: row for row in gold.table.to_pylist()}
    assert gold.unresolved == [open_one.id]
    assert set(rows) == {plain.id, accents.id, emoji.id}
    assert [(s["text"], s["label"], s["method"]) for s in rows[plain.id]["entities"]] == [
        ("Iran", "GPE", "reviewer"),
        ("Oman", "GPE", "reviewer"),
    ]
    assert rows[plain.id]["source"] == "day0.txt" and rows[plain.id]["agreement"] == 0.75
    assert rows[plain.id]["title"] == "title 0"
    labels = settings.stance.labels
    assert rows[plain.id]["stance_iran"] == labels.index("favor")
    assert rows[plain.id]["stance_iran_method"] == "reviewer"
    assert rows[emoji.id]["stance_united_states"] == labels.index("none")
    assert rows[accents.id]["stance_iran"] == -1


def test_a_committed_span_that_does_not_match_is_caught_on_the_helper_path(
    store: Store, project_dir: Path
) -> None:
    settings = Project.load(project_dir).settings
    _, accents, _, _ = fill(store)
    wrong = {"start": 1, "end": 5, "label": "GPE", "text": "Iran"}
    with store.transaction() as connection:
        queries.add_decision(
            connection, Decision(accents.id, "entity", "reviewer", "rita", {"spans": [wrong]})
        )
    with store.connect() as connection, pytest.raises(SpanError, match=accents.id):
        read_gold(connection, settings)


def test_a_transaction_that_wrote_reads_its_own_rows(store: Store, project_dir: Path) -> None:
    settings = Project.load(project_dir).settings
    fill(store)
    late = Document("Oman hosted the talks.")
    with store.transaction() as connection:
        assert not has_uncommitted_writes(connection)
        queries.insert_documents(connection, [late])
        queries.add_decision(
            connection,
            Decision(late.id, "entity", "unanimous", "curate-auto", {"spans": []}),
        )
        assert has_uncommitted_writes(connection)
        assert late.id in read_gold(connection, settings).table.column("id").to_pylist()
        connection.rollback()


def test_a_helper_that_cannot_open_the_store_fails_in_one_line(
    store: Store, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(store)
    secret = "no-such-password-4711"
    with store.connect() as connection:
        if connection.dialect.name == "postgresql":
            url = connection.engine.url.set(
                drivername="postgresql", database="no_such_database", password=secret
            )
            broken = url.render_as_string(hide_password=False)
        else:
            broken = Path(store_url.removeprefix("sqlite:///")).with_name("gone.db").as_uri()
            broken += "?mode=ro"
        monkeypatch.setattr(arrow, "_helper_url", lambda _connection: broken)
        with pytest.raises(StoreError) as raised:
            arrow.read_tables(connection, _queries(connection))
    message = str(raised.value)
    assert message.startswith("reading the store in bulk failed: ")
    assert "\n" not in message and secret not in message


def test_a_small_dev_shm_sends_the_helpers_to_the_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Containers often give /dev/shm 64 MB: the helpers then write under $TMPDIR instead."""
    import os
    import tempfile

    from curate.store import open_store

    store = open_store(f"sqlite:///{tmp_path / '.curate' / 'curate.db'}")
    fill(store)
    with store.connect() as connection:
        roomy = arrow._scratch(connection)
        real = os.statvfs

        def tiny(path: object) -> os.statvfs_result:
            found = real(path)  # type: ignore[arg-type]
            return os.statvfs_result((*found[:4], 0, *found[5:]))  # no blocks available

        monkeypatch.setattr(os, "statvfs", tiny)
        assert arrow._scratch(connection) is None
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        seen: list[str] = []
        made = tempfile.TemporaryDirectory

        def watched(*args: object, **kwargs: object) -> tempfile.TemporaryDirectory[str]:
            folder = made(*args, **kwargs)  # type: ignore[call-overload]
            seen.append(folder.name)
            return folder

        monkeypatch.setattr(tempfile, "TemporaryDirectory", watched)
        tables = arrow.read_tables(connection, _queries(connection))
    store.close()
    assert roomy in (None, "/dev/shm")
    assert seen and seen[0].startswith(str(tmp_path)) and len(tables["texts"]) == len(TEXTS)


def test_a_batch_whose_string_offsets_wrapped_past_2_gb_is_refused() -> None:
    """ADBC's SQLite driver lets 32-bit offsets wrap without an error when a batch's text passes
    2 GB (seen with 2.4 GB of text in one batch): such a batch must never reach a release."""
    from curate.store import arrow_helper

    fine = pa.array(["Tehran", "Qom"])
    offsets = np.array([0, 6, 9], np.int32)
    text = pa.Array.from_buffers(pa.string(), 2, [None, pa.py_buffer(offsets), fine.buffers()[2]])
    good = pa.RecordBatch.from_arrays([pa.array([1, 2]), fine], ["id", "text"])
    bad = pa.RecordBatch.from_arrays([pa.array([1, 2]), text], ["id", "text"])
    assert list(arrow_helper._checked(iter([good, bad]))) == [good, bad]  # type: ignore[arg-type]
    # Arrow never builds such an array, so the offsets are changed under it: the second value
    # now starts past 2**31 and reads negative, as the driver leaves them.
    offsets[1:] = [2**31 - 8, -(2**31) + 4]
    with pytest.raises(ValueError, match="more than 2 GB of text"):
        list(arrow_helper._checked(iter([good, bad])))  # type: ignore[arg-type]


def test_helpers_ask_glibc_for_huge_pages_unless_the_caller_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    assert arrow._helper_environment()["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1"
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    assert (
        arrow._helper_environment()["GLIBC_TUNABLES"]
        == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"
    )
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0")
    assert arrow._helper_environment()["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=0"
