"""The agreement report as Rich tables for the terminal."""

from __future__ import annotations

from rich.table import Table

from curate.agreement.figures import AgreementReport, pair_label
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


def tables(report: AgreementReport) -> list[Table]:
    stance = Table(
        "target",
        "documents",
        "labelled once",
        *(f"{name} [95% CI]" for name in METRICS),
        title="Stance agreement per target",
    )
    stance.caption = DEGENERATE_NOTE if any_degenerate(report) else None
    for target in report.stance_targets:
        s = report.stance[target]
        stance.add_row(target, str(s.units), str(s.unpaired), *map(estimate, stance_figures(s)))
    cohen = Table("target", "pair", "documents", "Cohen κ", title="Stance, pairwise Cohen's κ")
    for target in report.stance_targets:
        for pair, value in report.stance[target].cohen_kappa.items():
            cohen.add_row(target, pair_label(pair), str(value.units), cell(value.value))

    entities = report.entities
    pairs = Table(
        "pair",
        "documents",
        "exact F1",
        "overlap F1",
        "label conflicts",
        "boundary diffs",
        "token κ",
        "αu",
        title="Entity agreement per annotator pair",
    )
    unitized = entities.unitized_alpha
    for pair, p in entities.pairs.items():
        pairs.add_row(
            pair_label(pair),
            str(p.documents),
            cell(p.exact.f1),
            cell(p.overlap.f1),
            str(p.label_conflicts),
            str(p.boundary_differences),
            cell(p.token_kappa),
            cell(unitized.pairs.get(pair)),
        )
    overall = entities.overall
    pairs.add_row(
        "all pairs",
        "",
        cell(overall.exact.f1),
        cell(overall.overlap.f1),
        str(overall.label_conflicts),
        str(overall.boundary_differences),
        "",
        estimate(unitized.overall) if unitized.overall is not None else "",
        style="bold",
    )
    labels = Table(
        "label",
        "exact P",
        "exact R",
        "exact F1",
        "overlap F1",
        "αu [95% CI]",
        title="Entity agreement per label",
    )
    for label, exact in entities.by_label["exact"].items():
        overlap = entities.by_label["overlap"].get(label)
        labels.add_row(
            label,
            cell(exact.precision),
            cell(exact.recall),
            cell(exact.f1),
            cell(overlap.f1 if overlap else None),
            estimate(unitized.by_label[label]) if label in unitized.by_label else "",
        )

    anchoring = Table(
        "annotator",
        "documents",
        "count",
        "suggestions kept",
        "span F1 vs suggestions",
        "stance = suggestion",
        title="Anchoring on pre-labels (blind: pushed without them)",
    )
    for coder, group, g in anchoring_groups(report):
        anchoring.add_row(coder, group, str(g.documents), *anchoring_cells(g))

    lowest = Table(
        "document", "title", "disagreement", "score", "span F1", "stance", title="Lowest agreement"
    )
    for d in report.lowest_agreement:
        lowest.add_row(
            d.document,
            d.title[:40],
            d.disagreement,
            cell(d.score),
            cell(d.entity_f1),
            cell(d.stance_agreement),
        )
    # No stance data (or no suggestions shown): no tables of zeros and dashes.
    shown = [stance, cohen] if report.stance_targets else []
    shown += [pairs, labels]
    shown += [anchoring] if anchoring.row_count else []
    return [*shown, lowest, *quality_tables(report)]


def quality_tables(report: AgreementReport) -> list[Table]:
    section = report.annotator_quality
    if section is None:
        return []
    headers, rows = annotator_table(section)
    people = Table(*headers, title=f"Annotators (competence: {section.competence_model})")
    for row in rows:
        people.add_row(*(cell(value) for value in row))
    times = Table(*TIME_HEADERS, title="Time per annotation")
    for row in time_rows(section):
        times.add_row(*(cell(value) for value in row))
    return [people, times] if times.row_count else [people]
