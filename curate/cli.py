"""The `curate` command: parse, call the library, print with Rich, map errors to exit codes."""

from __future__ import annotations

import codecs
import errno
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from curate.adjudicate.auto import adjudicate_project, describe
from curate.adjudicate.review import review_queue
from curate.agreement.report import renamed
from curate.config import PERSON_NAME
from curate.domain.pseudonyms import namer
from curate.errors import CurateError, InputError, StoreError, UsageError
from curate.ingest import IngestOptions, IngestReport, ingest, total_bytes
from curate.ingest.gold import DEFAULT_CONLL_MAP, parse_label_map
from curate.ingest.gold_import import import_gold
from curate.ingest.tabular import Fields
from curate.labelstudio.client import connect
from curate.labelstudio.importer import import_export, import_into_project
from curate.labelstudio.pull import pull
from curate.labelstudio.push import push
from curate.labelstudio.reconcile import doctor
from curate.labelstudio.server import Server, credentials, serve, stop
from curate.labelstudio.server import healthy_url as httpx_healthy
from curate.loop import run_cycle
from curate.prelabel import prelabel
from curate.prelabel.evaluate import evaluate_file, evaluate_store
from curate.prelabel.tables import (
    curve_table,
    print_evaluation,
    print_training,
    training_summary,
)
from curate.prelabel.train import train
from curate.project import Project, init_project
from curate.quality.annotators import control_warnings
from curate.records import family
from curate.report import measure
from curate.report.html import render as render_html
from curate.report.tables import tables as agreement_tables
from curate.store import Store, open_store, queries
from curate.store.database import DB_URL_VARIABLE, explain


