"""The agreement report as tables of rows, decided once: which sections there are, their
columns, and which stance targets they show. The terminal (tables.py), the HTML page (html.py)
and the dataset card (card_sections.py) only render these; `text` writes any cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from curate.agreement.figures import AgreementReport, Estimate, pair_label
from curate.report.annotator_table import TIME_HEADERS, annotator_table, time_rows
from curate.report.formatting import (
    DEGENERATE_NOTE,
    METRICS,
    anchoring_cells,
    anchoring_groups,
    any_degenerate,
    cell,
    estimate,
    stance_figures,
)

# Section keys, in the order the terminal shows them.
STANCE, COHEN, PAIRS, LABELS, ANCHORING, LOWEST = (
    "stance",
    "cohen",
    "pairs",
    "labels",
    "anchoring",
    "lowest",
)
ANNOTATORS, TIMES, UNITIZED = "annotators", "times", "unitized"
RELEASED = "released"  # a release's report only: its figures beside the released documents'


@dataclass(frozen=True)
class Section:
    """One table: its cells are None, text, numbers or Estimates (written by `text`)."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: list[list[Any]]
    note: str | None = None  # said under the table
    total: list[Any] | None = None  # the summary row, set apart


def text(value: Any) -> str:
    """A cell as every rendering writes it: 0.743, 0.743 [0.414, 0.941], – for nothing."""
    return estimate(value) if isinstance(value, Estimate) else cell(value)


def sections(report: AgreementReport) -> list[Section]:
    """The report's tables. Stance tables only for the targets with stance labels
    (report.stance_targets); anchoring only where suggestions were shown or held back."""
    shown = _stance(report) if report.stance_targets else []
    shown += [_pairs(report), _labels(report)]
    anchoring = _anchoring(report)
    shown += [anchoring] if anchoring.rows else []
    return [*shown, _lowest(report), *_quality(report), *_unitized(report), *_released(report)]


def by_key(report: AgreementReport) -> dict[str, Section]:
    return {section.key: section for section in sections(report)}


def _stance(report: AgreementReport) -> list[Section]:
    targets = report.stance_targets
    stance = Section(
        STANCE,
        "Stance agreement per target",
        ("target", "documents", "labelled once", *(f"{name} [95% CI]" for name in METRICS)),
        [
            [
                t,
                report.stance[t].units,
                report.stance[t].unpaired,
                *stance_figures(report.stance[t]),
            ]
            for t in targets
        ],
        note=DEGENERATE_NOTE if any_degenerate(report) else None,
    )
    cohen = Section(
        COHEN,
        "Stance, pairwise Cohen's κ",
        ("target", "pair", "documents", "Cohen κ"),
        [
            [t, pair_label(pair), value.units, value.value]
            for t in targets
            for pair, value in report.stance[t].cohen_kappa.items()
        ],
    )
    return [stance, cohen]


def _pairs(report: AgreementReport) -> Section:
    entities = report.entities
    unitized, overall = entities.unitized_alpha, entities.overall
    return Section(
        PAIRS,
        "Entity agreement per annotator pair",
        (
            "pair",
            "documents",
            "exact F1",
            "overlap F1",
            "label conflicts",
            "boundary diffs",
            "token κ",
            "αu",
        ),
        [
            [
                pair_label(pair),
                p.documents,
                p.exact.f1,
                p.overlap.f1,
                p.label_conflicts,
                p.boundary_differences,
                p.token_kappa,
                unitized.pairs.get(pair),
            ]
            for pair, p in entities.pairs.items()
        ],
        total=[
            "all pairs",
            "",
            overall.exact.f1,
            overall.overlap.f1,
            overall.label_conflicts,
            overall.boundary_differences,
            "",
            unitized.overall if unitized.overall is not None else "",
        ],
    )


def _labels(report: AgreementReport) -> Section:
    entities = report.entities
    unitized = entities.unitized_alpha
    rows = []
    for label, exact in entities.by_label["exact"].items():
        overlap = entities.by_label["overlap"].get(label)
        rows.append(
            [
                label,
                exact.precision,
                exact.recall,
                exact.f1,
                overlap.f1 if overlap else None,
                unitized.by_label.get(label, ""),
            ]
        )
    return Section(
        LABELS,
        "Entity agreement per label",
        ("label", "exact P", "exact R", "exact F1", "overlap F1", "αu [95% CI]"),
        rows,
    )


def _anchoring(report: AgreementReport) -> Section:
    return Section(
        ANCHORING,
        "Anchoring on pre-labels (blind: pushed without them)",
        (
            "annotator",
            "documents",
            "count",
            "suggestions kept",
            "span F1 vs suggestions",
            "stance = suggestion",
        ),
        [
            [coder, group, g.documents, *anchoring_cells(g)]
            for coder, group, g in anchoring_groups(report)
        ],
    )


def _lowest(report: AgreementReport) -> Section:
    return Section(
        LOWEST,
        "Lowest agreement",
        ("document", "title", "disagreement", "score", "span F1", "stance"),
        [
            [d.document, d.title[:40], d.disagreement, d.score, d.entity_f1, d.stance_agreement]
            for d in report.lowest_agreement
        ],
    )


def _quality(report: AgreementReport) -> list[Section]:
    section = report.annotator_quality
    if section is None:
        return []
    headers, rows = annotator_table(section)
    people = Section(
        ANNOTATORS, f"Annotators (competence: {section.competence_model})", tuple(headers), rows
    )
    times = time_rows(section)
    timed = [Section(TIMES, "Time per annotation", tuple(TIME_HEADERS), times)] if times else []
    return [people, *timed]


def _unitized(report: AgreementReport) -> list[Section]:
    alpha = report.entities.unitized_alpha
    if alpha.overall is None:
        return []
    rows: list[list[Any]] = [["all labels", alpha.overall]]
    rows += [[label, value] for label, value in alpha.by_label.items()]
    return [
        Section(UNITIZED, "Span agreement as Krippendorff's αu", ("label", "αu [95% CI]"), rows)
    ]


def _released(report: AgreementReport) -> list[Section]:
    released = report.released
    if released is None:
        return []
    overall, released_overall = report.entities.overall, released.entities.overall
    rows: list[list[Any]] = [
        ["documents two or more annotators labelled", report.compared, released.compared],
        ["exact span F1", overall.exact.f1, released_overall.exact.f1],
        ["overlap span F1", overall.overlap.f1, released_overall.overlap.f1],
    ]
    rows += [
        [f"stance α ({t})", report.stance[t].alpha.value, released.stance[t].alpha.value]
        for t in report.stance_targets
        if t in released.stance
    ]
    headers = ("measure", "all annotated documents", "released documents")
    return [Section(RELEASED, "The released documents beside all annotated", headers, rows)]
