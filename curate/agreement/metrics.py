"""Chance-corrected agreement on categorical labels: Krippendorff's alpha and Fleiss' kappa from
pattern counts (patterns.py, which also gives their intervals; the tests check both against the
`krippendorff` and statsmodels packages), Cohen's kappa from scikit-learn.

A code table is units (documents) x coders with -1 where a coder did not label the unit, so
missing data is allowed everywhere. The Ratings form (labels as strings, None for missing) is for
small hand-written cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from curate.agreement.patterns import Patterns, alpha, fleiss, observed
from curate.agreement.patterns import percent as percent_of_patterns

Ratings = Sequence[Sequence[str | None]]  # units x coders


def to_codes(ratings: Ratings) -> tuple[np.ndarray, int]:
    labels = sorted({r for unit in ratings for r in unit if r is not None})
    index = {label: i for i, label in enumerate(labels)}
    codes = np.array([[-1 if r is None else index[r] for r in unit] for unit in ratings], np.int64)
    return codes.reshape(len(ratings), -1), len(labels)


def alpha_of_codes(codes: np.ndarray) -> float:
    """Nominal alpha; NaN when fewer than two labels occur among units rated twice or more."""
    pairable = codes[(codes >= 0).sum(axis=1) >= 2]
    if len(np.unique(pairable[pairable >= 0])) < 2:
        return float("nan")
    return observed(Patterns.from_codes(codes, int(codes.max()) + 1), alpha)


def fleiss_of_codes(codes: np.ndarray, categories: int) -> float:
    """Fleiss' kappa over units with the most common number of raters (the statistic assumes a
    fixed number per unit); NaN when that leaves nothing to compare."""
    return observed(Patterns.from_codes(codes, categories), fleiss)


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