class _Commands(TyperGroup):
    """Every command's last line of defence: an error from the store or the file system that no
    command turned into a message becomes one line (the store's transaction was rolled back)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CurateError as error:
            raise _fail(error) from None
        except DBAPIError as error:
            where = os.environ.get(DB_URL_VARIABLE) or "in .curate/"
            raise _fail(StoreError(explain(error, where))) from None
        except UnicodeDecodeError as error:
            raise _fail(
                InputError(f"a file is not UTF-8 ({error.reason}); re-save it as UTF-8")
            ) from None
        except OSError as error:
            name = f"{error.filename}: " if error.filename else ""
            if error.errno == errno.ENOSPC:
                where = error.filename or "the project folder or the temporary folder (TMPDIR)"
                raise _fail(
                    CurateError(
                        f"no space left on the device holding {where}; free some space there "
                        "(or set TMPDIR to a roomier folder for scratch files), then run the "
                        "command again; nothing was recorded"
                    )
                ) from None
            raise _fail(
                CurateError(f"{name}{error.strerror or error}; check the path and its permissions")
            ) from None


app = typer.Typer(
    cls=_Commands,
    help="curate: turn raw news text into a gold dataset of named entities and stance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts name sections like [adjudication]: print them as written
)
# Messages quote curate.toml sections like [labelstudio]: no console markup, so nothing vanishes.
out = Console(markup=False)
err = Console(stderr=True, markup=False)
ERROR = Text("error: ", style="bold red")


def _fail(error: CurateError) -> typer.Exit:
    for line in str(error).splitlines():
        err.print(ERROR + line, highlight=False, soft_wrap=True)
    return typer.Exit(error.exit_code)


@app.callback()
def main(
    ctx: typer.Context,
    project: Annotated[
        Path, typer.Option("--project", "-C", help="Project folder (holds curate.toml).")
    ] = Path("."),
) -> None:
    """curate: turn raw news text into a gold dataset of named entities and stance."""
    ctx.obj = project


@contextmanager
def _opened_store(project: Project) -> Iterator[Store]:
    store = project.open_store()
    try:
        yield store
    finally:
        store.close()


def _project(ctx: typer.Context) -> Project:
    return Project.load(ctx.obj)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new project.")] = Path("."),
    name: Annotated[
        str | None,
        typer.Option(help="Project and dataset name; default: the folder's name."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing curate.toml.")] = False,
) -> None:
    """Write a commented curate.toml for a new project."""
    chosen = name or directory.resolve().name
    path = init_project(directory, force, chosen)
    out.print(f"wrote {path}; edit it, then run `curate ingest PATH`")


@app.command("ingest")
def ingest_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    text_field: Annotated[
        str, typer.Option(help="JSONL/CSV/Parquet field with the article text.")
    ] = "text",
    id_field: Annotated[
        str | None, typer.Option(help="Field with an external id (kept as source_id).")
    ] = None,
    title_field: Annotated[str | None, typer.Option(help="Field with the title.")] = None,
    encoding: Annotated[str, typer.Option(help="Encoding of text files.")] = "utf-8",
    require: Annotated[
        str | None, typer.Option(help="Keep only articles whose title or text match this regex.")
    ] = None,
) -> None:
    """Ingest scraped .txt news files and JSONL / CSV / Parquet records into the store."""
    project = _project(ctx)
    try:
        pattern = re.compile(require) if require else None
    except re.error as error:
        raise UsageError(f"--require {require!r} is not a valid regex ({error})") from None
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(
            f"--encoding {encoding!r} is not an encoding Python knows; try utf-8, latin-1 or cp1252"
        ) from None
    options = IngestOptions(Fields(text_field, id_field, title_field), encoding, pattern)
    with _opened_store(project) as store:
        size = total_bytes(paths)
        with Progress(
            TextColumn("ingest"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not err.is_terminal,
            transient=True,
        ) as bar:
            task = bar.add_task("ingest", total=size)
            report = ingest(
                store,
                paths,
                options,
                base_dir=project.root,
                progress=lambda n: bar.advance(task, n),
            )
    _print_ingest(report, pattern is not None)
    if report.exit_code():
        raise typer.Exit(report.exit_code())


def _print_ingest(report: IngestReport, filtering: bool) -> None:
    table = Table("file", "new", "already stored", "duplicates", title="ingest")
    if filtering:
        table.add_column("filtered out")
    for file in report.files:
        cells = [file.path, str(file.new), str(file.unchanged), str(len(file.duplicates))]
        if filtering:
            cells.append(str(file.filtered))
        table.add_row(*cells, style="red" if file.error else None)
    out.print(table)
    for file in report.files:
        for document_id, characters in file.long_documents:
            err.print(
                f"warning: {file.path}: document {document_id} has {characters:,} characters; "
                "it is pre-labelled in pieces and slow to annotate (is it several articles?)",
                highlight=False,
                soft_wrap=True,
            )
        for document_id, first_seen in file.duplicates:
            out.print(
                f"duplicate: {file.path} repeats {document_id} (first seen in {first_seen})",
                highlight=False,
            )
        if file.error:
            err.print(ERROR + file.error, highlight=False, soft_wrap=True)
    summary = (
        f"{report.total('new')} new documents, {report.total('unchanged')} already stored, "
        f"{report.duplicates} duplicates"
    )
    if filtering:
        summary += f", {report.total('filtered')} filtered out by --require"
    if report.failed:
        summary += f"; {len(report.failed)} file(s) failed and were left out"
    out.print(summary, highlight=False)


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
    from curate.prelabel.workers import available_cores

    project = _project(ctx)
    with _opened_store(project) as store:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not err.is_terminal,
            transient=True,
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
    project = _project(ctx)
    if curve:
        from curate.prelabel.curve import learning_curve

        with _opened_store(project) as store:
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
    with _opened_store(project) as store:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[score]}"),
            console=err,
            disable=not err.is_terminal,
            transient=True,
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
    project = _project(ctx)
    context = project.labeller_context()
    if gold is not None:
        result = evaluate_file(context, gold, label_map, labeller, predictions)
    else:
        if label_map is not None or predictions is not None:
            raise UsageError("--label-map and --predictions go with --gold FILE")
        with _opened_store(project) as store:
            result = evaluate_store(store, context, labeller, annotator)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    print_evaluation(out, result)


AdoptLabels = Annotated[
    bool, typer.Option(help="Add labels the file uses but curate.toml lacks to curate.toml.")
]


def _print_labels(mapped: dict[str, str], adopted: list[str]) -> None:
    """What an import did to outside labels: renamed ones, and ones written into curate.toml."""
    if mapped:
        renamed = ", ".join(f"{k} -> {v}" for k, v in sorted(mapped.items()))
        out.print(f"labels mapped: {renamed}", highlight=False)
    if adopted:
        out.print(
            f"labels added to curate.toml: {', '.join(adopted)} (edit their hotkeys, "
            "colours and guideline definitions as you like)",
            highlight=False,
        )


@app.command("import-gold")
def import_gold_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Gold file: CoNLL (IOB1/IOB2) or JSONL.")],
    label_map: Annotated[
        str,
        typer.Option(help="File label -> curate.toml label, e.g. 'PER=PERSON,LOC=GPE'."),
    ] = "",
    drop_labels: Annotated[
        str, typer.Option(help="File labels to leave out, e.g. 'MISC' (comma-separated).")
    ] = "",
    split: Annotated[
        str,
        typer.Option(
            help="Split to pin these documents to (train, validation, test...), or "
            "'auto' to choose it from each document's id like any other."
        ),
    ] = "auto",
    adopt_labels: AdoptLabels = False,
) -> None:
    """Import gold made elsewhere: it is released, trained on and evaluated against like
    adjudicated gold, and never counted as an annotator."""
    project = _project(ctx)
    mapping = parse_label_map(label_map)
    drop = {label.strip() for label in drop_labels.split(",") if label.strip()}
    with _opened_store(project) as store:
        report = import_gold(project, store, path, mapping, drop, split, adopt_labels)
    out.print(
        f"{report.documents} documents from {report.source} (sha256 {report.sha256[:12]}): "
        f"gold stored for {report.imported} ({report.spans} spans, {report.stances} stances), "
        f"{report.new_documents} of them new texts; {report.unchanged} already imported from "
        f"this file; {report.kept} kept the gold people adjudicated",
        highlight=False,
    )
    splits = ", ".join(f"{n} {name}" for name, n in sorted(report.splits.items()))
    out.print(f"splits: {splits}" + (" (pinned)" if split != "auto" else ""), highlight=False)
    if report.dropped:
        listed = ", ".join(f"{n} {label}" for label, n in report.dropped.most_common())
        out.print(f"spans left out: {listed}", highlight=False)
    _print_labels(report.mapped, report.adopted)


@app.command("import-ls")
def import_ls_command(
    ctx: typer.Context,
    export: Annotated[Path, typer.Argument(help="Label Studio JSON export (a list of tasks).")],
    text_field: Annotated[str, typer.Option(help="Task data field with the text.")] = "text",
    label_map: Annotated[
        str,
        typer.Option(
            help="Export label -> curate.toml label, e.g. 'Person=PERSON,Place=GPE' (case is "
            "ignored; a label that differs from one in curate.toml only by case maps itself)."
        ),
    ] = "",
    adopt_labels: AdoptLabels = False,
) -> None:
    """Import a Label Studio JSON export made elsewhere: documents and every annotator's labels."""
    project = _project(ctx)
    mapping = parse_label_map(label_map)
    with _opened_store(project) as store:
        report = import_into_project(
            project, store, export, text_field, mapping, adopt=adopt_labels
        )
    c = report.conversion
    out.print(
        f"{report.tasks} tasks: {report.new_documents} new documents "
        f"({report.known_documents} already stored), {report.new_annotations} new annotations, "
        f"{report.changed_annotations} edited since the last import (stored as new revisions; "
        f"{report.known_annotations} unchanged, {report.cancelled} cancelled)",
        highlight=False,
    )
    repaired = ", ".join(f"{n} {kind}" for kind, n in c.repairs.items()) or "none"
    out.print(
        f"{c.spans_checked} spans checked; repaired to agree with the text: {repaired}; "
        f"kept out: {len(c.rejected)}",
        highlight=False,
    )
    for line in report.repeated_texts + c.rejected:
        out.print(f"note: {line}", highlight=False, soft_wrap=True)
    if c.ignored_results:
        ignored = ", ".join(f"{n} {kind}" for kind, n in c.ignored_results.items())
        out.print(f"results curate does not read were left out: {ignored}", highlight=False)
    _print_labels(report.mapped, report.adopted)
    _print_warnings(c.warnings)
    targets = project.settings.target_names()
    if targets and not report.stances:
        err.print(
            f"warning: the export holds no stance, but curate.toml lists stance targets "
            f"({', '.join(targets)}); if this project has no stance, delete their "
            "[[stance.targets]] blocks from curate.toml, so annotators are not asked for one",
            highlight=False,
            soft_wrap=True,
        )


