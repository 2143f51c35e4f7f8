"""Agreement metrics checked against published worked examples and against the well-kept
packages (krippendorff, statsmodels), which only the tests depend on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.agreement import patterns
from curate.agreement.metrics import (
    alpha_of_codes,
    cohen_kappa,
    fleiss_kappa,
    fleiss_of_codes,
    krippendorff_alpha,
    pairwise_cohen,
    percent_agreement,
    percent_of_codes,
    to_codes,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders, 12 units, gaps.
CODERS = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}
UNITS = [[None if CODERS[c][u] is None else str(CODERS[c][u]) for c in "ABCD"] for u in range(12)]

# Fleiss (1971) as tabulated in common references: 10 subjects, 14 raters, 5 categories.
FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_krippendorff_worked_example_gives_0_743() -> None:
    assert krippendorff_alpha(UNITS) == pytest.approx(0.743, abs=5e-4)


def test_fleiss_1971_table_gives_0_210() -> None:
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    ratings = [[str(c) for c, n in enumerate(row) for _ in range(n)] for row in FLEISS]
    assert fleiss_kappa(ratings) == pytest.approx(0.210, abs=5e-4)
    assert fleiss_kappa(ratings) == pytest.approx(statsmodels_fleiss(np.array(FLEISS)))


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (["a", "a", "b", "b"], ["a", "a", "b", "b"], 1.0),
        (["a", "b", "a", "b"], ["b", "a", "b", "a"], -1.0),
        (["a", "a", None, "b"], ["a", "b", "b", None], 0.0),  # 2 shared units, 1 agreement
    ],
)
def test_cohen_kappa_on_shared_units(
    first: list[str | None], second: list[str | None], expected: float
) -> None:
    assert cohen_kappa(first, second) == pytest.approx(expected)


def test_percent_agreement_and_pairs() -> None:
    ratings = [["a", "a", None], ["a", "b", None], [None, "c", "c"]]
    assert percent_agreement(ratings) == pytest.approx(2 / 3)
    pairs = pairwise_cohen(ratings, ["x", "y", "z"])
    assert set(pairs) == {("x", "y"), ("x", "z"), ("y", "z")}
    assert math.isnan(pairs[("x", "z")])  # they never labelled the same unit


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    codes, categories = to_codes(UNITS)
    table = patterns.Patterns.from_codes(codes, categories)
    first = patterns.interval(table, patterns.alpha, resamples=500, seed=7)
    assert first == patterns.interval(table, patterns.alpha, resamples=500, seed=7)
    assert first != patterns.interval(table, patterns.alpha, resamples=500, seed=8)
    low, high = first
    assert low < krippendorff_alpha(UNITS) < high


def test_units_rated_once_carry_no_agreement() -> None:
    codes, categories = to_codes(UNITS)
    table = patterns.Patterns.from_codes(codes, categories)
    assert table.units == 11  # unit 12 has a single rating and is left out
    extra = np.vstack([codes, [[0, -1, -1, -1]] * 5])  # five more single ratings: no change
    assert alpha_of_codes(extra) == pytest.approx(alpha_of_codes(codes))


def test_nothing_to_compare_gives_nan_not_an_error() -> None:
    lonely = np.array([[0, -1], [-1, 1]])
    assert math.isnan(alpha_of_codes(lonely))
    assert math.isnan(percent_of_codes(lonely, 2))
    assert patterns.interval(patterns.Patterns.from_codes(lonely, 2), patterns.alpha) == (
        pytest.approx(float("nan"), nan_ok=True),
        pytest.approx(float("nan"), nan_ok=True),
    )


code_tables = st.integers(2, 4).flatmap(
    lambda coders: st.lists(
        st.lists(st.integers(-1, 2), min_size=coders, max_size=coders), min_size=3, max_size=25
    )
)


@settings(max_examples=80, deadline=None)
@given(code_tables)
def test_pattern_statistics_equal_the_libraries(rows: list[list[int]]) -> None:
    """The vectorised statistics reproduce krippendorff and statsmodels exactly."""
    import krippendorff
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    codes = np.array(rows)
    table = patterns.Patterns.from_codes(codes, 3)
    pairable = codes[(codes >= 0).sum(axis=1) >= 2]
    if len(np.unique(pairable[pairable >= 0])) >= 2:
        reliability = np.where(pairable >= 0, pairable, np.nan).T  # coders x units
        expected = krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal")
        assert alpha_of_codes(codes) == pytest.approx(expected)
        assert patterns.observed(table, patterns.alpha) == pytest.approx(expected)
    else:
        assert math.isnan(alpha_of_codes(codes))
    values = table.value_counts()
    raters = values.sum(axis=1)
    if len(raters):
        modal = np.bincount(raters, weights=table.counts).argmax()
        keep = raters == modal
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = statsmodels_fleiss(np.repeat(values[keep], table.counts[keep], axis=0))
        assert fleiss_of_codes(codes, 3) == pytest.approx(expected, nan_ok=True)
    else:
        assert math.isnan(fleiss_of_codes(codes, 3))
    assert patterns.observed(table, patterns.percent) == pytest.approx(
        percent_of_codes(codes, 3), nan_ok=True
    )
