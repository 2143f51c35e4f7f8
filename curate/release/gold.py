"""The gold config as Arrow columns, read in bulk: the newest decision of every item, the texts,
sources and scores come back as Arrow tables (curate.store.arrow), the entity decisions' JSON
payloads are parsed by Arrow's JSON reader, and every span is checked against its text with
numpy. No Python object is made per span or per document on the way to the parquet file."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from curate.config import Settings
from curate.errors import SpanError, StoreError
from curate.store.arrow import Query, read_tables
from curate.store.current import OPEN

SPAN = pa.struct(
    [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("label", pa.string()),
        ("text", pa.string()),
        ("method", pa.string()),
    ]
)
STRING = pa.string()


@dataclass
class Gold:
    table: pa.Table  # one row per released document, sorted by id; span labels still names
    unresolved: list[str] = field(default_factory=list)
    extra_labels: list[str] = field(default_factory=list)  # used in gold, not in curate.toml
    methods: Counter[str] = field(default_factory=Counter)
    span_check: Future[None] | None = None  # check_spans, running beside the rest of the release

    def checked(self) -> None:
        """Wait for the span check; raises its SpanError."""
        if self.span_check is not None:
            self.span_check.result()


def _queries(connection: Connection) -> list[dict[str, Query]]:
    """Entity decisions (payloads as NDJSON lines, for Arrow's JSON reader); the texts of
    documents with entity decisions, by id; stance decisions with their labels; where each
    document was first seen; the scores. Decisions come sorted by item, then id (the index
    ix_decisions_item): the newest of each item is the last of its run, picked in Arrow."""
    postgres = connection.dialect.name == "postgresql"
    newline = "chr(10)" if postgres else "char(10)"
    payload = "payload::text" if postgres else "payload"
    label = "payload ->> 'label'" if postgres else "json_extract(payload, '$.label')"
    by_id = 'COLLATE "C"' if postgres else ""  # byte order, as Arrow sorts
    decisions: dict[str, Query] = {
        "entities": Query(
            f"""SELECT id, document_id, method, {payload} || {newline} FROM decisions
                WHERE kind = 'entity' ORDER BY document_id {by_id}, id""",
            pa.schema([("id", pa.int64()), ("document_id", STRING), ("method", STRING)]),
            json=pa.schema([("spans", pa.list_(SPAN))]),
        ),
        "stances": Query(
            f"""SELECT id, document_id, target, method, COALESCE({label}, '') FROM decisions
                WHERE kind = 'stance' ORDER BY document_id {by_id}, target {by_id}, id""",
            pa.schema(
                [("id", pa.int64())]
                + [(name, STRING) for name in ("document_id", "target", "method", "label")]
            ),
        ),
        "sources": Query(
            """SELECT s.document_id, s.source FROM document_sources s
               JOIN (SELECT MIN(id) AS id FROM document_sources GROUP BY document_id) first
                 ON first.id = s.id""",
            pa.schema([("document_id", STRING), ("source", STRING)]),
        ),
        "scores": Query(
            "SELECT document_id, score FROM document_agreement",
            pa.schema([("document_id", STRING), ("score", pa.float64())]),
        ),
    }
    # Texts never change once stored: they are read by a second helper, in parallel.
    texts: dict[str, Query] = {
        "texts": Query(
            f"""SELECT id, title, text FROM documents
                WHERE id IN (SELECT document_id FROM decisions WHERE kind = 'entity')
                ORDER BY id {by_id}""",
            pa.schema([("id", STRING), ("title", STRING), ("text", pa.large_string())]),
        ),
    }
    return [decisions, texts]


def _newest(decisions: pa.Table, item: list[str]) -> pa.Table:
    """The newest decision of each item. SQL sends the rows sorted by item, then id; where
    the sort is not Arrow's (another collation) they are sorted here. No copy when every item
    has one decision, as is usual."""
    keys = [(name, "ascending") for name in item] + [("id", "ascending")]
    if not _sorted(decisions, item):
        decisions = decisions.take(pc.sort_indices(decisions, sort_keys=keys))
    last = np.zeros(len(decisions), bool)  # the last row of each item
    if len(last):
        last[-1] = True
        for name in item:
            column = _array(decisions[name])
            last[:-1] |= pc.not_equal(column[:-1], column[1:]).to_numpy(zero_copy_only=False)
    return decisions if last.all() else decisions.filter(pa.array(last))


def _sorted(table: pa.Table, item: list[str]) -> bool:
    """Are the rows in ascending order of the item's columns (compared as tuples)?"""
    if len(table) < 2:
        return True
    earlier, later = table.slice(0, len(table) - 1), table.slice(1)
    before, tied = np.zeros(len(earlier), bool), np.ones(len(earlier), bool)
    for name in item:
        a, b = earlier[name].combine_chunks(), later[name].combine_chunks()
        before |= tied & pc.less(a, b).to_numpy(zero_copy_only=False)
        tied &= pc.equal(a, b).to_numpy(zero_copy_only=False)
    return bool((before | tied).all())


def stance_column(target: str) -> str:
    return "stance_" + re.sub(r"[^0-9a-z]+", "_", target.lower()).strip("_")


def read_gold(connection: Connection, settings: Settings, wait: bool = True) -> Gold:
    """Gold rows; with wait False the spans are still being checked on return (gold.checked()
    waits): the check's numpy work releases the GIL, so the release goes on beside it."""
    found = dict(read_tables(connection, _queries(connection)))
    entities = _newest(found["entities"], ["document_id"])
    stances = _newest(found["stances"], ["document_id", "target"])
    unresolved = sorted(
        set(pc.filter(entities["document_id"], pc.equal(entities["method"], OPEN)).to_pylist())
        | set(pc.filter(stances["document_id"], pc.equal(stances["method"], OPEN)).to_pylist())
    )
    if unresolved:
        entities = entities.filter(
            pc.invert(pc.is_in(entities["document_id"], pa.array(unresolved, STRING)))
        )
    spans = entities["spans"]
    ids = _array(entities["document_id"])
    spans = _methods_filled(_array(spans), _array(entities["method"]))
    texts = _texts(found["texts"], ids)
    span_check = _in_background(check_spans, ids, _array(texts["text"]), spans)
    table = pa.table(
        {
            "id": ids,
            "title": texts["title"],
            "text": texts["text"],
            "source": _sources(found["sources"], ids),
            "entities": spans,
        }
    )
    gold = Gold(table, unresolved=unresolved, span_check=span_check)
    gold.methods.update(value_counts(spans.values.field("method")))
    for target in settings.target_names():
        label, method = _stance_columns(stances, target, ids, settings.stance.labels)
        gold.table = gold.table.append_column(stance_column(target), label)
        gold.table = gold.table.append_column(stance_column(target) + "_method", method)
        gold.methods.update(value_counts(pc.filter(method, pc.not_equal(method, ""))))
    gold.table = gold.table.append_column("agreement", _scores(found["scores"], ids))
    used = set(pc.unique(spans.values.field("label")).to_pylist())
    gold.extra_labels = sorted(used - set(settings.entity_label_names()) - {None})
    if wait:
        gold.checked()
    return gold


def _in_background(function: Callable[..., None], *args: Any) -> Future[None]:
    pool = ThreadPoolExecutor(1, thread_name_prefix="curate-check")
    try:
        return pool.submit(function, *args)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one task


def _methods_filled(spans: pa.ListArray, item_methods: pa.Array) -> pa.ListArray:
    """A span without its own method was decided the way its item was."""
    values = spans.values
    parents = pc.list_parent_indices(spans)
    method = pc.coalesce(values.field("method"), pc.take(item_methods, parents))
    fields = [method if f.name == "method" else values.field(f.name) for f in SPAN]
    rebuilt = pa.StructArray.from_arrays(fields, fields=list(SPAN))
    return pa.ListArray.from_arrays(spans.offsets, rebuilt)


def _texts(found: pa.Table, ids: pa.Array) -> pa.Table:
    if found["id"].equals(pa.chunked_array([ids])):
        return found  # the usual case: no copy of the texts
    at = pc.index_in(ids, value_set=found["id"].combine_chunks())
    if at.null_count:  # texts are read apart from decisions (another transaction)
        raise StoreError("the store changed while the release read it; run the release again")
    return found.take(at)


def _sources(found: pa.Table, ids: pa.Array) -> pa.Array:
    """The file name (not the folders) where each document was first seen."""
    source = pc.take(found["source"], pc.index_in(ids, value_set=found["document_id"]))
    return _array(pc.replace_substring_regex(pc.fill_null(source, ""), r"^.*[/\\]", ""))


def _scores(found: pa.Table, ids: pa.Array) -> pa.Array:
    score = pc.take(found["score"], pc.index_in(ids, value_set=found["document_id"]))
    # The same rounding the card and older releases use.
    return pc.round(score, 6)


def _stance_columns(
    stances: pa.Table, target: str, ids: pa.Array, labels: list[str]
) -> tuple[pa.Array, pa.Array]:
    """Per released document: the label's index (-1 when there is no gold stance) and method."""
    mine = stances.filter(pc.equal(stances["target"], target))
    at = pc.index_in(ids, value_set=mine["document_id"].combine_chunks())
    label = pc.take(mine["label"], at)
    index = pc.fill_null(pc.index_in(label, value_set=pa.array(labels, STRING)), -1)
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
