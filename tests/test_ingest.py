"""Ingest into the store: idempotent, duplicates reported, bad input refused with nothing lost."""

from __future__ import annotations

import json
import re
import shutil
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.errors import InputError
from curate.ingest import IngestOptions, ingest
from curate.ingest.tabular import Fields
from curate.store import Store, queries

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _count(store: Store) -> int:
    with store.connect() as connection:
        return queries.stage_counts(connection)["documents"]


def test_the_seeds_become_eight_documents_and_reingest_adds_none(store: Store) -> None:
    first = ingest(store, [SEEDS], base_dir=SEEDS.parent)
    assert (first.total("new"), first.duplicates, first.failed) == (8, 0, [])
    second = ingest(store, [SEEDS], base_dir=SEEDS.parent)
    assert (second.total("new"), second.total("unchanged"), second.duplicates) == (0, 8, 0)
    assert _count(store) == 8


def test_the_same_article_in_two_files_is_stored_once_and_reported(
    store: Store, tmp_path: Path
) -> None:
    shutil.copy(SEEDS / "004_352512476b0fd6ab.txt", tmp_path / "a.txt")
    shutil.copy(SEEDS / "004_352512476b0fd6ab.txt", tmp_path / "b.txt")
    report = ingest(store, [tmp_path], base_dir=tmp_path)
    assert [f.new for f in report.files] == [1, 0]
    [(document_id, first_seen)] = report.files[1].duplicates
    assert first_seen == "a.txt"
    assert _count(store) == 1
    with store.connect() as connection:
        sources = [s["source"] for s in queries.sources_of(connection, document_id)]
    assert sources == ["a.txt", "b.txt"]  # provenance of the duplicate is kept


def test_require_keeps_matching_articles_and_counts_the_rest(store: Store) -> None:
    options = IngestOptions(require=re.compile("Soleimani"))
    report = ingest(store, [SEEDS], options)
    assert (report.total("new"), report.total("filtered")) == (5, 3)


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_jsonl_fields_and_extra_columns(store: Store, tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "news.jsonl",
        [
            {"body": "Tehran said no.\r\nThen yes.  ", "headline": "H1", "uid": 7, "lang": "en"},
            {"body": "Washington said yes.", "headline": "H2", "uid": 8, "lang": "en"},
        ],
    )
    options = IngestOptions(Fields(text="body", id="uid", title="headline"))
    assert ingest(store, [path], options).total("new") == 2
    with store.connect() as connection:
        documents = sorted(queries.iter_documents(connection), key=lambda d: d.title)
    assert [(d.title, d.text, d.metadata) for d in documents] == [
        ("H1", "Tehran said no.\nThen yes.", {"source_id": 7, "lang": "en"}),
        ("H2", "Washington said yes.", {"source_id": 8, "lang": "en"}),
    ]


def test_csv_and_parquet(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        'text,title,section\n"Line one\nline two",T1,world\nplain,T2,asia\n', encoding="utf-8"
    )
    pq.write_table(
        pa.table({"text": ["from parquet"], "title": ["P"], "score": [0.5]}),
        tmp_path / "b.parquet",
    )
    report = ingest(store, [tmp_path], IngestOptions(Fields(title="title")))
    assert [f.new for f in report.files] == [2, 1]
    with store.connect() as connection:
        by_title = {d.title: d for d in queries.iter_documents(connection)}
    assert by_title["T1"].text == "Line one\nline two"
    assert by_title["T1"].metadata == {"section": "world"}
    assert by_title["P"].metadata == {"score": 0.5}


def _failure(store: Store, path: Path, options: IngestOptions | None = None) -> str:
    report = ingest(store, [path], options)
    [failed] = report.failed
    assert failed.error is not None
    assert _count(store) == 0, "a failing file must leave the store as it was"
    return failed.error


