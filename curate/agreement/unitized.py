"""Krippendorff's unitizing alpha (αu) for entity spans, from its published definition.

Krippendorff, K. (2004). Content Analysis, 2nd ed., section 12.4 (pp. 251-256): each observer cuts
a continuum into units of a category and gaps; two observers' overlapping sections disagree by

- unit against unit: (start difference)² + (end difference)²,
- a unit lying wholly inside the other observer's gap: (unit length)²,
- anything else: 0;

observed disagreement is their sum over L² (m = 2 observers), expected disagreement is what random
placement of the same units and gaps gives, and αu = 1 - Do/De. Over several labels Do and De are
averaged before dividing, as the worked example does (αu = .8591 there; tests/test_unitized.py).

No maintained Python library computes it (pygamma-agreement computes Mathet's γ, last released
2024, and pulls in a solver), so it is written here, on numpy. curate's units are characters of
the documents laid end to end; a document edge always ends a gap, so documents can be resampled
for bootstrap intervals. With more than two annotators αu is computed for each pair over the
documents both labelled, and the pairs are pooled (Do and De summed, weighted by the shared
length) as in INCEpTION's pairwise unitizing agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from curate.agreement.data import AgreementData
from curate.agreement.figures import Estimate, Pair, UnitizedAlpha
from curate.agreement.matching import SpanArrays


def _merged(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, ...]:
    """Two sorted arrays as one without repeats, and for each value the index of the last
    value of each array not above it (-1: none). A stable sort merges sorted runs in one pass."""
    values = np.concatenate([first, second])
    order = np.argsort(values, kind="stable")
    values, from_second = values[order], order >= len(first)
    in_first = np.cumsum(~from_second) - 1
    in_second = np.cumsum(from_second) - 1
    last = np.ones(len(values), bool)
    last[:-1] = values[1:] != values[:-1]
    return values[last], in_first[last], in_second[last]


@dataclass(frozen=True)
class Sections:
    """One observer's partition of the continuum: where sections start, which are units, and
    in which stretch between two edges each lies."""

    points: np.ndarray  # section i is [points[i], points[i + 1])
    unit: np.ndarray  # bool per section
    stretch: np.ndarray  # per section: index of the edge it follows

    @classmethod
    def cut(cls, starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> Sections:
        """Units at [starts, ends) (never across an edge); edges: sorted, 0 to the total."""
        order = np.argsort(starts, kind="stable")
        starts, ends = starts[order], ends[order]
        keep = ends > starts
        if len(starts) > 1:
            # Overlapping units of one observer and label: the earlier one stands.
            reach = np.maximum.accumulate(np.concatenate([[-1], ends[:-1]]))
            keep &= starts >= reach
        bounds = np.column_stack([starts[keep], ends[keep]]).ravel()  # start, end, start, ...
        points, stretch, bound = _merged(edges, bounds)
        # Inside a unit when the last bound at or before the point is a start.
        unit = (bound[:-1] >= 0) & (bound[:-1] % 2 == 0)
        return cls(points, unit, stretch[:-1])

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.points)


def pair_distances(first: Sections, second: Sections) -> tuple[np.ndarray, np.ndarray]:
    """(stretch, squared distance) of every pair of overlapping sections of two observers that
    holds a unit (two gaps never disagree)."""
    _, a, b = _merged(first.points, second.points)
    a, b = a[:-1], b[:-1]
    ua, ub = first.unit[a], second.unit[b]
    some = ua | ub
    a, b, ua, ub = a[some], b[some], ua[some], ub[some]
    sa, ea = first.points[a], first.points[a + 1]
    sb, eb = second.points[b], second.points[b + 1]
    distance = np.where(ua & ub, (sa - sb) ** 2 + (ea - eb) ** 2, 0)
    a_in_gap = ua & ~ub & (sa >= sb) & (ea <= eb)
    b_in_gap = ub & ~ua & (sb >= sa) & (eb <= ea)
    distance += np.where(a_in_gap, (ea - sa) ** 2, 0) + np.where(b_in_gap, (eb - sb) ** 2, 0)
    return first.stretch[a], distance.astype(np.float64)


@dataclass(frozen=True)
class LabelPair:
    """What αu needs from two observers and one label, summed per group of documents so the
    groups can be resampled: disagreement, shared length, and how many units and gaps of each
    length there are."""

    observed: np.ndarray  # groups: squared distances summed
    size: np.ndarray  # groups: characters of the shared documents
    lengths: np.ndarray  # distinct section lengths, ascending
    units: np.ndarray  # groups x lengths
    gaps: np.ndarray  # groups x lengths

    def disagreements(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Do, De) for each row of weights (resamples x groups)."""
        total = weights @ self.size
        ell = self.lengths.astype(np.float64)
        units, gaps = weights @ self.units, weights @ self.gaps
        count = units.sum(axis=1)
        spread = (count - 1) / 3 * (units @ (2 * ell**3 - 3 * ell**2 + ell))
        # For each unit length ell, the gaps at least as long: sum of (gap - ell + 1).
        gaps_from = np.cumsum(gaps[:, ::-1], axis=1)[:, ::-1]
        gap_length_from = np.cumsum((gaps * ell)[:, ::-1], axis=1)[:, ::-1]
        fits = (units * ell**2 * (gap_length_from - (ell - 1) * gaps_from)).sum(axis=1)
        m = 2
        with np.errstate(invalid="ignore", divide="ignore"):
            observed = (weights @ self.observed) / total**2
            expected = (
                2
                / total
                * (spread + fits)
                / (m * total * (m * total - 1) - units @ (ell * (ell - 1)))
            )
        return observed, expected


