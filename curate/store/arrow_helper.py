"""The helper process behind curate.store.arrow.read_tables: runs queries with ADBC and writes
each result as an Arrow IPC file. Run by path (not `-m`), so it imports only pyarrow and the
ADBC driver: it starts in about a tenth of a second.

The job comes on standard input as JSON, so a database password never shows in `ps`:
{"dialect": "sqlite"|"postgresql", "uri": ..., "folder": ...,
 "queries": {name: {"sql": ..., "json": base64 Arrow schema or null}}}.
All queries run in one read transaction, so they see one state of the store. A query with a
"json" schema selects NDJSON lines last; each batch of lines is parsed (Arrow's JSON reader, on
two other threads) while the next batches are read.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.json as pj

MMAP_BYTES = 1 << 40  # SQLite caps it at its compiled limit (2 GB by default)
# SQLite: rows per batch (the driver infers column types from the first). NDJSON comes in small
# batches, parsed while the next are read; other results in one batch, so nothing is copied to
# join batches, while the store is too small for a column to pass 2 GB (see _store_bytes).
BATCH_ROWS = 8192
WHOLE_RESULT = 1 << 30  # rows: the driver takes less than 2**31 - 1
TEXT_LIMIT = 2**31 - 1  # bytes of one string column in one batch (32-bit offsets)


def main() -> None:
    import adbc_driver_manager

    job = json.load(sys.stdin)
    if job["dialect"] == "sqlite":
        import adbc_driver_sqlite as driver
    else:
        import adbc_driver_postgresql as driver  # type: ignore[no-redef]
    database = driver.connect(job["uri"])
    connection = adbc_driver_manager.AdbcConnection(database)
    connection.set_autocommit(False)
    try:
        if job["dialect"] == "sqlite":
            _run(connection, "PRAGMA busy_timeout = 30000")
            # Pages read in place from the page cache: a third of the system time of read().
            _run(connection, f"PRAGMA mmap_size = {MMAP_BYTES}")
        else:
            _run(connection, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        whole = job["dialect"] == "sqlite" and _store_bytes(connection) <= TEXT_LIMIT
        for name, query in job["queries"].items():
            statement = adbc_driver_manager.AdbcStatement(connection)
            if job["dialect"] == "sqlite":
                rows = WHOLE_RESULT if whole and not query["json"] else BATCH_ROWS
                statement.set_options(**{"adbc.sqlite.query.batch_rows": str(rows)})
            statement.set_sql_query(query["sql"])
            stream, _ = statement.execute_query()
            reader = pa.RecordBatchReader._import_from_c(stream.address)
            if query["json"]:
                fields = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(query["json"])))
                table = _read_parsing(reader, fields)
            else:
                table = _contiguous(pa.Table.from_batches(_checked(reader), reader.schema))
            statement.close()
            with pa.ipc.new_file(Path(job["folder"]) / f"{name}.arrow", table.schema) as out:
                out.write_table(table)
            del table
    finally:
        connection.rollback()
        connection.close()
        database.close()


def _read_parsing(reader: pa.RecordBatchReader, fields: pa.Schema) -> pa.Table:
    """Every batch, its last column (NDJSON lines) parsed into `fields` by two threads beside
    the reading one: the reading ends well before the parsing, and two parsers keep both cores
    busy after it."""
    batches: list[pa.RecordBatch] = []
    parsed: list[Future[pa.Table]] = []
    with ThreadPoolExecutor(2) as pool:
        for batch in _checked(reader):
            batches.append(batch.drop_columns([batch.schema.names[-1]]))
            parsed.append(pool.submit(parse_ndjson, batch.column(batch.num_columns - 1), fields))
    table = pa.Table.from_batches(batches, reader.schema.remove(len(reader.schema) - 1))
    values = pa.concat_tables([f.result() for f in parsed]) if parsed else fields.empty_table()
    for name, column in zip(values.column_names, values.columns, strict=True):
        table = table.append_column(name, column)
    return _contiguous(table)


def parse_ndjson(lines: pa.Array, fields: pa.Schema) -> pa.Table:
    """A string array of JSON objects, each ending in a newline -> columns of `fields` (other
    keys ignored). The lines are parsed where they lie in the array's buffer: no copy."""
    if len(lines) == 0:
        return fields.empty_table()
    _, offsets, data = lines.buffers()
    width = 8 if pa.types.is_large_string(lines.type) else 4
    first = int.from_bytes(offsets[lines.offset * width : (lines.offset + 1) * width], "little")
    end = lines.offset + len(lines)
    last = int.from_bytes(offsets[end * width : (end + 1) * width], "little")
    options = pj.ParseOptions(explicit_schema=fields, unexpected_field_behavior="ignore")
    block = pj.ReadOptions(use_threads=False, block_size=max(1 << 20, last - first))
    body = pa.BufferReader(data[first:last])
    return pj.read_json(body, read_options=block, parse_options=options)


def _store_bytes(connection: Any) -> int:
    """The SQLite file's size: no text column of a result can hold more bytes than that."""
    return _scalar(connection, "PRAGMA page_count") * _scalar(connection, "PRAGMA page_size")


def _checked(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The driver's batches, refused when a string column passed 2 GB: its 32-bit offsets then
    wrap around without an error (seen with ADBC's SQLite driver 1.13)."""
    for batch in reader:
        for column in batch.columns:
            if pa.types.is_string(column.type) and len(column):
                offsets = memoryview(column.buffers()[1]).cast("i")
                # A value is under 1 GB (SQLite's limit), so a wrap always shows as negative.
                if min(offsets[column.offset : column.offset + len(column) + 1]) < 0:
                    raise ValueError(
                        f"a batch of {len(column)} rows holds more than 2 GB of text, more than "
                        "one Arrow string column can; documents this long cannot be released"
                    )
        yield batch


def _contiguous(table: pa.Table) -> pa.Table:
    """One chunk per column, so the parent reads each column as one array without a copy;
    strings get 64-bit offsets first (a column can pass 2 GB)."""
    wide = [
        pa.field(f.name, pa.large_string()) if pa.types.is_string(f.type) else f
        for f in table.schema
    ]
    return table.cast(pa.schema(wide)).combine_chunks()


def _scalar(connection: Any, sql: str) -> int:
    import adbc_driver_manager

    statement = adbc_driver_manager.AdbcStatement(connection)
    statement.set_sql_query(sql)
    stream, _ = statement.execute_query()
    value = pa.RecordBatchReader._import_from_c(stream.address).read_all().column(0)[0]
    statement.close()
    return int(value.as_py())


def _run(connection: Any, sql: str) -> None:
    import adbc_driver_manager

    statement = adbc_driver_manager.AdbcStatement(connection)
    statement.set_sql_query(sql)
    statement.execute_update()
    statement.close()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one line for the parent to show; never the job (it holds the URI)
        message = str(error).splitlines()[0] if str(error) else ""
        print(f"{type(error).__name__}: {message}", file=sys.stderr)
        sys.exit(1)
