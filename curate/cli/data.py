"""Commands that set a project up and bring data in: init, ingest, import-gold, import-ls,
status."""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from curate.cli.common import (
    ERROR,
    AdoptLabels,
    app,
    err,
    opened_store,
    out,
    print_labels,
    print_warnings,
    progress,
    project_of,
)
from curate.errors import UsageError
from curate.labels import parse_label_map
from curate.project import init_project
from curate.store import queries

if TYPE_CHECKING:
    from curate.ingest import IngestReport


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
    project = project_of(ctx)
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
    from curate.ingest import IngestOptions, ingest, total_bytes
    from curate.ingest.tabular import Fields

    options = IngestOptions(Fields(text_field, id_field, title_field), encoding, pattern)
    with opened_store(project) as store:
        size = total_bytes(paths)
        with progress(
            TextColumn("ingest"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
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
    from curate.ingest.gold_import import import_gold

    project = project_of(ctx)
    mapping = parse_label_map(label_map)
    drop = {label.strip() for label in drop_labels.split(",") if label.strip()}
    with opened_store(project) as store:
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
    if report.normalised_texts:
        out.print(
            f"{report.normalised_texts} texts cleaned as `curate ingest` cleans them (line "
            "endings, trailing spaces, blank lines at either end), their spans moved with them",
            highlight=False,
        )
    print_labels(report.mapped, report.adopted, report.removed)


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
    from curate.labelstudio.importer import import_into_project

    project = project_of(ctx)
    mapping = parse_label_map(label_map)
    with opened_store(project) as store:
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
    if report.normalised_texts:
        out.print(
            f"{report.normalised_texts} texts cleaned as `curate ingest` cleans them (line "
            "endings, trailing spaces, blank lines at either end), their spans moved with them: "
            "the same article ingested and imported is one document",
            highlight=False,
        )
    if c.ignored_results:
        ignored = ", ".join(f"{n} {kind}" for kind, n in c.ignored_results.items())
        out.print(f"results curate does not read were left out: {ignored}", highlight=False)
    print_labels(report.mapped, report.adopted, report.removed)
    print_warnings(c.warnings)
    targets = project.settings.target_names()
    if targets and not report.stances:
        err.print(
            f"warning: the export holds no stance, but curate.toml lists stance targets "
            f"({', '.join(targets)}); if this project has no stance, delete their "
            "[[stance.targets]] blocks from curate.toml, so annotators are not asked for one",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show how many documents are at each stage of the workflow."""
    project = project_of(ctx)
    with opened_store(project) as store:
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