labelstudio_app = typer.Typer(
    help="Run a local Label Studio for this project.", no_args_is_help=True
)
app.add_typer(labelstudio_app, name="labelstudio")


def _server(project: Project) -> Server:
    ls = project.settings.labelstudio
    return Server(project.root, ls.host, ls.port, ls.admin_email, project.root / ls.venv)


@labelstudio_app.command("serve")
def labelstudio_serve(
    ctx: typer.Context,
    allow_remote: Annotated[
        bool, typer.Option(help="Allow a [labelstudio] host other than loopback.")
    ] = False,
) -> None:
    """Install (once) and start Label Studio on 127.0.0.1; wait until it answers."""
    server = _server(_project(ctx))
    url = serve(server, allow_remote, say=lambda m: err.print(m, highlight=False))
    out.print(
        f"Label Studio is running at {url} (admin: {server.admin_email}; the token is in "
        f"{server.credentials_file}, mode 0600)",
        highlight=False,
    )


@labelstudio_app.command("stop")
def labelstudio_stop(ctx: typer.Context) -> None:
    """Stop the Label Studio this project started."""
    stopped = stop(_server(_project(ctx)))
    out.print("stopped" if stopped else "no Label Studio started by this project is running")


@labelstudio_app.command("status")
def labelstudio_status(ctx: typer.Context) -> None:
    """Say whether Label Studio answers at the configured address."""
    project = _project(ctx)
    url = project.settings.labelstudio.base_url
    up = httpx_healthy(url)
    out.print(f"Label Studio at {url}: {'running' if up else 'not answering'}", highlight=False)
    if not up:
        raise typer.Exit(1)


