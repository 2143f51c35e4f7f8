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


def anchoring_cells(group: dict[str, Any]) -> list[str]:
    """Suggestions kept, span F1 and stance agreement with them; "no suggestions" where none
    was shown (a 0.000 there would read as an annotator who ignored them all)."""
    none = "no suggestions"
    spans = group["suggested_spans"] > 0
    stances = group.get("suggested_stances", 0) > 0
    return [
        cell(group["suggestions_kept_unchanged"]) if spans else none,
        cell(group["span_f1_with_suggestions"]) if spans else none,
        cell(group["stance_agreement_with_suggestions"]) if stances else none,
    ]
