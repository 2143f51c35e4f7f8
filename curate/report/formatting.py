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


DEGENERATE_NOTE = (
    "* the interval touches its estimate: the bootstrap had too few documents or too little "
    "variation to say more, so read it as unknown width, not as certainty"
)


def degenerate(value: dict[str, float | None]) -> bool:
    """An interval with an end on the point estimate (e.g. α -0.200 [-0.500, -0.200])."""
    point, low, high = value["value"], value["low"], value["high"]
    return None not in (point, low, high) and point in (low, high)


def estimate(value: dict[str, float | None]) -> str:
    """'0.743 [0.414, 0.941]', or just the value when there is no interval; a * marks an
    interval that touches its estimate (DEGENERATE_NOTE)."""
    point, low, high = value["value"], value["low"], value["high"]
    if point is None:
        return "–"
    if low is None or high is None:
        return f"{point:.3f}"
    return f"{point:.3f} [{low:.3f}, {high:.3f}]" + (" *" if degenerate(value) else "")


def stance_targets(report: dict[str, Any]) -> list[str]:
    """Targets some annotator gave a stance for; the others have no table rows."""
    return [t for t, s in report["stance"].items() if s["units"] or s["unpaired"]]


def any_degenerate(report: dict[str, Any]) -> bool:
    return any(
        degenerate(report["stance"][t][key]) for t in stance_targets(report) for key, _ in METRICS
    )


def anchoring_groups(report: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(annotator, group, figures) where suggestions were shown, or blind documents to compare
    with: imported work that never saw a suggestion has no anchoring to report."""
    return [
        (coder, group, g)
        for coder, groups in report["anchoring"].items()
        for group, g in groups.items()
        if group == "blind" or g["suggested_spans"] or g.get("suggested_stances", 0)
    ]


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