def _print_warnings(warnings: dict[str, int]) -> None:
    """What an import or pull took in, but not exactly as written: never silent."""
    for warning, count in sorted(warnings.items()):
        err.print(f"warning: {count} {warning}", highlight=False, soft_wrap=True)


def _client_args(project: Project) -> tuple[str, str]:
    url = project.settings.labelstudio.base_url
    return url, credentials(_server(project))["token"]


@labelstudio_app.command("doctor")
def labelstudio_doctor(
    ctx: typer.Context,
    fix: Annotated[
        bool, typer.Option("--fix", help="Delete duplicate tasks nobody has annotated.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Compare each annotator's Label Studio project with the store: duplicate tasks, tasks the
    store did not record, recorded tasks gone from the server."""
    project = _project(ctx)
    url, token = _client_args(project)
    with _opened_store(project) as store, connect(url, token) as client:
        checkup = doctor(client, store, url, fix=fix)
    if as_json:
        typer.echo(json.dumps(asdict(checkup)))
        return
    table = Table(
        "annotator", "tasks", "duplicated documents", "not recorded", "missing", title=url
    )
    for name, count in checkup.tasks.items():
        table.add_row(
            name,
            str(count),
            str(len(checkup.duplicates.get(name, {}))),
            str(checkup.unrecorded.get(name, 0)),
            str(len(checkup.missing.get(name, []))),
        )
    out.print(table)
    if checkup.deleted:
        out.print(f"deleted {len(checkup.deleted)} unlabelled duplicate tasks", highlight=False)
    for name, ids in checkup.kept_annotated.items():
        out.print(
            f"{name}: {len(ids)} duplicate tasks carry annotations and were kept; "
            "`curate pull` stores them all, the newest revision counts",
            highlight=False,
        )
    if any(checkup.duplicates.values()) and not fix:
        out.print("run `curate labelstudio doctor --fix` to delete the unlabelled copies")


@app.command("push")
def push_command(
    ctx: typer.Context,
    blind_fraction: Annotated[
        float, typer.Option(help="Share of documents sent without pre-labels (0 to 1).")
    ] = 0.0,
    wait: Annotated[
        float,
        typer.Option(
            help="Seconds to wait for an import whose answer was lost (curate killed, or the "
            "server too slow) to show up on the server before sending its documents again."
        ),
    ] = 60.0,
) -> None:
    """Assign documents and send each annotator's share to their own Label Studio project."""
    project = _project(ctx)
    url, token = _client_args(project)
    with _opened_store(project) as store:
        with (
            connect(url, token) as client,
            Progress(
                TextColumn("push"),
                BarColumn(),
                MofNCompleteColumn(),
                console=err,
                disable=not err.is_terminal,
                transient=True,
            ) as bar,
        ):
            task = bar.add_task("push", total=None)
            report = push(
                store,
                project,
                client,
                url,
                blind_fraction,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                wait=wait,
            )
    table = Table("annotator", "project", "new tasks", "refreshed", title=f"push to {url}")
    for name, project_id in report.projects.items():
        new, refreshed = report.new_tasks.get(name, 0), report.refreshed.get(name, 0)
        table.add_row(name, str(project_id), str(new), str(refreshed))
    out.print(table)
    if report.model_version:
        out.print(f"suggestions from {report.model_version}", highlight=False)
    controls = f" ({report.controls} control documents)" if report.controls else ""
    out.print(
        f"{report.assigned} new assignments{controls}; {report.blind} tasks sent without "
        "pre-labels",
        highlight=False,
    )
    if report.adopted:
        out.print(
            f"{report.adopted} tasks an interrupted push had made were found on the server "
            "and recorded (not sent again)",
            highlight=False,
        )
    for name, duplicates in report.duplicates.items():
        err.print(
            f"warning: {len(duplicates)} documents have more than one task in the project of "
            f"{name}; `curate labelstudio doctor --fix` removes the unlabelled copies",
            highlight=False,
        )


DURATION = re.compile(r"^(\d+)([smhd])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@app.command("loop")
def loop_command(
    ctx: typer.Context,
    every: Annotated[
        str | None,
        typer.Option(
            help="Run the cycle again after this long, until stopped (e.g. 30m, 2h, 90s); "
            "a failing step stops it."
        ),
    ] = None,
) -> None:
    """One turn of the learning loop: pull, adjudicate --auto, train when the gold grew by
    [train] retrain_after documents, prelabel when a model changed, push (refreshing open
    tasks). Safe to kill and run again."""
    pause = None
    if every is not None:
        matched = DURATION.match(every.strip())
        if not matched or int(matched.group(1)) == 0:
            raise _fail(
                UsageError(f"--every {every!r}: give a duration such as 90s, 30m, 2h or 1d")
            )
        pause = int(matched.group(1)) * SECONDS[matched.group(2)]
    project = _project(ctx)
    url, token = _client_args(project)
    while True:
        table = Table("step", "what it did", title="curate loop")
        with _opened_store(project) as store, connect(url, token) as client:
            try:
                run_cycle(store, project, client, url, table.add_row)
            finally:
                if table.row_count:  # what ran before a failing step
                    out.print(table)
        if pause is None:
            return
        out.print(f"next turn in {every}", highlight=False)
        time.sleep(pause)


@app.command("pull")
def pull_command(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option(help="Export every project again, not only changes.")
    ] = False,
) -> None:
    """Fetch annotations from Label Studio into the store (append-only; safe to re-run)."""
    project = _project(ctx)
    url, token = _client_args(project)
    with _opened_store(project) as store:
        with connect(url, token) as client:
            report = pull(store, project, client, url, full)
    c = report.conversion
    out.print(
        f"{report.tasks_read} tasks read ({report.full_exports} full exports); "
        f"{report.new_annotations} new annotation revisions, {report.known_annotations} already "
        f"stored, {report.skipped} skipped or cancelled",
        highlight=False,
    )
    repaired = ", ".join(f"{n} {kind}" for kind, n in c.repairs.items()) or "none"
    out.print(
        f"{c.spans_checked} spans checked; repaired: {repaired}; kept out: {len(c.rejected)}",
        highlight=False,
    )
    for line in c.rejected + report.text_mismatches:
        out.print(f"note: {line}", highlight=False, soft_wrap=True)
    _print_warnings(c.warnings)


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
    project = _project(ctx)
    if export is not None:
        # An export is read into a throwaway store, so the project's own store is untouched.
        with tempfile.TemporaryDirectory() as scratch:
            store = open_store(f"sqlite:///{Path(scratch) / 'export.db'}")
            try:
                import_export(store, export, project.settings, keep_unknown_labels=True)
                with store.transaction() as connection:
                    report = measure(connection, project.settings, resamples, seed)
            finally:
                store.close()
    else:
        with _opened_store(project) as store, store.transaction() as connection:
            report = measure(connection, project.settings, resamples, seed)
    if report["documents"] == 0:
        raise UsageError(
            "no annotations to measure; run `curate pull` or `curate import-ls FILE` first"
        )
    if not show_annotators:  # the same pseudonyms as in the project's releases
        report = renamed(report, namer(project.root, real_names=False))
    if html is not None:
        title = f"curate agreement: {project.settings.project.name}"
        _write_text(html, render_html(report, title))
    for line in control_warnings(report["annotator_quality"]):
        err.print(f"warning: {line}", highlight=False, soft_wrap=True)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for table in agreement_tables(report):
        out.print(table)
    if html is not None:
        out.print(f"report written to {html}", highlight=False)


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path} ({error.strerror}); choose another path") from None


@app.command("adjudicate")
def adjudicate_command(
    ctx: typer.Context,
    auto: Annotated[
        bool, typer.Option("--auto", help="Apply the rules in [adjudication] of curate.toml.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Settle what annotators agree on (--auto); list what is left for reviewers."""
    project = _project(ctx)
    with _opened_store(project) as store:
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


@app.command("annotate")
def annotate_command(
    ctx: typer.Context,
    annotator: Annotated[str, typer.Option("--as", help="Your annotator name in curate.toml.")],
) -> None:
    """Label your assigned documents in the terminal, keyboard only (? lists the keys)."""
    from tui.annotate import AnnotateApp

    project = _project(ctx)
    with _opened_store(project) as store:
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

    project = _project(ctx)
    if not PERSON_NAME.match(reviewer):
        raise UsageError(f"--as {reviewer!r}: use letters, digits, '.', '_' and '-' in the name")
    with _opened_store(project) as store:
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


@app.command("release")
def release_command(
    ctx: typer.Context,
    version: Annotated[str | None, typer.Option(help="Version X.Y.Z to write.")] = None,
    bump_part: Annotated[
        str | None, typer.Option("--bump", help="Bump the last version: major, minor or patch.")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="A paragraph for the dataset card.")] = None,
    allow_unresolved: Annotated[
        bool, typer.Option(help="Leave documents with open conflicts out (said in the card).")
    ] = False,
    real_names: Annotated[
        bool, typer.Option(help="Export annotator names instead of pseudonyms.")
    ] = False,
    with_prelabels: Annotated[bool, typer.Option(help="Add the `prelabels` config.")] = False,
) -> None:
    """Write a versioned Hugging Face dataset to exports/NAME/vX.Y.Z (never overwritten)."""
    from curate.release import release

    project = _project(ctx)
    with _opened_store(project) as store, store.transaction(snapshot=True) as connection:
        report = release(
            project,
            connection,
            version=version,
            bump_part=bump_part,
            notes=notes,
            allow_unresolved=allow_unresolved,
            real_names=real_names,
            with_prelabels=with_prelabels,
        )
    if report.adopted:
        out.print(
            f"v{report.version} was already written to {report.folder} by a run that did not "
            "finish; its checksums hold, so it is recorded now (nothing rewritten)",
            highlight=False,
        )
    else:
        out.print(f"released v{report.version} to {report.folder}", highlight=False)
    for config, splits in report.rows.items():
        sizes = ", ".join(f"{split} {n}" for split, n in splits.items())
        out.print(f"  {config}: {sizes}", highlight=False)
    if report.unresolved:
        out.print(f"  left out: {report.unresolved} documents with unresolved conflicts")
    if report.not_adjudicated:
        out.print(
            f"  left out: {report.not_adjudicated} annotated documents not adjudicated yet "
            "(too few annotators; see the card)"
        )
    if report.changes is not None:
        changed = ", ".join(
            f"{n} {k.replace('_', ' ')}" for k, n in report.changes.counts().items() if n
        )
        out.print(f"  changes: {changed or 'none in gold'}", highlight=False)


@app.command("releases")
def releases_command(ctx: typer.Context) -> None:
    """List the releases with their dates, documents and sizes."""
    project = _project(ctx)
    with _opened_store(project) as store, store.connect() as connection:
        history = queries.release_history(connection, project.settings.release.name)
    table = Table("version", "date", "documents", "size", "folder", title="Releases")
    from curate.release import folder_bytes, folder_of

    for row in history:
        folder = folder_of(project, row["path"])
        size = folder_bytes(folder)
        table.add_row(
            f"v{row['version']}",
            row["created_at"].strftime("%Y-%m-%d %H:%M"),
            str(row["documents"] or 0),
            "missing" if size is None else f"{size / 1e6:.2f} MB",
            str(folder),
        )
    out.print(table)


@app.command("diff")
def diff_command(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="Older version, e.g. v1.0.0.")],
    new: Annotated[str, typer.Argument(help="Newer version, e.g. v1.1.0.")],
) -> None:
    """Show label-level differences between two releases' gold data."""
    from curate.release import release_folder
    from curate.release.compare import diff_releases

    project = _project(ctx)
    changes = diff_releases(release_folder(project, old), release_folder(project, new))
    for line in changes.lines():
        out.print(line, highlight=False, soft_wrap=True)
    summary = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in changes.counts().items() if n)
    out.print(summary or "no differences", highlight=False)


@app.command("publish")
def publish_command(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="Version to publish, e.g. v1.0.0.")],
    repo: Annotated[str, typer.Option(help="Hub dataset repo, ORG/NAME (token: HF_TOKEN).")],
) -> None:
    """Upload a release to the Hugging Face Hub and tag it vX.Y.Z."""
    from huggingface_hub import HfApi

    from curate.release import release_folder
    from curate.release.publish import publish

    project = _project(ctx)
    folder = release_folder(project, version)
    commit = publish(HfApi(), folder, folder.name.removeprefix("v"), repo)
    out.print(f"published {folder.name} to {repo} (commit {commit})", highlight=False)


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show how many documents are at each stage of the workflow."""
    project = _project(ctx)
    with _opened_store(project) as store:
        with store.connect() as connection:
            counts = queries.stage_counts(connection)
    if as_json:
        typer.echo(json.dumps(counts))
        return
    table = Table("stage", "documents", title=f"curate: {project.settings.project.name}")
    for stage, count in counts.items():
        table.add_row(stage, str(count))
    out.print(table)
    out.print(f"store: {store.url}", highlight=False, soft_wrap=True)


if __name__ == "__main__":
    app()
