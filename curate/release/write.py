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


def table(rows: list[dict[str, Any]], features: Any) -> pa.Table:
    """Rows as an Arrow table with the features' schema (ClassLabels kept in the metadata)."""
    schema = features.arrow_schema
    built = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    metadata = {b"huggingface": json.dumps({"info": {"features": features.to_dict()}}).encode()}
    return built.replace_schema_metadata(metadata).combine_chunks()


def write_parquet(data: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(data, path, **WRITER)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_fingerprint(folder: Path, files: list[str]) -> str:
    """sha256 over the data files' own digests, in path order."""
    combined = "".join(f"{name}\0{file_digest(folder / name)}\n" for name in sorted(files))
    return hashlib.sha256(combined.encode()).hexdigest()


def write_checksums(folder: Path) -> None:
    names = sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS
    )
    lines = "".join(f"{file_digest(folder / name)}  {name}\n" for name in names)
    (folder / CHECKSUMS).write_text(lines, encoding="utf-8")
