"""The per-annotator section as rows of cells, shared by the terminal tables, the HTML report and
the dataset card so all three say the same."""

from __future__ import annotations

from typing import Any

from curate.agreement.figures import AnnotatorQuality, GoldScores
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


def _control(scores: GoldScores | None) -> str:
    if scores is None:
        return "–"
    verdict = "pass" if scores.passed else "FAIL"
    return f"{estimate(scores.score)} {verdict} ({scores.documents} docs)"


def annotator_table(section: AnnotatorQuality) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows; the optional columns only when some annotator has a figure there."""
    rows = _annotator_rows(section)
    keep = [
        i
        for i, header in enumerate(ANNOTATOR_HEADERS)
        if header not in OPTIONAL_HEADERS or any(row[i] is not None for row in rows)
    ]
    return [ANNOTATOR_HEADERS[i] for i in keep], [[row[i] for i in keep] for row in rows]


def _annotator_rows(section: AnnotatorQuality) -> list[list[Any]]:
    rows = []
    for name, entry in section.annotators.items():
        time, peers, gold, use = entry.time, entry.peers, entry.gold, entry.suggestions
        rows.append(
            [
                name,
                entry.documents,
                time.median_seconds if time else None,
                time.median_seconds_per_1000_characters if time else None,
                peers.exact_f1 if peers else None,
                peers.token_kappa if peers else None,
                peers.stance_agreement if peers else None,
                gold.entity_f1.value if gold else None,
                gold.stance_accuracy.value if gold else None,
                _control(entry.control),
                entry.competence.stance,
                entry.competence.entities,
                use.acceptance if use else None,
            ]
        )
    return rows


def time_rows(section: AnnotatorQuality) -> list[list[Any]]:
    time = section.time
    groups = list((time.by_length or {}).items())
    groups += [
        (name, summary)
        for name, summary in (
            ("with prelabels", time.with_prelabels),
            ("without prelabels", time.without_prelabels),
        )
        if summary is not None and summary.annotations
    ]
    return [
        [
            name,
            summary.annotations,
            summary.median_seconds,
            summary.median_seconds_per_1000_characters,
        ]
        for name, summary in groups
    ]
