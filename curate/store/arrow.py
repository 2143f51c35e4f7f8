"""Whole-table reads as Arrow tables, for the release.

`read_tables` runs its queries in helper processes (arrow_helper.py) with ADBC, whose drivers
hand rows to Arrow in C, so no value passes through a Python object. Why separate processes:
ADBC's SQLite driver bundles its own SQLite library, and two SQLite libraries in one process
drop each other's POSIX locks (the store then fails with "disk I/O error"). Helpers also run in
parallel, on both cores of a small machine.

Helpers read what is committed. A caller whose transaction has written rows of its own (tests,
mostly: `release` reads before it writes) gets the same tables read in-process instead.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Connection

from curate.errors import StoreError
from curate.store.arrow_helper import parse_ndjson
from curate.store.database import has_uncommitted_writes

HELPER = Path(__file__).with_name("arrow_helper.py")


@dataclass(frozen=True)
class Query:
    """SQL without parameters; its columns, in select order, get `columns`' names and types.
    With `json`, the last column selected holds one JSON object per line (each ending in a
    newline) and is replaced by `json`'s fields. Text columns must not be NULL (COALESCE them):
    ADBC's SQLite driver guesses a column's type from its first rows."""

    sql: str
    columns: pa.Schema
    json: pa.Schema | None = None

    @property
    def schema(self) -> pa.Schema:
        """The table read."""
        return pa.schema([*self.columns, *(self.json or [])])


def read_tables(connection: Connection, groups: list[dict[str, Query]]) -> dict[str, pa.Table]:
    """Every query's table, by name. Each group runs in its own helper, in parallel with the
    others, in one read transaction: queries whose results must agree belong in one group."""
    url = _helper_url(connection)
    if url is None or has_uncommitted_writes(connection):
        return {
            name: _in_process(connection, query)
            for group in groups
            for name, query in group.items()
        }
    with tempfile.TemporaryDirectory(prefix="curate-read-", dir=_scratch(connection)) as folder:
        helpers = [_start(connection.dialect.name, url, folder, group) for group in groups]
        failures = []
        for helper in helpers:
            with helper:  # closes the pipes and waits
                assert helper.stderr
                errors = helper.stderr.read().decode(errors="replace")  # a line at most
            if helper.returncode != 0:
                failures.append((errors.strip().splitlines() or ["no message"])[-1])
        if failures:
            raise StoreError(f"reading the store in bulk failed: {failures[0]}")
        # Memory-mapped: the tables stay readable after the folder is removed.
        return {
            name: _conformed(
                pa.ipc.open_file(pa.memory_map(f"{folder}/{name}.arrow")).read_all(),
                query.schema,
            )
            for group in groups
            for name, query in group.items()
        }


def _scratch(connection: Connection) -> str | None:
    """Where helpers leave their files: in memory (/dev/shm) when it has room for twice the
    SQLite store (the tables are read back into memory anyway), else the temporary folder.
    Containers often give /dev/shm 64 MB."""
    shm, database = Path("/dev/shm"), connection.engine.url.database
    if not shm.is_dir() or connection.dialect.name != "sqlite" or not database:
        return None
    stats = os.statvfs(shm)
    return str(shm) if stats.f_bavail * stats.f_frsize > 2 * Path(database).stat().st_size else None


def _helper_url(connection: Connection) -> str | None:
    """The URI a helper opens, or None for a store only this process can see (in memory)."""
    url = connection.engine.url
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql").render_as_string(hide_password=False)
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        # Read-only: a helper can never change the store, nor make a missing file.
        return Path(url.database).absolute().as_uri() + "?mode=ro"
    return None


def _start(dialect: str, url: str, folder: str, group: dict[str, Query]) -> subprocess.Popen[bytes]:
    job = {
        "dialect": dialect,
        "uri": url,
        "folder": folder,
        "queries": {
            name: {
                "sql": query.sql,
                "json": base64.b64encode(query.json.serialize()).decode() if query.json else None,
            }
            for name, query in group.items()
        },
    }
    helper = subprocess.Popen(
        [sys.executable, str(HELPER)],
        env=_helper_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert helper.stdin
    helper.stdin.write(json.dumps(job).encode())  # a few KB: fits the pipe, never blocks
    helper.stdin.close()
    return helper


def _helper_environment() -> dict[str, str]:
    """The ADBC drivers build their batches with glibc's malloc: asked to, it takes transparent
    huge pages, and hundreds of MB are not faulted in 4 KB at a time (a third of the texts'
    read on a virtual machine). A GLIBC_TUNABLES hugetlb setting of the caller's wins."""
    tunables = [t for t in os.environ.get("GLIBC_TUNABLES", "").split(":") if t]
    if not any(t.startswith("glibc.malloc.hugetlb=") for t in tunables):
        tunables.append("glibc.malloc.hugetlb=1")
    return os.environ | {"GLIBC_TUNABLES": ":".join(tunables)}


def _conformed(found: pa.Table, schema: pa.Schema) -> pa.Table:
    """A helper's columns under the schema's names and types (large strings, int flags)."""
    columns = [column.cast(field.type) for column, field in zip(found.columns, schema, strict=True)]
    return pa.Table.from_arrays(columns, schema=schema)


def _in_process(connection: Connection, query: Query) -> pa.Table:
    rows = connection.exec_driver_sql(query.sql).fetchall()
    width = len(query.columns) + (1 if query.json else 0)
    values = list(zip(*rows, strict=True)) if rows else [()] * width
    arrays = [pa.array(v, type=f.type) for v, f in zip(values, query.columns, strict=False)]
    table = pa.Table.from_arrays(arrays, schema=query.columns)
    if query.json:
        parsed = parse_ndjson(pa.array(values[-1], pa.large_string()), query.json)
        for name, column in zip(parsed.column_names, parsed.columns, strict=True):
            table = table.append_column(name, column)
    return table
