"""JSONL, CSV and Parquet readers: one document per record, extra columns kept as metadata."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate import jsontext
from curate.errors import InputError
from curate.ingest.clean import clean_text
from curate.ingest.textfile import ByteProgress, check_readable, read_lines
from curate.records import Document, Provenance


@dataclass(frozen=True)
class Fields:
    """Which record fields hold the text, an external id and the title."""

    text: str = "text"
    id: str | None = None
    title: str | None = None


def read_jsonl(
    path: Path,
    source: str,
    fields: Fields,
    encoding: str = "utf-8",
    progress: ByteProgress | None = None,
) -> Iterator[Document]:
    for line in read_lines(path, encoding, progress):
        if not line.text.strip():
            continue
        record = jsontext.parse(line.text, f"{path} line {line.number}")
        if not isinstance(record, dict):
            raise InputError(
                f"{path} line {line.number} is a JSON {type(record).__name__}, not an object; "
                'each line must be one object such as {"text": "..."}'
            )
        yield _document(record, path, f"line {line.number}", line.number, source, fields)


def read_csv(
    path: Path,
    source: str,
    fields: Fields,
    encoding: str = "utf-8",
    progress: ByteProgress | None = None,
) -> Iterator[Document]:
    csv.field_size_limit(sys.maxsize)  # news bodies are longer than csv's default 128 KiB cap
    lines = (line.text + "\n" for line in read_lines(path, encoding, progress))
    # strict: a quote left open is an error, not the rest of the file read as one field.
    rows = csv.DictReader(lines, strict=True)
    done = 1  # lines read so far (the header)
    try:
        for number, record in enumerate(rows, start=1):
            if None in record or None in record.values():
                found = (
                    len(record) - 1 + len(record.get(None) or [])
                    if None in record
                    else sum(v is not None for v in record.values())
                )
                raise InputError(
                    f"{path} line {rows.line_num}: {found} fields where the header has "
                    f"{len(rows.fieldnames or [])}; fix the row (quote fields that hold commas)"
                )
            yield _document(record, path, f"row {number}", number, source, fields)
            done = rows.line_num
    except csv.Error as error:
        raise InputError(
            f"{path} is not valid CSV: the row that starts at line {done + 1} does not parse "
            f"({error}); check its quotes"
        ) from None


def read_parquet(
    path: Path, source: str, fields: Fields, progress: ByteProgress | None = None
) -> Iterator[Document]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_readable(path, None)
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(f"{path} is not a readable Parquet file ({error})") from None
    size, groups = path.stat().st_size, max(parquet.metadata.num_row_groups, 1)
    number = 0
    for group in range(parquet.metadata.num_row_groups):
        for batch in parquet.iter_batches(batch_size=1000, row_groups=[group]):
            for record in batch.to_pylist():
                number += 1
                yield _document(record, path, f"row {number}", number, source, fields)
        if progress is not None:
            progress(size // groups)


def _document(
    record: dict[str, Any], path: Path, where: str, row: int, source: str, fields: Fields
) -> Document:
    if fields.text not in record:
        found = ", ".join(sorted(map(str, record))) or "none"
        raise InputError(
            f"{path} {where} has no field {fields.text!r}; pass --text-field NAME "
            f"(fields here: {found})"
        )
    text = record[fields.text]
    if not isinstance(text, str):
        raise InputError(
            f"{path} {where}: field {fields.text!r} is {type(text).__name__}, not text; "
            "pass --text-field with the column that holds the article text"
        )
    text = clean_text(text)
    if not text:
        raise InputError(f"{path} {where}: field {fields.text!r} is empty; drop that record")
    title = record.get(fields.title) if fields.title else ""
    metadata = {
        ("source_id" if key == fields.id else key): _plain(value)
        for key, value in record.items()
        if key not in (fields.text, fields.title)
    }
    return Document(
        text=text,
        title=clean_text(str(title)) if title is not None else "",
        metadata=metadata,
        provenance=Provenance(source, row=row),
    )


def _plain(value: Any) -> Any:
    """Metadata must survive JSON: dates become ISO strings, decimals floats."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
