"""Query results as Arrow tables, for whole-corpus reads (the release).

Large text columns (document texts, JSON payloads) are selected as UTF-8 bytes (`utf8_bytes`) and
joined into one Arrow buffer, so no Python string is decoded and re-encoded per value; Arrow
checks the UTF-8 once, in bulk. The query runs on the caller's connection, so it sees that
transaction's own writes. (ADBC's SQLite driver would hand back Arrow directly, but it brings a
second SQLite library into the process, and two SQLite libraries on one database file drop each
other's POSIX locks: the store then fails with "disk I/O error".)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection


def utf8_bytes(connection: Connection, expression: str) -> str:
    """SQL for the UTF-8 bytes of a text expression."""
    if connection.dialect.name == "postgresql":
        return f"convert_to({expression}, 'UTF8')"
    return f"CAST({expression} AS BLOB)"


def arrow_query(
    connection: Connection,
    sql: str,
    schema: pa.Schema,
    as_bytes: Sequence[str] = (),
    line_ends: bool = False,
) -> pa.Table:
    """Run `sql` (no parameters); its columns, in select order, get `schema`'s names and types.
    Columns named in `as_bytes` must be selected with `utf8_bytes` and must not be NULL; with
    `line_ends` each of their values ends in a newline (JSON values then read as NDJSON)."""
    rows = connection.exec_driver_sql(sql).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    arrays = []
    for values, column in zip(columns, schema, strict=True):
        if column.name in as_bytes:
            arrays.append(_joined(values, line_ends).cast(column.type))
        else:
            arrays.append(pa.array(values, type=column.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _joined(values: Sequence[bytes | memoryview], line_ends: bool) -> pa.LargeStringArray:
    end = b"\n" if line_ends else b""
    lengths = np.fromiter(map(len, values), np.int64, len(values)) + len(end)
    offsets = np.zeros(len(values) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = pa.py_buffer(end.join(values) + end if values else b"")
    joined = pa.LargeStringArray.from_buffers(len(values), pa.py_buffer(offsets), data)
    if not line_ends:  # NDJSON is checked by the JSON reader; anything else here
        joined.validate(full=True)  # the bytes really are UTF-8
    return joined
