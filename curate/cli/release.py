"""Commands that publish gold: release, releases, diff, publish."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from curate.cli.common import (
    app,
    opened_store,
    out,
    project_of,
)
from curate.store import queries


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

    project = project_of(ctx)
    with opened_store(project) as store, store.transaction(snapshot=True) as connection:
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
    project = project_of(ctx)
    with opened_store(project) as store, store.connect() as connection:
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

    project = project_of(ctx)
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

    project = project_of(ctx)
    folder = release_folder(project, version)
    commit = publish(HfApi(), folder, folder.name.removeprefix("v"), repo)
    out.print(f"published {folder.name} to {repo} (commit {commit})", highlight=False)
