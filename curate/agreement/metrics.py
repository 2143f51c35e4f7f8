"""Chance-corrected agreement on categorical labels, from the well-kept libraries:
Krippendorff's alpha (`krippendorff`), Fleiss' kappa (statsmodels), Cohen's kappa (scikit-learn).
Intervals come from patterns.py.

A code table is units (documents) x coders with -1 where a coder did not label the unit, so
missing data is allowed everywhere. The Ratings form (labels as strings, None for missing) is for
small hand-written cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from curate.agreement.patterns import Patterns
from curate.agreement.patterns import percent as percent_of_patterns

Ratings = Sequence[Sequence[str | None]]  # units x coders


def to_codes(ratings: Ratings) -> tuple[np.ndarray, int]:
    labels = sorted({r for unit in ratings for r in unit if r is not None})
    index = {label: i for i, label in enumerate(labels)}
    codes = np.array([[-1 if r is None else index[r] for r in unit] for unit in ratings], np.int64)
    return codes.reshape(len(ratings), -1), len(labels)


def alpha_of_codes(codes: np.ndarray) -> float:
    """Nominal alpha; NaN when fewer than two labels occur among units rated twice or more."""
    import krippendorff

    pairable = codes[(codes >= 0).sum(axis=1) >= 2]
    if len(np.unique(pairable[pairable >= 0])) < 2:
        return float("nan")
    reliability = np.where(pairable >= 0, pairable, np.nan).T  # coders x units
    return float(krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal"))


def fleiss_of_codes(codes: np.ndarray, categories: int) -> float:
    """Fleiss' kappa over units with the most common number of raters (the statistic assumes a
    fixed number per unit); NaN when that leaves nothing to compare."""
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    patterns = Patterns.from_codes(codes, categories)
    values = patterns.value_counts()
    raters = values.sum(axis=1)
    if len(raters) == 0:
        return float("nan")
    modal = np.bincount(raters, weights=patterns.counts).argmax()
    keep = raters == modal
    table = np.repeat(values[keep], patterns.counts[keep], axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(statsmodels_fleiss(table))


def cohen_of_codes(first: np.ndarray, second: np.ndarray) -> float:
    """Cohen's kappa on the units both coders labelled; NaN when there are none."""
    from sklearn.metrics import cohen_kappa_score

    shared = (first >= 0) & (second >= 0)
    if not shared.any():
        return float("nan")
    a, b = first[shared], second[shared]
    if len(np.union1d(a, b)) < 2:
        return 1.0  # one label used throughout by both: perfect, though chance-correction is moot
    return float(cohen_kappa_score(a, b))


def percent_of_codes(codes: np.ndarray, categories: int) -> float:
    patterns = Patterns.from_codes(codes, categories)
    if patterns.units == 0:
        return float("nan")
    return float(percent_of_patterns(patterns, patterns.counts[None, :].astype(float))[0])


# --- the same on Ratings, for hand-written cases ---------------------------------------------


def krippendorff_alpha(ratings: Ratings) -> float:
    return alpha_of_codes(to_codes(ratings)[0])


def fleiss_kappa(ratings: Ratings) -> float:
    return fleiss_of_codes(*to_codes(ratings))


def fleiss_kappa_table(table: Sequence[Sequence[int]]) -> float:
    """Fleiss' kappa from a subjects x categories count table."""
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    return float(statsmodels_fleiss(np.array(table)))


def cohen_kappa(first: Sequence[str | None], second: Sequence[str | None]) -> float:
    codes, _ = to_codes([[a, b] for a, b in zip(first, second, strict=True)])
    return cohen_of_codes(codes[:, 0], codes[:, 1])


def pairwise_cohen(ratings: Ratings, coders: Sequence[str]) -> dict[tuple[str, str], float]:
    codes, _ = to_codes(ratings)
    codes = codes.reshape(len(ratings), len(coders))
    return {
        (coders[i], coders[j]): cohen_of_codes(codes[:, i], codes[:, j])
        for i, j in combinations(range(len(coders)), 2)
    }


def percent_agreement(ratings: Ratings) -> float:
    """Share of agreeing coder pairs among all pairs that rated the same unit."""
    return percent_of_codes(*to_codes(ratings))