def test_a_malformed_jsonl_line_names_file_and_line_and_stores_nothing(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n{"text": "also fine"}\n{"text": oops}\n', encoding="utf-8")
    message = _failure(store, path)
    assert message.startswith(f"{path} line 3 is not valid JSON (Expecting value at column 10)")


def test_a_missing_text_field_lists_the_fields_found(store: Store, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "x.jsonl", [{"text": "ok"}, {"body": "b", "headline": "h"}])
    assert _failure(store, path) == (
        f"{path} line 2 has no field 'text'; pass --text-field NAME (fields here: body, headline)"
    )


def test_a_binary_file_is_refused(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert _failure(store, path).startswith(f"{path} looks binary (NUL byte at offset 8)")


def test_invalid_utf8_names_the_byte_offset_and_the_override(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(b"Headline\n\nCaf" + b"\xe9 au lait.\n")
    assert _failure(store, path) == (
        f"{path} is not valid utf-8 (byte 0xe9 at offset 13); re-save it as UTF-8 or pass "
        "--encoding latin-1 (or the file's real encoding)"
    )
    report = ingest(store, [path], IngestOptions(encoding="latin-1"))
    assert report.total("new") == 1
    with store.connect() as connection:
        [document] = list(queries.iter_documents(connection))
    assert document.text == "Café au lait." and document.title == "Headline"


def test_a_bom_is_dropped_and_crlf_accepted(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "windows.txt"
    path.write_bytes(b"\xef\xbb\xbfTitle line\r\nBody with \xe2\x80\x9cquotes\xe2\x80\x9d.\r\n")
    assert ingest(store, [path]).total("new") == 1
    with store.connect() as connection:
        [document] = list(queries.iter_documents(connection))
    assert (document.title, document.text) == ("Title line", "Body with “quotes”.")


def test_an_empty_file_is_reported(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert _failure(store, path) == f"{path} is empty; nothing to ingest"


def test_one_bad_file_does_not_stop_the_good_ones(store: Store, tmp_path: Path) -> None:
    shutil.copy(SEEDS / "002_32ebf9da48c73862.txt", tmp_path / "good.txt")
    (tmp_path / "bad.jsonl").write_text("{not json}\n", encoding="utf-8")
    report = ingest(store, [tmp_path])
    assert [(f.path.rsplit("/", 1)[-1], f.new, bool(f.error)) for f in report.files] == [
        ("bad.jsonl", 0, True),
        ("good.txt", 1, False),
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nowhere", "does not exist; check the path"),
        (
            lambda p: (p / "folder").mkdir() or (p / "folder" / "notes.md").touch() or p / "folder",
            "has no readable files; curate ingests .csv, .jsonl, .ndjson, .parquet, .txt",
        ),
        (lambda p: (p / "doc.pdf").touch() or p / "doc.pdf", "unsupported file type '.pdf'"),
    ],
)
def test_paths_that_cannot_be_read_are_refused_before_anything_runs(
    store: Store, tmp_path: Path, make: object, message: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(InputError, match=re.escape(message)):
        ingest(store, [path])
    assert _count(store) == 0


def test_a_50_mb_file_is_ingested_in_bounded_memory(tmp_path: Path) -> None:
    from curate.store import open_store

    article = (
        "Headline {n}\n\nCaption {n}.\nCaption {n}.\nTT\n20\n\n"
        + ("Body of article {n}: “Tehran” and Washington. " * 40 + "\n\n") * 5
    )
    path = tmp_path / "big.txt"
    with path.open("w", encoding="utf-8") as handle:
        n = 0
        while handle.tell() < 50_000_000:
            handle.write(article.format(n=n) + "\n\n\n")
            n += 1
    store = open_store(f"sqlite:///{tmp_path / 'big.db'}")
    tracemalloc.start()
    report = ingest(store, [path])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.total("new") == n
    # Holding the file as one str would take over 100 MB (curly quotes make it 2 bytes a char).
    assert peak < 25_000_000, f"peak {peak / 1e6:.1f} MB while reading a 50 MB file"
    store.close()


def test_progress_reports_every_byte_read(store: Store) -> None:
    read: list[int] = []
    ingest(store, [SEEDS], progress=read.append)
    assert sum(read) == sum(p.stat().st_size for p in SEEDS.glob("*.txt"))
