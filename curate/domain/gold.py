"""The gold config as Arrow columns: the current decisions of every settled document with its
text, source and score are read into Arrow (curate.store.arrow; the entity decisions' JSON parsed
by Arrow), and every span is checked against its text with numpy. No Python object is made per
span on the way to the parquet file."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from curate.config import Settings
from curate.errors import SpanError
from curate.labels import stance_column
from curate.store.gold_rows import SPAN, entity_rows, stance_rows, waiting_documents


@dataclass
class Gold:
    table: pa.Table  # a row per released document, sorted by id (span labels still names)
    unresolved: list[str] = field(default_factory=list)
    extra_labels: list[str] = field(default_factory=list)  # used in gold, not in curate.toml
    methods: Counter[str] = field(default_factory=Counter)


def read_gold(connection: Connection, settings: Settings) -> Gold:
    """Gold rows of every document whose items are all settled, spans checked (SpanError)."""
    entities = entity_rows(connection)
    ids, texts = _array(entities["id"]), _array(entities["text"])
    spans = _methods_filled(_array(entities["payload"]).field("spans"), _array(entities["method"]))
    check_spans(ids, texts, spans)
    folders = r"^.*[/\\]"  # the file name where a document was first seen, not its folders
    table = pa.table(
        {
            "id": ids,
            "title": entities["title"],
            "text": texts,
            "source": pc.replace_substring_regex(entities["source"], folders, ""),
            "entities": spans,
        }
    )
    gold = Gold(table, unresolved=waiting_documents(connection))
    gold.methods.update(value_counts(spans.values.field("method")))
    stances = stance_rows(connection)
    for target in settings.target_names():
        label, method = _stance_columns(stances, target, ids, settings.stance.labels)
        gold.table = gold.table.append_column(stance_column(target), label)
        gold.table = gold.table.append_column(stance_column(target) + "_method", method)
        gold.methods.update(value_counts(pc.filter(method, pc.not_equal(method, ""))))
    used = set(pc.unique(spans.values.field("label")).to_pylist())
    gold.extra_labels = sorted(used - set(settings.entity_label_names()) - {None})
    return gold


def _methods_filled(spans: pa.ListArray, item_methods: pa.Array) -> pa.ListArray:
    """A span without its own method was decided the way its item was."""
    values = spans.values
    parents = pc.list_parent_indices(spans)
    method = pc.coalesce(values.field("method"), pc.take(item_methods, parents))
    fields = [method if f.name == "method" else values.field(f.name) for f in SPAN]
    rebuilt = pa.StructArray.from_arrays(fields, fields=list(SPAN))
    return pa.ListArray.from_arrays(spans.offsets, rebuilt)


def _stance_columns(
    stances: pa.Table, target: str, ids: pa.Array, labels: list[str]
) -> tuple[pa.Array, pa.Array]:
    """Per released document: the label's index (-1 when there is no gold stance) and method."""
    mine = stances.filter(pc.equal(stances["target"], target))
    at = pc.index_in(ids, value_set=mine["document_id"].combine_chunks())
    label = pc.take(mine["label"], at)
    index = pc.fill_null(pc.index_in(label, value_set=pa.array(labels, pa.string())), -1)
    known = pc.not_equal(index, -1)
    method = pc.if_else(known, pc.take(mine["method"], at), "")
    return _array(pc.cast(index, pa.int64())), _array(pc.fill_null(method, ""))


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One array; no copy when there is one chunk (combine_chunks would copy even then)."""
    if not isinstance(values, pa.ChunkedArray):
        return values
    return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()


def value_counts(values: pa.Array | pa.ChunkedArray) -> Counter[Any]:
    """Counted in Arrow: a release can hold millions of spans."""
    counted = pc.value_counts(values)
    return Counter(
        dict(
            zip(
                counted.field("values").to_pylist(),
                counted.field("counts").to_pylist(),
                strict=True,
            )
        )
    )


def check_spans(ids: pa.Array, texts: pa.Array, spans: pa.ListArray) -> None:
    """Every span's text is exactly text[start:end] (offsets count code points).

    Documents whose text is ASCII are checked in bulk (code points are bytes there): the bytes
    each span points at are gathered from the texts' buffer and compared with the span texts'.
    Other documents are checked one span at a time."""
    values = spans.values
    starts = values.field("start").to_numpy(zero_copy_only=False)
    ends = values.field("end").to_numpy(zero_copy_only=False)
    owner = pc.list_parent_indices(spans).to_numpy()
    chars = pc.utf8_length(texts).to_numpy(zero_copy_only=False)
    ascii_text = chars == pc.binary_length(texts).to_numpy(zero_copy_only=False)
    span_texts = values.field("text")
    lengths = pc.binary_length(span_texts).to_numpy(zero_copy_only=False)
    inside = (starts >= 0) & (starts <= ends) & (ends <= chars[owner])
    bulk = ascii_text[owner] & inside & (lengths == ends - starts)
    bad = ~inside | (ascii_text[owner] & ~bulk)
    bad[bulk] = ~_bytes_match(texts, owner[bulk], starts[bulk], span_texts.filter(pa.array(bulk)))
    for i in np.flatnonzero(~ascii_text[owner] & inside):
        text = texts[owner[i]].as_py()
        bad[i] = text[starts[i] : ends[i]] != span_texts[i].as_py()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        text = texts[owner[i]].as_py()
        start, end, wanted = int(starts[i]), int(ends[i]), span_texts[i].as_py()
        raise SpanError(
            f"document {ids[owner[i]].as_py()}: gold span {start}-{end} {wanted!r} does not match "
            f"the text {text[start:end]!r}; fix it in review, then release"
        )


def _bytes_match(
    texts: pa.Array, owner: np.ndarray, starts: np.ndarray, span_texts: pa.Array
) -> np.ndarray:
    """For spans in ASCII texts (byte offsets = code point offsets): do the bytes agree?"""
    if len(span_texts) == 0:
        return np.ones(0, bool)
    text_offsets, text_bytes = _string_buffers(texts)
    span_offsets, span_bytes = _string_buffers(span_texts)
    lengths = np.diff(span_offsets)
    total = int(lengths.sum())
    # Position k of span i's text sits at text byte (text start + span start + k).
    shift = text_offsets[owner] + starts - span_offsets[:-1]
    wanted = span_bytes[span_offsets[0] : span_offsets[0] + total]
    # int32 positions while the texts are under 2 GB: half the memory traffic of int64.
    small = len(text_bytes) < 2**31 and len(span_bytes) < 2**31
    kind = np.int32 if small else np.int64
    positions = np.repeat(shift.astype(kind), lengths)
    positions += np.arange(span_offsets[0], span_offsets[-1], dtype=kind)
    found = text_bytes[positions]
    differs = found != wanted
    if not differs.any():
        return np.ones(len(span_texts), bool)
    which = np.repeat(np.arange(len(span_texts)), lengths)[differs]
    ok = np.ones(len(span_texts), bool)
    ok[which] = False
    return ok


def _string_buffers(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array, as numpy views."""
    strings = pc.cast(strings, pa.large_string())
    _, offsets, data = strings.buffers()
    offset_view = np.frombuffer(offsets, np.int64)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    return offset_view, np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
