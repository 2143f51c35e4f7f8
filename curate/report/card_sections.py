"""The dataset card's agreement sections in Markdown, rendered from the report's model (the
same tables as `curate agreement`), and the Markdown table every card section draws with."""

from __future__ import annotations

from typing import Any

from curate.agreement.figures import AgreementReport
from curate.report.formatting import DEGENERATE_NOTE
from curate.report.model import ANNOTATORS, PAIRS, RELEASED, STANCE, TIMES, UNITIZED, by_key, text


def table(headers: list[str] | tuple[str, ...], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(text(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(lines)


def agreement_tables(report: AgreementReport) -> str:
    """The release's figures beside all annotated documents', then stance and span agreement."""
    tables = by_key(report)
    parts = [
        f"Inter-annotator agreement over the {report.compared} documents two or more annotators "
        f"labelled ({report.documents} annotated in all):"
    ]
    for key in (RELEASED, STANCE, PAIRS):
        if key in tables:
            section = tables[key]
            total = [section.total] if section.total is not None else []
            parts += ["", table(section.headers, [*section.rows, *total])]
    return "\n".join(_explained(parts))


def _explained(parts: list[str]) -> list[str]:
    """A table marking an interval with * (it touches its estimate) is followed by what * means."""
    marked = any(" * |" in part for part in parts)
    return [*parts, "", DEGENERATE_NOTE] if marked else parts


def annotators_section(report: AgreementReport) -> list[str]:
    """Who labelled how well and how fast, under the release's pseudonyms."""
    section, tables = report.annotator_quality, by_key(report)
    if section is None or ANNOTATORS not in tables:
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
        table(tables[ANNOTATORS].headers, tables[ANNOTATORS].rows),
    ]
    if TIMES in tables:
        parts += ["", "Time per annotation:", "", table(tables[TIMES].headers, tables[TIMES].rows)]
    if UNITIZED in tables:
        parts += [
            "",
            "Span agreement as Krippendorff's unitized alpha (αu; boundaries count), with 95% "
            "intervals from a bootstrap over documents:",
            "",
            table(tables[UNITIZED].headers, tables[UNITIZED].rows),
        ]
    return _explained(parts)
