"""Query results as Arrow tables, read in-process through the caller's connection (so in its
transaction: several reads see one state of the store), a batch of rows at a time."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.json as pj
from sqlalchemy import Connection, Executable

BATCH_ROWS = 10_000  # rows held as Python objects at a time


def read_table(connection: Connection, query: Executable, schema: pa.Schema) -> pa.Table:
    """The rows of `query` under `schema`: its fields name and type the selected columns, in
    order. A field of a nested type (list or struct) is read from JSON text, parsed by Arrow;
    keys its type does not name are ignored."""
    result = connection.execute(
        query, execution_options={"stream_results": True, "yield_per": BATCH_ROWS}
    )
    batches = []
    for rows in result.partitions():
        columns = list(zip(*rows, strict=True))
        batches.append(
            pa.table(
                [_column(values, field) for values, field in zip(columns, schema, strict=True)],
                schema=schema,
            )
        )
    return pa.concat_tables(batches).combine_chunks() if batches else schema.empty_table()


def _column(values: tuple[object, ...], field: pa.Field) -> pa.Array:
    if not pa.types.is_nested(field.type):
        return pa.array(values, field.type)
    return parse_json(values, field.type)


def parse_json(texts: tuple[object, ...], kind: pa.DataType) -> pa.Array:
    """JSON texts (None for SQL NULL) -> an array of `kind`, parsed in bulk by Arrow's JSON
    reader: the texts are joined into one document of {"v": ...} lines in a single step."""
    if None in texts:
        texts = tuple("null" if text is None else text for text in texts)
    lines = ('{"v":' + '}\n{"v":'.join(texts) + "}").encode()  # type: ignore[arg-type]
    longest = max(map(len, texts))  # type: ignore[arg-type]
    options = pj.ParseOptions(
        explicit_schema=pa.schema([("v", kind)]), unexpected_field_behavior="ignore"
    )
    # A block holds whole lines: at least the longest (4 bytes a character at most).
    block = pj.ReadOptions(block_size=max(1 << 20, 4 * longest + 16))
    parsed = pj.read_json(pa.BufferReader(lines), read_options=block, parse_options=options)
    return parsed.column("v").combine_chunks()
