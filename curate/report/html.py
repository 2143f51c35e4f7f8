"""The agreement report as one self-contained HTML page, pictures drawn with matplotlib and
embedded as PNG data URIs (no files beside it, nothing fetched when it opens)."""

from __future__ import annotations

import base64
import io
from html import escape
from typing import TYPE_CHECKING

from curate.agreement.figures import AgreementReport, StanceTarget
from curate.agreement.frames import report_frame
from curate.quality.annotators import control_warnings
from curate.report.formatting import METRICS, stance_figures
from curate.report.model import (
    ANCHORING,
    ANNOTATORS,
    COHEN,
    LABELS,
    LOWEST,
    PAIRS,
    STANCE,
    TIMES,
    UNITIZED,
    Section,
    by_key,
    text,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FEW_DOCUMENTS = 10  # below this, the page warns that its figures are rough


def new_figure(figsize: tuple[float, float], label: str) -> Figure:
    """matplotlib is loaded here, when a picture is drawn, not by every command."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, label=label)


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{escape(str(figure.get_label()))}" src="data:image/png;base64,{encoded}">'


def heatmap(coders: list[str], rows: list[list[float | None]], title: str) -> str:
    values = [[float("nan") if v is None else v for v in row] for row in rows]
    longest = max((len(c) for c in coders), default=1)
    size = 1.2 + 0.9 * len(coders) + 0.07 * longest  # room for the full names
    figure = new_figure(figsize=(size, size - 0.4), label=title)
    axes = figure.subplots()
    # One fixed scale, 0 to 1: 0.86 beside 0.88 looks as close as it is. The values are
    # printed in the cells, so nothing depends on telling colours apart.
    image = axes.imshow(values, vmin=HEAT_RANGE[0], vmax=HEAT_RANGE[1], cmap="viridis")
    axes.set_xticks(range(len(coders)), coders, rotation=45, ha="right")
    axes.set_yticks(range(len(coders)), coders)
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            if value == value:  # not NaN
                colour = "black" if value > 0.6 else "white"  # viridis is light up there
                axes.text(j, i, f"{value:.2f}", ha="center", va="center", color=colour)
    axes.set_title(title)
    figure.colorbar(image, ax=axes)
    return _png(figure)


HEAT_RANGE = (0.0, 1.0)


def label_bars(report: AgreementReport) -> str:
    return _png(label_bars_figure(report))


def label_bars_figure(report: AgreementReport) -> Figure:
    # label x match (exact, overlap); a label one matching never saw scores 0 there.
    f1 = report_frame("label", report).pivot(index="label", columns="match", values="f1")
    f1 = f1.reindex(columns=["exact", "overlap"]).sort_index().fillna(0.0)
    labels = list(f1.index)
    figure = new_figure(figsize=(max(4.0, 0.7 * len(labels) + 2), 3.2), label="Span F1 per label")
    axes = figure.subplots()
    width = 0.4
    for shift, mode in ((-width / 2, "exact"), (width / 2, "overlap")):
        axes.bar([i + shift for i in range(len(labels))], f1[mode], width, label=mode)
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_ylim(0, 1)
    axes.set_ylabel("F1 between annotators")
    axes.set_title("Span F1 per label")
    # Beside the plot, never over a bar.
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return figure


def dropped_targets(stance: dict[str, StanceTarget]) -> list[str]:
    """Targets the interval plot leaves out: no document with two stance labels."""
    return [
        target
        for target, section in stance.items()
        if all(value.value is None for value in stance_figures(section))
    ]


def intervals(report: AgreementReport) -> str:
    rows = [
        (f"{target} · {name}", value)
        for target, section in report.stance.items()
        for name, value in zip(METRICS, stance_figures(section), strict=True)
        if value.value is not None
    ]
    if not rows:
        figure = new_figure(figsize=(6, 1.0), label="Stance agreement: no stance labels")
        figure.text(0.5, 0.5, "no stance labels", ha="center", va="center", color="grey")
        return _png(figure)
    figure = new_figure(figsize=(6, 0.6 + 0.35 * len(rows)), label="Stance agreement, 95% CI")
    axes = figure.subplots()
    for i, (_, value) in enumerate(rows):
        point = value.value
        assert point is not None  # rows hold estimates only
        low = value.low if value.low is not None else point
        high = value.high if value.high is not None else point
        axes.errorbar(point, i, xerr=[[point - low], [high - point]], fmt="o")
    axes.set_yticks(range(len(rows)), [name for name, _ in rows])
    axes.set_xlim(-1, 1)
    axes.axvline(0, color="grey", linewidth=0.5)
    axes.set_title("Stance agreement with 95% bootstrap intervals")
    return _png(figure)


def _table(section: Section) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in section.headers)
    rows = [(row, "") for row in section.rows]
    rows += [(section.total, ' class="total"')] if section.total is not None else []
    body = "".join(
        f"<tr{attributes}>" + "".join(f"<td>{escape(text(v))}</td>" for v in row) + "</tr>"
        for row, attributes in rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return table + (f"<p>{escape(section.note)}</p>" if section.note else "")


def _stance(report: AgreementReport, tables: dict[str, Section]) -> list[str]:
    if STANCE not in tables:
        return ["<p>No stance labels in these annotations: nothing to measure.</p>"]
    return [
        _table(tables[STANCE]),
        intervals(report),
        *(
            f"<p>Not in the plot: {escape(target)} (no document has two stance labels for it, "
            "so there is nothing to measure).</p>"
            for target in dropped_targets(report.stance)
        ),
        "<h3>Pairwise Cohen's κ</h3>",
        _table(tables[COHEN]),
    ]


def _unitized(report: AgreementReport, tables: dict[str, Section]) -> list[str]:
    if UNITIZED not in tables:
        return []
    return [
        "<h2>Span agreement as Krippendorff's αu</h2>",
        "<p>Unitized alpha (Krippendorff 2004) counts how far boundaries differ, not only "
        "whether they match; pairs of annotators pooled (each pair's αu is in the pair table), "
        "95% intervals from resampling "
        f"{report.entities.unitized_alpha.resampled_groups} groups of documents.</p>",
        _table(tables[UNITIZED]),
    ]


def _annotators(report: AgreementReport, tables: dict[str, Section]) -> list[str]:
    """The per-annotator page: one table for all, then each annotator on their own."""
    section = report.annotator_quality
    if section is None or ANNOTATORS not in tables:
        return []
    people = tables[ANNOTATORS]
    parts = [
        '<h2 id="annotators">Annotators</h2>',
        f"<p>Competence: {escape(section.competence_model)}, the model's expected share of "
        "labels an annotator gets right. Control score: mean of span F1 and stance accuracy on "
        f"control documents; below {section.min_control_score} fails.</p>",
        *(f'<p class="warning">{escape(line)}</p>' for line in control_warnings(section)),
        _table(people),
    ]
    if TIMES in tables:
        saving = section.time.saving
        parts += ["<h3>Time per annotation</h3>", _table(tables[TIMES])]
        if saving is not None:
            parts.append(f"<p>Pre-labels save {saving:.0%} of the time per 1,000 characters.</p>")
    for name, *values in people.rows:
        pairs = [[h, v] for h, v in zip(people.headers[1:], values, strict=True)]
        parts += [
            f"<h3>{escape(str(name))}</h3>",
            _table(Section(ANNOTATORS, str(name), ("figure", "value"), pairs)),
        ]
    return parts


def render(report: AgreementReport, title: str) -> str:
    """The page: every section of the report's model, with its pictures."""
    tables = by_key(report)
    matrix = report.entities.matrix
    few = report.documents < FEW_DOCUMENTS
    sections = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{report.documents} documents; annotators: "
        f"{escape(', '.join(report.annotators))}. "
        f"Intervals: {report.bootstrap.resamples} bootstrap resamples of documents, "
        f"seed {report.bootstrap.seed}.</p>",
        f'<p class="warning">Only {report.documents} documents: every figure below rests on '
        f"fewer than {FEW_DOCUMENTS}, so read them as rough.</p>"
        if few
        else "",
        "<h2>Stance, per target</h2>",
        *_stance(report, tables),
        "<h2>Entities, per annotator pair</h2>",
        _table(tables[PAIRS]),
        heatmap(matrix.coders, matrix.exact_f1, "Exact span F1"),
        heatmap(matrix.coders, matrix.token_kappa, "Token κ (BIO)"),
        "<h2>Entities, per label</h2>",
        _table(tables[LABELS]),
        label_bars(report),
        "<h2>Anchoring on pre-labels</h2>",
        _table(tables[ANCHORING])
        if ANCHORING in tables
        else "<p>No pre-labels were shown to these annotators: nothing anchored them.</p>",
        "<h2>Lowest agreement</h2>",
        _table(tables[LOWEST]),
        *_unitized(report, tables),
        *_annotators(report, tables),
    ]
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .5em}"
        "tr.total{font-weight:bold}"
        "img{display:block;margin:1em 0;max-width:100%}"
        ".warning{background:#fff3cd;border:1px solid #e0c060;padding:.5em}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{style}</style></head><body>{''.join(sections)}</body></html>\n"
    )
