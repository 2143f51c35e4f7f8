"""Commands for the people's work: annotate, agreement, adjudicate, review."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from curate.cli.common import (
    app,
    err,
    opened_store,
    out,
    project_of,
    write_text,
)
from curate.config import PERSON_NAME
from curate.errors import StoreError, UsageError
from curate.project import Project
from curate.store import queries

if TYPE_CHECKING:
    from curate.agreement.figures import AgreementReport


@app.command("annotate")
def annotate_command(
    ctx: typer.Context,
    annotator: Annotated[str, typer.Option("--as", help="Your annotator name in curate.toml.")],
) -> None:
    """Label your assigned documents in the terminal, keyboard only (? lists the keys)."""
    from tui.annotate import AnnotateApp

    project = project_of(ctx)
    with opened_store(project) as store:
        app_ = AnnotateApp(project, store, annotator)
        _need_terminal("annotate")
        app_.run()
    if app_.return_code:
        raise typer.Exit(app_.return_code)


def _need_terminal(command: str) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            f"`curate {command}` needs a terminal (stdin and stdout are not one here); run "
            "it in a terminal or in tmux"
        )


@app.command("agreement")
def agreement_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a report with pictures here.")
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--from-export", help="Measure a Label Studio JSON export instead of the store."
        ),
    ] = None,
    resamples: Annotated[int, typer.Option(min=10, help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed (same seed, same intervals).")] = 0,
    show_annotators: Annotated[
        bool,
        typer.Option(help="Show annotator names, not the pseudonyms releases use."),
    ] = False,
) -> None:
    """Measure agreement: stance per target, entity spans per pair and label, anchoring."""
    from curate.domain.pseudonyms import namer
    from curate.quality.annotators import control_warnings
    from curate.report.tables import tables

    project = project_of(ctx)
    report, overrides = _measured(project, export, resamples, seed)
    if report.documents == 0:
        raise UsageError(
            "no annotations to measure; run `curate pull` or `curate import-ls FILE` first"
        )
    if not show_annotators:  # the same pseudonyms as in the project's releases
        report = report.renamed(namer(project.root, real_names=False))
    if html is not None:
        title = f"curate agreement: {project.settings.project.name}"
        from curate.report.html import render  # pandas and matplotlib: only for --html

        write_text(html, render(report, title))
    for line in control_warnings(report.annotator_quality):
        err.print(f"warning: {line}", highlight=False, soft_wrap=True)
    counted = {} if overrides is None else {"reviewer_overrides": overrides}
    if as_json:
        typer.echo(json.dumps(report.as_json() | counted, indent=2))
        return
    for table in tables(report):
        out.print(table)
    if overrides:  # decisions, not annotations: the figures above are the annotators'
        out.print(
            f"{overrides} gold labels were set by a reviewer over what annotators agreed "
            "(reviewer-override); the figures above measure the annotators and leave them out.",
            highlight=False,
        )
    if html is not None:
        out.print(f"report written to {html}", highlight=False)


def _measured(
    project: Project, export: Path | None, resamples: int, seed: int
) -> tuple[AgreementReport, int | None]:
    """The agreement of the export, or of the store with its count of reviewer overrides."""
    from curate.labelstudio.importer import measure_export
    from curate.report import measure

    if export is not None:
        return measure_export(export, project.settings, resamples, seed), None
    with opened_store(project) as store, store.transaction() as connection:
        return measure(connection, project.settings, resamples, seed), queries.override_count(
            connection
        )


@app.command("adjudicate")
def adjudicate_command(
    ctx: typer.Context,
    auto: Annotated[
        bool, typer.Option("--auto", help="Apply the rules in [adjudication] of curate.toml.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Settle what annotators agree on (--auto); list what is left for reviewers."""
    from curate.adjudicate.auto import adjudicate_project, describe
    from curate.adjudicate.review import review_queue

    project = project_of(ctx)
    with opened_store(project) as store:
        if auto:
            with store.transaction() as connection:
                report = adjudicate_project(connection, project)
        with store.connect() as connection:
            queue = review_queue(connection)
    if as_json:
        payload: dict[str, Any] = {"queue": [asdict(entry) for entry in queue]}
        typer.echo(json.dumps(payload | ({"auto": describe(report)} if auto else {})))
        return
    if auto:
        decided = ", ".join(f"{n} {m}" for m, n in sorted(report.decided.items()))
        out.print(
            f"{report.documents} documents with enough annotators ({report.pending} waiting for "
            f"more); {report.recomputed} documents recomputed; "
            + (
                f"{sum(report.decided.values())} items decided ({decided})"
                if decided
                else "no item changed"
            )
            + f" (an item is a document's entities or its stance on one target); "
            f"{report.kept_human} items a reviewer decided kept",
            highlight=False,
        )
        if report.ties_to_review:
            rule = project.settings.adjudication.tie_breaker
            why = "no pre-label on either side" if rule == "prelabel" else "no senior among them"
            out.print(
                f"{report.ties_to_review} even splits went to review: tie_breaker = {rule!r} "
                f"could not settle them ({why})",
                highlight=False,
            )
    shown = 20
    table = Table(
        "document",
        "agreement",
        "open items",
        title=f"Review queue ({len(queue)} documents)",
        caption=(
            f"… and {len(queue) - shown} more documents (`curate adjudicate --json` lists all)"
            if len(queue) > shown
            else None
        ),
    )
    for entry in queue[:shown]:
        score = "–" if entry.score is None else f"{entry.score:.3f}"
        table.add_row(entry.document_id, score, ", ".join(entry.open_items))
    out.print(table)


@app.command("review")
def review_command(
    ctx: typer.Context,
    reviewer: Annotated[str, typer.Option("--as", help="Your name, stored with each decision.")],
    show_annotators: Annotated[
        bool,
        typer.Option(help="Show annotator names, not the pseudonyms reports and releases use."),
    ] = False,
) -> None:
    """Resolve conflicts in the terminal, lowest agreement first (? lists the keys)."""
    from tui.review import ReviewApp

    project = project_of(ctx)
    if not PERSON_NAME.match(reviewer):
        raise UsageError(f"--as {reviewer!r}: use letters, digits, '.', '_' and '-' in the name")
    with opened_store(project) as store:
        app_ = ReviewApp(project, store, reviewer, show_annotators)
        _need_terminal("review")
        app_.run()
    if app_.unstored:
        raise StoreError(
            f"{len(app_.unstored)} decisions were not stored (the reasons were shown); your "
            f"choices are kept as drafts in .curate/review-drafts/{reviewer}/ and come back "
            f"when you run `curate review --as {reviewer}` again"
        )
    if app_.return_code:
        raise typer.Exit(app_.return_code)
