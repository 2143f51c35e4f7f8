"""The dataset card's agreement sections in Markdown (the same figures as `curate agreement`),
and the Markdown table every card section draws with."""

from __future__ import annotations

from typing import Any

from curate.agreement.figures import AgreementReport, Estimate, pair_label
from curate.report.annotator_table import TIME_HEADERS, annotator_table, time_rows


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value).replace("|", "\\|")


def agreement_tables(report: AgreementReport) -> str:
    """With the report's `released` figures (the released documents only) beside the whole set."""
    stance = [
        [
            target,
            s.units,
            s.alpha.value,
            _interval(s.alpha),
            s.fleiss_kappa.value,
            s.percent_agreement.value,
        ]
        for target, s in report.stance.items()
        if s.units
    ]
    pairs = [
        [pair_label(pair), p.documents, p.exact.f1, p.overlap.f1, p.token_kappa]
        for pair, p in report.entities.pairs.items()
    ]
    parts = [
        f"Inter-annotator agreement over the {report.compared} documents two or more annotators "
        f"labelled ({report.documents} annotated in all):"
    ]
    released = report.released
    if released is not None:
        overall, released_overall = report.entities.overall, released.entities.overall
        summary: list[list[Any]] = [
            ["documents two or more annotators labelled", report.compared, released.compared],
            ["exact span F1", overall.exact.f1, released_overall.exact.f1],
            ["overlap span F1", overall.overlap.f1, released_overall.overlap.f1],
            *[
                [f"stance α ({t})", s.alpha.value, released.stance[t].alpha.value]
                for t, s in report.stance.items()
                if s.units and t in released.stance
            ],
        ]
        parts += [
            "",
            table(["measure", "all annotated documents", "released documents"], summary),
        ]
    if stance:
        parts += [
            "",
            table(
                [
                    "target",
                    "documents",
                    "Krippendorff α",
                    "95% CI (bootstrap over documents)",
                    "Fleiss κ",
                    "% agree",
                ],
                stance,
            ),
        ]
    parts += [
        "",
        table(
            ["annotator pair", "documents", "exact span F1", "overlap span F1", "token κ"], pairs
        ),
    ]
    return "\n".join(parts)


def annotators_section(report: AgreementReport) -> list[str]:
    """Who labelled how well and how fast, under the release's pseudonyms."""
    section = report.annotator_quality
    if section is None:
        return []
    parts = [
        "",
        "## Annotators",
        "",
        f"Per annotator: documents labelled, median time per annotation, agreement with the "
        "other annotators and with gold (gold partly rests on their own labels), the score on "
        "control documents (gold they had not seen, shown without pre-labels; "
        f"{section.min_control_score} to pass), competence estimated by "
        f"{section.competence_model}, and the share of suggestions they accepted.",
        "",
        table(*annotator_table(section)),
    ]
    times = time_rows(section)
    if times:
        parts += ["", "Time per annotation:", "", table(TIME_HEADERS, times)]
    alpha = report.entities.unitized_alpha
    if alpha.overall is not None:
        rows = [["all labels", alpha.overall.value, _interval(alpha.overall)]] + [
            [label, value.value, _interval(value)] for label, value in alpha.by_label.items()
        ]
        parts += [
            "",
            "Span agreement as Krippendorff's unitized alpha (αu; boundaries count):",
            "",
            table(["label", "αu", "95% CI (bootstrap over documents)"], rows),
        ]
    return parts


def _interval(estimate: Estimate) -> str:
    if estimate.low is None or estimate.high is None:
        return "–"
    return f"[{estimate.low:.3f}, {estimate.high:.3f}]"
