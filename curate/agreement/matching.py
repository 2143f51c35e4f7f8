"""Span matching on numpy arrays, so agreement over 100,000 documents takes seconds, not minutes.

Exact matching pairs spans with the same document, offsets and label, one to one. Overlap matching
pairs spans of the same document by overlap first (largest overlap first, same label as the
tie-break, then position), one to one; labels are compared afterwards, so a pair with different
labels is a label conflict and a pair with different offsets is a boundary difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Document index and character offset share one int64 key: offsets stay below 2**32.
_SHIFT = np.int64(2**32)


@dataclass(frozen=True)
class SpanArrays:
    """Parallel arrays, one entry per span: document index, start, end, label index."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray

    @classmethod
    def build(
        cls, doc: list[int], start: list[int], end: list[int], label: list[int]
    ) -> SpanArrays:
        return cls(*(np.asarray(column, dtype=np.int64) for column in (doc, start, end, label)))

    @classmethod
    def empty(cls) -> SpanArrays:
        return cls.build([], [], [], [])

    def __len__(self) -> int:
        return len(self.doc)

    def take(self, selection: np.ndarray) -> SpanArrays:
        return SpanArrays(
            self.doc[selection], self.start[selection], self.end[selection], self.label[selection]
        )


def _row_ids(*columns: np.ndarray) -> np.ndarray:
    """A dense id per distinct row of the given columns."""
    size = len(columns[0])
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort(columns[::-1])
    change = np.zeros(size, dtype=bool)
    change[0] = True
    for column in columns:
        ordered = column[order]
        change[1:] |= ordered[1:] != ordered[:-1]
    ids = np.empty(size, dtype=np.int64)
    ids[order] = np.cumsum(change) - 1
    return ids


def _occurrence(ids: np.ndarray) -> np.ndarray:
    """0 for the first span with a given id, 1 for the second, ... (so duplicates pair up)."""
    if len(ids) == 0:
        return ids
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(ids)), 0))
    occurrence = np.empty(len(ids), dtype=np.int64)
    occurrence[order] = np.arange(len(ids)) - group_start
    return occurrence


def exact_pairs(a: SpanArrays, b: SpanArrays) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into a, into b) of spans paired one to one with equal document, offsets, label."""
    keys_a, keys_b = _keys(a, b)
    # Stable sorts are near linear here: spans mostly arrive ordered by document and start.
    order_a, order_b = np.argsort(keys_a, kind="stable"), np.argsort(keys_b, kind="stable")
    sorted_a, sorted_b = keys_a[order_a], keys_b[order_b]
    if (sorted_a[1:] == sorted_a[:-1]).any() or (sorted_b[1:] == sorted_b[:-1]).any():
        # A span repeated within one side: pair the k-th copy with the k-th copy.
        occurrence = np.concatenate([_occurrence(keys_a), _occurrence(keys_b)])
        ids = _row_ids(np.concatenate([keys_a, keys_b]), occurrence)
        _, ia, ib = np.intersect1d(ids[: len(a)], ids[len(a) :], True, return_indices=True)
        return ia.astype(np.int64), ib.astype(np.int64)
    if len(sorted_b) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    position = np.minimum(np.searchsorted(sorted_b, sorted_a), len(sorted_b) - 1)
    hit = sorted_b[position] == sorted_a
    return order_a[hit].astype(np.int64), order_b[position[hit]].astype(np.int64)


def _keys(a: SpanArrays, b: SpanArrays) -> tuple[np.ndarray, np.ndarray]:
    """One int64 per span naming (document, start, end, label), comparable across a and b."""
    columns = [np.concatenate([x, y]) for x, y in zip(_columns(a), _columns(b), strict=True)]
    if len(columns[0]) == 0:
        return columns[0][: len(a)], columns[0][len(a) :]
    sizes = [int(c.max()) + 1 for c in columns]
    if all(c.min() >= 0 for c in columns) and np.prod([float(s) for s in sizes]) < 2**62:
        key = np.zeros(len(columns[0]), np.int64)
        for column, size in zip(columns, sizes, strict=True):
            key = key * size + column
    else:  # too wide for one int64: number the distinct rows instead (slower)
        key = _row_ids(*columns)
    return key[: len(a)], key[len(a) :]


def _columns(spans: SpanArrays) -> tuple[np.ndarray, ...]:
    return spans.doc, spans.start, spans.end, spans.label


def overlap_pairs(a: SpanArrays, b: SpanArrays) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into a, into b) of spans paired one to one by overlap, largest overlap first."""
    ia, ib = _overlapping(a, b)
    # A candidate whose two spans have no other candidate is chosen whatever the order; only the
    # rest (nested or crossing spans, rare) needs sorting and the greedy loop.
    alone = (np.bincount(ia, minlength=len(a))[ia] == 1) & (
        np.bincount(ib, minlength=len(b))[ib] == 1
    )
    chosen = alone.copy()
    contested = np.flatnonzero(~alone)
    x, y = ia[contested], ib[contested]
    overlap = np.minimum(a.end[x], b.end[y]) - np.maximum(a.start[x], b.start[y])
    used_a, used_b = set(), set()
    for k in contested[np.lexsort((y, x, a.label[x] != b.label[y], -overlap))]:
        first, second = int(ia[k]), int(ib[k])
        if first not in used_a and second not in used_b:
            used_a.add(first)
            used_b.add(second)
            chosen[k] = True
    return ia[chosen], ib[chosen]


