"""The agreement report as one self-contained HTML page, pictures drawn with matplotlib and
embedded as PNG data URIs (no files beside it, nothing fetched when it opens)."""

from __future__ import annotations

import base64
import io
from html import escape
from typing import Any

from matplotlib.figure import Figure

from curate.agreement.formatting import METRICS, anchoring_cells, cell, estimate

FEW_DOCUMENTS = 10  # below this, the page warns that its figures are rough


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{escape(str(figure.get_label()))}" src="data:image/png;base64,{encoded}">'


def heatmap(report: dict[str, Any], metric: str, title: str) -> str:
    matrix = report["entities"]["matrix"]
    coders = matrix["coders"]
    values = [[float("nan") if v is None else v for v in row] for row in matrix[metric]]
    figure = Figure(figsize=(1.2 + 0.9 * len(coders), 0.8 + 0.8 * len(coders)), label=title)
    axes = figure.subplots()
    # The colour scale spans the data, so differences between pairs show (0..1 would make
    # 0.80 and 0.85 the same yellow); the bar says what the colours mean.
    low, high = heat_range(values)
    image = axes.imshow(values, vmin=low, vmax=high, cmap="viridis")
    axes.set_xticks(range(len(coders)), [_short(c) for c in coders], rotation=45, ha="right")
    axes.set_yticks(range(len(coders)), [_short(c) for c in coders])
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            if value == value:  # not NaN
                light = (value - low) / ((high - low) or 1) > 0.6  # viridis is light up there
                colour = "black" if light else "white"
                axes.text(j, i, f"{value:.2f}", ha="center", va="center", color=colour)
    axes.set_title(title)
    figure.colorbar(image, ax=axes)
    return _png(figure)


def heat_range(values: list[list[float]]) -> tuple[float, float]:
    """The colour scale's ends: the data's range, widened to at least 0.1 so noise is not
    blown up into contrast."""
    found = [v for row in values for v in row if v == v]
    if not found:
        return 0.0, 1.0
    low, high = min(found), max(found)
    if high - low < 0.1:
        middle = (high + low) / 2
        low, high = middle - 0.05, middle + 0.05
    return low, high


def label_bars(report: dict[str, Any]) -> str:
    return _png(label_bars_figure(report))


def label_bars_figure(report: dict[str, Any]) -> Figure:
    by_label = report["entities"]["by_label"]
    labels = sorted(set(by_label["exact"]) | set(by_label["overlap"]))
    figure = Figure(figsize=(max(4.0, 0.7 * len(labels) + 2), 3.2), label="Span F1 per label")
    axes = figure.subplots()
    width = 0.4
    for shift, mode in ((-width / 2, "exact"), (width / 2, "overlap")):
        heights = [by_label[mode].get(label, {}).get("f1", 0.0) for label in labels]
        axes.bar([i + shift for i in range(len(labels))], heights, width, label=mode)
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_ylim(0, 1)
    axes.set_ylabel("F1 between annotators")
    axes.set_title("Span F1 per label")
    # Beside the plot, never over a bar.
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return figure


def intervals(report: dict[str, Any]) -> str:
    rows = [
        (f"{target} · {name}", value)
        for target, section in report["stance"].items()
        for key, name in METRICS
        if (value := section[key])["value"] is not None
    ]
    if not rows:
        figure = Figure(figsize=(6, 1.0), label="Stance agreement: no stance labels")
        figure.text(0.5, 0.5, "no stance labels", ha="center", va="center", color="grey")
        return _png(figure)
    figure = Figure(figsize=(6, 0.6 + 0.35 * len(rows)), label="Stance agreement, 95% CI")
    axes = figure.subplots()
    for i, (_, value) in enumerate(rows):
        low = value["low"] if value["low"] is not None else value["value"]
        high = value["high"] if value["high"] is not None else value["value"]
        axes.errorbar(
            value["value"],
            i,
            xerr=[[value["value"] - low], [high - value["value"]]],
            fmt="o",
        )
    axes.set_yticks(range(len(rows)), [name for name, _ in rows])
    axes.set_xlim(-1, 1)
    axes.axvline(0, color="grey", linewidth=0.5)
    axes.set_title("Stance agreement with 95% bootstrap intervals")
    return _png(figure)


def _short(name: str) -> str:
    return name if len(name) <= 16 else name[:15] + "…"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(report: dict[str, Any], title: str) -> str:
    stance_rows = [
        [target, s["units"], s["unpaired"], *(estimate(s[key]) for key, _ in METRICS)]
        for target, s in report["stance"].items()
    ]
    entities = report["entities"]
    pair_rows = [
        [
            pair,
            p["documents"],
            p["exact"]["f1"],
            p["overlap"]["f1"],
            p["label_conflicts"],
            p["boundary_differences"],
            p["token_kappa"],
        ]
        for pair, p in entities["pairs"].items()
    ]
    anchoring_rows = [
        [coder, group, g["documents"], *anchoring_cells(g)]
        for coder, groups in report["anchoring"].items()
        for group, g in groups.items()
    ]
    lowest = [
        [
            d["document"],
            d.get("title", ""),
            d.get("disagreement", ""),
            d["score"],
            d["entity_f1"],
            d["stance_agreement"],
        ]
        for d in report["lowest_agreement"]
    ]
    cohen = [
        [target, pair, value["units"], value["value"]]
        for target, s in report["stance"].items()
        for pair, value in s["cohen_kappa"].items()
    ]
    few = report["documents"] < FEW_DOCUMENTS
    warning = (
        f'<p class="warning">Only {report["documents"]} documents: every figure below rests on '
        f"fewer than {FEW_DOCUMENTS}, so read them as rough.</p>"
        if few
        else ""
    )
    sections = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{report['documents']} documents; annotators: "
        f"{escape(', '.join(report['annotators']))}. "
        f"Intervals: {report['bootstrap']['resamples']} bootstrap resamples of documents, "
        f"seed {report['bootstrap']['seed']}.</p>",
        warning,
        "<h2>Stance, per target</h2>",
        _table(["target", "documents", "labelled once", *(n for _, n in METRICS)], stance_rows),
        intervals(report),
        "<h3>Pairwise Cohen's κ</h3>",
        _table(["target", "pair", "documents", "Cohen κ"], cohen),
        "<h2>Entities, per annotator pair</h2>",
        _table(
            [
                "pair",
                "documents",
                "exact F1",
                "overlap F1",
                "label conflicts",
                "boundary differences",
                "token κ (BIO)",
            ],
            pair_rows,
        ),
        heatmap(report, "exact_f1", "Exact span F1"),
        heatmap(report, "token_kappa", "Token κ (BIO)"),
        label_bars(report),
        "<h2>Anchoring on pre-labels</h2>",
        _table(
            [
                "annotator",
                "documents",
                "count",
                "suggestions kept",
                "span F1 with suggestions",
                "stance = suggestion",
            ],
            anchoring_rows,
        ),
        "<h2>Lowest agreement</h2>",
        _table(
            ["document", "title", "disagreement", "score", "span F1", "stance agreement"], lowest
        ),
    ]
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .5em}"
        "img{display:block;margin:1em 0;max-width:100%}"
        ".warning{background:#fff3cd;border:1px solid #e0c060;padding:.5em}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{style}</style></head><body>{''.join(sections)}</body></html>\n"
    )
