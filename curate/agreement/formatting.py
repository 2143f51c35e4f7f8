"""How report values are written, shared by the terminal tables and the HTML page."""

from __future__ import annotations

from typing import Any

# Stance metrics shown with intervals: report key, display name.
METRICS = (
    ("alpha", "Krippendorff α"),
    ("fleiss_kappa", "Fleiss κ"),
    ("percent_agreement", "% agree"),
)


def cell(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def estimate(value: dict[str, float | None]) -> str:
    """'0.743 [0.414, 0.941]', or just the value when there is no interval."""
    point, low, high = value["value"], value["low"], value["high"]
    if point is None:
        return "–"
    return f"{point:.3f}" if low is None or high is None else f"{point:.3f} [{low:.3f}, {high:.3f}]"
