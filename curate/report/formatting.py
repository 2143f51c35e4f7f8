"""How report values are written, shared by the terminal tables and the HTML page."""

from __future__ import annotations

from typing import Any

from curate.agreement.figures import AgreementReport, Anchoring, Estimate, StanceTarget

# How the stance estimates (StanceTarget.estimates) are named on screen, in their order.
METRICS = ("Krippendorff α", "Fleiss κ", "% agree")


def cell(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


DEGENERATE_NOTE = (
    "* the interval touches its estimate: the bootstrap had too few documents or too little "
    "variation to say more, so read it as unknown width, not as certainty"
)


def estimate(value: Estimate) -> str:
    """'0.743 [0.414, 0.941]', or just the value when there is no interval; a * marks an
    interval that touches its estimate (DEGENERATE_NOTE)."""
    point, low, high = value.value, value.low, value.high
    if point is None:
        return "–"
    if low is None or high is None:
        return f"{point:.3f}"
    return f"{point:.3f} [{low:.3f}, {high:.3f}]" + (" *" if value.degenerate else "")


def stance_figures(target: StanceTarget) -> list[Estimate]:
    """The target's estimates, in METRICS' order."""
    return list(target.estimates.values())


def any_degenerate(report: AgreementReport) -> bool:
    return any(
        value.degenerate
        for target in report.stance_targets
        for value in stance_figures(report.stance[target])
    )


def anchoring_groups(report: AgreementReport) -> list[tuple[str, str, Anchoring]]:
    """(annotator, group, figures) where suggestions were shown, or blind documents to compare
    with: imported work that never saw a suggestion has no anchoring to report."""
    return [
        (coder, group, g)
        for coder, groups in report.anchoring.items()
        for group, g in groups.items()
        if group == "blind" or g.shown
    ]


def anchoring_cells(group: Anchoring) -> list[str]:
    """Suggestions kept, span F1 and stance agreement with them; "no suggestions" where none
    was shown (a 0.000 there would read as an annotator who ignored them all)."""
    none = "no suggestions"
    spans = group.suggested_spans > 0
    stances = group.suggested_stances > 0
    return [
        cell(group.suggestions_kept_unchanged) if spans else none,
        cell(group.span_f1_with_suggestions) if spans else none,
        cell(group.stance_agreement_with_suggestions) if stances else none,
    ]
