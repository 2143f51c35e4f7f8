"""Commands for the machine suggestions: prelabel, train, evaluate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from curate.cli.common import (
    ERROR,
    app,
    err,
    opened_store,
    out,
    progress,
    project_of,
)
from curate.errors import UsageError
from curate.labels import DEFAULT_CONLL_MAP
from curate.records import family

# The prelabel package imports spaCy's helpers: commands import it when they run.
if TYPE_CHECKING:
    from curate.prelabel import PrelabelReport


@app.command("prelabel")
def prelabel_command(
    ctx: typer.Context,
    labeller: Annotated[
        list[str] | None,
        typer.Option("--labeller", "-l", help="Labeller to run (repeatable); default from config."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes (default: every core this process may use); with "
            "--engine ray, labeller actors (default: one per CPU of the cluster)."
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="local (this machine) or ray (a Ray cluster; curate[ray]).")
    ] = "local",
    address: Annotated[
        str,
        typer.Option(help="With --engine ray: the cluster, auto, HOST:PORT or ray://HOST:PORT."),
    ] = "auto",
) -> None:
    """Pre-label documents with entity and stance suggestions from the configured labellers."""
    from curate.prelabel import prelabel
    from curate.prelabel.workers import available_cores

    project = project_of(ctx)
    with opened_store(project) as store:
        with progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def advance(version: str, count: int, total: int) -> None:
                if version not in tasks:
                    tasks[version] = bar.add_task(family(version), total=total)
                bar.advance(tasks[version], count)

            report = prelabel(
                store,
                project.labeller_context(),
                labeller or None,
                advance,
                workers=available_cores() if workers is None and engine == "local" else workers,
                engine=engine,
                address=address,
            )
    _print_prelabel(report)


def _print_prelabel(report: PrelabelReport) -> None:
    table = Table(title="prelabel")
    table.add_column("labeller", overflow="fold")
    for column in ("documents labelled", "suggestions", "already done"):
        table.add_column(column, justify="right")
    for row in report.labellers:
        table.add_row(
            row.labeller,
            str(row.documents),
            str(row.suggestions),
            str(row.already_done),
            style="red" if row.error else None,
        )
    out.print(table)
    for row in report.failed:
        err.print(ERROR + row.error, highlight=False, soft_wrap=True)
    if report.failed:
        raise typer.Exit(1)


@app.command("train")
def train_command(
    ctx: typer.Context,
    curve: Annotated[
        bool,
        typer.Option(
            "--curve",
            help="Train on 25/50/75/100% of the training gold, score each on the same dev "
            "documents, and print the learning curve; the models in use stay as they are.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Learn from the store's gold: fine-tune the entity model with spaCy's training loop,
    learn names, and train stance classifiers; `curate prelabel` then uses them."""
    from curate.prelabel.tables import curve_table, print_training, training_summary
    from curate.prelabel.train import train

    project = project_of(ctx)
    if curve:
        from curate.prelabel.curve import learning_curve

        with opened_store(project) as store:
            points = learning_curve(
                store,
                project.labeller_context(),
                lambda point: err.print(f"trained on {point.share:.0%} of the gold"),
            )
        if as_json:
            typer.echo(json.dumps([point.as_dict() for point in points], indent=2))
        else:
            out.print(curve_table(points))
        return
    with opened_store(project) as store:
        with progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[score]}"),
        ) as bar:
            # One run of at most max_steps, or two (from the pipeline's NER and a fresh one).
            task = bar.add_task("training entities (steps; stops early)", total=None, score="")

            def step(number: int, score: float | None) -> None:
                bar.update(task, completed=number)
                if score is not None:
                    bar.update(task, score=f"dev F1 {score:.3f}")

            report = train(store, project.labeller_context(), step)
    if as_json:
        typer.echo(json.dumps(training_summary(report), indent=2))
        return
    print_training(out, report)


@app.command("evaluate")
def evaluate_command(
    ctx: typer.Context,
    labeller: Annotated[
        str | None,
        typer.Option(
            help="One labeller to score, e.g. gazetteer.v1; default: the suggestions "
            "annotators are shown (every configured labeller, merged)."
        ),
    ] = None,
    annotator: Annotated[str | None, typer.Option(help="Annotator to score (store gold).")] = None,
    predictions: Annotated[
        Path | None, typer.Option(help="Predictions (JSONL or CoNLL) to score against --gold.")
    ] = None,
    gold: Annotated[
        Path | None,
        typer.Option(help="Gold file: CoNLL (IOB1/IOB2) or JSONL; default: the store's gold."),
    ] = None,
    label_map: Annotated[
        str | None,
        typer.Option(
            help=f"Gold label -> project label(s), e.g. '{DEFAULT_CONLL_MAP}' (the CoNLL "
            "default); gold spans with unlisted labels are counted and left out."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Score suggestions or an annotator against gold: entity P/R/F1 per gold label, stance
    F1avg (favor, against) beside the majority-class baseline."""
    from curate.prelabel.evaluate import evaluate_file, evaluate_store
    from curate.prelabel.tables import print_evaluation

    project = project_of(ctx)
    context = project.labeller_context()
    if gold is not None:
        result = evaluate_file(context, gold, label_map, labeller, predictions)
    else:
        if label_map is not None or predictions is not None:
            raise UsageError("--label-map and --predictions go with --gold FILE")
        with opened_store(project) as store:
            result = evaluate_store(store, context, labeller, annotator)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    print_evaluation(out, result)
