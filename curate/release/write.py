"""Writing a release folder byte for byte the same from the same rows: rows sorted, one row group
per file, fixed writer options, Hugging Face features in the schema metadata, checksums."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

CHECKSUMS = "checksums.sha256"
WRITER = {
    "compression": "zstd",
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 1 << 30,  # one row group: the layout does not depend on batch sizes
}


def table(rows: list[dict[str, Any]] | pa.Table, features: Any) -> pa.Table:
    """Rows (dicts, or an Arrow table with those columns) as an Arrow table with the features'
    schema (ClassLabels kept in the metadata). Span labels may arrive as names: Arrow turns them
    into ClassLabel indexes in bulk."""
    schema = features.arrow_schema
    if len(rows) == 0:
        built = schema.empty_table()
    elif "entities" in schema.names and pa.types.is_int64(_span_label_type(schema)):
        names = features["entities"].feature["label"].names
        loose = schema.set(
            schema.get_field_index("entities"), pa.field("entities", _named_spans(schema))
        )
        if isinstance(rows, pa.Table):
            built = rows.select(loose.names).cast(loose)
        else:
            built = pa.Table.from_pylist(rows, schema=loose)
        built = built.set_column(
            schema.get_field_index("entities"),
            schema.field("entities"),
            _encode_labels(built.column("entities").combine_chunks(), names),
        )
    elif isinstance(rows, pa.Table):
        built = rows.select(schema.names).cast(schema)
    else:
        built = pa.Table.from_pylist(rows, schema=schema)
    metadata = {b"huggingface": json.dumps({"info": {"features": features.to_dict()}}).encode()}
    return built.replace_schema_metadata(metadata).combine_chunks()


def _span_label_type(schema: pa.Schema) -> pa.DataType:
    return schema.field("entities").type.value_type.field("label").type


def _named_spans(schema: pa.Schema) -> pa.DataType:
    spans = schema.field("entities").type.value_type
    fields = [pa.field("label", pa.string()) if f.name == "label" else f for f in spans]
    return pa.list_(pa.struct(fields))


def _encode_labels(column: pa.ListArray, names: list[str]) -> pa.ListArray:
    """list<struct<..., label: string>> -> the same with label as its index in `names`."""
    import pyarrow.compute as pc

    spans = column.values
    labels = pc.index_in(spans.field("label"), value_set=pa.array(names)).cast(pa.int64())
    fields = [
        labels if spans.type.field(i).name == "label" else spans.field(i)
        for i in range(spans.type.num_fields)
    ]
    encoded = pa.StructArray.from_arrays(fields, names=[f.name for f in spans.type])
    return pa.ListArray.from_arrays(column.offsets, encoded, mask=column.is_null())


def write_parquet(data: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(data, path, **WRITER)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digests(folder: Path, names: list[str]) -> dict[str, str]:
    return {name: file_digest(folder / name) for name in names}


def data_fingerprint(data: dict[str, str]) -> str:
    """The sha256 of what `sha256sum` prints for the data files (name -> digest) in path
    order, so anyone can recount it: `sha256sum NAME... | sha256sum` (fingerprint_command)."""
    combined = "".join(f"{data[name]}  {name}\n" for name in sorted(data))
    return hashlib.sha256(combined.encode()).hexdigest()


def fingerprint_command(names: list[str]) -> str:
    """The shell command, run in the release folder, that prints data_fingerprint's value."""
    return f"sha256sum {' '.join(sorted(names))} | sha256sum"


def write_checksums(folder: Path, known: dict[str, str]) -> None:
    """Every file's digest; those in `known` (the data files, just hashed) are not read again."""
    names = sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS
    )
    lines = "".join(f"{known.get(name) or file_digest(folder / name)}  {name}\n" for name in names)
    (folder / CHECKSUMS).write_text(lines, encoding="utf-8")
