"""The gold config as Arrow columns, read in bulk: the newest decision of every item, the texts,
sources and scores come back as Arrow tables (curate.store.arrow), the decisions' JSON payloads
are parsed by Arrow's JSON reader, and every span is checked against its text with numpy. No
Python object is made per span or per document on the way to the parquet file."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from sqlalchemy import Connection

from curate.config import Settings
from curate.errors import SpanError
from curate.store.arrow import arrow_query, utf8_bytes

OPEN = "open"
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


def _newest(connection: Connection) -> pa.Table:
    """The newest decision of every item, payloads as NDJSON lines. Every decision is read in
    one scan and the newest picked in Arrow: cheaper than a GROUP BY join in SQL, since items
    rarely have more than a couple of decisions."""
    text = "payload::text" if connection.dialect.name == "postgresql" else "payload"
    sql = f"""
        SELECT id, document_id, kind, target, method, {utf8_bytes(connection, text)}
        FROM decisions
    """
    schema = pa.schema(
        [("id", pa.int64())]
        + [(name, STRING) for name in ("document_id", "kind", "target", "method")]
        + [("payload", pa.large_string())]
    )
    return arrow_query(connection, sql, schema, as_bytes=["payload"], line_ends=True)


def _order(decisions: pa.Table, where: pa.Array) -> pa.Array:
    """Indices of the decisions where `where` holds, sorted by document."""
    chosen = pc.indices_nonzero(where)
    return pc.take(chosen, pc.sort_indices(pc.take(decisions["document_id"], chosen)))


def _parse(payloads: pa.ChunkedArray, schema: pa.Schema) -> pa.Table:
    """NDJSON payloads -> columns of `schema` (other keys ignored)."""
    if len(payloads) == 0:
        return schema.empty_table()
    joined = payloads.combine_chunks()
    _, offsets, data = joined.buffers()
    bounds = np.frombuffer(offsets, np.int64)[joined.offset : joined.offset + len(joined) + 1]
    body = data[int(bounds[0]) : int(bounds[-1])]
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    return pj.read_json(pa.BufferReader(body), parse_options=options)


def stance_column(target: str) -> str:
    return "stance_" + re.sub(r"[^0-9a-z]+", "_", target.lower()).strip("_")


def read_gold(connection: Connection, settings: Settings) -> Gold:
    decisions = _newest(connection)
    # Arrow parses every payload on another core while the texts are read.
    payload = pa.schema([("spans", pa.list_(SPAN)), ("label", STRING)])
    with ThreadPoolExecutor(1) as pool:
        parsing = pool.submit(_parse, decisions["payload"], payload)
        decisions = decisions.drop_columns(["payload"])
        keys = ["document_id", "kind", "target"]
        newest_ids = decisions.group_by(keys, use_threads=False).aggregate([("id", "max")])
        newest = pc.is_in(decisions["id"], value_set=newest_ids["id_max"])
        is_open = pc.and_(newest, pc.equal(decisions["method"], OPEN))
        unresolved = sorted(set(pc.filter(decisions["document_id"], is_open).to_pylist()))
        settled = pc.invert(pc.is_in(decisions["document_id"], pa.array(unresolved, STRING)))
        is_entity = pc.and_(settled, pc.equal(decisions["kind"], "entity"))
        entity_rows = _order(decisions, pc.and_(newest, is_entity))
        stance_rows = _order(decisions, pc.and_(newest, pc.equal(decisions["kind"], "stance")))
        entity, stances = decisions.take(entity_rows), decisions.take(stance_rows)
        ids = entity["document_id"].combine_chunks()
        texts = _texts(connection, ids)
        sources, scores = _sources(connection, ids), _scores(connection, ids)
        parsed = parsing.result()
    spans = pc.take(parsed["spans"], entity_rows).combine_chunks()
    labels = pc.take(parsed["label"], stance_rows)
    spans = _methods_filled(spans, entity["method"].combine_chunks())
    check_spans(ids, texts["text"].combine_chunks(), spans)
    table = pa.table(
        {
            "id": ids,
            "title": texts["title"],
            "text": texts["text"],
            "source": sources,
            "entities": spans,
        }
    )
    gold = Gold(table, unresolved=unresolved)
    gold.methods.update(_counts(spans.values.field("method")))
    stances = stances.append_column("label", labels)
    for target in settings.target_names():
        label, method = _stance_columns(stances, target, ids, settings.stance.labels)
        gold.table = gold.table.append_column(stance_column(target), label)
        gold.table = gold.table.append_column(stance_column(target) + "_method", method)
        gold.methods.update(_counts(pc.filter(method, pc.not_equal(method, ""))))
    gold.table = gold.table.append_column("agreement", scores)
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


def _texts(connection: Connection, ids: pa.Array) -> pa.Table:
    sql = f"""
        SELECT id, title, {utf8_bytes(connection, "text")} FROM documents
        WHERE id IN (SELECT document_id FROM decisions WHERE kind = 'entity')
        ORDER BY id
    """
    schema = pa.schema([("id", STRING), ("title", STRING), ("text", pa.large_string())])
    found = arrow_query(connection, sql, schema, as_bytes=["text"])
    if found["id"].equals(pa.chunked_array([ids])):
        return found  # the usual case: no copy of the texts
    return found.take(pc.index_in(ids, value_set=found["id"].combine_chunks()))


def _sources(connection: Connection, ids: pa.Array) -> pa.Array:
    """The file name (not the folders) where each document was first seen."""
    sql = """
        SELECT s.document_id, s.source FROM document_sources s
        JOIN (SELECT MIN(id) AS id FROM document_sources GROUP BY document_id) first
          ON first.id = s.id
    """
    found = arrow_query(connection, sql, pa.schema([("document_id", STRING), ("source", STRING)]))
    source = pc.take(found["source"], pc.index_in(ids, value_set=found["document_id"]))
    return _array(pc.replace_substring_regex(pc.fill_null(source, ""), r"^.*[/\\]", ""))


def _scores(connection: Connection, ids: pa.Array) -> pa.Array:
    sql = "SELECT document_id, score FROM document_agreement"
    found = arrow_query(
        connection, sql, pa.schema([("document_id", STRING), ("score", pa.float64())])
    )
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
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _counts(values: pa.Array | pa.ChunkedArray) -> Counter[str]:
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
