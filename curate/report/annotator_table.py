"""The per-annotator section as rows of cells, shared by the terminal tables, the HTML report and
the dataset card so all three say the same."""

from __future__ import annotations

from typing import Any

from curate.agreement.figures import Estimate
from curate.report.formatting import estimate

ANNOTATOR_HEADERS = [
    "annotator",
    "documents",
    "median s",
    "s / 1,000 chars",
    "peer span F1",
    "peer token κ",
    "peer stance",
    "gold span F1",
    "gold stance",
    "control score [95% CI]",
    "competence stance",
    "competence entities",
    "suggestions accepted",
]
TIME_HEADERS = ["annotations", "count", "median s", "s / 1,000 chars"]
STANCE_HEADERS = frozenset({"peer stance", "gold stance", "competence stance"})
# Shown only when some annotator has a figure: a project without stance, an install without
# crowd-kit (competence).
OPTIONAL_HEADERS = STANCE_HEADERS | {"competence entities"}


def _get(entry: dict[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if entry is None:
            return None
        entry = entry.get(key)
    return entry


def _value(figure: Estimate | None) -> float | None:
    return figure.value if figure is not None else None


def _control(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "–"
    verdict = "pass" if entry["passed"] else "FAIL"
    return f"{estimate(entry['score'])} {verdict} ({entry['documents']} docs)"


def annotator_table(section: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows; the optional columns only when some annotator has a figure there."""
    rows = _annotator_rows(section)
    keep = [
        i
        for i, header in enumerate(ANNOTATOR_HEADERS)
        if header not in OPTIONAL_HEADERS or any(row[i] is not None for row in rows)
    ]
    return [ANNOTATOR_HEADERS[i] for i in keep], [[row[i] for i in keep] for row in rows]


def _annotator_rows(section: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            name,
            entry.get("documents"),
            _get(entry, "time", "median_seconds"),
            _get(entry, "time", "median_seconds_per_1000_characters"),
            _get(entry, "peers", "exact_f1"),
            _get(entry, "peers", "token_kappa"),
            _get(entry, "peers", "stance_agreement"),
            _value(_get(entry, "gold", "entity_f1")),
            _value(_get(entry, "gold", "stance_accuracy")),
            _control(entry.get("control")),
            _get(entry, "competence", "stance"),
            _get(entry, "competence", "entities"),
            _get(entry, "suggestions", "acceptance"),
        ]
        for name, entry in section["annotators"].items()
    ]


def time_rows(section: dict[str, Any]) -> list[list[Any]]:
    time = section["time"]
    groups = [(name, figures) for name, figures in time.get("by_length", {}).items()]
    groups += [
        (name.replace("_", " "), time[name])
        for name in ("with_prelabels", "without_prelabels")
        if time.get(name, {}).get("annotations")
    ]
    return [
        [
            name,
            figures["annotations"],
            figures["median_seconds"],
            figures["median_seconds_per_1000_characters"],
        ]
        for name, figures in groups
    ]
