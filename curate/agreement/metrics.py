"""Chance-corrected agreement on categorical labels, from the well-kept libraries:
Krippendorff's alpha (`krippendorff`), Fleiss' kappa (statsmodels), Cohen's kappa (scikit-learn),
with percentile bootstrap confidence intervals over units (seeded, so reproducible).

A ratings table is one row per unit (document) and one column per coder; None marks a coder who
did not label that unit, so missing data is allowed everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

Ratings = Sequence[Sequence[str | None]]  # units x coders


def _codes(ratings: Ratings) -> tuple[list[list[float]], int]:
    labels = sorted({r for unit in ratings for r in unit if r is not None})
    index = {label: i for i, label in enumerate(labels)}
    nan = float("nan")
    return [[nan if r is None else float(index[r]) for r in unit] for unit in ratings], len(labels)


def krippendorff_alpha(ratings: Ratings) -> float:
    """Nominal alpha; NaN when fewer than two values occur."""
    import krippendorff
    import numpy as np

    codes, kinds = _codes(ratings)
    pairable = [u for u in codes if sum(not np.isnan(v) for v in u) >= 2]
    if kinds < 2 or not pairable:
        return float("nan")
    reliability = np.array(pairable, dtype=float).T  # coders x units
    return float(krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal"))


def fleiss_kappa(ratings: Ratings) -> float:
    """Fleiss' kappa over units with the most common number of ratings (the statistic assumes a
    fixed number of raters per unit); NaN when that leaves nothing to compare."""
    import numpy as np
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    counts = [sum(r is not None for r in unit) for unit in ratings]
    usable = [n for n in counts if n >= 2]
    if not usable:
        return float("nan")
    modal = max(set(usable), key=usable.count)
    labels = sorted({r for unit in ratings for r in unit if r is not None})
    rows = [
        [labels.index(r) for r in unit if r is not None]
        for unit, n in zip(ratings, counts, strict=True)
        if n == modal
    ]
    table, _ = aggregate_raters(np.array(rows), n_cat=len(labels))
    return float(statsmodels_fleiss(table))


def fleiss_kappa_table(table: Sequence[Sequence[int]]) -> float:
    """Fleiss' kappa from a subjects x categories count table."""
    import numpy as np
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    return float(statsmodels_fleiss(np.array(table)))


def cohen_kappa(first: Sequence[str | None], second: Sequence[str | None]) -> float:
    """Cohen's kappa on the units both coders labelled; NaN when there are none."""
    from sklearn.metrics import cohen_kappa_score

    shared = [(a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None]
    if not shared:
        return float("nan")
    a, b = zip(*shared, strict=True)
    if len(set(a) | set(b)) < 2:
        return 1.0  # one label used throughout by both: perfect, though chance-correction is moot
    return float(cohen_kappa_score(a, b))


def pairwise_cohen(ratings: Ratings, coders: Sequence[str]) -> dict[tuple[str, str], float]:
    columns = list(zip(*ratings, strict=True)) if ratings else [() for _ in coders]
    return {
        (coders[i], coders[j]): cohen_kappa(columns[i], columns[j])
        for i, j in combinations(range(len(coders)), 2)
    }


def percent_agreement(ratings: Ratings) -> float:
    """Share of agreeing coder pairs among all pairs that rated the same unit."""
    agree = total = 0
    for unit in ratings:
        given = [r for r in unit if r is not None]
        for a, b in combinations(given, 2):
            total += 1
            agree += a == b
    return agree / total if total else float("nan")


def bootstrap_interval(
    ratings: Ratings,
    statistic: Callable[[Ratings], float],
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval from resampling units with replacement (seeded)."""
    import numpy as np

    if not ratings:
        return float("nan"), float("nan")
    generator = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        picked = generator.integers(0, len(ratings), size=len(ratings))
        value = statistic([ratings[i] for i in picked])
        if not np.isnan(value):
            values.append(value)
    if not values:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