def label_pairs(
    first: SpanArrays,
    second: SpanArrays,
    labels: int,
    base: np.ndarray,
    shared: np.ndarray,
    group: np.ndarray,
) -> dict[int, LabelPair]:
    """Two observers' sections for every label either used, over the documents in `shared` (a
    mask); base: character offset of each document and the total; group: each document's
    resampling group. Each document is laid out once per label, document after document, so
    one pass does all labels and stretch s is document s // labels, label s % labels."""
    sizes = np.diff(base)
    chosen = np.flatnonzero(shared & (sizes > 0))
    laid = np.zeros(len(sizes), np.int64)
    laid[chosen] = np.concatenate([[0], np.cumsum(sizes[chosen] * labels)[:-1]])
    copies = np.arange(labels, dtype=np.int64)
    edges = (laid[chosen, None] + copies[None, :] * sizes[chosen, None]).ravel()
    edges = np.append(edges, np.sum(sizes[chosen]) * labels)

    def sections(spans: SpanArrays) -> Sections:
        keep = sizes[spans.doc] > 0
        doc, label = spans.doc[keep], spans.label[keep]
        at = laid[doc] + label * sizes[doc]
        start = at + np.clip(spans.start[keep], 0, sizes[doc])
        end = at + np.clip(spans.end[keep], 0, sizes[doc])
        return Sections.cut(start, end, edges)

    one, two = sections(first), sections(second)
    groups = int(group.max(initial=-1)) + 1
    stretch_group = group[chosen][np.arange(len(edges) - 1) // labels]
    stretch_label = np.arange(len(edges) - 1) % labels

    def cells(stretch: np.ndarray) -> np.ndarray:
        return stretch_label[stretch] * groups + stretch_group[stretch]

    at, distance = pair_distances(one, two)
    observed = np.bincount(cells(at), distance, labels * groups).reshape(labels, groups)
    size = np.bincount(group[chosen], weights=sizes[chosen], minlength=groups)
    section_lengths = np.concatenate([one.lengths, two.lengths])
    unit = np.concatenate([one.unit, two.unit]).astype(np.int64)
    # Distinct lengths without a sort: lengths are at most a document long.
    seen = np.bincount(section_lengths) > 0
    lengths = np.flatnonzero(seen)
    position = (np.cumsum(seen) - 1)[section_lengths]
    where = cells(np.concatenate([one.stretch, two.stretch]))
    cell = (where * 2 + unit) * len(lengths) + position
    counts = np.bincount(cell, minlength=labels * groups * 2 * len(lengths))
    counts = counts.reshape(labels, groups, 2, len(lengths)).astype(np.float64)
    used = np.union1d(first.label, second.label)
    return {
        int(k): LabelPair(observed[k], size, lengths, counts[k, :, 1], counts[k, :, 0])
        for k in used
    }


def alpha_from(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """αu from disagreements already averaged over labels (or pooled over pairs)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(observed == expected, 0.0, 1 - observed / expected)


MAX_GROUPS = 200  # documents are resampled in at most this many groups: fast on 100,000


def resampling_groups(documents: int) -> np.ndarray:
    """Each document's group: one document a group up to MAX_GROUPS, then runs of neighbours
    in id order (ids are hashes, so a run is a random handful)."""
    groups = min(documents, MAX_GROUPS)
    return np.arange(documents) * groups // max(documents, 1)


def _interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def unitized_alpha(data: AgreementData, resamples: int = 1000, seed: int = 0) -> UnitizedAlpha:
    """αu overall, per label (pairs pooled) and per annotator pair, with bootstrap intervals."""
    base = np.concatenate([[0], np.cumsum([len(t) for t in data.texts])]).astype(np.int64)
    group = resampling_groups(len(data.documents))
    groups = int(group.max(initial=-1)) + 1
    weights = _bootstrap_weights(groups, resamples, seed)
    # label -> (Σ L·Do, Σ L·De, Σ L) over pairs; pair -> per-label (Do, De)
    pooled: dict[int, list[np.ndarray]] = {}
    by_pair: dict[Pair, list[tuple[np.ndarray, np.ndarray]]] = {}
    for a, b in combinations(range(len(data.coders)), 2):
        shared = data.labelled[:, a] & data.labelled[:, b]
        if not shared.any():
            continue
        first, second = data.coder_spans(a, shared), data.coder_spans(b, shared)
        parts = label_pairs(first, second, len(data.entity_labels), base, shared, group)
        for label, part in parts.items():
            observed, expected = part.disagreements(weights)
            length = weights @ part.size
            used = length > 0  # a resample may hold none of this pair's documents
            sums = pooled.setdefault(label, [np.zeros(len(weights)) for _ in range(3)])
            sums[0] += np.where(used, observed * length, 0)
            sums[1] += np.where(used, expected * length, 0)
            sums[2] += length
            by_pair.setdefault((data.coders[a], data.coders[b]), []).append(
                (observed[:1], expected[:1])
            )

    with np.errstate(invalid="ignore", divide="ignore"):
        per_label = {label: (s[0] / s[2], s[1] / s[2]) for label, s in pooled.items()}
    overall = (
        _estimate(
            np.mean([p[0] for p in per_label.values()], axis=0),
            np.mean([p[1] for p in per_label.values()], axis=0),
        )
        if per_label
        else None
    )
    return UnitizedAlpha(
        resampled_groups=groups,
        overall=overall,
        by_label={
            data.entity_labels[label]: _estimate(*parts)
            for label, parts in sorted(per_label.items())
        },
        pairs={
            pair: _rounded(
                alpha_from(
                    np.mean([p[0] for p in parts], axis=0),
                    np.mean([p[1] for p in parts], axis=0),
                )[0]
            )
            for pair, parts in by_pair.items()
        },
    )


def _bootstrap_weights(groups: int, resamples: int, seed: int) -> np.ndarray:
    """(1 + resamples) x groups: how often each group is drawn; the first row is the data."""
    draws = (
        np.random.default_rng(seed).multinomial(groups, np.full(groups, 1 / groups), resamples)
        if groups
        else np.zeros((resamples, 0))
    )
    return np.vstack([np.ones((1, groups)), draws]).astype(np.float64)


def _estimate(observed: np.ndarray, expected: np.ndarray) -> Estimate:
    """αu of the data (the first row) with the bootstrap interval of the rest."""
    values = alpha_from(observed, expected)
    low, high = _interval(values[1:])
    return Estimate(_rounded(values[0]), _rounded(low), _rounded(high))


def _rounded(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 4)
