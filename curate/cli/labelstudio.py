"""Commands that work with Label Studio: labelstudio serve/stop/status/doctor, push, pull,
loop."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
)
from rich.table import Table

from curate.cli.common import (
    app,
    err,
    fail,
    opened_store,
    out,
    print_warnings,
    progress,
    project_of,
)
from curate.errors import UsageError
from curate.project import Project

# Each command imports the Label Studio client and the loop when it runs: `curate --help` and
# the commands that never talk to a server do not pay for them.
if TYPE_CHECKING:
    from curate.labelstudio.push import PushReport
    from curate.labelstudio.server import Server

labelstudio_app = typer.Typer(
    help="Run a local Label Studio for this project.", no_args_is_help=True
)


app.add_typer(labelstudio_app, name="labelstudio")


def _server(project: Project) -> Server:
    from curate.labelstudio.server import Server

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
    from curate.labelstudio.server import serve

    project = project_of(ctx)
    server = _server(project)
    url = serve(server, allow_remote, say=lambda m: err.print(m, highlight=False))
    out.print(
        f"Label Studio is running at {url} (admin: {server.admin_email}; the token is in "
        f"{server.credentials_file.relative_to(project.root)}, mode 0600)",
        highlight=False,
    )


@labelstudio_app.command("stop")
def labelstudio_stop(ctx: typer.Context) -> None:
    """Stop the Label Studio this project started."""
    from curate.labelstudio.server import stop

    stopped = stop(_server(project_of(ctx)))
    out.print("stopped" if stopped else "no Label Studio started by this project is running")


@labelstudio_app.command("status")
def labelstudio_status(ctx: typer.Context) -> None:
    """Say whether Label Studio answers at the configured address, and which server this
    project started (the one `stop` stops)."""
    from curate.labelstudio.server import healthy_url, running

    project = project_of(ctx)
    url = project.settings.labelstudio.base_url
    up = healthy_url(url)
    started = running(_server(project))
    if started is None:
        owner = "; not started by this project (`curate labelstudio stop` leaves it)" if up else ""
        out.print(
            f"Label Studio at {url}: {'running' if up else 'not answering'}{owner}",
            highlight=False,
        )
    else:
        out.print(f"this project's Label Studio is running ({started.describe()})", highlight=False)
        if started.url != url:
            out.print(
                f"curate.toml points at {url} ({'answering' if up else 'not answering'}); "
                f"{_address_fix(project, started.port)}",
                highlight=False,
            )
    if not up:
        raise typer.Exit(1)


def _address_fix(project: Project, port: int) -> str:
    """How to point curate.toml at the server on `port`, naming the setting in use."""
    if project.settings.labelstudio.url:
        return f"set [labelstudio] url to http://{project.settings.labelstudio.host}:{port}"
    return f"set [labelstudio] port = {port}"


@contextmanager
def address_hint(project: Project) -> Iterator[None]:
    """An unreachable server's message names the setting curate.toml actually uses, and the
    server this project started if one runs elsewhere."""
    from curate.labelstudio.client import UnreachableError
    from curate.loop import StepFailed

    try:
        yield
    except StepFailed as failed:
        if not isinstance(failed.error, UnreachableError):
            raise
        reason = f"curate loop stopped at {failed.step}: {failed.error.reason}"
        raise fail(UnreachableError(reason, _unreachable_fix(project))) from None
    except UnreachableError as error:
        raise fail(UnreachableError(error.reason, _unreachable_fix(project))) from None


def _unreachable_fix(project: Project) -> str:
    from curate.labelstudio.server import running

    started = running(_server(project))
    if started is not None:
        return f"this project's Label Studio runs at {started.url}: " + _address_fix(
            project, started.port
        )
    setting = "[labelstudio] url" if project.settings.labelstudio.url else "[labelstudio] port"
    return f"start it with `curate labelstudio serve`, or fix {setting} in curate.toml"


def _client_args(project: Project) -> tuple[str, str]:
    from curate.labelstudio.server import credentials

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
    from curate.labelstudio.client import connect
    from curate.labelstudio.reconcile import doctor

    project = project_of(ctx)
    url, token = _client_args(project)
    with address_hint(project), opened_store(project) as store, connect(url, token) as client:
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
            min=0,
            help="Seconds to wait for an import whose answer was lost (curate killed, or the "
            "server too slow) to show up on the server before sending its documents again.",
        ),
    ] = 60.0,
) -> None:
    """Assign documents and send each annotator's share to their own Label Studio project."""
    from curate.labelstudio.client import connect
    from curate.labelstudio.push import push

    project = project_of(ctx)
    url, token = _client_args(project)
    with address_hint(project), opened_store(project) as store:
        with (
            connect(url, token) as client,
            progress(
                TextColumn("push"),
                BarColumn(),
                MofNCompleteColumn(),
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
    _print_push(report, url)


def _print_push(report: PushReport, url: str) -> None:
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
    [train] retrain_after documents, prelabel what the models in use have not seen, push
    (refreshing every open task whose suggestions changed). Safe to kill and run again."""
    from curate.labelstudio.client import connect
    from curate.loop import run_cycle

    pause = None
    if every is not None:
        matched = DURATION.match(every.strip())
        if not matched or int(matched.group(1)) == 0:
            raise fail(UsageError(f"--every {every!r}: give a duration such as 90s, 30m, 2h or 1d"))
        pause = int(matched.group(1)) * SECONDS[matched.group(2)]
    project = project_of(ctx)
    url, token = _client_args(project)
    while True:
        table = Table("step", "what it did", title="curate loop")
        with address_hint(project), opened_store(project) as store, connect(url, token) as client:
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
    from curate.labelstudio.client import connect
    from curate.labelstudio.pull import pull

    project = project_of(ctx)
    url, token = _client_args(project)
    with address_hint(project), opened_store(project) as store:
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
    print_warnings(c.warnings)