def _overlapping(a: SpanArrays, b: SpanArrays) -> tuple[np.ndarray, np.ndarray]:
    """Every (a, b) pair of spans in the same document that share at least one character."""
    start_key = b.doc * _SHIFT + b.start
    if len(b) > 1 and not (start_key[1:] >= start_key[:-1]).all():
        order = np.argsort(start_key, kind="stable")
        start_key = start_key[order]
    else:  # spans usually arrive sorted by document and start already
        order = np.arange(len(b), dtype=np.int64)
    # Running maximum of end keys: monotone, so a binary search finds the first b-span that may
    # still reach into an a-span even when b's spans nest.
    end_key = b.doc[order] * _SHIFT + b.end[order]
    reach = np.maximum.accumulate(end_key) if len(b) else start_key
    low = np.searchsorted(reach, a.doc * _SHIFT + a.start, side="right")
    high = np.searchsorted(start_key, a.doc * _SHIFT + a.end, side="left")
    count = np.maximum(high - low, 0)
    ia = np.repeat(np.arange(len(a), dtype=np.int64), count)
    step = np.arange(len(ia), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    ib = order[low[ia] + step].astype(np.int64)
    keep = (a.doc[ia] == b.doc[ib]) & (
        np.minimum(a.end[ia], b.end[ib]) > np.maximum(a.start[ia], b.start[ib])
    )
    return ia[keep], ib[keep]


@dataclass(frozen=True)
class PairCounts:
    """Per-label counts for one comparison of a (reference) against b."""

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    label_conflicts: int
    boundary_differences: int


def count_pairs(
    a: SpanArrays, b: SpanArrays, labels: int, overlap: bool
) -> tuple[PairCounts, np.ndarray, np.ndarray]:
    """Counts per label, plus the matched index arrays (for per-document figures)."""
    ia, ib = overlap_pairs(a, b) if overlap else exact_pairs(a, b)
    same = a.label[ia] == b.label[ib]
    tp = np.bincount(a.label[ia][same], minlength=labels)
    fn = np.bincount(a.label, minlength=labels) - tp
    fp = np.bincount(b.label, minlength=labels) - tp
    boundary = (a.start[ia] != b.start[ib]) | (a.end[ia] != b.end[ib])
    counts = PairCounts(tp, fp, fn, int((~same).sum()), int(boundary.sum()))
    return counts, ia[same], ib[same]
