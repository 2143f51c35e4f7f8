"""Krippendorff's αu: the published worked example, and the LEOKA fixture against a direct,
section-by-section computation of the definition written here without numpy."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from curate.agreement.data import AgreementData, load
from curate.agreement.matching import SpanArrays
from curate.agreement.unitized import alpha_from, label_pairs, unitized_alpha
from curate.config import load_settings
from curate.labelstudio.importer import import_export
from curate.store import open_store

LEOKA = Path(__file__).parent / "fixtures" / "leoka_team_1.json"

# Krippendorff (2004), Content Analysis, 2nd ed., p. 254: a continuum from 150 to 450, two
# observers, categories c and k. Published: c: Do .0144, De .0532, αu .7286; k: Do 0,
# De .0490, αu 1; both categories: αu .8591.
OBSERVER_I = [(225, 295, "c"), (370, 400, "c"), (180, 240, "k"), (300, 350, "k")]
OBSERVER_J = [(220, 300, "c"), (355, 375, "c"), (400, 420, "c"), (180, 240, "k"), (300, 350, "k")]


def _spans(units: list[tuple[int, int, str]]) -> SpanArrays:
    return SpanArrays.build(
        [0] * len(units),
        [start - 150 for start, _, _ in units],
        [end - 150 for _, end, _ in units],
        ["ck".index(label) for *_, label in units],
    )


def test_the_published_worked_example() -> None:
    parts = label_pairs(
        _spans(OBSERVER_I),
        _spans(OBSERVER_J),
        2,
        np.array([0, 300]),
        np.array([True]),
        np.array([0]),
    )
    once = np.ones((1, 1))
    (c_observed, c_expected), (k_observed, k_expected) = (
        parts[k].disagreements(once) for k in (0, 1)
    )
    assert c_observed[0] == pytest.approx(0.0144, abs=1e-4)
    assert c_expected[0] == pytest.approx(0.0532, abs=1e-4)
    assert alpha_from(c_observed, c_expected)[0] == pytest.approx(0.7286, abs=1e-4)
    assert k_observed[0] == 0 and k_expected[0] == pytest.approx(0.0490, abs=1e-4)
    assert alpha_from(k_observed, k_expected)[0] == 1.0
    both = alpha_from((c_observed + k_observed) / 2, (c_expected + k_expected) / 2)
    assert both[0] == pytest.approx(0.8591, abs=5e-4)
    # Do's sum is the published distances: c-c 50 and 850, a c inside a gap 400, both ways.
    assert c_observed[0] * 300**2 == pytest.approx(50 + 850 + 400)


# A direct reading of the definition: every section of both observers listed, every
# overlapping pair scored, every unit set against every gap.


def _sections(units: list[tuple[int, int]], size: int) -> list[tuple[int, int, bool]]:
    found, at = [], 0
    for start, end in sorted(units):
        start, end = max(0, min(start, size)), max(0, min(end, size))
        if end <= start or start < at:
            continue  # empty, or overlapping an earlier unit of the same observer
        if start > at:
            found.append((at, start, False))
        found.append((start, end, True))
        at = end
    if at < size:
        found.append((at, size, False))
    return found


def _distance(one: tuple[int, int, bool], two: tuple[int, int, bool]) -> int:
    (s1, e1, u1), (s2, e2, u2) = one, two
    if u1 and u2:
        return (s1 - s2) ** 2 + (e1 - e2) ** 2
    if u1 and not u2 and s2 <= s1 and e1 <= e2:
        return (e1 - s1) ** 2
    if u2 and not u1 and s1 <= s2 and e2 <= e1:
        return (e2 - s2) ** 2
    return 0


def _reference(data: AgreementData) -> tuple[dict[str, float], dict[str, float], float]:
    """(αu per pair, per label, overall) with pairs pooled by shared length."""
    per_pair, pooled = {}, {}
    for a, b in combinations(range(len(data.coders)), 2):
        shared = [
            d for d in range(len(data.documents)) if data.labelled[d, a] and data.labelled[d, b]
        ]
        if not shared:
            continue
        length = sum(len(data.texts[d]) for d in shared)
        used = {
            int(label)
            for c in (a, b)
            for doc, label in zip(data.coder_spans(c).doc, data.coder_spans(c).label, strict=True)
            if doc in shared
        }
        pair_parts = []
        for label in sorted(used):
            disagreement, units, gaps = 0, [], []
            for d in shared:
                lists = []
                for c in (a, b):
                    spans = data.coder_spans(c)
                    mine = [
                        (int(s), int(e))
                        for doc, s, e, lab in zip(
                            spans.doc, spans.start, spans.end, spans.label, strict=True
                        )
                        if doc == d and lab == label
                    ]
                    lists.append(_sections(mine, len(data.texts[d])))
                for one in lists[0]:
                    for two in lists[1]:
                        if one[0] < two[1] and two[0] < one[1]:  # they overlap
                            disagreement += _distance(one, two)
                for sections in lists:
                    units += [e - s for s, e, u in sections if u]
                    gaps += [e - s for s, e, u in sections if not u]
            observed = disagreement / length**2
            n = len(units)
            spread = sum((n - 1) / 3 * (2 * x**3 - 3 * x**2 + x) for x in units)
            fits = sum(x**2 * sum(g - x + 1 for g in gaps if g >= x) for x in units)
            expected = (
                2
                / length
                * (spread + fits)
                / (2 * length * (2 * length - 1) - sum(x * (x - 1) for x in units))
            )
            pair_parts.append((observed, expected))
            sums = pooled.setdefault(label, [0.0, 0.0, 0.0])
            sums[0] += observed * length
            sums[1] += expected * length
            sums[2] += length
        name = (data.coders[a], data.coders[b])
        per_pair[name] = 1 - np.mean([p[0] for p in pair_parts]) / np.mean(
            [p[1] for p in pair_parts]
        )
    labels = {data.entity_labels[k]: (s[0] / s[2], s[1] / s[2]) for k, s in pooled.items()}
    overall = 1 - np.mean([v[0] for v in labels.values()]) / np.mean(
        [v[1] for v in labels.values()]
    )
    return per_pair, {k: 1 - o / e for k, (o, e) in labels.items()}, float(overall)


@pytest.fixture(scope="module")
def leoka(tmp_path_factory: pytest.TempPathFactory) -> AgreementData:
    root = tmp_path_factory.mktemp("leoka")
    (root / "curate.toml").write_text(
        (Path(__file__).parents[1] / "curate" / "templates" / "curate.toml").read_text("utf-8"),
        encoding="utf-8",
    )
    settings = load_settings(root)
    store = open_store(f"sqlite:///{root / 'store.db'}")
    try:
        import_export(store, LEOKA, settings, keep_unknown_labels=True)
        with store.connect() as connection:
            return load(connection, settings)
    finally:
        store.close()


def test_leoka_alpha_u_equals_the_direct_computation(leoka: AgreementData) -> None:
    found = unitized_alpha(leoka, resamples=200, seed=0)
    pairs, labels, overall = _reference(leoka)
    assert len(pairs) == 3 and len(labels) >= 3
    assert found.pairs == pytest.approx({k: round(v, 4) for k, v in pairs.items()}, abs=1e-4)
    assert {k: v.value for k, v in found.by_label.items()} == pytest.approx(
        {k: round(v, 4) for k, v in labels.items()}, abs=1e-4
    )
    assert found.overall is not None
    assert found.overall.value == pytest.approx(overall, abs=1e-4)
    # The fixture's annotators differ on boundaries: agreement is real but not perfect, and
    # the bootstrap interval holds the estimate.
    estimate = found.overall
    assert estimate.value is not None and estimate.low is not None and estimate.high is not None
    assert 0 < estimate.value < 1
    assert estimate.low <= estimate.value <= estimate.high
    assert found.resampled_groups == len(leoka.documents)


def test_the_interval_narrows_with_more_documents_and_is_seeded() -> None:
    """Doubling the same documents keeps αu and tightens its interval; a seed repeats it."""
    rng = np.random.default_rng(1)
    texts = ["x" * 200 for _ in range(40)]

    def data(copies: int) -> AgreementData:
        docs, starts, coders = [], [], []
        for d in range(40 * copies):
            for c in range(2):
                start = 10 * (d % 7) + int(rng.integers(0, 4)) * c
                docs.append(d)
                starts.append(start)
                coders.append(c)
        starts_array = np.array(starts)
        spans = SpanArrays.build(docs, list(starts_array), list(starts_array + 20), [0] * len(docs))
        count = 40 * copies
        return AgreementData(
            documents=[f"d{i:03}" for i in range(count)],
            texts=texts * copies,
            coders=["a", "b"],
            entity_labels=["ORG"],
            stance_labels=[],
            targets=[],
            labelled=np.ones((count, 2), bool),
            skipped=np.zeros((count, 2), bool),
            started_from_suggestions=np.zeros((count, 2), bool),
            blind=np.zeros(count, bool),
            spans=spans,
            span_coder=np.array(coders),
            stances=np.zeros((0, count, 2), np.int64),
            suggestions=SpanArrays.empty(),
            suggested_stances=np.zeros((0, count), np.int64),
        )

    small, large = data(1), data(4)
    one, again = unitized_alpha(small, 300, seed=3), unitized_alpha(small, 300, seed=3)
    assert one == again
    assert one.overall and one.overall.high is not None and one.overall.low is not None
    wide = one.overall.high - one.overall.low
    big = unitized_alpha(large, 300, seed=3).overall
    assert big and big.high is not None and big.low is not None
    assert 0 < big.high - big.low < wide
