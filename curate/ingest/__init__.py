"""Ingest: files and folders -> cleaned documents in the store, one transaction per file."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from sqlalchemy import Connection

from curate.errors import CurateError, InputError
from curate.ingest.scraped import read_scraped
from curate.ingest.tabular import Fields, read_csv, read_jsonl, read_parquet
from curate.ingest.textfile import ByteProgress
from curate.records import Document
from curate.store import Store, queries

READERS = {
    ".txt": "scraped",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
}
BATCH = 200  # documents per INSERT: bounds memory on huge files


@dataclass(frozen=True)
class IngestOptions:
    fields: Fields = Fields()
    encoding: str = "utf-8"
    require: re.Pattern[str] | None = None


# spaCy's default max_length: longer texts are pre-labelled in pieces, and are slow to read.
LONG_DOCUMENT = 1_000_000


@dataclass
class FileReport:
    path: str
    new: int = 0
    unchanged: int = 0  # already stored from this same file
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (document id, first seen in)
    filtered: int = 0
    error: str | None = None
    bad_input: bool = False  # the error is in the file itself (not reading it, not the store)
    long_documents: list[tuple[str, int]] = field(default_factory=list)  # (id, characters)


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(report, name) for report in self.files)

    @property
    def duplicates(self) -> int:
        return sum(len(report.duplicates) for report in self.files)

    @property
    def failed(self) -> list[FileReport]:
        return [report for report in self.files if report.error]

    def exit_code(self) -> int:
        """0 when every file landed; 2 when only bad files failed; 1 when reading failed."""
        if not self.failed:
            return 0
        return 2 if all(report.bad_input for report in self.failed) else 1


def find_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to the readable files in them; refuse what cannot be read."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path} does not exist; check the path")
        if path.is_dir():
            inside = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in READERS
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not inside:
                raise InputError(
                    f"{path} has no readable files; curate ingests {', '.join(sorted(READERS))}"
                )
            found.extend(inside)
        elif path.suffix.lower() not in READERS:
            raise InputError(
                f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                f"curate ingests {', '.join(sorted(READERS))}"
            )
        else:
            found.append(path)
    return found


def read_file(
    path: Path, source: str, options: IngestOptions, progress: ByteProgress | None = None
) -> Iterator[Document]:
    kind = READERS[path.suffix.lower()]
    if kind == "scraped":
        return read_scraped(path, source, options.encoding, progress)
    if kind == "jsonl":
        return read_jsonl(path, source, options.fields, options.encoding, progress)
    if kind == "csv":
        return read_csv(path, source, options.fields, options.encoding, progress)
    return read_parquet(path, source, options.fields, progress)


def ingest(
    store: Store,
    paths: Iterable[Path],
    options: IngestOptions | None = None,
    base_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest every file; a failing file is rolled back and reported, the others still land."""
    options = options or IngestOptions()
    report = IngestReport()
    for path in find_files(paths):
        file_report = FileReport(source_name(path, base_dir))
        report.files.append(file_report)
        try:
            with store.transaction() as connection:
                documents = read_file(path, file_report.path, options, progress)
                seen_in_this_file: set[str] = set()
                for batch in _batches(documents):
                    _store_batch(connection, batch, options, file_report, seen_in_this_file)
                if not (seen_in_this_file or file_report.filtered):
                    raise InputError(
                        f"{path} holds no document (it is empty, or only whitespace); "
                        "nothing was ingested from it"
                    )
        except (CurateError, OSError) as error:
            # One bad file (unreadable, say) is reported; the files after it still land.
            message = str(error)
            if isinstance(error, OSError) and not isinstance(error, CurateError):
                message = f"{path}: cannot read it ({error.strerror}); check its permissions"
            file_report.error = message
            file_report.bad_input = isinstance(error, InputError)
            file_report.new, file_report.unchanged, file_report.filtered = 0, 0, 0
            file_report.duplicates.clear()
    return report


def total_bytes(paths: Iterable[Path]) -> int:
    return sum(path.stat().st_size for path in find_files(paths))


def _store_batch(
    connection: Connection,
    batch: list[Document],
    options: IngestOptions,
    report: FileReport,
    seen_in_this_file: set[str],
) -> None:
    if options.require is not None:
        kept = [d for d in batch if options.require.search(d.title + "\n" + d.text)]
        report.filtered += len(batch) - len(kept)
        batch = kept
    stored = queries.existing_document_ids(connection, (d.id for d in batch))
    seen_in = queries.known_sources(connection, stored)
    new: list[Document] = []
    sightings: list[Document] = []  # the same text found again elsewhere
    for document in batch:
        repeat_in_file = document.id in seen_in_this_file
        seen_in_this_file.add(document.id)
        if document.id not in stored:
            if len(document.text) > LONG_DOCUMENT:
                report.long_documents.append((document.id, len(document.text)))
            stored.add(document.id)
            seen_in[document.id] = [report.path]
            new.append(document)
        elif report.path in seen_in[document.id] and not repeat_in_file:
            report.unchanged += 1
        else:
            report.duplicates.append((document.id, seen_in[document.id][0]))
            sightings.append(document)
    queries.insert_documents(connection, new)
    queries.insert_sources(connection, new + sightings)
    report.new += len(new)


def _batches(documents: Iterator[Document]) -> Iterator[list[Document]]:
    while batch := list(islice(documents, BATCH)):
        yield batch


def source_name(path: Path, base_dir: Path | None) -> str:
    """Paths inside the project are stored relative to it, so the store can move with it."""
    absolute = path.resolve()
    if base_dir is not None:
        try:
            return absolute.relative_to(base_dir.resolve()).as_posix()
        except ValueError:
            pass
    return os.fspath(absolute)
